"""The console with a real relay (a child process started by the console's supervisor) and
real `roomcast bot` participants: requests, approval, meters (as drawn on the screen), mute,
block; the meters' display timer sleeping in a silent room and waking when someone talks."""

from __future__ import annotations

import asyncio
import time

import pytest

from console.tracks import SilenceTrack, ToneTrack
from tests.relay.spectrum import band_level_db
from tests.ui.botkit import BotProcess, ToneBot, until
from tests.ui.consolekit import bar_pixels, on_screen, open_console
from tests.ui.journey import click, click_row
from ui.room_models import LEVEL_ROLE, MUTED_ROLE
from ui.stage_view import meter_area

HEARD_DB = -45.0
SILENT_DB = -55.0

pytestmark = pytest.mark.timeout(90)


def level_of(window, user_id: str) -> float:
    row = window.stage_model.row_of(user_id)
    if row < 0:
        return -200.0
    vu_db, _peak_db = window.stage_model.index(row).data(LEVEL_ROLE)
    return vu_db


def bar_on_screen(window, user_id: str) -> int:
    """How many pixels of `user_id`'s meter on the stage list are lit in a bar's colours, as
    the screen shows it now."""
    view, model = window.stage.view, window.stage_model
    row = model.row_of(user_id)
    if row < 0:
        return 0
    return bar_pixels(on_screen(view.viewport()), meter_area(view.visualRect(model.index(row))))


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
            # it unmutes itself and sends its tone: its meter moves, its bar lights on screen
            await until(lambda: level_of(window, bot.user_id) > -40.0, what="the bot's meter")
            await until(lambda: bar_on_screen(window, bot.user_id) > 100, what="the bot's bar")
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
            await until(lambda: bar_on_screen(window, bot.user_id) == 0, what="the bar to go")
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


def test_the_meters_sleep_in_a_silent_room_and_wake_when_someone_talks(
    qapp, qtbot, aloop, relay_child
):
    async def scenario():
        console = await open_console(relay_child, "Quiet room", mic=SilenceTrack())
        window = console.window
        timer, view = window.display_timer, window.stage.view
        bot = ToneBot(console.hosted.join_url, "Tia Tone", 660)

        def at_floor() -> bool:
            vu_db, peak_db = window.stage_model.index(window.stage_model.row_of(bot.user_id)).data(
                LEVEL_ROLE
            )
            return vu_db <= -60.0 and peak_db <= -60.0

        try:
            # the host alone, their microphone silent: nothing moves, the display timer sleeps
            await until(lambda: not timer.isActive(), 10, "the display timer to sleep")

            # the host's own microphone picks up sound (muted, it is still metered): the timer
            # wakes and the strip's meter shows it; silent again, the timer sleeps again
            mic = console.session.mic
            strip_meter = window.strip.meter
            mic.switch_source(ToneTrack(440, -18.0))
            await until(timer.isActive, 10, "the timer to wake for the host's microphone")
            await until(lambda: bar_pixels(on_screen(strip_meter), strip_meter.rect()) > 100, 10)
            mic.switch_source(SilenceTrack())
            await until(lambda: not timer.isActive(), 10, "the timer to sleep after the host")
            assert bar_pixels(on_screen(strip_meter), strip_meter.rect()) == 0

            await bot.start()
            await until(lambda: window.request_model.rowCount() == 1, what="the request")
            click_row(qtbot, window.requests.view, bot.user_id)
            click(qtbot, window.requests.approve)
            await until(lambda: window.stage_model.row_of(bot.user_id) >= 0, what="bot on stage")

            # it talks: the relay's levels wake the timer and its bar lights on screen,
            # painted by the stage list's meters-only pass
            passes = view.meter_passes
            await until(timer.isActive, 20, "the timer to wake")
            await until(lambda: bar_on_screen(window, bot.user_id) > 100, 20, "the bot's bar")
            assert view.meter_passes > passes

            # it falls silent (its media gone; the relay may send no levels at all): the bar
            # falls to the floor, the screen shows no bar, and only then the timer sleeps
            await bot.media.close()
            await until(lambda: not timer.isActive(), 20, "the timer to sleep again")
            assert at_floor(), "the timer slept with the meter above the floor"
            assert bar_on_screen(window, bot.user_id) == 0, "a bar was left frozen on screen"

            # it talks again: the timer wakes and the bar is back
            bot.media.source = ToneTrack(660)
            await bot.media.start(send=True)
            await until(timer.isActive, 20, "the timer to wake again")
            await until(lambda: bar_on_screen(window, bot.user_id) > 100, 20, "the bar again")
        finally:
            await bot.close()
            await console.close()

    aloop.run_until_complete(scenario())
