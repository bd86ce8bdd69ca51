"""Open the console's main window on a room of a real relay, the host's mic a tone (a seam)."""

from __future__ import annotations

from dataclasses import dataclass

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
    relay: RelaySupervisor | RelayConfig, title: str = "Evening talk", **room: object
) -> Console:
    identity = Identity.new()
    hosted, _card = await relay_api(relay).create_room(identity, "Hana Host", title, **room)  # type: ignore[arg-type]
    session = HostSession(
        JoinLink.parse(hosted.host_url), identity, "Hana Host", mic=ToneTrack(440, -18.0)
    )
    await session.start()
    controller = RoomController(session)
    token = hosted.host_url.split("#token=", 1)[1]
    window = MainWindow(controller, ShareLinks(hosted.join_url, token))
    window.show()
    return Console(hosted, session, controller, window)
