"""The console's settings: a small JSON file in the data folder, written atomically.

Unknown keys are ignored and missing ones take their defaults, so an older or newer file
still loads; a file that is not JSON at all is set aside (never silently overwritten).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

FILE_NAME = "console-settings.json"
THEMES = ("system", "light", "dark")
_OPTIONAL_INTS = {"retention_days"}  # int or None (the loop below keeps str for optionals)


@dataclass(frozen=True, slots=True)
class Settings:
    display_name: str = "Host"
    input_device: str | None = None  # None: the system's default microphone
    output_device: str | None = None
    # How readily "speaking" lights up: webrtcvad's mode 0 (eager) to 3 (strict).
    speaking_sensitivity: int = 3
    theme: str = "system"
    relay_host: str = "127.0.0.1"
    relay_port: int = 8470
    push_to_talk_key: str = ""  # a QKeySequence string, "" for none
    # Where recordings and exports go; None: the data folder.
    recordings_dir: str | None = None
    # Recordings older than this many days are deleted when the console starts; None: kept.
    retention_days: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def load(data_dir: Path) -> Settings:
    path = data_dir / FILE_NAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except ValueError as exc:
        aside = path.with_suffix(".broken.json")
        logger.warning("%s is not valid JSON (%s); moved to %s", path, exc, aside)
        path.replace(aside)
        return Settings()
    if not isinstance(raw, dict):
        return Settings()
    known = {f.name: f for f in fields(Settings)}
    values: dict[str, Any] = {}
    defaults = Settings()
    for name, value in raw.items():
        if name not in known:
            continue
        default = getattr(defaults, name)
        # keep a value only when it has the type the default has (None allowed for optionals)
        if value is None and default is None:
            values[name] = None
        elif name in _OPTIONAL_INTS:
            if isinstance(value, int) and not isinstance(value, bool):
                values[name] = value
        elif default is None and isinstance(value, str):
            values[name] = value
        elif isinstance(default, bool) or isinstance(value, bool):
            if type(value) is type(default):
                values[name] = value
        elif isinstance(value, type(default)):
            values[name] = value
    settings = Settings(**values)
    if settings.theme not in THEMES:
        settings = replace(settings, theme="system")
    if not 0 <= settings.speaking_sensitivity <= 3:
        settings = replace(settings, speaking_sensitivity=3)
    if settings.retention_days is not None and settings.retention_days <= 0:
        settings = replace(settings, retention_days=None)
    if not 0 <= settings.relay_port <= 65535:
        settings = replace(settings, relay_port=8470)
    return settings


def save(data_dir: Path, settings: Settings) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / FILE_NAME
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(asdict(settings), handle, indent=2, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)
