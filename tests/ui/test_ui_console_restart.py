"""Killing the relay child mid-room: the console's supervisor starts it again on the same
port, the room comes back from the relay's database, and the window shows it live again,
with its speaker on stage and audio flowing."""

from __future__ import annotations

import os
import signal

import pytest

from console.room_view import ApproveRequest, RoomState
from console.supervisor import RelayState
from tests.ui.botkit import ToneBot, until
from tests.ui.consolekit import open_console
from ui.room_models import LEVEL_ROLE

pytestmark = pytest.mark.timeout(90)


def test_the_console_restarts_a_killed_relay_and_the_room_comes_back(qapp, aloop, relay_child):
    async def scenario():
        console = await open_console(relay_child, "Restart me")
        window = console.window
        bot = ToneBot(console.hosted.join_url, "Tia Tone", 660)
        try:
            await bot.start()
            await until(lambda: window.request_model.rowCount() == 1, what="the request")
            console.controller.submit(ApproveRequest(bot.user_id))

            def row() -> int:
                return window.stage_model.row_of(bot.user_id)

            def level() -> float:
                return window.stage_model.index(row()).data(LEVEL_ROLE)[0] if row() >= 0 else -200

            await until(lambda: level() > -40.0, what="the bot's meter before")
            await console.controller.session.set_muted(False)
            port, pid_before = relay_child.port, relay_child.pid

            os.kill(pid_before, signal.SIGKILL)
            await until(lambda: relay_child.state is RelayState.RESTARTING, 10, "restarting")
            await until(lambda: window.banner.isVisible(), 10, "the reconnecting banner")
            await until(lambda: relay_child.state is RelayState.RUNNING, 30, "running again")
            assert relay_child.pid != pid_before
            assert relay_child.port == port, "a restart must keep the port (links stay valid)"
            assert relay_child.restarts == 1

            # the console resumes; the room is still live with the bot on stage
            await until(lambda: console.session.client.connected, 30, "the host to resume")
            await until(lambda: not window.banner.isVisible(), 10, "the banner to clear")
            room = console.controller.room
            assert room.state is RoomState.LIVE
            assert window.header.state.text() == "LIVE"
            assert row() >= 0, "the speaker kept their seat"
            # media came back too: the bot's meter moves, the host hears it again
            await until(lambda: level() > -40.0, 30, "the bot's meter after the restart")
            host_level = lambda: console.session.board.latest(console.session.user_id).rms_db  # noqa: E731
            await until(lambda: host_level() > -40.0, 30, "the host's own audio at the relay")
        finally:
            await bot.close()
            await console.close()

    aloop.run_until_complete(scenario())
