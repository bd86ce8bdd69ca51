"""Open the console's main window on a room of a real relay, the host's mic a tone (a seam);
read what a widget shows on the screen."""

from __future__ import annotations

from dataclasses import dataclass

from aiortc import MediaStreamTrack
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QWidget

from console.client import JoinLink
from console.host_session import HostSession
from console.identity import Identity
from console.rooms_api import HostedRoom, RelayApi
from console.supervisor import RelaySupervisor
from console.tracks import ToneTrack
from server.admin_key import key_path, read_key
from server.config import RelayConfig
from ui.header import ShareLinks
from ui.main_window import MainWindow
from ui.meter import AMBER, GREEN, RED
from ui.room_controller import RoomController


@dataclass
class Console:
    hosted: HostedRoom
    session: HostSession
    controller: RoomController
    window: MainWindow

    async def close(self) -> None:
        self.window.close_now()
        await self.session.close(leave=False)


def relay_api(relay: RelaySupervisor | RelayConfig) -> RelayApi:
    """The console's API client for a relay, holding that relay's key (as the console does)."""
    if isinstance(relay, RelaySupervisor):
        assert relay.base_url is not None
        return RelayApi(relay.base_url, admin_key=relay.admin_key())
    return RelayApi(relay.base_url, admin_key=read_key(key_path(relay.data_dir)))


async def open_console(
    relay: RelaySupervisor | RelayConfig,
    title: str = "Evening talk",
    *,
    mic: MediaStreamTrack | None = None,
    **room: object,
) -> Console:
    """The host's microphone is `mic`, or a steady tone at -18 dBFS."""
    identity = Identity.new()
    hosted, _card = await relay_api(relay).create_room(identity, "Hana Host", title, **room)  # type: ignore[arg-type]
    session = HostSession(
        JoinLink.parse(hosted.host_url),
        identity,
        "Hana Host",
        mic=mic if mic is not None else ToneTrack(440, -18.0),
    )
    await session.start()
    controller = RoomController(session)
    token = hosted.host_url.split("#token=", 1)[1]
    window = MainWindow(controller, ShareLinks(hosted.join_url, token))
    window.show()
    return Console(hosted, session, controller, window)


def on_screen(widget: QWidget) -> QImage:
    """What `widget` shows now: its part of its window's backing store as last painted and
    flushed (not a fresh render, which `QWidget.grab` would be)."""
    window = widget.window()
    screen = window.screen()
    assert screen is not None
    image = screen.grabWindow(window.winId()).toImage()
    return image.copy(QRect(widget.mapTo(window, QPoint(0, 0)), widget.size()))


def bar_pixels(image: QImage, area: QRect) -> int:
    """How many pixels of `area` are painted in a meter bar's colours (green, amber, red)."""
    bar = {QColor(colour).rgb() for colour in (GREEN, AMBER, RED)}
    return sum(
        1
        for y in range(max(0, area.top()), min(image.height(), area.bottom() + 1))
        for x in range(max(0, area.left()), min(image.width(), area.right() + 1))
        if image.pixel(x, y) in bar
    )
