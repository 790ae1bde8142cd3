-- Macros every connection gets (pipelines/epd/ingest.py: duckdb_connection).
-- EPD writes 3-character sub-ICB codes as PCO codes with '00' appended (00Y -> 00Y00); the 5-character
-- ones (D2P2L) stand as they are. NHS Digital's practice map uses the plain ODS code, so we do too.
CREATE OR REPLACE MACRO ods_sub_icb(code) AS
    CASE WHEN regexp_full_match(code, '[0-9]{2}[A-Z]00') THEN left(code, 3) ELSE code END;
