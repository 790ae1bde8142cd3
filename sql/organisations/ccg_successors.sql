-- Each 2020 CCG's successor in 2022: the 2022 CCG most of its practices moved to, from NHS Digital's real
-- September 2020 and January 2022 practice maps ($old, $new).
WITH a AS (SELECT PRACTICE_CODE AS practice, CCG_CODE AS ccg, CCG_NAME AS name
           FROM read_csv($old, all_varchar = true, header = true)),
     b AS (SELECT PRACTICE_CODE AS practice, CCG_CODE AS ccg, CCG_NAME AS name
           FROM read_csv($new, all_varchar = true, header = true)),
     moves AS (SELECT a.ccg AS old, any_value(a.name) AS old_name, b.ccg AS new,
                      any_value(b.name) AS new_name, count(*) AS practices
               FROM a JOIN b USING (practice) GROUP BY a.ccg, b.ccg)
SELECT old AS ccg_code_2020, any_value(old_name) AS ccg_name_2020,
       arg_max(new, practices) AS ccg_code_2022, arg_max(new_name, practices) AS ccg_name_2022,
       max(practices) AS practices_moved, sum(practices) AS practices_in_both
FROM moves GROUP BY old ORDER BY old
