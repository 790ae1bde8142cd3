-- Diagnosis after a failed read: the YEAR_MONTH values in the file (failure path only).
SELECT list(DISTINCT trim(year_month) ORDER BY trim(year_month))
FROM read_csv($csv_path, header = false, skip = 1, names = $names, all_varchar = true,
              encoding = 'latin-1', delim = ',', quote = '"', escape = '"');
