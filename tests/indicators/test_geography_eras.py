"""Today's organisations across eras: a practice that closed before the lake's practice maps began is
placed through the CCG it was in (NHS Digital's real 2020 and 2022 maps say Greater Huddersfield CCG 03A
became Kirklees CCG X2C4Y); one whose CCG cannot be carried forward counts in England only, and is reported.

Lake (methotrexate 10 mg items, a count, needs no list sizes):
  2020-09 (STP-era file, no practice map that month or before):
      B85010 (CCG 03A, closed later)      1 item
      B85054 (CCG 03A, still open)        4 items
      Y99999 (PCO ZZZ00, no such CCG)     2 items
  2026-01 (ICB-era file and the newest map: B85054 in sub-ICB X2C4Y, ICB QWO, region Y63)
      B85054                              3 items
By hand, current geography: 2020-09 QWO = 1 + 4 = 5, England = 7 (Y99999 unplaced); 2026-01 QWO = 3."""

import duckdb
import pytest

from pipelines.datasets.epd.stage import ingest_epd_month
from pipelines.datasets.nhs_digital.practice_map import ingest_practice_geography
from pipelines.indicators.engine import build_warehouse, compute_practice_month
from pipelines.layout import Layout
from pipelines.organisations.ccg_successors import TABLE, derive
from tests.epd_fixtures import LEGACY_ICB_HEADER, LEGACY_STP_HEADER

MTX = '"1001030U0","Methotrexate","1001030U0AAACAC","Methotrexate_Tab 10mg","10: Musculoskeletal and Joint Diseases"'
HUDDERSFIELD = (
    '"NORTH EAST AND YORKSHIRE","Y63","WEST YORKSHIRE AND HARROGATE","QWO","NHS GREATER HUDDERSFIELD CCG","03A00"'
)
KIRKLEES = '"NORTH EAST AND YORKSHIRE","Y63","NHS WEST YORKSHIRE INTEGRATED CARE BOARD","QWO","NHS WEST YORKSHIRE ICB - X2C4Y","X2C4Y"'
NOWHERE = '"NORTH EAST AND YORKSHIRE","Y63","WEST YORKSHIRE AND HARROGATE","QWO","UNKNOWN BODY","ZZZ00"'


def _row(ym: str, org: str, practice: str, name: str, items: int) -> str:
    return (
        f'{ym},{org},"{name}","{practice}","","","","","",{MTX},"100.",{items},"{100 * items}.","0.",'
        f'"{3.1 * items:g}","{3.0 * items:g}","N"'
    )


def write_era_files(root):
    """The two months' EPD files (STP-era and ICB-era legacy layouts) and the 2026-01 practice map."""
    sep = "\n"
    (root / "EPD_202009.csv").write_bytes(
        LEGACY_STP_HEADER
        + (
            sep.join(
                [
                    _row("202009", HUDDERSFIELD, "B85010", "DALTON SURGERY", 1),
                    _row("202009", HUDDERSFIELD, "B85054", "BRIGHOUSE SURGERY", 4),
                    _row("202009", NOWHERE, "Y99999", "A CLOSED CLINIC", 2),
                ]
            )
            + sep
        ).encode()
    )
    (root / "EPD_202601.csv").write_bytes(
        LEGACY_ICB_HEADER + (_row("202601", KIRKLEES, "B85054", "BRIGHOUSE SURGERY", 3) + sep).encode()
    )
    folder = root / "2026-01"
    folder.mkdir()
    (folder / "gp-reg-pat-prac-map.csv").write_text(
        "PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,PRACTICE_POSTCODE,PCN_CODE,PCN_NAME,"
        "ONS_SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,ONS_ICB_CODE,ICB_CODE,ICB_NAME,"
        "ONS_COMM_REGION_CODE,COMM_REGION_CODE,COMM_REGION_NAME,SUPPLIER_NAME\n"
        "GP_PRAC_PAT_LIST,01JAN2026,B85054,BRIGHOUSE SURGERY,HD6 1AA,U54321,BRIGHOUSE PCN,E38000254,X2C4Y,"
        "NHS WEST YORKSHIRE ICB - X2C4Y,E54000054,QWO,NHS WEST YORKSHIRE INTEGRATED CARE BOARD,E40000012,Y63,"
        "North East and Yorkshire,EMIS\n"
    )
    return folder


