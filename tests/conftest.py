"""Suite-wide setup. Runs before any test module imports Qt.

Qt must see QT_QPA_PLATFORM before the QApplication exists, or a headless
run dies with rc 134 and no report; the C.UTF-8 locale keeps names with
non-ASCII letters and emoji intact in subprocess output.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["LANG"] = "C.UTF-8"
os.environ.setdefault("LC_ALL", "C.UTF-8")

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
