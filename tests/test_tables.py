"""The table registry (pipelines/tables.py) is the one home of every lake and warehouse table: its SQL files
exist, its writers are real modules, and no reader outside it lists a table's months or globs its files.
(Each table's columns are checked against a whole run in tests/outputs/test_report_and_extracts.py.)"""

import ast
import importlib
from pathlib import Path

import pytest

from pipelines.layout import Layout
from pipelines.sqlfiles import SQL_DIR
from pipelines.tables import TABLES, lake_file, table, warehouse_file

PIPELINES = Path(__file__).resolve().parents[1] / "pipelines"


@pytest.mark.parametrize("name", sorted(TABLES))
def test_sql_files_and_writer_exist(name):
    t = TABLES[name]
    assert all((SQL_DIR / f"{sql}.sql").is_file() for sql in t.sql), t.sql
    importlib.import_module(t.writer)
    assert len({c for c, _ in t.columns}) == len(t.columns)


def test_months_are_folders_holding_the_tables_file(tmp_path):
    layout = Layout(tmp_path)
    for month in ("2026-01", "2026-02", "2026-03"):
        (tmp_path / "warehouse" / "indicator_practice" / f"month={month}").mkdir(parents=True)
    (tmp_path / "warehouse" / "indicator_practice" / "month=2026-01" / "data.parquet").write_bytes(b"x")
    (tmp_path / "warehouse" / "indicator_practice" / "month=2026-02" / "patient.parquet").write_bytes(b"x")
    (tmp_path / "warehouse" / "indicator_values" / "month=2026-02").mkdir(parents=True)
    (tmp_path / "warehouse" / "indicator_values" / "month=2026-02" / "data_0.parquet").write_bytes(b"x")
    assert TABLES["indicator_practice"].months(layout) == ["2026-01"]  # an empty folder holds no month
    assert TABLES["patient_indicator_practice"].months(layout) == ["2026-02"]
    assert TABLES["indicator_values"].months(layout) == ["2026-02"]
    assert warehouse_file(layout, "patient_indicator_practice", "2026-02").name == "patient.parquet"
    assert TABLES["indicator_practice"].nearest(layout, "2026-03")[1] == "2026-01"
    with pytest.raises(KeyError, match="no lake table 'indicator_values'"):
        lake_file(layout, "indicator_values", "2026-02")
    with pytest.raises(ValueError, match="use glob"):
        table("indicator_values").path(layout, "2026-02")


def test_no_module_lists_months_or_globs_a_table_itself():
    # Month folders are found only through the registry (pipelines/table.py) and the glob helper it uses.
    allowed = {"table.py", "sqlfiles.py", "atomic.py", "parquet_files.py"}
    offenders = []
    for path in PIPELINES.rglob("*.py"):
        if path.name in allowed:
            continue
        tree = ast.parse(path.read_text())
        docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and "month=" in node.value
                and id(node) not in docs
            ):
                offenders.append(f"{path.relative_to(PIPELINES)}:{node.lineno}")
    assert offenders == []


def test_the_underived_list_size_query_covers_every_denominator():
    from pipelines.datasets.nhs_digital.list_sizes import QUIN_DENOMINATORS

    text = (SQL_DIR / "lake" / "list_sizes_underived.sql").read_text().split("UNPIVOT", 1)[1]
    assert all(column in text for column in QUIN_DENOMINATORS)
