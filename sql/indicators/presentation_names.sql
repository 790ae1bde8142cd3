-- BNF code -> name of every presentation the indicator step saw in the given months' files.
SELECT bnf_code, any_value(bnf_name) FROM read_parquet($p) GROUP BY bnf_code
