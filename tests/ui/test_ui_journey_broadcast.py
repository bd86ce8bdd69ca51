"""Journey (issue 12): the host of a room on a relay with HLS turns broadcast mode on and off
from the console, sees what it did, sees listeners who hear the room over HLS in the count,
and sees their reactions.

Real relay child (`roomcast relay --hls`, started by the console's supervisor), real clicks on
the header's toggle; the listeners are a real WebSocket client with a real aiortc media link
and plain-HTTP HLS clients (heartbeats, reactions) from their own loopback addresses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from console.client import CommandRejected
from console.media_link import MediaLink
from console.rooms_api import RELAY_KEY_ENV
from console.supervisor import RelaySupervisor
from tests.relay.relaykit import join
from tests.ui.botkit import until
from tests.ui.consolekit import open_console
from tests.ui.journey import click, the_dialog
from ui.console_app import ConsoleApp
from ui.start_dialog import StartDialog

pytestmark = [
    pytest.mark.timeout(150),
    pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)"),
]

NOTE = "This room is broadcast: listeners hear it a few seconds late."


@pytest.fixture
def hls_relay_child(aloop, tmp_path: Path) -> Iterator[RelaySupervisor]:
    supervisor = RelaySupervisor(tmp_path / "data", port=0, relay_args=("--hls",))
    aloop.run_until_complete(supervisor.start())
    try:
        yield supervisor
    finally:
        aloop.run_until_complete(supervisor.stop())


async def post_from(address: str, url: str, body: dict[str, str]) -> int:
    """POST from this loopback address; a 404 (the room's stream not out yet) is tried again
    for up to 10 s."""
    deadline = asyncio.get_running_loop().time() + 10
    connector = aiohttp.TCPConnector(local_addr=(address, 0))
    async with aiohttp.ClientSession(connector=connector) as http:
        while True:
            async with http.post(url, json=body) as response:
                if response.status != 404 or asyncio.get_running_loop().time() > deadline:
                    return response.status
            await asyncio.sleep(0.2)


def test_the_host_flips_broadcast_mode_and_sees_hls_listeners_and_their_reactions(
    qapp, aloop, hls_relay_child, qtbot
):
    async def scenario():
        console = await open_console(hls_relay_child, "Broadcast night")
        window, header = console.window, console.window.header
        room_id = console.controller.room.room_id
        hls = f"{hls_relay_child.base_url}/hls/{room_id}"
        listener = media = None
        try:
            await until(header.broadcast.isVisible, 10, "the Broadcast mode toggle")
            assert header.broadcast.text() == "📡 Broadcast mode"
            assert header.broadcast.isEnabled() and not header.broadcast.isChecked()
            assert not header.broadcast_note.isVisible()
            assert header.listeners.text() == "👥 0 listening"

            # On: the toggle stays on, the note shows, the log says who did it.
            click(qtbot, header.broadcast)
            await until(lambda: console.controller.room.broadcast, 10, "the room's setting")
            await until(header.broadcast_note.isVisible, 5, "the broadcast note")
            assert header.broadcast.isChecked()
            assert header.broadcast_note.text() == NOTE
            lines = [line.text for line in window.side.log.items()]
            assert any("turned broadcast mode on" in line for line in lines), lines

            # A listener who joins now is sent to HLS (the relay's seats are all free).
            listener = await join(console.hosted.join_url, "Lena Listener")
            media = MediaLink(listener)
            try:
                await media.start(send=False)
                raise AssertionError("a listener of a broadcast got WebRTC")
            except CommandRejected as refused:
                assert refused.code == "listen_over_hls", refused
            assert listener.room.broadcast
            await until(lambda: header.listeners.text() == "👥 1 listening", 10, "one joined")
            await media.close()
            await listener.close()
            listener = media = None
            await until(lambda: header.listeners.text() == "👥 0 listening", 10, "she left")

            # Three HLS players without the page heartbeat: the count includes them.
            for i in range(3):
                status = await post_from(
                    f"127.0.3.{i + 1}", f"{hls}/listening", {"session": f"player-{i}-0123456789"}
                )
                assert status == 200
            await until(lambda: header.listeners.text() == "👥 3 listening", 10, "HLS listeners")

            # Their reactions arrive summed per second, in the Reactions tab like any other.
            for i in range(2):
                assert (
                    await post_from(f"127.0.3.{i + 1}", f"{hls}/reactions", {"emoji": "🔥"}) == 200
                )
            assert await post_from("127.0.3.3", f"{hls}/reactions", {"emoji": "🎉"}) == 200
            side = window.side
            await until(lambda: len(side.reactions.items()) >= 2, 10, "HLS reactions")
            shown = sorted(side.reactions.display(item) for item in side.reactions.items())
            assert shown == ["🎉  1 on HLS", "🔥  2 on HLS"], shown
            assert side.reaction_summary.text() == "🔥 2   🎉 1"

            # Off again: the toggle and the note follow the room.
            click(qtbot, header.broadcast)
            await until(lambda: not console.controller.room.broadcast, 10, "broadcast off")
            await until(lambda: not header.broadcast_note.isVisible(), 5, "the note to go")
            assert not header.broadcast.isChecked()
        finally:
            if media is not None:
                await media.close()
            if listener is not None:
                await listener.close()
            await console.close()

    aloop.run_until_complete(scenario())


def test_the_new_room_form_offers_broadcast_mode_only_on_a_relay_that_streams_hls(
    qapp, aloop, tmp_path, qtbot, hls_relay_child, monkeypatch
):
    """The console's own relay streams no HLS: its new-room form has no broadcast option (an
    option that would only be refused leads nowhere), and the room opens without the toggle.
    Pointed at a relay started with --hls, the same form offers it and the room is made a
    broadcast."""

    async def scenario():
        app = ConsoleApp(tmp_path / "console")  # its own relay, beside the HLS one
        app.settings = app.settings.with_changes(relay_port=0, display_name="Hana Host")
        try:
            await app.start()
            dialog = the_dialog(StartDialog)
            await until(lambda: "running" in dialog.status.text(), what="the relay")
            assert not dialog.form.broadcast.isVisible()
            qtbot.keyClicks(dialog.form.title, "Small show")
            click(qtbot, dialog.go)
            await until(lambda: app.window is not None and app.window.isVisible(), 30, "window")
            window = app.window
            assert not window.controller.room.broadcast
            assert not window.header.broadcast.isVisible()
            assert not window.header.broadcast_note.isVisible()
        finally:
            await app.quit()

        monkeypatch.setenv(RELAY_KEY_ENV, hls_relay_child.admin_key())  # a relay elsewhere
        elsewhere = ConsoleApp(tmp_path / "other", relay_url=hls_relay_child.base_url)
        elsewhere.settings = elsewhere.settings.with_changes(display_name="Hana Host")
        try:
            await elsewhere.start()
            dialog = the_dialog(StartDialog)
            await until(lambda: "Using the relay" in dialog.status.text(), what="the relay")
            await until(dialog.form.broadcast.isVisible, 10, "the broadcast option")
            qtbot.keyClicks(dialog.form.title, "Big show")
            click(qtbot, dialog.form.broadcast)
            assert dialog.form.broadcast.isChecked()
            click(qtbot, dialog.go)
            await until(
                lambda: elsewhere.window is not None and elsewhere.window.isVisible(), 30, "window"
            )
            window = elsewhere.window
            assert window.controller.room.broadcast
            await until(window.header.broadcast_note.isVisible, 10, "the broadcast note")
            assert window.header.broadcast_note.text() == NOTE
        finally:
            if elsewhere.window is not None:
                elsewhere.window.close()
                if elsewhere.window.pending_question is not None:
                    elsewhere.window.pending_question.yes.click()
            await elsewhere.quit()

    aloop.run_until_complete(scenario())
