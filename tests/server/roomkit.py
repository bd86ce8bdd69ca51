"""Rooms in known states for the protocol and store tests, built through the real rules."""

from __future__ import annotations

from server.room import (
    ApproveRequest,
    Join,
    Rejected,
    RequestToSpeak,
    Room,
    RoomCard,
    Unmute,
    apply_all,
    decide,
    new_room,
)

T0 = 1_800_000_000.0
HOST = "host-1"


def run(room: Room, actor: str, command: object, now: float = T0) -> Room:
    verdict = decide(room, actor, command, now)  # type: ignore[arg-type]
    assert not isinstance(verdict, Rejected), verdict
    return apply_all(room, verdict)


def live_room(room_id: str = "r1", host: str = HOST) -> Room:
    """A live room with its host, a speaker ("spk"), a listener ("lis") and a request ("asker")."""
    made = new_room(
        room_id, host, "Hana Host", RoomCard("Evening talk", "about sound", ("audio",)), T0
    )
    assert isinstance(made, Room), made
    room = run(made, host, Join("Hana Host"))
    for uid, name in (("spk", "Sam Speaker"), ("lis", "Lee Listener"), ("asker", "Ash Asker")):
        room = run(room, uid, Join(name), T0 + 1)
    room = run(room, "spk", RequestToSpeak(), T0 + 2)
    room = run(room, host, ApproveRequest("spk"), T0 + 3)
    room = run(room, "spk", Unmute(), T0 + 3)  # approved speakers come on stage muted
    room = run(room, "asker", RequestToSpeak(), T0 + 4)
    return room
