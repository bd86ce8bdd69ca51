"""The desktop integration the .deb installs: the menu entry, the icons, the launcher and the
control template. desktop-file-validate decides when it is installed; otherwise a parser
checks the keys the freedesktop.org specification requires. No build needed."""

from __future__ import annotations

import configparser
import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET

import pytest

from tests.installer.installerkit import INSTALLER, load

DESKTOP = INSTALLER / "roomcast.desktop"
MAIN_CATEGORIES = {
    "AudioVideo", "Audio", "Video", "Development", "Education", "Game", "Graphics",
    "Network", "Office", "Science", "Settings", "System", "Utility",
}  # fmt: skip


def desktop_entry() -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    assert parser.sections() == ["Desktop Entry"]
    return dict(parser["Desktop Entry"])


def test_the_menu_entry_has_what_the_specification_requires():
    entry = desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Roomcast"
    assert entry["Exec"] == "roomcast"  # /usr/bin/roomcast, the launcher
    assert entry["Icon"] == "roomcast"  # a theme name, not a path: hicolor/*/apps/roomcast.*
    assert entry["Terminal"] == "false"
    categories = entry["Categories"]
    assert categories.endswith(";")
    assert MAIN_CATEGORIES & set(categories.rstrip(";").split(";"))
    assert entry["Keywords"].endswith(";")


def test_the_menu_entry_passes_desktop_file_validate():
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.skip("desktop-file-validate is not installed (Debian: desktop-file-utils)")
    done = subprocess.run([validator, str(DESKTOP)], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_icons_are_a_square_svg_and_pngs_of_the_sizes_their_names_say():
    svg = ET.parse(INSTALLER / "icons" / "roomcast.svg").getroot()
    assert svg.tag.endswith("svg") and svg.get("viewBox") == "0 0 256 256"
    pngs = sorted((INSTALLER / "icons").glob("roomcast-*.png"))
    assert {p.stem for p in pngs} >= {"roomcast-48", "roomcast-128", "roomcast-256"}
    for png in pngs:
        size = int(png.stem.removeprefix("roomcast-"))
        assert png_size(png.read_bytes()) == (size, size), png.name


def test_the_launcher_runs_the_bundle_with_every_argument():
    launcher = (INSTALLER / "deb" / "roomcast.sh").read_text(encoding="utf-8")
    assert launcher.startswith("#!/bin/sh\n")
    assert 'exec /usr/lib/roomcast/roomcast "$@"' in launcher
    build = load("build")
    assert build.PREFIX == "usr/lib/roomcast"


def test_the_control_template_has_the_fields_dpkg_needs_and_the_build_fills():
    template = (INSTALLER / "deb" / "control.in").read_text(encoding="utf-8")
    fields = dict(
        line.split(": ", 1) for line in template.splitlines() if line and not line[0].isspace()
    )
    for name in ("Package", "Version", "Architecture", "Maintainer", "Description", "Depends"):
        assert name in fields, name
    assert set(re.findall(r"@([A-Z_]+)@", template)) == {
        "VERSION", "ARCH", "INSTALLED_SIZE", "DEPENDS",
    }  # fmt: skip
    recommends = fields["Recommends"]
    assert "pulseaudio | pipewire-pulse" in recommends
    assert "fonts-noto-color-emoji" in recommends
    build = load("build")
    assert any(dep.startswith("fonts-dejavu-core") for dep in build.FIXED_DEPENDS)
