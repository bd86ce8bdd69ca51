"""`roomcast self-test --gui`: Qt's share of the self-test (Qt lives in `ui/` only).

Starts a QApplication on the offscreen platform (no display needed), imports every module of
`ui`, draws the start dialog, the QR code dialog and a meter, and checks that fonts are found
and that the desktop platform plugins (xcb, and Wayland where present) load with all their
libraries. The rest of the self-test is `console.selftest`; this module only adds `--gui`.

Nothing here imports Qt until the check runs, so `roomcast relay` stays free of it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from console import selftest


def register(subparsers: Any) -> None:
    selftest.register(subparsers, gui_check=check)


def check() -> str:
    """Returns what was checked; raises selftest.CheckFailed with what to do otherwise."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before the QApplication exists
    count, problems = selftest.import_every_module(("ui",))
    if problems:
        raise selftest.CheckFailed(
            f"{len(problems)} ui module(s) cannot be imported: " + "; ".join(problems[:5])
        )

    import PySide6
    from PySide6.QtGui import QFontDatabase
    from PySide6.QtWidgets import QApplication

    from ui.header import QrDialog
    from ui.meter import MeterWidget
    from ui.start_dialog import StartDialog
    from ui.theme import apply_theme

    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    apply_theme(app)
    families = QFontDatabase.families()
    if not families:
        raise selftest.CheckFailed(
            "Qt finds no fonts: install fonts-dejavu-core (or any font) and fontconfig"
        )
    drawn: list[str] = []
    for widget in (StartDialog([]), QrDialog("http://127.0.0.1:8470/r/self-test"), MeterWidget()):
        widget.resize(widget.sizeHint())
        image = widget.grab().toImage()
        if _blank(image):
            raise selftest.CheckFailed(f"Qt drew {type(widget).__name__} blank")
        drawn.append(type(widget).__name__)
        widget.deleteLater()
    plugins = _desktop_plugins()
    return (
        f"Qt {PySide6.__version__} offscreen: {count} ui modules import, drew "
        f"{', '.join(drawn)} with {len(families)} font families; {plugins}"
    )


def _blank(image: Any) -> bool:
    """Whether a drawn widget is one flat colour (nothing was painted on it)."""
    if image.isNull():
        return True
    colours = {
        image.pixel(x, y) for y in range(0, image.height(), 4) for x in range(0, image.width(), 4)
    }
    return len(colours) < 2


def _desktop_plugins() -> str:
    """Loads the platform plugins a desktop session uses (without a display: library only)."""
    if sys.platform != "linux":
        return "desktop platform plugins not checked on this system"
    from PySide6.QtCore import QLibraryInfo, QPluginLoader

    folder = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"
    found: list[str] = []
    for name, required in (("xcb", True), ("wayland", False)):
        path = folder / f"libq{name}.so"
        if not path.is_file():
            if required:
                raise selftest.CheckFailed(f"Qt's {name} platform plugin is missing ({path})")
            found.append(f"no {name} plugin")
            continue
        loader = QPluginLoader(str(path))
        if not loader.load():
            if required:
                raise selftest.CheckFailed(
                    f"Qt's {name} platform plugin does not load: {loader.errorString()} — "
                    "install the xcb libraries (Debian: libxcb-cursor0 libxcb-icccm4 "
                    "libxcb-keysyms1 libxkbcommon-x11-0 libegl1)"
                )
            found.append(f"{name} plugin does not load ({loader.errorString()})")
            continue
        found.append(f"{name} plugin loads")
    return ", ".join(found)
