"""Open the console's main window on a room of a real relay, the host's mic a tone (a seam)."""

from __future__ import annotations

from dataclasses import dataclass

from console.client import JoinLink
from console.host_session import HostSession
from console.identity import Identity
from console.rooms_api import HostedRoom, RelayApi
from console.tracks import ToneTrack
from ui.header import ShareLinks
from ui.main_window import MainWindow
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


async def open_console(base_url: str, title: str = "Evening talk", **room: object) -> Console:
    identity = Identity.new()
    hosted, _card = await RelayApi(base_url).create_room(identity, "Hana Host", title, **room)  # type: ignore[arg-type]
    session = HostSession(
        JoinLink.parse(hosted.host_url), identity, "Hana Host", mic=ToneTrack(440, -18.0)
    )
    await session.start()
    controller = RoomController(session)
    token = hosted.host_url.split("#token=", 1)[1]
    window = MainWindow(controller, ShareLinks(hosted.join_url, token))
    window.show()
    return Console(hosted, session, controller, window)
