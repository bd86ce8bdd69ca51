"""The relay's own names and the WebSocket Origin rule, one row per case."""

from __future__ import annotations

import pytest

from server.http_guard import host_allowed, origin_allowed, own_hosts

LOCAL = own_hosts("127.0.0.1", None)
PUBLIC = own_hosts("0.0.0.0", "https://Rooms.Example.org/", ["studio.lan", "192.168.1.20"])


@pytest.mark.parametrize(
    ("allowed", "host", "ok"),
    [
        (LOCAL, "127.0.0.1:8470", True),
        (LOCAL, "localhost:8470", True),
        (LOCAL, "LOCALHOST", True),
        (LOCAL, "[::1]:8470", True),
        (LOCAL, "127.0.0.1:9999", True),  # a port forward keeps the name
        (LOCAL, "evil.example:8470", False),
        (LOCAL, "127.0.0.1.evil.example", False),
        (LOCAL, "", False),
        (LOCAL, None, False),
        (PUBLIC, "rooms.example.org", True),
        (PUBLIC, "rooms.example.org:443", True),
        (PUBLIC, "studio.lan:8470", True),
        (PUBLIC, "0.0.0.0:8470", False),  # a wildcard is not a name
        (PUBLIC, "192.168.1.20:8470", True),  # named (an announced ICE address)
        (PUBLIC, "192.168.1.21:8470", False),  # a LAN address nobody named
    ],
)
def test_host_names(allowed, host, ok):
    assert host_allowed(allowed, host) is ok


@pytest.mark.parametrize(
    ("allowed", "origin", "host", "ok"),
    [
        (LOCAL, None, "127.0.0.1:8470", True),  # the bot, the console
        (LOCAL, "http://127.0.0.1:8470", "127.0.0.1:8470", True),
        (LOCAL, "http://127.0.0.1:3000", "127.0.0.1:8470", False),  # another local page
        (LOCAL, "http://localhost:8470", "127.0.0.1:8470", False),  # another origin
        (LOCAL, "http://evil.example:8470", "evil.example:8470", False),  # rebinding
        (LOCAL, "null", "127.0.0.1:8470", False),
        (LOCAL, "file://", "127.0.0.1:8470", False),
        (PUBLIC, "https://rooms.example.org", "rooms.example.org", True),
        (PUBLIC, "https://rooms.example.org", "rooms.example.org:443", True),
        (PUBLIC, "https://rooms.example.org:8443", "rooms.example.org", False),
    ],
)
def test_websocket_origins(allowed, origin, host, ok):
    assert origin_allowed(allowed, origin, host) is ok
