"""The rules a client identity (client_id, client_secret) must meet, on every path.

The WebSocket hello and the HTTP API (a room's host) check the same rules, so a host created
over HTTP is someone who could also have said hello: a printable id of 1–64 characters, not
in a reserved namespace (co-host seats are `cohost-…`), and a secret of 16–256 characters.
"""

from __future__ import annotations

MAX_CLIENT_ID_CHARS = 64
MIN_SECRET_CHARS = 16
MAX_SECRET_CHARS = 256
RESERVED_PREFIXES = ("cohost-", "system")


def identity_refusal(client_id: str, secret: str) -> str | None:
    """Why this identity is refused (words for people), or None if it may be used."""
    if not (0 < len(client_id) <= MAX_CLIENT_ID_CHARS and client_id.isprintable()):
        return "client_id must be 1 to 64 printable characters."
    if client_id.startswith(RESERVED_PREFIXES):
        return "That client_id is reserved."
    if not MIN_SECRET_CHARS <= len(secret) <= MAX_SECRET_CHARS:
        return "client_secret must be 16 to 256 characters."
    return None
