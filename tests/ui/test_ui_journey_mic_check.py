"""Journey (issue 15, item 2): the green room. At first start the host checks the microphone
from the start dialog: the meter moves while they talk, the check says how they sound, plays
it back on their speakers, and they go live. With no microphone at all it says so and how to
go on, and going live still works.

A real microphone: PortAudio on a private headless PulseAudio, where "Roomcast Test Mic" hears
what is played into "Roomcast Test Speech" (tests/pulse.py); the playback is heard on the
monitor of "Roomcast Test Speakers".

What it caught on main: audio/mic_check.py existed and nothing used it; there was no way to
hear yourself before going live.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt

from audio.devices import DeviceCatalog
from tests.fixtures_audio import SENTENCES, speech
from tests.ui.botkit import until
from tests.ui.journey import click, open_dialogs, the_dialog
from ui.console_app import ConsoleApp
from ui.mic_check_dialog import NO_MICROPHONE_NEXT, MicCheckDialog
from ui.start_dialog import StartDialog

pytestmark = [
    pytest.mark.timeout(150),
    pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)"),
]


@pytest.mark.pulse
def test_first_start_check_the_microphone_hear_it_back_then_go_live(
    ui_pulse, qapp, aloop, tmp_path, qtbot
):
    voice = speech(SENTENCES[0], tmp_path, "host")
    voice = (voice * (0.1 / np.sqrt(np.mean(voice.astype(np.float64) ** 2)))).astype(np.float32)
    ours = DeviceCatalog(watch_pulse=False)  # the test's own mouth and ears
    mouth = ours.open_playback("Roomcast Test Speech")
    ears = ours.open_capture("Monitor of Roomcast Test Speakers")

    async def scenario():
        app = ConsoleApp(tmp_path / "data")
        app.settings = app.settings.with_changes(
            relay_port=0,
            display_name="Hana Host",
            input_device="Roomcast Test Mic",
            output_device="Roomcast Test Speakers",
        )
        try:
            await app.start()
            dialog = the_dialog(StartDialog)
            click(qtbot, dialog.mic_check)
            check = app.mic_check
            assert check is not None and check.isVisible() and dialog.isVisible()
            assert not check.again.isEnabled()  # while it listens
            await until(lambda: "talk now" in check.status.text(), 30, "it to listen")
            assert check.status.text() == "Listening to “Roomcast Test Mic” — talk now."

            # the host talks: the meter moves and the check fills up
            talking = threading.Thread(target=mouth.write_all, args=(voice,), daemon=True)
            talking.start()
            await until(lambda: check.meter.state.vu_db > -40.0, 15, "the meter to move")
            assert 0 < check.progress.value() < 100

            # five seconds later: the verdict, then the playback on the speakers
            await until(lambda: check.verdict.text() != "", 20, "the verdict")
            assert check.verdict.text().startswith("Your microphone sounds good — speech ")
            assert check.advice.text() == "Sounds good."
            assert check.progress.value() == 100
            ears.ring.discard()  # what the speakers played before the playback
            await until(lambda: heard_peak(ears) > 0.05, 15, "the playback on the speakers")
            await until(lambda: check.status.text().startswith("Played back"), 20, "the end")
            assert check.status.text() == "Played back 5.0 s. Check again after any change."
            assert check.again.isEnabled()

            # close it and go live: the room opens with that microphone
            click(qtbot, check.close_button)
            assert not check.isVisible() and open_dialogs(MicCheckDialog) == []
            qtbot.keyClicks(dialog.form.title, "Checked talk")
            click(qtbot, dialog.go)
            await until(lambda: app.window is not None and app.window.isVisible(), 30, "window")
            assert app.window.windowTitle() == "Checked talk — Roomcast"
            assert not app.window.banner.isVisible()  # the microphone opened without a problem
        finally:
            await app.quit()

    try:
        aloop.run_until_complete(scenario())
    finally:
        mouth.close()
        ears.close()
        ours.close()


def heard_peak(capture) -> float:
    """The loudest sample the monitor captured since the last call."""
    scratch = np.zeros((48_000, 1), dtype=np.float32)
    got = capture.read_into(scratch)
    return float(np.abs(scratch[:got]).max()) if got else 0.0


def test_with_no_microphone_the_check_says_so_and_the_room_still_goes_live(
    qapp, aloop, tmp_path, qtbot
):
    async def scenario():
        app = ConsoleApp(tmp_path / "data")
        app.settings = app.settings.with_changes(relay_port=0, display_name="Hana Host")
        # a machine with no sound devices at all (the catalog's scan seam lists none)
        app.catalog = DeviceCatalog(scan=lambda rescan: [], watch_pulse=False)
        try:
            await app.start()
            dialog = the_dialog(StartDialog)
            click(qtbot, dialog.mic_check)
            check = app.mic_check
            await until(lambda: check.verdict.text() != "", 15, "the verdict")
            assert check.verdict.text() == "No microphone to check"
            assert check.status.text().startswith("No microphone found")
            assert check.advice.text() == NO_MICROPHONE_NEXT
            assert check.again.isEnabled() and check.progress.value() == 0

            # Escape closes it; the host goes live anyway, and the room says why it is silent
            qtbot.keyClick(check, Qt.Key.Key_Escape)
            assert not check.isVisible()
            qtbot.keyClicks(dialog.form.title, "Silent talk")
            click(qtbot, dialog.go)
            await until(lambda: app.window is not None and app.window.isVisible(), 30, "window")
            assert app.window.banner.isVisible()
            assert app.window.banner.text().startswith("No microphone found")
        finally:
            await app.quit()

    aloop.run_until_complete(scenario())
