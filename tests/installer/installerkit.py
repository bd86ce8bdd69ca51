"""The installer's own modules (installer/ is a folder of scripts, not a package), loaded by path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
INSTALLER = REPO / "installer"


def load(name: str) -> ModuleType:
    """installer/NAME.py as a module (cached in sys.modules under installer_NAME)."""
    key = f"installer_{name}"
    if key in sys.modules:
        return sys.modules[key]
    spec = importlib.util.spec_from_file_location(key, INSTALLER / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module
    spec.loader.exec_module(module)
    return module
