"""`msi serve` answers its user's own pages only: the same-origin guard in front of Dagster's webserver,
tested as a function, as ASGI middleware, and on the real webserver started by `msi serve`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pipelines.request_guard import SameOriginGuard, allowed_hosts, refusal
from tests.smtp_server import free_port

HOSTS = allowed_hosts(3000)
JSON = {"host": "127.0.0.1:3000", "content-type": "application/json"}


@pytest.mark.parametrize(
    "method, path, query, headers, refused",
    [
        ("POST", "/graphql", b"", {**JSON, "origin": "http://127.0.0.1:3000"}, None),  # the UI itself
        ("POST", "/graphql", b"", {**JSON, "origin": "http://localhost:3000", "host": "localhost:3000"}, None),
        ("POST", "/graphql", b"", JSON, None),  # no Origin: a script on this machine, not a web page
        ("GET", "/assets", b"", {"host": "127.0.0.1:3000", "sec-fetch-site": "cross-site"}, None),  # a link to the UI
        ("POST", "/graphql", b"", {**JSON, "origin": "http://evil.example"}, "another origin"),
        ("POST", "/graphql", b"", {**JSON, "origin": "null"}, "another origin"),  # a sandboxed frame
        ("POST", "/graphql", b"", {**JSON, "origin": "http://localhost:3000"}, "another origin"),  # not the same one
        (
            "POST",
            "/graphql",
            b"",
            {"host": "127.0.0.1:3000", "content-type": "application/x-www-form-urlencoded"},
            "content type 'application/x-www-form-urlencoded'",
        ),
        (
            "POST",
            "/graphql",
            b"",
            {"host": "127.0.0.1:3000", "content-type": "text/plain"},
            "content type 'text/plain'",
        ),
        (
            "POST",
            "/graphql",
            b"",
            {"host": "127.0.0.1:3000", "content-type": "multipart/form-data; boundary=x"},
            "content type 'multipart/form-data'",
        ),
        ("POST", "/graphql", b"", {**JSON, "sec-fetch-site": "cross-site"}, "marks cross-site"),
        ("GET", "/server_info", b"", {"host": "evil.example:3000"}, "Host 'evil.example:3000'"),  # DNS rebinding
        ("GET", "/server_info", b"", {"host": "127.0.0.1:3001"}, "Host '127.0.0.1:3001'"),
        ("GET", "/server_info", b"", {}, "Host ''"),
        ("GET", "/graphql", b"query=mutation%7B%7D", {"host": "127.0.0.1:3000"}, "GraphQL sent by GET"),
        ("GET", "/graphql", b"", {"host": "127.0.0.1:3000", "accept": "text/html"}, None),  # the GraphiQL page
        ("DELETE", "/x", b"", {"host": "127.0.0.1:3000"}, "content type 'none'"),
    ],
)
def test_refusal(method, path, query, headers, refused):
    why = refusal("http", method, path, query, headers, HOSTS)
    assert (why is None) if refused is None else (why is not None and refused in why), why


def test_websockets_from_another_origin_are_refused():
    assert (
        refusal(
            "websocket", "GET", "/graphql", b"", {"host": "127.0.0.1:3000", "origin": "http://127.0.0.1:3000"}, HOSTS
        )
        is None
    )
    assert "another origin" in refusal(
        "websocket", "GET", "/graphql", b"", {"host": "127.0.0.1:3000", "origin": "http://evil.example"}, HOSTS
    )


def test_the_guard_answers_403_and_never_calls_the_app():
    reached, sent = [], []

    async def app(scope, receive, send):
        reached.append(scope["path"])

    async def send(message):
        sent.append(message)

    guard = SameOriginGuard(app, 3000)
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:3000"), (b"content-type", b"text/plain")],
    }
    asyncio.run(guard(scope, None, send))
    assert reached == [] and sent[0]["status"] == 403 and b"content type 'text/plain'" in sent[1]["body"]
    asyncio.run(
        guard({**scope, "headers": [(b"host", b"127.0.0.1:3000"), (b"content-type", b"application/json")]}, None, send)
    )
    assert reached == ["/graphql"]
    asyncio.run(
        guard(
            {
                "type": "websocket",
                "path": "/graphql",
                "headers": [(b"host", b"127.0.0.1:3000"), (b"origin", b"http://evil.example")],
            },
            None,
            send,
        )
    )
    assert sent[-1]["type"] == "websocket.close" and reached == ["/graphql"]


def _post(url: str, body: bytes, headers: dict) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_msi_serve_refuses_other_sites_on_the_real_webserver(tmp_path):
    """`msi serve` itself: the requests of issue 28 (a form POST and a text/plain POST from another origin, a
    rebinding Host, GraphQL by GET) get 403 and the same-origin JSON query of the UI its answer; nothing it
    prints is Dagster's deprecation warning."""
    port = free_port()
    out = tmp_path / "serve.log"
    env = {**os.environ, "MSI_SOURCE": "sample"}
    with open(out, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "serve", "--data-dir", str(tmp_path / "d"), "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=Path(__file__).resolve().parent.parent,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/server_info", timeout=2) as response:
                    assert response.status == 200
                    break
            except (urllib.error.URLError, ConnectionError):
                assert process.poll() is None and time.monotonic() < deadline, out.read_text()
                time.sleep(0.5)
        query = b'{"query": "{ version }"}'
        mutation = b"query=mutation%20%7B%20stopRunningSchedule(id%3A%20%22x%22)%20%7B%20__typename%20%7D%20%7D"
        cases = [
            (mutation, {"Origin": "http://evil.example", "Content-Type": "application/x-www-form-urlencoded"}),
            (query, {"Origin": "http://evil.example", "Content-Type": "text/plain"}),
            (query, {"Origin": "http://evil.example", "Content-Type": "application/json"}),
            (query, {"Host": f"evil.example:{port}", "Content-Type": "application/json"}),
        ]
        for body, headers in cases:
            status, text = _post(f"{base}/graphql", body, headers)
            assert status == 403 and "msi serve refused this request" in text, (headers, status, text)
        try:
            urllib.request.urlopen(f"{base}/graphql?query=%7Bversion%7D", timeout=10)
            pytest.fail("GraphQL by GET answered")
        except urllib.error.HTTPError as exc:
            assert exc.code == 403
        status, text = _post(f"{base}/graphql", query, {"Origin": base, "Content-Type": "application/json"})
        assert status == 200 and '"version"' in text, text
    finally:
        process.terminate()
        process.wait(timeout=60)
    said = out.read_text()
    assert "superseded" not in said and "dg dev" not in said, said
    home = f"DAGSTER_HOME={tmp_path / 'd' / 'dagster_home'}"
    deadline = time.monotonic() + 30
    while _processes_with(home) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _processes_with(home) == []  # its children, and their code servers, stopped with it


def _processes_with(variable: str) -> list[str]:
    """The command lines of running processes whose environment holds `variable` (NAME=value)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if variable.encode() in (proc / "environ").read_bytes().split(b"\0"):
                found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, ValueError):
            continue
    return found
