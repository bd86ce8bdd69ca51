"""What a client may send: session messages and the room's commands.

Session messages run the connection (who I am, media negotiation, keepalive);
room commands are `server.room`'s commands, by their wire names. Both decode
through the room codec, so a body is checked field by field against the
dataclass it names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.room import COMMAND_TYPES
from server.room.codec import CodecError, decode_dataclass

from .envelope import Envelope, RequestId, decode_envelope
from .errors import ErrorCode, ProtocolError

MAX_SDP_CHARS = 48 * 1024


@dataclass(frozen=True, slots=True)
class Hello:
    """First frame on a connection: the room, who is asking, and which role token.

    `client_id`/`client_secret` are the browser's or bot's stable identity;
    `token` is a host or co-host token; `resume_after_seq` asks for every event
    after that sequence number instead of a fresh snapshot.
    """

    room_id: str
    client_id: str
    client_secret: str
    display_name: str
    token: str | None = None
    ticket_code: str | None = None
    resume_after_seq: int | None = None


@dataclass(frozen=True, slots=True)
class Offer:
    """A WebRTC offer (full SDP, candidates included); the reply carries the answer."""

    sdp: str


@dataclass(frozen=True, slots=True)
class Ping:
    pass


@dataclass(frozen=True, slots=True)
class RotateHostLink:
    """Host only: replace the host link; the reply carries the new `token` and `url`, and the
    old link stops working at once."""


SESSION_TYPES: dict[str, type] = {
    "hello": Hello,
    "offer": Offer,
    "ping": Ping,
    "rotate_host_link": RotateHostLink,
}
_clash = set(SESSION_TYPES) & set(COMMAND_TYPES)
assert not _clash, f"session and room message names clash: {_clash}"


@dataclass(frozen=True, slots=True)
class Request:
    """A decoded client frame: its id (echoed in the reply) and its message."""

    id: RequestId
    message: Any
    type: str


def decode_body(envelope: Envelope) -> Request:
    cls = SESSION_TYPES.get(envelope.type) or COMMAND_TYPES.get(envelope.type)
    if cls is None:
        raise ProtocolError(
            ErrorCode.UNKNOWN_TYPE, f"unknown message type {envelope.type!r}", envelope.id
        )
    try:
        message: object = decode_dataclass(cls, envelope.body)
    except CodecError as exc:
        code = {
            "unknown field": ErrorCode.UNKNOWN_FIELD,
            "missing field": ErrorCode.MISSING_FIELD,
        }.get(exc.message, ErrorCode.INVALID_FIELD)
        raise ProtocolError(code, str(exc), envelope.id) from None
    except (TypeError, ValueError) as exc:  # a dataclass's own __post_init__ check
        raise ProtocolError(ErrorCode.INVALID_FIELD, str(exc), envelope.id) from None
    if isinstance(message, Offer) and len(message.sdp) > MAX_SDP_CHARS:
        raise ProtocolError(ErrorCode.INVALID_FIELD, "sdp is too long", envelope.id)
    return Request(id=envelope.id, message=message, type=envelope.type)


def decode_request(frame: str | bytes) -> Request:
    """Decode one client frame, or raise ProtocolError (and nothing else)."""
    return decode_body(decode_envelope(frame))
