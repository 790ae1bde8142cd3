"""Dagster's webserver as `msi serve` runs it: the same app `dagster-webserver` builds, with the same-origin
guard (pipelines/request_guard.py) in front, on 127.0.0.1 only. `msi serve` starts this and
`dagster-daemon run` as two processes, the deployment Dagster documents for a long-running instance
(`dagster dev` warns on every start that it is superseded, and offers no place for the guard).

    python -m pipelines.wiring.webserver --port 3000 --workspace workspace.yaml
"""

from __future__ import annotations

import argparse
import logging

import uvicorn
from dagster import DagsterInstance
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import WorkspaceFileTarget
from dagster_webserver.app import create_app_from_workspace_process_context
from dagster_webserver.version import __version__

from pipelines.request_guard import SameOriginGuard

HOST = "127.0.0.1"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pipelines.wiring.webserver")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workspace", required=True)
    args = parser.parse_args(argv)
    logging.getLogger("dagster").setLevel(logging.WARNING)
    with (
        DagsterInstance.get() as instance,
        WorkspaceProcessContext(instance, WorkspaceFileTarget(paths=[args.workspace]), version=__version__) as context,
    ):
        app = create_app_from_workspace_process_context(context)
        uvicorn.run(SameOriginGuard(app, args.port), host=HOST, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
