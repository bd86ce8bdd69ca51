"""The console's data folder: the platform's user data folder unless `--data-dir` says
otherwise (the embedded relay keeps its database in `relay/` inside it)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "roomcast"


def resolve_data_dir(override: str | Path | None = None) -> Path:
    folder = (
        Path(override).expanduser()
        if override
        else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(
            f"Cannot use {folder} as Roomcast's data folder ({exc.strerror}); "
            "pick another with --data-dir"
        ) from exc
    return folder
