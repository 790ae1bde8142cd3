"""What may reach `msi serve`'s Dagster webserver: requests from the user's own pages, nothing else.

Listening on 127.0.0.1 keeps other machines out, not other web pages: any page the user's browser opens
can send a form or `text/plain` POST to http://127.0.0.1:3000/graphql (no CORS preflight is needed for
those), and a DNS-rebinding page reaches it under a name of its own. Dagster's webserver has no setting
for either, so this ASGI guard stands in front of it and answers 403 unless:

* the `Host` header is the address served (127.0.0.1:PORT or localhost:PORT): a rebinding page's name
  never is;
* an `Origin` header, where one is sent (browsers send it on every POST and WebSocket), is the same origin;
* a request that can change something (any method but GET, HEAD and OPTIONS) carries JSON, which a
  cross-site page cannot send without a CORS preflight that nothing here answers, and is not marked by
  the browser as cross-site (`Sec-Fetch-Site`);
* GraphQL comes by POST: Dagster also runs a `?query=` sent by GET, and a link or an image can send that.

A request with no Origin (curl, a script on this machine) is let through when the rest holds: it does not
come from a web page. Plain module, no Dagster: pipelines/wiring/webserver.py puts it in front.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
LOOPBACK_NAMES = ("127.0.0.1", "localhost")

Scope = dict
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


def allowed_hosts(port: int) -> frozenset[str]:
    """The Host values a request to this server may carry."""
    return frozenset(f"{name}:{port}" for name in LOOPBACK_NAMES)


def refusal(
    scope_type: str, method: str, path: str, query: bytes, headers: dict[str, str], hosts: frozenset[str]
) -> str | None:
    """Why a request is refused, or None. `headers` are lower-case names."""
    host = headers.get("host", "")
    if host not in hosts:
        return f"Host {host!r} is not this server ({', '.join(sorted(hosts))})"
    origin = headers.get("origin")
    if origin is not None and origin != f"http://{host}":
        return f"a request from another origin ({origin!r})"
    if scope_type == "websocket":
        return None
    if method not in SAFE_METHODS:
        if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return f"a {method} the browser marks {headers['sec-fetch-site']}"
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type != "application/json":
            return f"a {method} with content type {content_type or 'none'!r} (only application/json is accepted)"
    elif path.rstrip("/").endswith("/graphql") and "query" in parse_qs(query.decode("latin-1")):
        return "GraphQL sent by GET (send it by POST as JSON)"
    return None


class SameOriginGuard:
    """ASGI middleware: refuse (403, or a closed WebSocket) whatever `refusal` names; pass the rest on."""

    def __init__(self, app, port: int) -> None:
        self.app, self.hosts = app, allowed_hosts(port)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):  # lifespan
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        why = refusal(
            scope["type"],
            scope.get("method", "GET"),
            scope.get("path", ""),
            scope.get("query_string", b""),
            headers,
            self.hosts,
        )
        if why is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": why[:120]})
        else:
            body = f"msi serve refused this request: {why}.\n".encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
