"""Which names the relay answers to, and the headers every answer carries.

A page on any site the host has open can make the host's browser send requests to
127.0.0.1:8470; a DNS-rebinding page can even make them look same-origin under its own name.
The relay therefore answers only requests whose `Host` is one of its own names (the public
URL's, the address it listens on, and the loopback names), refuses a WebSocket whose `Origin`
is not the page's own (the request's host and port; a missing Origin, from a bot or the
console, is fine), and `server/http_api.py` takes JSON bodies only as `application/json`, which a
cross-site form or a "simple" fetch cannot send.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
WILDCARDS = ("0.0.0.0", "::", "")
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

SERVER_NAME = "Roomcast"
JSON_HEADERS = {"X-Content-Type-Options": "nosniff"}


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def own_hosts(host: str, public_url: str | None, extra: Iterable[str] = ()) -> frozenset[str]:
    """Every host name the relay answers to, lower case (IPv6 in brackets): loopback's, the
    listening address's and the public URL's. Ports are not compared: a name is what DNS
    rebinding forges, and a port forward (ssh -L, a container's -p) keeps the name."""
    names = set(LOOPBACK_NAMES)
    if host not in WILDCARDS:
        names.add(_bracket(host.lower()))
    if public_url:
        hostname = urlsplit(public_url).hostname
        if hostname:
            names.add(_bracket(hostname.lower()))
    names.update(_bracket(name.lower()) for name in extra if name not in WILDCARDS)
    return frozenset(names)


def _split(host: str) -> tuple[str, str]:
    """'name:port' → (name, port); '[::1]:80' → ('[::1]', '80'); no port → (name, '')."""
    host = host.strip().lower()
    if host.startswith("["):
        name, _, rest = host.partition("]")
        return name + "]", rest.removeprefix(":")
    name, _, port = host.partition(":")
    return name, port


def _same_place(host: str) -> str:
    """A Host value in one spelling: the default ports left out."""
    name, port = _split(host)
    return name if port in ("", "80", "443") else f"{name}:{port}"


def origin_host(origin: str) -> str | None:
    """An Origin header as a Host value (`name:port`, or `name` on its default port)."""
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or parts.scheme not in DEFAULT_PORTS:
        return None
    name = _bracket(parts.hostname.lower())
    if port is None or port == DEFAULT_PORTS[parts.scheme]:
        return name
    return f"{name}:{port}"


def host_allowed(allowed: frozenset[str], host_header: str | None) -> bool:
    """Whether a request's Host names this relay."""
    if not host_header:
        return False
    return _split(host_header)[0] in allowed


def origin_allowed(allowed: frozenset[str], origin: str | None, host_header: str | None) -> bool:
    """No Origin (a bot, the console) is fine; a browser's must be the page the relay served:
    the same host and port as the request's own Host, and one of the relay's names."""
    if origin is None:
        return True
    host = origin_host(origin)
    if host is None or not host_header or not host_allowed(allowed, host):
        return False
    return _same_place(host) == _same_place(host_header)


def host_guard(allowed_key: web.AppKey[frozenset[str]]) -> Any:
    """Middleware: a request naming another host is refused before any handler runs."""

    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        if not host_allowed(request.app[allowed_key], request.headers.get("Host")):
            return web.json_response(
                {
                    "error": {
                        "code": "wrong_host",
                        "message": "This relay does not answer to that host name; use its own "
                        "address (its public URL, or 127.0.0.1 on this computer).",
                    }
                },
                status=421,
            )
        response: web.StreamResponse = await handler(request)
        return response

    return middleware


async def plain_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: every answer, WebSocket upgrades too, says only 'Roomcast' and
    forbids content sniffing."""
    response.headers["Server"] = SERVER_NAME
    response.headers.update(JSON_HEADERS)
