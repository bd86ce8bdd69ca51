"""The other windows: the moderator view with a real room, settings, the share QR code, and
"you are talking while muted" from the host's own microphone (speech, real VAD)."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest
import soundfile

from console.level_board import LevelBoard
from console.mic_track import MeteredTrack
from console.settings import Settings
from console.tracks import WavTrack
from server.room import RequestToSpeak
from tests.fixtures_audio import SENTENCES, speech
from tests.ui.botkit import ToneBot, until
from tests.ui.consolekit import open_console
from ui.header import QrDialog, qr_image
from ui.moderator_view import ModeratorView
from ui.settings_dialog import SettingsDialog

pytestmark = pytest.mark.timeout(90)


def test_the_moderator_view_shows_a_room_card_and_focuses_it_on_click(
    qapp, aloop, relay_child, qtbot
):
    async def scenario():
        console = await open_console(relay_child, "Card room")
        bot = ToneBot(console.hosted.join_url, "Asker", 500)
        view = ModeratorView()
        try:
            await bot.start(ask=False)
            await bot.client.send(RequestToSpeak())
            card = view.add_room(console.controller)
            assert not view.timer.isActive()  # nothing ticks while the view is not shown
            view.show()
            assert view.timer.isActive()
            await until(lambda: len(console.controller.room.requests) == 1, what="the request")
            image = card.grab().toImage()
            assert image.width() >= 300
            focused = []
            view.focusWanted.connect(focused.append)
            qtbot.mouseClick(
                card, __import__("PySide6.QtCore", fromlist=["Qt"]).Qt.MouseButton.LeftButton
            )
            assert focused == [console.controller]
            view.close()
            assert not view.timer.isActive()
        finally:
            view.close()
            await bot.close()
            await console.close()

    aloop.run_until_complete(scenario())


def test_settings_answer_with_the_chosen_values(qtbot):
    dialog = SettingsDialog(Settings(), "/tmp/roomcast")
    qtbot.addWidget(dialog)
    answers = []
    dialog.answered.connect(answers.append)
    dialog.set_devices(["Mic A", "Mic B"], ["Speakers"])
    dialog.input.setCurrentIndex(dialog.input.findData("Mic B"))
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    dialog.sensitivity.setValue(1)
    dialog.relay_port.setValue(9100)
    # The recordings field shows where the embedded relay really records (it used to show
    # the data folder, and the setting was saved but nothing read it).
    assert dialog.recordings.text() == "/tmp/roomcast/relay/recordings"
    dialog._save()
    assert answers == [Settings(input_device="Mic B", theme="dark", speaking_sensitivity=1,
                                relay_port=9100)]  # fmt: skip
    chosen = SettingsDialog(Settings(), "/tmp/roomcast")
    qtbot.addWidget(chosen)
    chosen.answered.connect(answers.append)
    chosen.recordings.setText("/srv/podcast")
    chosen._save()
    assert answers[-1].recordings_dir == "/srv/podcast"


def test_the_room_link_as_a_qr_code(qtbot):
    image = qr_image("http://127.0.0.1:8470/r/abc")
    assert image is not None and image.width() == image.height() >= 200
    dialog = QrDialog("http://127.0.0.1:8470/r/abc")
    qtbot.addWidget(dialog)


def test_talking_into_a_muted_microphone_is_noticed_and_nothing_is_sent(tmp_path):
    """Speech (espeak-ng) through the host's metered track while muted: the gate opens, a
    notice is raised once, the host's meter shows the voice, and no frame is handed on to be
    sent (aiortc's `recv` waits) until the host unmutes."""
    voice = speech(SENTENCES[0], tmp_path, "host")
    path = tmp_path / "host.wav"
    soundfile.write(str(path), voice, 48_000)

    async def scenario():
        board = LevelBoard()
        mic = MeteredTrack(WavTrack(path, loop=False), board)
        heard_db = -200.0
        sending = asyncio.ensure_future(mic.recv())  # what aiortc's sender does
        deadline = time.monotonic() + 10.0
        while mic.frames < int(2.0 / 0.02):  # 2 s of the microphone read, muted
            assert time.monotonic() < deadline, "the microphone was not read while muted"
            heard_db = max(heard_db, board.latest("local").rms_db)
            await asyncio.sleep(0.005)
        assert mic.talking_while_muted and len(mic.notices) == 1
        assert not sending.done(), "a muted microphone must not leave the machine"
        assert mic.frames_sent == 0
        assert heard_db > -40, "the host's own meter still shows the voice"
        mic.muted = False
        frames = [await sending] + [await mic.recv() for _ in range(24)]
        assert max(int(np.abs(f.to_ndarray()).max()) for f in frames) > 1000
        mic.stop()

    asyncio.run(scenario())
