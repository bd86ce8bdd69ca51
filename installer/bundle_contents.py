"""What goes into the frozen bundle, beyond what PyInstaller finds by following imports.

Read by `roomcast.spec` (the build) and by `tests/installer/` (which scans the product's
imports and checks these lists against them), so the two cannot drift apart.
Paths are relative to the repository root.
"""

from __future__ import annotations

# Every module of these packages goes in, reached by an import or not (collect_submodules):
# a module only ever loaded by name, or only in a code path the analysis cannot see, must not
# be the one that is missing in front of a host. They are setuptools' packages in pyproject.
PROJECT_PACKAGES = ("audio", "console", "server", "ui")

# Third-party modules the product loads by name only (importlib), which PyInstaller cannot
# see. None today: tests/installer fails when the code starts doing that without listing here.
HIDDEN_IMPORTS: tuple[str, ...] = ()

# Not part of the product. scipy (113 MB) comes only with pyloudnorm, which only the tests
# use (the product's loudness meter is its own, audio/loudness.py); the rest is tooling
# installed in the same virtual environment.
EXCLUDES = (
    "scipy",
    "pyloudnorm",
    "tkinter",
    "_tkinter",
    "matplotlib",
    "PIL",
    "IPython",
    "pytest",
    "_pytest",
    "pytestqt",
    "hypothesis",
    "playwright",
    "greenlet",
    "mypy",
    "mypyc",
    "ruff",
    "pygments",
    "tests",
    "bench",
)

# Binaries PyInstaller collects that the bundle must not carry (installer/bundle_prune.py then
# also drops every library that only these needed). Destination paths, file names, or folders
# ending in "/".
DROP_BINARIES = (
    # PortAudio is the system's (the .deb depends on libportaudio2): sounddevice finds it by
    # name, and it must use the system's libasound, whose ALSA plugins (PulseAudio, PipeWire)
    # are built against that very libasound.
    "libportaudio.so.2",
    "libasound.so.2",
    "libjack.so.0",
    # GTK's platform theme drags in all of GTK 3 (≈ 25 MB); the console draws Fusion with its
    # own palette anyway, and the XDG portal theme still follows the desktop's dark mode.
    "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    # Platforms and inputs for embedded boards, and QtNetwork's plugins (Qt's network is unused)
    "PySide6/Qt/plugins/platforms/libqeglfs.so",
    "PySide6/Qt/plugins/platforms/libqlinuxfb.so",
    "PySide6/Qt/plugins/platforms/libqminimalegl.so",
    "PySide6/Qt/plugins/platforms/libqvkkhrdisplay.so",
    "PySide6/Qt/plugins/platforms/libqvnc.so",
    "PySide6/Qt/plugins/egldeviceintegrations/",
    "PySide6/Qt/plugins/generic/",
    "PySide6/Qt/plugins/networkinformation/",
    "PySide6/Qt/plugins/tls/",
)

# Libraries loaded by name at run time (ctypes/cffi), so no ELF file names them as NEEDED.
DLOPENED = ("_soundfile_data/",)

# Distribution metadata read at run time through importlib.metadata (`roomcast --version`;
# webrtcvad's comes through installer/hooks/hook-webrtcvad.py).
METADATA = ("roomcast",)

# (source, folder inside the bundle). server/web is found next to server/http_api.py.
DATA = (
    ("server/web", "server/web"),
    ("installer/icons/roomcast.svg", "icons"),
    ("installer/icons/roomcast-256.png", "icons"),
)

# Qt's own translations: the console's text is English and its own; Qt's stock dialogs
# use these. Kept: the base module's only (the rest is for Qt modules we do not ship).
QT_TRANSLATIONS_KEEP_PREFIX = "qtbase_"
