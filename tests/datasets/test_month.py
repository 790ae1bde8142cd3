"""A month's datasets staged side by side (pipelines/datasets/month.py): the large one (the EPD) in the step's
thread while the others are staged in a second thread, with refusals and log lines as when they were staged
one after another."""

import threading

import pytest

from pipelines.checks.gx_duckdb import ONE_SUITE_AT_A_TIME
from pipelines.datasets import registry
from pipelines.datasets.dataset import Dataset
from pipelines.datasets.month import side_by_side

SMALL_1, SMALL_2, LARGE = registry.DATASETS  # list sizes, practice map, EPD (the registry's order)


class Said:
    def __init__(self):
        self.lines = []

    def info(self, msg):
        self.lines.append(("info", msg, threading.current_thread().name))

    def warning(self, msg):
        self.lines.append(("warning", msg, threading.current_thread().name))


def test_only_the_epd_is_large():
    assert [d.asset for d in registry.DATASETS if d.large] == ["prescribing_month"]


def test_the_large_dataset_is_staged_in_this_thread_while_the_others_are_staged_in_another():
    # Both stages wait for each other at a barrier: staged one after another, the first would time out.
    meet = threading.Barrier(2, timeout=10)
    where = {}

    def stage(dataset: Dataset, say):
        where[dataset.asset] = threading.current_thread().name
        if dataset in (SMALL_1, LARGE):
            meet.wait()
        return f"staged {dataset.asset}"

    staged = side_by_side(registry.DATASETS, stage, Said())
    assert [(d.asset, part) for d, part in staged] == [(d.asset, f"staged {d.asset}") for d in registry.DATASETS]
    assert where[LARGE.asset] == threading.current_thread().name
    assert where[SMALL_1.asset] == where[SMALL_2.asset] != threading.current_thread().name


def test_what_the_second_thread_says_is_said_afterwards_by_this_thread_in_order():
    said = Said()

    def stage(dataset: Dataset, say):
        say.info(f"{dataset.asset}: read")
        if dataset is SMALL_2:
            say.warning("practice map: no file; the nearest earlier month stands in")
        return None

    side_by_side(registry.DATASETS, stage, said)
    here = threading.current_thread().name
    assert said.lines == [
        ("info", "prescribing_month: read", here),
        ("info", "list_sizes: read", here),
        ("info", "practice_geography: read", here),
        ("warning", "practice map: no file; the nearest earlier month stands in", here),
    ]


@pytest.mark.parametrize("refused", [SMALL_1, SMALL_2, LARGE])
def test_a_refusal_is_raised_once_both_threads_have_stopped(refused):
    done = []

    def stage(dataset: Dataset, say):
        if dataset is refused:
            raise ValueError(f"{dataset.asset} refused")
        done.append(dataset.asset)
        return "staged"

    with pytest.raises(ValueError, match=f"^{refused.asset} refused$"):
        side_by_side(registry.DATASETS, stage, Said())
    if refused is not LARGE:
        assert LARGE.asset in done  # the EPD was staged to its end, not abandoned mid-write
    if refused is SMALL_1:
        assert SMALL_2.asset not in done  # its group stops at the refusal, as staging one after another did


def test_the_first_refusal_in_the_registrys_order_is_the_one_raised():
    def stage(dataset: Dataset, say):
        raise ValueError(f"{dataset.asset} refused")

    with pytest.raises(ValueError, match="^list_sizes refused$"):
        side_by_side(registry.DATASETS, stage, Said())


def _while_the_lock_is_held(call) -> list[str]:
    """Runs `call(seen)` in a thread while this thread holds GE's lock for half a second: the order of what it
    did and the release."""
    seen: list[str] = []
    with ONE_SUITE_AT_A_TIME:
        other = threading.Thread(target=call, args=(seen,))
        other.start()
        other.join(timeout=0.5)
        seen.append("released")
    other.join(timeout=10)
    return seen


def test_both_kinds_of_suite_build_and_run_their_expectations_under_one_lock(monkeypatch, tmp_path):
    # The datasets' suites may run at once in two threads; GE's import and contexts are not known to be
    # thread-safe, so each builds and runs its expectations holding ONE_SUITE_AT_A_TIME.
    from pipelines.datasets.epd import suite, validation
    from pipelines.datasets.nhs_digital.rows import check_rows

    def built(seen):
        seen.append("built")
        return []  # no expectations: validating an absent file then fails, which is not what is tested

    def nhs_digital(seen):
        try:
            check_rows(tmp_path / "none.parquet", "quin_rows", lambda: built(seen), tmp_path, "quin.csv", "2026-01")
        except Exception:
            pass

    def epd(seen):
        monkeypatch.setattr(suite, "prescribing_expectations", lambda month, rule: built(seen))
        try:
            validation.validate_prescribing(tmp_path / "none.parquet", "2026-01", "ICB", tmp_path)
        except Exception:
            pass

    assert _while_the_lock_is_held(nhs_digital) == ["released", "built"]
    assert _while_the_lock_is_held(epd) == ["released", "built"]
