"""Where the relay and the console keep their files.

The platform's user data folder (platformdirs: ~/.local/share/roomcast on
Linux, ~/Library/Application Support/roomcast on macOS, %LOCALAPPDATA% on
Windows) unless `--data-dir` names another one; tests always pass their own.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "roomcast"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def resolve_data_dir(override: str | Path | None = None) -> Path:
    """The data folder to use, created if missing; a clear error if it cannot be."""
    folder = Path(override).expanduser() if override else default_data_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(
            f"Cannot use {folder} as Roomcast's data folder ({exc.strerror}); "
            "pick another with --data-dir"
        ) from exc
    return folder
