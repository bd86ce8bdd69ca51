"""The layers of DESIGN §2 hold in the real tree, and the checker can fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.architecture import check_module, check_tree

REPO = Path(__file__).resolve().parents[2]


def test_the_tree_follows_the_layers():
    violations = check_tree(REPO)
    assert violations == [], "\n".join(str(v) for v in violations)


def test_every_layer_has_modules_to_check():
    for layer in ("audio", "server", "console", "ui", "server/room"):
        assert list((REPO / layer).glob("*.py")), f"{layer}/ has no modules"


@pytest.mark.parametrize(
    ("module", "source", "is_package"),
    [
        pytest.param("audio.mixer", "import server.room\n", False, id="audio imports server"),
        pytest.param(
            "server.relay", "from console import client\n", False, id="server imports console"
        ),
        pytest.param(
            "console.session",
            "from ui.main_window import MainWindow\n",
            False,
            id="console imports ui",
        ),
        pytest.param("server.room.rules", "import numpy\n", False, id="room core imports numpy"),
        pytest.param(
            "server.room.rules", "import aiohttp\n", False, id="room core imports aiohttp"
        ),
        pytest.param(
            "server.room.rules", "from audio import levels\n", False, id="room core imports audio"
        ),
        pytest.param(
            "server.room",
            "from .. import protocol\n",
            True,
            id="room core reaches its parent relatively",
        ),
        pytest.param(
            "audio.levels", "def f():\n    import console.session\n", False, id="lazy upward import"
        ),
        pytest.param(
            "server.media", "from PySide6.QtCore import QObject\n", False, id="Qt below ui"
        ),
        pytest.param(
            "console.session",
            "from server.app import make_app\n",
            False,
            id="console imports the relay app",
        ),
        pytest.param(
            "ui.stage",
            "from server.media import Mixer\n",
            False,
            id="ui skips console to reach server",
        ),
    ],
)
def test_a_wrong_arrow_is_caught(module, source, is_package):
    assert check_module(source, module, is_package), f"{module} importing {source!r} should fail"


@pytest.mark.parametrize(
    ("module", "source"),
    [
        pytest.param(
            "ui.stage",
            "from console.session import Session\nfrom audio import levels\n",
            id="ui uses console and audio",
        ),
        pytest.param(
            "console.session",
            "from server.room import decide\nfrom server.protocol import encode\n",
            id="console uses the shared rules and wire format",
        ),
        pytest.param(
            "server.app",
            "import aiohttp\nfrom server.room import decide\nfrom audio.mixer import Mixer\n",
            id="relay uses rules and audio",
        ),
        pytest.param(
            "server.room.rules",
            "import dataclasses\nfrom .model import Room\nfrom typing import Final\n",
            id="room core uses stdlib and itself",
        ),
        pytest.param(
            "ui.cli",
            "def f():\n    from server.relay_cli import main\n",
            id="composition root dispatches to the relay",
        ),
    ],
)
def test_a_right_arrow_passes(module, source):
    assert check_module(source, module) == []
