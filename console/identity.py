"""Who this console, bot or script is to a relay: a client id and its secret.

The relay binds a client id to the secret it first came with, so keeping the
pair is what makes "the same person" across reconnects, rooms and restarts
(and what a block holds on to).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Identity:
    client_id: str
    client_secret: str

    @classmethod
    def new(cls, prefix: str = "c") -> Identity:
        return cls(f"{prefix}-{secrets.token_hex(8)}", secrets.token_urlsafe(32))

    @classmethod
    def load_or_create(cls, path: Path, prefix: str = "c") -> Identity:
        """The identity kept in `path`, made (and saved, private to the user) if missing."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(str(data["client_id"]), str(data["client_secret"]))
        except FileNotFoundError:
            pass
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(
                f"{path} does not hold a Roomcast identity ({exc}); move it away"
            ) from exc
        identity = cls.new(prefix)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(
                {"client_id": identity.client_id, "client_secret": identity.client_secret}, handle
            )
        tmp.replace(path)
        return identity
