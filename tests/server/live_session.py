"""The relay's live command path without a socket: real Sessions on a real Hub over a real
SQLite store, fed frames the way a WebSocket would (`hello_frame`, then `handle_frame`).

The sessions' outgoing frames stay in their queue (no writer runs), so a test reads exactly
what the relay would have sent.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from server.config import RelayConfig
from server.hub import Hub
from server.room import Room, RoomCard
from server.session import Session
from server.store import Store

HOST = "host-1"
PEOPLE = ("spk", "lis", "asker")
SECRET = "s" * 16


def frame(kind: str, body: object = None, request_id: object = 1, **extra: object) -> str:
    data = {"v": 1, "type": kind, "id": request_id, "body": {} if body is None else body}
    data.update(extra)
    return json.dumps(data)


class LiveRelay:
    """A hub and its store in `data_dir`, driven on a private event loop."""

    def __init__(self, data_dir: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.config = RelayConfig(data_dir=data_dir, commands_per_s=1e6, command_burst=10**6)
        self.store = Store.open(data_dir)
        self.hub = Hub(self.store, resume_grace_s=3600, abandon_after_s=3600)

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        self.run(self.hub.close())
        self.store.close()
        self.loop.close()

    def session(self, room_id: str, client_id: str, name: str, token: str | None = None) -> Session:
        session = Session(None, self.hub, self.config)  # type: ignore[arg-type]
        hello = {"room_id": room_id, "client_id": client_id, "client_secret": SECRET,
                 "display_name": name, "token": token}  # fmt: skip

        async def say_hello() -> bool:
            return session.hello_frame(frame("hello", hello, "hello"))

        assert self.run(say_hello()), list(session._out)
        session._out.clear()
        return session

    def send(self, session: Session, raw: str | bytes) -> dict[str, Any]:
        """Feed one frame; returns the reply (the last frame the session was handed)."""
        session._out.clear()
        self.run(session.handle_frame(raw))
        replies = [json.loads(f) for f in session._out if isinstance(f, str)]
        replies = [r for r in replies if r["type"] in ("ok", "error")]
        assert len(replies) == 1, replies
        return replies[0]

    def live_room(self) -> tuple[str, dict[str, Session]]:
        """A live room like tests/server/roomkit.live_room: the host, a speaker ("spk", unmuted),
        a listener ("lis") and a waiting request ("asker"), each on a session."""
        self.hub.check_identity(HOST, SECRET)
        created = self.hub.create_room(host_id=HOST, host_name="Hana Host", card=CARD)
        room_id = created.room.room_id
        sessions = {HOST: self.session(room_id, HOST, "Hana Host", created.host_token)}
        for user_id in PEOPLE:
            sessions[user_id] = self.session(room_id, user_id, user_id.title())
        for who, kind, body in [
            ("spk", "request_to_speak", {}),
            (HOST, "approve_request", {"user_id": "spk"}),
            ("spk", "unmute", {}),
            ("asker", "request_to_speak", {}),
        ]:
            assert self.send(sessions[who], frame(kind, body))["type"] == "ok"
        return room_id, sessions

    def room(self, room_id: str) -> Room:
        room = self.hub.room(room_id)
        assert room is not None
        return room


CARD = RoomCard("Evening talk", "about sound", ("audio",))
