"""From a client frame to a room change and a reply, with nothing in between.

`handle_command_frame` is the path every room command takes on the relay:
decode strictly, run the rules, apply the events. A frame that does not
decode, or a command the rules refuse, leaves the room exactly as it was
(the same object) and yields an error reply.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.room import Rejected, Room, apply_all, decide

from .envelope import RequestId
from .errors import ErrorCode, ProtocolError
from .messages import SESSION_TYPES, decode_request
from .replies import encode_error, encode_ok, encode_protocol_error, encode_rejected


@dataclass(frozen=True, slots=True)
class Outcome:
    room: Room
    events: tuple[object, ...]
    reply: str


def execute(room: Room, actor: str, request_id: RequestId, command: object, now: float) -> Outcome:
    verdict = decide(room, actor, command, now)  # type: ignore[arg-type]
    if isinstance(verdict, Rejected):
        return Outcome(room, (), encode_rejected(request_id, verdict))
    events = tuple(verdict)
    return Outcome(apply_all(room, events), events, encode_ok(request_id, {"events": len(events)}))


def handle_command_frame(room: Room, actor: str, frame: str | bytes, now: float) -> Outcome:
    try:
        request = decode_request(frame)
    except ProtocolError as error:
        return Outcome(room, (), encode_protocol_error(error))
    if request.type in SESSION_TYPES:
        return Outcome(
            room,
            (),
            encode_error(
                request.id, ErrorCode.UNKNOWN_TYPE.value, f"{request.type!r} is not a room command"
            ),
        )
    return execute(room, actor, request.id, request.message, now)
