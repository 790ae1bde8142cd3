-- Each BNF code of a month with a name it was published under, for resolving drug groups on the month.
SELECT bnf_code, any_value(bnf_name) FROM read_parquet($p) GROUP BY bnf_code
