-- Each BNF code of a month with a name it was published under and whether any of its rows carries a dm+d
-- code (SNOMED_CODE, from Nov 2020): the PINCER check resolves the drug groups on these, and compares nothing
-- in a month without dm+d codes.
SELECT bnf_code, any_value(bnf_name), bool_or(coalesce(snomed_code, '') <> '')
FROM read_parquet($p) GROUP BY bnf_code
