"""Writing outputs in forked workers: every item written once, and all of them written in this process
if a worker dies."""

import os

from pipelines.outputs import parallel


def writer(folder):
    def write(items):
        for i in items:
            (folder / f"{i}.txt").write_text(str(i))
        return len(items)

    return write


def test_every_item_is_written_by_the_workers(tmp_path, monkeypatch):
    monkeypatch.setenv("MSI_OUTPUT_WORKERS", "2")
    parallel.in_parallel(writer(tmp_path), list(range(100)))
    assert sorted(int(p.stem) for p in tmp_path.glob("*.txt")) == list(range(100))


def test_a_dead_worker_means_everything_is_written_here(tmp_path, monkeypatch):
    monkeypatch.setenv("MSI_OUTPUT_WORKERS", "2")
    parent = os.getpid()
    write = writer(tmp_path)

    def dies_in_a_child(items):
        if os.getpid() != parent:
            os._exit(1)  # as a crashed worker would
        return write(items)

    parallel.in_parallel(dies_in_a_child, list(range(100)))
    assert sorted(int(p.stem) for p in tmp_path.glob("*.txt")) == list(range(100))
