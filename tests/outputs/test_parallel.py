"""Writing outputs in forked workers: every item written once, and all of them written in this process
if a worker dies."""

import os

import pytest

from pipelines.outputs import parallel


def writer(folder):
    def write(items):
        for i in items:
            (folder / f"{i}.txt").write_text(str(i))
        return len(items)

    return write


def test_every_item_is_written_by_the_workers(tmp_path, monkeypatch):
    monkeypatch.setenv("MSI_OUTPUT_WORKERS", "2")
    parallel.started(writer(tmp_path), list(range(100))).wait()
    assert sorted(int(p.stem) for p in tmp_path.glob("*.txt")) == list(range(100))


def test_a_dead_worker_means_everything_is_written_here(tmp_path, monkeypatch):
    monkeypatch.setenv("MSI_OUTPUT_WORKERS", "2")
    parent = os.getpid()
    write = writer(tmp_path)

    def dies_in_a_child(items):
        if os.getpid() != parent:
            os._exit(1)  # as a crashed worker would
        return write(items)

    parallel.started(dies_in_a_child, list(range(100))).wait()
    assert sorted(int(p.stem) for p in tmp_path.glob("*.txt")) == list(range(100))


def _output(name: str, events: list, fail_at: str | None = None):
    """An output in steps that says what it does when: prepared, workers forked, waited for and published."""

    def steps():
        try:
            events.append(f"{name} prepared")
            if fail_at == "prepare":
                raise RuntimeError(f"{name} failed")
            yield
            events.append(f"{name} workers forked")
            yield
            events.append(f"{name} published")
            return {"name": name}
        finally:
            events.append(f"{name} stopped")

    return steps()


def test_each_output_is_prepared_while_the_one_before_has_its_workers_writing():
    events: list[str] = []
    written = parallel.overlapped([_output("workbooks", events), _output("site", events), _output("e-mail", events)])
    assert [result for result, _ in written] == [{"name": "workbooks"}, {"name": "site"}, {"name": "e-mail"}]
    assert all(seconds >= 0 for _, seconds in written)
    assert events == [
        "workbooks prepared",
        "workbooks workers forked",
        "site prepared",  # while the workbooks' workers write
        "workbooks published",  # their workers waited for and gone before the site's are forked
        "workbooks stopped",
        "site workers forked",
        "e-mail prepared",
        "site published",
        "site stopped",
        "e-mail workers forked",
        "e-mail published",
        "e-mail stopped",
    ]


def test_an_output_that_fails_stops_the_workers_of_the_one_before_it():
    events: list[str] = []
    with pytest.raises(RuntimeError, match="site failed"):
        parallel.overlapped([_output("workbooks", events), _output("site", events, fail_at="prepare")])
    assert events == [
        "workbooks prepared",
        "workbooks workers forked",
        "site prepared",
        "site stopped",
        "workbooks stopped",
    ]
    assert "workbooks published" not in events


def test_an_output_in_steps_writes_what_it_writes_at_once(tmp_path, monkeypatch):
    # Forked workers, then this process's own writing while they write, then published: the same files.
    monkeypatch.setenv("MSI_OUTPUT_WORKERS", "2")
    write = writer(tmp_path)

    def steps():
        yield
        workers = parallel.started(write, list(range(100)))
        try:
            (tmp_path / "meanwhile.txt").write_text("written while the workers write")
            yield
            workers.wait()
        finally:
            workers.close()
        return {"files": len(list(tmp_path.glob("*.txt")))}

    assert parallel.finish(steps()) == {"files": 101}
    assert sorted(int(p.stem) for p in tmp_path.glob("*.txt") if p.stem.isdigit()) == list(range(100))
