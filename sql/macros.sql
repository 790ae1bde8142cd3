-- Macros every connection gets (pipelines/epd/ingest.py: duckdb_connection).
-- EPD writes 3-character sub-ICB codes as PCO codes with '00' appended (00Y -> 00Y00); the 5-character
-- ones (D2P2L) stand as they are. NHS Digital's practice map uses the plain ODS code, so we do too.
CREATE OR REPLACE MACRO ods_sub_icb(code) AS
    CASE WHEN regexp_full_match(code, '[0-9]{2}[A-Z]00') THEN left(code, 3) ELSE code END;
-- NHS Digital's practice map gives a practice in no Primary Care Network the PCN code 'U' ("Unallocated",
-- 68 of 6,527 practices in January 2022); those and blank codes are no PCN.
CREATE OR REPLACE MACRO ods_pcn(code) AS
    CASE WHEN code IS NULL OR trim(code) IN ('', 'U') THEN NULL ELSE trim(code) END;
