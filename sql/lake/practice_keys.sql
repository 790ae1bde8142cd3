-- Each practice's key in file order (the first data row it appears on), and the data rows in all.
SELECT practice_code, sub_icb_code, row, sum(rows) OVER () AS data_rows FROM practice_counts ORDER BY row
