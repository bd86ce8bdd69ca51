"""Level meters: ballistics in seconds, drawn as a calm horizontal bar with a peak tick.

`MeterState` turns raw block figures (the relay's 25 Hz `levels`, or the host's own 50 Hz
microphone readings) into what a meter shows: a VU level (300 ms, IEC 60268-17) and a held
peak, both driven by elapsed seconds, so the look does not change with the display rate.
`paint_meter` draws one into a rectangle; the stage list's delegate and `MeterWidget` share it.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from audio.levels import FLOOR_DB, PeakMeter, VuMeter, db_to_gain

RANGE_DB = 60.0  # the bar spans -60 .. 0 dBFS
GREEN, AMBER, RED = QColor("#32c27d"), QColor("#e8a23a"), QColor("#e0413a")
AMBER_FROM_DB, RED_FROM_DB = -18.0, -6.0


class MeterState:
    """One source's displayed level. `step` once per display tick with the latest reading.

    `vu_db` and `peak_db` are what the meter shows: they follow the ballistics once the bar
    would move by 0.2 dB or more, and always when it reaches either end of its range, so a
    meter that falls silent is shown at the floor, never left a sliver above it.
    """

    __slots__ = ("peak", "peak_db", "vu", "vu_db")

    def __init__(self) -> None:
        self.vu = VuMeter(0.3)
        self.peak = PeakMeter(hold_s=0.8, fall_db_per_s=24.0)
        self.vu_db = FLOOR_DB
        self.peak_db = FLOOR_DB

    def step(self, rms_db: float, peak_db: float, elapsed_s: float) -> bool:
        """Advance by `elapsed_s`; True when the picture changed enough to repaint."""
        vu_db = self.vu.update(db_to_gain(rms_db), elapsed_s)
        held_db = self.peak.update(peak_db, elapsed_s)
        if not (_moved(self.vu_db, vu_db) or _moved(self.peak_db, held_db)):
            return False
        self.vu_db, self.peak_db = vu_db, held_db
        return True

    @property
    def at_rest(self) -> bool:
        """Nothing shows: the bar and the held peak are both at the floor."""
        return self.vu_db <= -RANGE_DB and self.peak_db <= -RANGE_DB


def _clamp(level_db: float) -> float:
    return max(-RANGE_DB, min(0.0, level_db))


def _moved(shown_db: float, level_db: float) -> bool:
    shown, level = _clamp(shown_db), _clamp(level_db)
    if shown == level:
        return False
    return abs(level - shown) >= 0.2 or level in (-RANGE_DB, 0.0)


def audible(level_db: float) -> bool:
    """Whether a meter shows `level_db` at all (above the bottom of its range)."""
    return level_db > -RANGE_DB


def fraction(level_db: float) -> float:
    return (_clamp(level_db) + RANGE_DB) / RANGE_DB


def paint_track(painter: QPainter, rect: QRectF, track: QColor) -> None:
    """A meter's rounded track alone (what shows at the floor, and all a muted meter shows)."""
    painter.save()
    painter.setPen(Qt.PenStyle.NoPen)
    radius = rect.height() / 2
    painter.setBrush(track)
    painter.drawRoundedRect(rect, radius, radius)
    painter.restore()


def bar_colour(vu_db: float) -> QColor:
    return GREEN if vu_db < AMBER_FROM_DB else AMBER if vu_db < RED_FROM_DB else RED


_BARS: dict[tuple[int, int, int, float], QPixmap] = {}


def bar_sprite(colour: QColor, width: float, height: float, dpr: float) -> QPixmap:
    """The VU bar as a pixmap: a rounded, antialiased bar of `width` × `height` (device
    pixels whole), painted once and kept. A meter moving at 25 Hz then costs a blit, not a
    path fill per frame (13 meters: a third of the console's painting)."""
    device_width = max(1, round(width * dpr))
    key = (colour.rgba(), device_width, round(height * dpr), dpr)
    found = _BARS.get(key)
    if found is not None:
        return found
    if len(_BARS) > 2048:  # three colours × a few widths × a few heights: never near this
        _BARS.clear()
    pixmap = QPixmap(device_width, max(1, round(height * dpr)))
    pixmap.setDevicePixelRatio(dpr)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    radius = height / 2
    painter.drawRoundedRect(QRectF(0, 0, device_width / dpr, height), radius, radius)
    painter.end()
    _BARS[key] = pixmap
    return pixmap


def paint_meter(
    painter: QPainter,
    rect: QRectF,
    vu_db: float,
    peak_db: float,
    *,
    muted: bool,
    track: QColor,
    track_drawn: bool = False,
) -> None:
    """A rounded track, the VU bar (green → amber → red by level), a thin held-peak tick.
    `track_drawn`: the track is already under `rect` (a stage row's still pixmap holds it).
    Leaves the painter's pen and brush as they were."""
    if not track_drawn:
        paint_track(painter, rect, track)
    if muted:
        return
    level = fraction(vu_db)
    if level > 0.0:
        width = max(rect.height(), rect.width() * level)
        dpr = painter.device().devicePixelRatioF()
        painter.drawPixmap(rect.topLeft(), bar_sprite(bar_colour(vu_db), width, rect.height(), dpr))
    held = fraction(peak_db)
    if held > 0.0:
        x = rect.left() + rect.width() * held
        painter.fillRect(
            QRectF(min(x, rect.right() - 2), rect.top(), 2, rect.height()),
            RED if peak_db >= RED_FROM_DB else track.lighter(180),
        )


class MeterWidget(QWidget):
    """A stand-alone meter (the host's own strip)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = MeterState()
        self.muted = False
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Microphone level")

    def sizeHint(self) -> QSize:
        return QSize(220, 12)

    def step(self, rms_db: float, peak_db: float, elapsed_s: float) -> bool:
        """Advance the meter; True (and a repaint) when it moved."""
        if self.state.step(rms_db, peak_db, elapsed_s):
            self.update()
            return True
        return False

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        track = self.palette().mid().color()
        track.setAlpha(90)
        paint_meter(
            painter,
            QRectF(self.rect()).adjusted(0, 1, 0, -1),
            self.state.vu_db,
            self.state.peak_db,
            muted=False,
            track=track,
        )
        painter.end()
