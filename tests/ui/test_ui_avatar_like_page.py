"""A person wears the same avatar in the console and on the page: the same initials and the
same colours (light and dark), computed by the page's own `dom.js` under Node.

What it caught on main: the console hashed ids its own way, so a listener's avatar was one
colour in the browser and another on the host's stage.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from PySide6.QtGui import QColor

from ui.stage_view import avatar_colours, hue_of, initials

ROOT = Path(__file__).resolve().parents[2]
IDS = ["bot-ede808ee9629c768", "u-1", "a" * 64, "Zoë-ß-東京", "😀-emoji-id", ""]
NAMES = [
    "Hana Host",
    "  ana   de la Cruz ",
    "ßeta",
    "Émile Zola Jr",
    "東京 太郎",
    "😀 Smile",
    "x",
    "",
]


def page_says(ids: list[str], names: list[str]) -> dict[str, list[object]]:
    node = shutil.which("node")
    assert node is not None, "Node.js is missing: `make test` installs it (apt-get nodejs)"
    script = (
        "import { hueOf, initials } from './server/web/dom.js';"
        f"const ids = {json.dumps(ids)}; const names = {json.dumps(names)};"
        "console.log(JSON.stringify({hues: ids.map(hueOf), letters: names.map(initials)}));"
    )
    said = subprocess.run(
        [node, "--input-type=module", "-e", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(said.stdout)


def test_the_console_draws_each_person_as_the_page_does():
    page = page_says(IDS, NAMES)
    assert [hue_of(i) for i in IDS] == page["hues"]
    assert [initials(n) for n in NAMES] == page["letters"]


def test_the_colours_are_the_pages_css():
    # app.css: light `hsl(h 45% 82%)` on `hsl(h 45% 22%)`; dark `hsl(h 30% 32%)`, `hsl(h 60% 90%)`
    hue = hue_of("u-1")
    disc, ink = avatar_colours("u-1", dark=False)
    assert abs(disc.hslHueF() * 360 - hue) < 1
    assert round(disc.hslSaturationF() * 100) == 45 and round(disc.lightnessF() * 100) == 82
    assert round(ink.lightnessF() * 100) == 22
    disc, ink = avatar_colours("u-1", dark=True)
    assert round(disc.hslSaturationF() * 100) == 30 and round(disc.lightnessF() * 100) == 32
    assert round(ink.lightnessF() * 100) == 90
    assert isinstance(disc, QColor)
