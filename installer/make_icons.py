"""Renders installer/icons/roomcast.svg to the PNG sizes the desktop and the .deb use.

    .venv/bin/python installer/make_icons.py

Run it after editing the SVG; the PNGs are kept in the repository so a build needs no
renderer. Uses Qt's SVG renderer on the offscreen platform (no display needed).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parent / "icons"
SIZES = (48, 128, 256, 512)


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(ICONS / "roomcast.svg"))
    if not renderer.isValid():
        print(f"make_icons: cannot read {ICONS / 'roomcast.svg'}", file=sys.stderr)
        return 1
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        out = ICONS / f"roomcast-{size}.png"
        if not image.save(str(out)):
            print(f"make_icons: cannot write {out}", file=sys.stderr)
            return 1
        print(f"wrote {out.relative_to(ICONS.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
