"""The console with a real relay (a child process started by the console's supervisor) and
real `roomcast bot` participants: requests, approval, meters, mute, block."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.relay.spectrum import band_level_db
from tests.ui.botkit import BotProcess, until
from tests.ui.consolekit import open_console
from ui.room_models import LEVEL_ROLE, MUTED_ROLE

HEARD_DB = -45.0
SILENT_DB = -55.0

pytestmark = pytest.mark.timeout(90)


def level_of(window, user_id: str) -> float:
    row = window.stage_model.row_of(user_id)
    if row < 0:
        return -200.0
    vu_db, _peak_db = window.stage_model.index(row).data(LEVEL_ROLE)
    return vu_db


def test_a_request_is_approved_from_the_queue_and_the_speaker_meter_moves_then_mute_and_block(
    qapp, aloop, relay_child, tmp_path, qtmodeltester
):
    async def scenario():
        console = await open_console(relay_child)
        window = console.window
        bot = BotProcess(
            console.hosted.join_url, tmp_path / "bot.json",
            "--name", "Bob Bot", "--tone", "660", "--request-to-speak",
        )  # fmt: skip
        try:
            # it asks: the queue shows it, first come first served, with its waiting time
            await until(lambda: window.request_model.rowCount() == 1, what="the request")
            assert window.request_model.item(0).user_id == bot.user_id
            assert "Bob Bot" in window.request_model.index(0).data()
            assert "waiting" in window.request_model.index(0).data()
            for model in (window.request_model, window.audience_model, window.stage_model):
                qtmodeltester.check(model)

            # approve it with the queue's own button
            window.requests.view.setCurrentIndex(window.request_model.index(0))
            assert window.requests.approve.isEnabled()
            window.requests.approve.click()
            await until(lambda: window.stage_model.row_of(bot.user_id) >= 0, what="bot on stage")
            assert window.request_model.rowCount() == 0
            # it unmutes itself and sends its tone: its meter moves
            await until(lambda: level_of(window, bot.user_id) > -40.0, what="the bot's meter")
            await until(
                lambda: (
                    band_level_db(console.session.media.recorder.samples()[-48000:], 660) > HEARD_DB
                ),
                what="hearing the bot",
            )
            qtmodeltester.check(window.stage_model)

            # mute: the row says muted, the meter falls, its audio stops
            window.stage.select(bot.user_id)
            assert window.stage.mute.isEnabled()
            window.stage.mute.click()
            row = lambda: window.stage_model.index(window.stage_model.row_of(bot.user_id))  # noqa: E731
            await until(lambda: row().data(MUTED_ROLE) is True, what="muted on stage")
            await until(lambda: level_of(window, bot.user_id) < -55.0, what="the meter to fall")
            await asyncio.sleep(0.5)  # what was in flight (jitter buffers) has played out
            recorder = console.session.media.recorder
            recorder.clear()
            frames, quiet_from = recorder.frames_received, time.monotonic()
            await until(lambda: time.monotonic() - quiet_from > 1.0, what="a second of quiet")
            # The room is silent now and the console asked for DTX: the relay sends it
            # nothing (or only what was already on its way), and nothing of the bot.
            assert recorder.frames_received - frames <= 5
            assert level_of(window, bot.user_id) < -55.0
            heard = recorder.samples()
            assert heard.size < 9600 or band_level_db(heard, 660) < SILENT_DB

            # block: confirm, it disappears, the bot is told it was removed
            window.stage.select(bot.user_id)
            window.stage.block.click()
            window.stage.pending_question.yes.click()
            await until(lambda: window.stage_model.row_of(bot.user_id) < 0, what="the bot to go")
            assert window.audience_model.row_of(bot.user_id) < 0
            assert bot.user_id in console.controller.room.blocked
            assert "blocked Bob Bot" in window.side.log.index(window.side.log.rowCount() - 1).data()
            # a removed bot leaves by itself, saying why, with exit code 3
            await asyncio.to_thread(bot.process.wait, 20)
            bot.stop()
            assert bot.process.returncode == 3, bot.lines

            # and it cannot come back
            again = BotProcess(
                console.hosted.join_url, tmp_path / "bot.json", "--name", "Bob Again"
            )
            await until(lambda: again.process.poll() is not None, what="the refused bot to exit")
            assert again.process.returncode == 2 and again.said("blocked"), again.lines
            assert window.audience_model.row_of(bot.user_id) < 0
        finally:
            bot.stop()
            await console.close()

    aloop.run_until_complete(scenario())
