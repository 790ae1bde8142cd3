-- Rewrite the fact with the Latin-1 originals of presentation names (rare: only when a name is not
-- ASCII). `presentation_repairs` is registered by the caller: bnf_code, chem_name, bnf_name.
COPY (
    SELECT f.* REPLACE (coalesce(r.chem_name, f.chem_name) AS chem_name,
                        coalesce(r.bnf_name, f.bnf_name) AS bnf_name)
    FROM read_parquet($fact_path, file_row_number = true) f
    LEFT JOIN presentation_repairs r USING (bnf_code)
    ORDER BY f.file_row_number
) TO $out_path (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880);
