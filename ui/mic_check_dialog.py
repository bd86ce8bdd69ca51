"""The green room: check the microphone before going live. Five seconds of the host talking
move a live meter, are judged (audio/mic_check.py: level, noise, clipping) and are played
back so the host hears themself as listeners will. With no microphone it says so and how to
go on.

Runs on: the Qt main thread. Opening, closing and playing a device, and the analysis, run in
worker threads (awaited); a display-rate QTimer drains the capture ring (copy only) into the
check and the meter, as the room's own meters do.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from audio.device_error import DeviceError
from audio.levels import FLOOR_DB, block_mean_square, block_peak, gain_to_db
from audio.mic_check import MicCheck, MicCheckResult, MicVerdict
from audio.streams import CaptureStream, PlaybackStream
from ui.asyncs import spawn
from ui.meter import MeterWidget
from ui.plain import plain_label

DISPLAY_HZ = 30
CHECK_S = 5.0
DRAIN_FRAMES = 48_000 // 10  # 100 ms: more than one display tick's worth of audio

NO_MICROPHONE_NEXT = (
    "You can still go live: listeners hear silence until you plug in a microphone and pick "
    "it in Settings (then check again)."
)


class MicCheckDialog(QDialog):
    def __init__(
        self,
        open_capture: Callable[[], CaptureStream],
        open_playback: Callable[[], PlaybackStream],
        parent: QWidget | None = None,
        *,
        check_s: float = CHECK_S,
    ) -> None:
        super().__init__(parent)
        self.open_capture = open_capture
        self.open_playback = open_playback
        self.check_s = check_s
        self.setWindowTitle("Check your microphone — Roomcast")
        self.setModal(False)
        self.resize(460, 260)
        layout = QVBoxLayout(self)
        intro = plain_label(
            f"Talk normally for {check_s:.0f} seconds, as you will in the room. "
            "You will hear it played back.",
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.meter = MeterWidget(self)
        layout.addWidget(self.meter)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 100)
        self.progress.setFormat("%p % heard")
        layout.addWidget(self.progress)
        self.status = plain_label("", self)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.verdict = plain_label("", self)
        self.verdict.setObjectName("sectionTitle")
        self.verdict.setWordWrap(True)
        layout.addWidget(self.verdict)
        self.advice = plain_label("", self)
        self.advice.setWordWrap(True)
        layout.addWidget(self.advice)
        layout.addStretch(1)
        buttons = QDialogButtonBox(self)
        self.again = buttons.addButton("Check again", QDialogButtonBox.ButtonRole.ActionRole)
        self.again.setToolTip("Listen for another five seconds")
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.again.clicked.connect(self.start)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)

        self._capture: CaptureStream | None = None
        self._check: MicCheck | None = None
        self._scratch = np.zeros((DRAIN_FRAMES, 1), dtype=np.float32)
        self._last_tick = 0.0
        self._closed = False
        self.running = False
        self._timer = QTimer(self)
        self._timer.setInterval(1000 // DISPLAY_HZ)
        self._timer.timeout.connect(self._drain)

    # -- the steps --------------------------------------------------------------------------------

    def start(self) -> None:
        if self.running:
            return
        self.running = True
        self.again.setEnabled(False)
        self.verdict.setText("")
        self.advice.setText("")
        self.progress.setValue(0)
        self.status.setText("Opening the microphone…")
        spawn(self._listen(), self._failed)

    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            capture = await loop.run_in_executor(None, self.open_capture)
        except (DeviceError, OSError) as exc:
            self._no_microphone(str(exc))
            return
        if self._closed:
            await loop.run_in_executor(None, capture.close)
            return
        self._capture = capture
        self._check = MicCheck(capture.sample_rate_hz, self.check_s)
        self.status.setText(f"Listening to “{capture.device_name}” — talk now.")
        self._last_tick = time.monotonic()
        self._timer.start()

    def _drain(self) -> None:
        """Runs on: the Qt main thread at display rate. Copy what the ring holds; meter it."""
        capture, check = self._capture, self._check
        if capture is None or check is None:
            return
        now = time.monotonic()
        elapsed_s, self._last_tick = now - self._last_tick, now
        got = capture.read_into(self._scratch)
        if got:
            block = self._scratch[:got, 0]
            check.feed(block)
            rms_db = gain_to_db(float(np.sqrt(block_mean_square(block))))
            self.meter.step(rms_db, gain_to_db(block_peak(block)), elapsed_s)
        else:
            self.meter.step(FLOOR_DB, FLOOR_DB, elapsed_s)
        self.progress.setValue(round(check.progress * 100))
        error = capture.check()
        if error is not None:
            self._timer.stop()
            self._capture = None
            spawn(self._close_stream(capture))
            self._no_microphone(str(error))
            return
        if check.done:
            self._timer.stop()
            self._capture = None
            spawn(self._judge(capture, check), self._failed)

    async def _judge(self, capture: CaptureStream, check: MicCheck) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, capture.close)
        heard = check.heard().copy()
        result = await loop.run_in_executor(None, check.result)
        self._show(result)
        if self._closed:
            return
        self.status.setText("Playing back what the microphone heard…")
        try:
            playback = await loop.run_in_executor(None, self.open_playback)
        except (DeviceError, OSError) as exc:
            self._finish(f"Could not play it back: {exc}")
            return
        try:
            await loop.run_in_executor(None, playback.write_all, heard)
            while playback.queued_frames > 0 and not self._closed:
                await asyncio.sleep(0.05)
        finally:
            await loop.run_in_executor(None, playback.close)
        seconds = heard.shape[0] / capture.sample_rate_hz
        self._finish(f"Played back {seconds:.1f} s. Check again after any change.")

    def _show(self, result: MicCheckResult) -> None:
        good = result.verdict is MicVerdict.GOOD
        self.verdict.setText(
            ("Your microphone sounds good" if good else "Your microphone needs attention")
            + f" — speech {result.speech_level_db:.0f} dBFS, noise "
            f"{result.noise_floor_db:.0f} dBFS"
        )
        self.advice.setText("\n".join(result.advice))

    def _no_microphone(self, reason: str) -> None:
        self.verdict.setText("No microphone to check")
        self.advice.setText(NO_MICROPHONE_NEXT)
        self._finish(reason)

    def _finish(self, text: str) -> None:
        self.status.setText(text)
        self.running = False
        self.again.setEnabled(True)

    def _failed(self, error: BaseException) -> None:
        self._finish(f"The check stopped: {error}")

    async def _close_stream(self, stream: CaptureStream) -> None:
        await asyncio.get_running_loop().run_in_executor(None, stream.close)

    # -- closing ----------------------------------------------------------------------------------

    def reject(self) -> None:  # Close, Escape, or the window's close button
        """Stop listening (the microphone is released) and any playback, then hide."""
        self._closed = True
        self._timer.stop()
        if self._capture is not None:
            capture, self._capture = self._capture, None
            spawn(self._close_stream(capture))
        self.running = False
        self.again.setEnabled(True)
        super().reject()

    def showEvent(self, event: QShowEvent) -> None:
        self._closed = False
        super().showEvent(event)
