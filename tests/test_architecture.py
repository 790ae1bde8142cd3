"""What docs/architecture.md says of the code, checked: Dagster is imported only by the wiring package,
every SQL statement is a file under sql/ (the few exceptions are named here with their reason), and every
SQL file the code names exists."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATEMENT = re.compile(r"^\s*\(?\s*(SELECT|WITH|COPY|CREATE|INSERT|UPDATE|DELETE|DESCRIBE|ATTACH)\b")
# SQL that is not a statement of ours but a wrapper or a rule, each for a stated reason:
NOT_FILES = {
    "pipelines/duck.py": "wraps a file's statement in COPY ... TO or CREATE TEMP TABLE ... AS",
    "pipelines/checks/gx_duckdb.py": "a view over the checked file for Great Expectations",
    "pipelines/checks/gx_rules.py": "Great Expectations row rules: each rule is its own SQL condition",
    "pipelines/datasets/nhs_digital/suite.py": "Great Expectations row rules",
    "pipelines/datasets/epd/suite.py": "Great Expectations row rules",
    "pipelines/datasets/patient/suite.py": "Great Expectations row rules",
    "pipelines/datasets/patient/stage.py": "finds the first row breaking one of checks/patient.py's rules",
}


def modules(*folders):
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text())


def test_only_the_wiring_package_imports_dagster():
    importers = []
    for name, tree in modules("pipelines", "indicators", "bench"):
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n == "dagster" or n.startswith("dagster.") or n.startswith("dagster_") for n in names):
                importers.append(name)
    assert importers and all(n.startswith("pipelines/wiring/") for n in importers), sorted(set(importers))


def test_every_sql_statement_is_a_file():
    inline = []
    for name, tree in modules("pipelines"):
        if name in NOT_FILES:
            continue
        docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                text = node.value
            elif isinstance(node, ast.JoinedStr):
                text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            else:
                continue
            if STATEMENT.match(text):
                inline.append(f"{name}:{node.lineno}: {text[:60]!r}")
    assert inline == []


def test_every_sql_file_the_code_names_exists():
    named = set()
    for _, tree in modules("pipelines"):
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                "load_sql",
                "copy_query",
                "create_temp_table",
            ):
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and "/" in arg.value:
                        named.add(arg.value)
    assert len(named) > 30
    assert sorted(n for n in named if not (ROOT / "sql" / f"{n}.sql").is_file()) == []


def test_every_sql_file_a_comment_or_docstring_names_exists():
    """A comment that points to sql/<folder>/<file>.sql points to a file that is there (four pointed to files
    renamed or merged long ago)."""
    import re

    texts = [
        p
        for folder in ("sql", "pipelines", "indicators", "bench", "docs")
        for p in (ROOT / folder).rglob("*")
        if p.suffix in (".sql", ".py", ".md")
    ] + [ROOT / "README.md"]
    stale = sorted(
        {
            f"{p.relative_to(ROOT)}: {m}"
            for p in texts
            for m in re.findall(r"\bsql/[a-z_]+(?:/[a-z_]+)*\.sql\b", p.read_text(encoding="utf-8"))
            if not (ROOT / m).is_file()
        }
    )
    assert stale == []


def test_the_outbox_knows_no_channel_by_name():
    """A month's messages go through whichever channels are configured (pipelines/notify/channels): the outbox
    imports none of them, so that a channel is one file and none is special."""
    imported = {
        alias.name if isinstance(node, ast.Import) else node.module
        for node in ast.walk(ast.parse((ROOT / "pipelines" / "notify" / "outbox.py").read_text()))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in (node.names if isinstance(node, ast.Import) else [None])
    }
    assert not any(
        m and m.startswith("pipelines.notify.channels.") and m != "pipelines.notify.channels.eml" for m in imported
    )
