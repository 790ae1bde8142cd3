-- The optional registration flags this extract carries: a flag counts as carried when at least one
-- registration says Y or N. A lake file written before a flag existed has no column: not carried.
SELECT 'learning_disability_or_autism' AS flag
FROM ((SELECT NULL::BOOLEAN AS learning_disability_or_autism WHERE false)
      UNION ALL BY NAME (SELECT * FROM read_parquet($registrations_path)))
HAVING count(learning_disability_or_autism) > 0
