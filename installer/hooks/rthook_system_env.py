"""Runtime hook: programs this bundle starts get the system's library path, not the bundle's.

PyInstaller's bootloader puts the bundle's folder first on LD_LIBRARY_PATH so that its own
libraries load (the dynamic linker reads it once, at start, so this process keeps that). Any
program started from here would inherit it, and a system program (a browser opened for a link,
`pactl`) would load our copies of GTK, libstdc++ or D-Bus instead of its own. Our own relay
child is this same executable, whose bootloader sets the path again.
"""

import os
import sys

if sys.platform.startswith("linux") and getattr(sys, "frozen", False):
    original = os.environ.pop("LD_LIBRARY_PATH_ORIG", None)
    if original is not None:
        os.environ["LD_LIBRARY_PATH"] = original
    else:
        os.environ.pop("LD_LIBRARY_PATH", None)
