"""The relay admin key: who may create rooms on this relay.

The relay keeps one key in its data folder (`admin.key`, mode 0600, made on first start) and
accepts it, and any key an operator configured, as `Authorization: Bearer KEY` on
`POST /api/rooms`. The console reads the key from its embedded relay's data folder, which it
shares, so on a host's own computer only the console (and whoever can read the host's files)
may create rooms.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

KEY_FILE = "admin.key"
KEY_BYTES = 32  # 256 bits; hex on disk and on the wire
MIN_KEY_CHARS = 16  # a configured key shorter than this is refused as guessable


class AdminKeyError(Exception):
    """The key file cannot be made or read; the message says what to do."""


def key_path(data_dir: Path) -> Path:
    return data_dir / KEY_FILE


def load_or_create(data_dir: Path) -> str:
    """The data folder's key, made (0600, readable only by its user) if there is none yet.

    Safe against a race with another process doing the same (the console and its relay):
    the file is created with O_EXCL, so exactly one key is ever written.
    """
    path = key_path(data_dir)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AdminKeyError(
            f"Cannot create {data_dir} for the relay key ({exc.strerror})."
        ) from exc
    with contextlib.suppress(FileExistsError):
        key = secrets.token_hex(KEY_BYTES)
        tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(key + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.link(tmp, path)  # fails with FileExistsError if another process won
        except FileExistsError:
            raise
        except OSError as exc:
            raise AdminKeyError(f"Cannot write the relay key {path} ({exc.strerror}).") from exc
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
    return read_key(path)


def read_key(path: Path) -> str:
    """The first key in `path`; tightens a file others could read back to 0600."""
    keys = read_keys(path)
    if not keys:
        raise AdminKeyError(f"The relay key file {path} holds no key; delete it to make a new one.")
    return keys[0]


def read_keys(path: Path) -> list[str]:
    """Every key in a key file: one a line; blank lines and `#` comments are skipped."""
    try:
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            with contextlib.suppress(OSError):  # not ours to change: read it as it is
                os.chmod(path, 0o600)
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AdminKeyError(f"Cannot read the relay key file {path} ({exc.strerror}).") from exc
    keys = [line.strip() for line in text.splitlines()]
    keys = [key for key in keys if key and not key.startswith("#")]
    short = [key for key in keys if len(key) < MIN_KEY_CHARS]
    if short:
        raise AdminKeyError(
            f"{path} holds a key shorter than {MIN_KEY_CHARS} characters; use a long random one "
            "(for example: python3 -c 'import secrets; print(secrets.token_hex(32))')."
        )
    return keys
