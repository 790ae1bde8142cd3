"""A small stand-in for NHSBSA's CKAN API on 127.0.0.1, serving responses in the recorded shape
(`{"help": ..., "success": true, "result": ...}`, resources with id/name/url/created/last_modified and a
pre-signed `zip_url` from resource_show) and ZIP downloads whose behaviour a test can script."""

import io
import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

HELP = "https://opendata.nhsbsa.net/api/3/action/help_show?name={}"


def zip_bytes(name: str, content: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{name}.csv", content)
    return buf.getvalue()


class FakeCkan:
    """packages: {package_name: [resource dicts]}; files: {resource name: zip bytes};
    plan: {resource name: list of behaviours for successive downloads: ok | expired | error | truncated | corrupt}."""

    def __init__(self):
        self.packages: dict[str, list[dict]] = {}
        self.files: dict[str, bytes] = {}
        self.plan: dict[str, list[str]] = {}
        self.calls: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/3/action"

    def add_resource(
        self, package: str, name: str, created: str, last_modified: str | None, content: bytes | None = None
    ):
        rid = f"{abs(hash((package, name))) % 10**12:012d}-0000-4000-8000-000000000000"
        self.packages.setdefault(package, []).append(
            {
                "id": rid,
                "name": name,
                "format": "CSV",
                "created": created,
                "last_modified": last_modified,
                "url": f"https://opendata.nhsbsa.net/dataset/x/resource/{rid}/download/{name.lower()}.csv",
                "bq_table_name": name,
                "size": None,
                "package_id": package,
            }
        )
        if content is not None:
            self.files[name] = zip_bytes(name, content)
        return rid

    def set_last_modified(self, name: str, value: str):
        for resources in self.packages.values():
            for r in resources:
                if r["name"] == name:
                    r["last_modified"] = value

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _json(self, body, status=200):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                fake.calls.append(url.path.rsplit("/", 1)[-1] + (f"?{url.query}" if url.query else ""))
                if url.path.endswith("/package_show"):
                    if query.get("id") not in fake.packages:
                        return self._json(
                            {
                                "help": HELP.format("package_show"),
                                "success": False,
                                "error": {"message": "Not found", "__type": "Not Found Error"},
                            },
                            404,
                        )
                    return self._json(
                        {
                            "help": HELP.format("package_show"),
                            "success": True,
                            "result": {"name": query["id"], "resources": fake.packages[query["id"]]},
                        }
                    )
                if url.path.endswith("/resource_show"):
                    for resources in fake.packages.values():
                        for r in resources:
                            if r["id"] == query.get("id"):
                                port = fake.server.server_address[1]
                                signed = (
                                    f"http://127.0.0.1:{port}/r2/{r['name']}.ZIP?X-Amz-Expires=3600&n={len(fake.calls)}"
                                )
                                return self._json(
                                    {
                                        "help": HELP.format("resource_show"),
                                        "success": True,
                                        "result": {**r, "zip_url": signed},
                                    }
                                )
                    return self._json({"success": False, "error": {"message": "Not found"}}, 404)
                if url.path.startswith("/r2/"):
                    name = url.path[4:].rsplit(".", 1)[0]
                    behaviour = (fake.plan.get(name) or ["ok"]).pop(0) if fake.plan.get(name) else "ok"
                    body = fake.files[name]
                    if behaviour == "expired":
                        data = b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
                        self.send_response(403)
                        self.send_header("Content-Length", str(len(data)))
                        self.end_headers()
                        return self.wfile.write(data)
                    if behaviour == "error":
                        self.send_response(503)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(200)
                    self.send_header("Content-Type", "application/zip")
                    if behaviour == "truncated":  # promises the whole file, sends half, hangs up
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body[: len(body) // 2])
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    if behaviour == "corrupt":  # a complete-looking body that is half a ZIP
                        body = body[: len(body) // 2]
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    return self.wfile.write(body)
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler
