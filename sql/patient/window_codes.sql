-- The BNF codes issued in the window (drug groups are resolved against these only).
SELECT DISTINCT bnf_code FROM read_parquet($p) WHERE issue_date BETWEEN $s AND $e
