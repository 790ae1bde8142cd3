-- Each drug group x PINCER list it cites x presentation x dm+d code of a month where the two disagree
-- (pipelines/verdicts/pincer_agreement.py): the group holds the row's BNF code and the list lacks its
-- SNOMED code ('group only'), or the other way round ('pincer only'). The caller registers the tables
-- cites (grp, list), members (grp, bnf_code) and ids (list, snomed_code). Rows without a SNOMED code
-- (months before Nov 2020) are not compared.
WITH rows AS (
    SELECT bnf_code, any_value(bnf_name) AS bnf_name, snomed_code, sum(items) AS items
    FROM read_parquet($p)
    WHERE snomed_code IS NOT NULL AND snomed_code <> ''
      AND (bnf_code IN (SELECT bnf_code FROM members) OR snomed_code IN (SELECT snomed_code FROM ids))
    GROUP BY bnf_code, snomed_code
)
SELECT c.grp, c.list, r.bnf_code, r.bnf_name, r.snomed_code, r.items,
       CASE WHEN m.bnf_code IS NOT NULL THEN 'group only' ELSE 'pincer only' END AS side
FROM rows r
CROSS JOIN cites c
LEFT JOIN members m ON m.grp = c.grp AND m.bnf_code = r.bnf_code
LEFT JOIN ids i ON i.list = c.list AND i.snomed_code = r.snomed_code
WHERE (m.bnf_code IS NOT NULL) <> (i.snomed_code IS NOT NULL)
ORDER BY c.grp, side, r.items DESC, r.bnf_code, r.snomed_code
