-- The views of warehouse/msi.duckdb, one per warehouse table an analyst reads. A view cannot take bound
-- parameters, so each table name between at-signs is replaced by a quoted literal of that table's glob or
-- file, our own path from pipelines/tables.py (pipelines/indicators/engine.py write_views), never input.
CREATE VIEW indicator_values AS SELECT * FROM read_parquet(@indicator_values@);
CREATE VIEW indicator_deciles AS SELECT * FROM read_parquet(@indicator_deciles@);
-- Practice rows as written each month (ICB as published) plus the ICB (current) and England rows.
CREATE VIEW indicator_breakdown AS
SELECT month, indicator_id, 'practice' AS org_type, practice_code AS org_code, NULL::VARCHAR AS icb_code,
       bnf_code, bnf_name, items, quantity, adq, ome_mg
FROM read_parquet(@indicator_practice_breakdown@)
UNION ALL BY NAME SELECT * FROM read_parquet(@indicator_breakdown@);
CREATE VIEW indicator_catalogue AS SELECT * FROM read_parquet(@indicator_catalogue@);