@pytest.fixture(scope="module")
def values(tmp_path_factory):
    root = tmp_path_factory.mktemp("eras")
    layout = Layout(root / "data")
    folder = write_era_files(root)
    ingest_practice_geography(folder, "2026-01", layout)
    for month, name in (("2020-09", "EPD_202009.csv"), ("2026-01", "EPD_202601.csv")):
        ingest_epd_month(root / name, month, layout)
        compute_practice_month(layout, month)
    info = build_warehouse(layout)
    with duckdb.connect(str(layout.warehouse / "msi.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT month, org_type, org_code, numerator FROM indicator_values "
            "WHERE indicator_id = 'methotrexate_10mg_items' AND geography = 'current'"
        ).fetchall()
    return {(m, t, c): n for m, t, c, n in rows}, info


def test_both_eras_end_to_end_through_dagster(tmp_path):
    """The same files through `run_months` (GE suite included): the STP-era month passes its era's
    geography check with no NHS Digital files at all, the ICB-era month with its map; values as above."""
    import dagster as dg

    from pipelines.wiring.resources import MsiSettings
    from pipelines.wiring.runner import run_months

    write_era_files(tmp_path)
    settings = MsiSettings(
        data_dir=str(tmp_path / "data"), source="local", epd_dir=str(tmp_path), list_size_dir=str(tmp_path)
    )
    outcomes = run_months(settings, ["2020-09", "2026-01"], instance=dg.DagsterInstance.ephemeral(), report=False)
    checks = {o.month: o.checks for o in outcomes}
    assert checks["2020-09"]["prescribing_month_expectations"] and checks["2026-01"]["prescribing_month_expectations"]
    assert checks["2020-09"]["prescribing_month_commissioners"] is False  # ZZZ00 is no CCG of 2020 or 2022
    assert outcomes[0].metadata["list_size_source_files"]["missing_files"].count("gp-reg-pat-prac") == 3
    with duckdb.connect(str(settings.layout.warehouse / "msi.duckdb"), read_only=True) as con:
        got = dict(
            con.execute(
                "SELECT month, numerator FROM indicator_values WHERE indicator_id = "
                "'methotrexate_10mg_items' AND geography = 'current' AND org_code = 'QWO'"
            ).fetchall()
        )
    assert got == {"2020-09": 5, "2026-01": 3}


def test_closed_practice_is_placed_through_its_ccgs_successor(values):
    got, _ = values
    assert got[("2020-09", "icb", "QWO")] == 5 and got[("2020-09", "sub_icb", "X2C4Y")] == 5
    assert got[("2026-01", "icb", "QWO")] == 3


def test_what_cannot_be_placed_counts_in_england_only_and_is_reported(values):
    got, info = values
    assert got[("2020-09", "england", "ENG")] == 7
    assert not any(t in ("icb", "sub_icb", "region") and c is None for (_, t, c) in got)
    assert info["unplaced"] == [{"month": "2020-09", "practices": 1, "items": 2}]


def test_the_succession_table_is_what_the_real_maps_say():
    import polars as pl

    table = pl.read_csv(TABLE, infer_schema=False)
    fresh = derive().with_columns(pl.all().cast(pl.Utf8))
    assert table.equals(fresh)
    assert dict(zip(table["ccg_code_2020"], table["ccg_code_2022"]))["03A"] == "X2C4Y"
    assert table.height == 135 and table["ccg_code_2022"].n_unique() == 106


@pytest.mark.parametrize("org, passes", [(HUDDERSFIELD, True), (NOWHERE, False)])
def test_commissioner_codes_are_checked_against_the_eras_ccgs(tmp_path, org, passes):
    import dagster as dg

    from pipelines.wiring.asset_checks import prescribing_month_commissioners
    from pipelines.wiring.assets.lake import month_assets
    from pipelines.wiring.resources import MsiSettings

    epd = tmp_path / "epd"
    epd.mkdir()
    (epd / "EPD_202009.csv").write_bytes(
        LEGACY_STP_HEADER + (_row("202009", org, "B85010", "DALTON SURGERY", 1) + "\n").encode()
    )
    (tmp_path / "lists").mkdir()  # no NHS Digital files: the month degrades
    settings = MsiSettings(
        data_dir=str(tmp_path / "data"), source="local", epd_dir=str(epd), list_size_dir=str(tmp_path / "lists")
    )
    result = dg.materialize(
        [*month_assets(), prescribing_month_commissioners],
        partition_key="2020-09-01",
        resources={"msi": settings},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    evaluation = next(iter(result.get_asset_check_evaluations()))
    assert evaluation.passed is passes
    assert "CCGs of NHS Digital's September 2020 and January 2022 practice maps" in evaluation.description
    if not passes:
        assert "unknown: ZZZ" in evaluation.description
