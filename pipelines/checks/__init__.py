"""The suites a lake step runs on what it staged, before anything is published: Great Expectations in DuckDB
(gx_duckdb.py, row rules in gx_rules.py), the prescribing suite and its recorded verdict, NHS Digital's files'
suites, the patient-level suite, Verhoeff check digits. Verdicts on published data are in pipelines/verdicts/."""
