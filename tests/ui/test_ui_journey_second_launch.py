"""Journey (issue 15, item 4): launching Roomcast again while it runs.

A host whose console sits minimised (or in the tray) launches Roomcast again from the menu,
then opens a room link with `roomcast --room LINK`. Each time the second launch is a real
`roomcast` process on the same data folder: it must hand over to the running console and
exit, never start a second console that takes over the first one's relay.

What it caught on main: the second launch started a second console and a second embedded
relay on the same data folder and port.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import tempfile
from pathlib import Path

import pytest

from console.identity import Identity
from console.rooms_api import RelayApi
from tests.ui.botkit import until
from tests.ui.journey import the_dialog
from ui.console_app import ConsoleApp
from ui.single_instance import SingleInstance, server_name
from ui.start_dialog import StartDialog

pytestmark = [
    pytest.mark.timeout(150),
    pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing|activate)"),
]

ROOT = Path(__file__).resolve().parents[2]


async def launch_again(data_dir: Path, *extra: str) -> tuple[int, str]:
    """A second `roomcast` launch, as from the desktop menu or a shell; (exit code, stderr)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ui.cli",
        "--data-dir",
        str(data_dir),
        *extra,
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _out, err = await asyncio.wait_for(process.communicate(), 60)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError("the second launch kept running instead of handing over") from None
    assert process.returncode is not None
    return process.returncode, err.decode(errors="replace")


def test_a_second_launch_brings_the_first_console_forward_and_opens_its_link(
    qapp, aloop, tmp_path, qtbot
):
    data = tmp_path / "data"

    async def scenario():
        app = ConsoleApp(data)
        app.settings = app.settings.with_changes(relay_port=0, display_name="Hana Host")
        try:
            await app.start()
            dialog = the_dialog(StartDialog)
            await until(lambda: "running" in dialog.status.text(), 30, "the relay")
            relay_url = app.relay_url
            assert relay_url is not None

            # the host minimises the console, then launches Roomcast again
            dialog.showMinimized()
            await until(dialog.isMinimized, 10, "the start dialog minimised")
            code, said = await launch_again(data)
            assert code == 0, said
            assert "already running" in said
            await until(lambda: not dialog.isMinimized(), 10, "the start dialog back in front")
            assert the_dialog(StartDialog) is dialog  # the same dialog, not a second console's
            assert app.relay_url == relay_url  # and the same relay, not taken over

            # a link opened from a shell lands in the running console as a room window
            identity = Identity.new()
            api = RelayApi(relay_url, admin_key=app.supervisor.admin_key())
            hosted, _card = await api.create_room(identity, "Hana Host", "Handed over")
            code, said = await launch_again(data, "--room", hosted.host_url)
            assert code == 0, said
            await until(lambda: app.window is not None, 30, "the room window")
            window = app.window
            await until(window.isVisible, 10, "the room window on screen")
            await until(lambda: "Handed over" in window.windowTitle(), 10, "the room's title")

            # opening the same link again brings that window forward, no second window
            window.showMinimized()
            await until(window.isMinimized, 10, "the room window minimised")
            code, said = await launch_again(data, "--room", hosted.host_url)
            assert code == 0, said
            await until(lambda: not window.isMinimized(), 10, "the room window in front")
            assert app.windows == [window]
        finally:
            if app.window is not None:
                app.window.close()
                if app.window.pending_question is not None:
                    app.window.pending_question.yes.click()
            await app.quit()

    aloop.run_until_complete(scenario())


def test_a_console_that_crashed_leaves_no_lock_behind(qapp, tmp_path, qtbot):
    """A crash leaves the socket file; the next console takes it over, and a launch after
    that is handed to the new one."""
    data = tmp_path / "data"
    stale = Path(tempfile.gettempdir()) / server_name(data)
    stale.unlink(missing_ok=True)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(stale))  # bound, never listening: what a killed console leaves
    dead.close()
    assert stale.exists()

    first = SingleInstance(data)
    try:
        assert first.claim() is True
        second = SingleInstance(data)
        with qtbot.waitSignal(first.showWanted, timeout=5000):
            assert second.claim() is False
        with qtbot.waitSignal(first.openWanted, timeout=5000) as opened:
            assert SingleInstance(data).claim("http://127.0.0.1:1/r/abc#token=t") is False
        assert opened.args == ["http://127.0.0.1:1/r/abc#token=t"]
        # another data folder is another console
        other = SingleInstance(tmp_path / "other")
        assert other.claim() is True
        other.close()
    finally:
        first.close()
