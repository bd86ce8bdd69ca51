"""The console's copy of its relay's key: what lets it create rooms there.

The relay makes the key in its data folder on first start (server/admin_key.py: `admin.key`,
mode 0600, one key a line). The console's embedded relay shares the console's data folder,
so the console reads the same file; nobody without read access to the host's files can.
"""

from __future__ import annotations

from pathlib import Path

KEY_FILE = "admin.key"  # the name server/admin_key.py writes (a test holds the two together)


class RelayKeyError(Exception):
    """The key cannot be read; the message says what to do."""


def read_relay_key(relay_dir: Path) -> str:
    path = relay_dir / KEY_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RelayKeyError(
            f"Cannot read the relay's key {path} ({exc.strerror}); restart Roomcast so its "
            "relay makes one."
        ) from exc
    for line in text.splitlines():
        key = line.strip()
        if key and not key.startswith("#"):
            return key
    raise RelayKeyError(f"The relay's key file {path} is empty; delete it and restart Roomcast.")
