"""What the relay sends: replies, sequenced events and snapshots."""

from __future__ import annotations

from typing import Any

from server.room import EVENT_TYPES, Rejected
from server.room.codec import to_plain

from .envelope import RequestId, encode_envelope
from .errors import ErrorCode, ProtocolError

EVENT_NAMES: dict[type, str] = {cls: name for name, cls in EVENT_TYPES.items()}


def encode_ok(request_id: RequestId, body: dict[str, Any] | None = None) -> str:
    return encode_envelope("ok", body or {}, request_id)


def encode_error(
    request_id: RequestId, code: str, message: str, extra: dict[str, Any] | None = None
) -> str:
    """An error reply; `extra` adds fields (`rate_limited` carries `retry_after_s`)."""
    body: dict[str, Any] = {"code": code, "message": message}
    body.update(extra or {})
    return encode_envelope("error", body, request_id)


def encode_protocol_error(error: ProtocolError) -> str:
    return encode_error(error.request_id, error.code.value, error.message)


def encode_rejected(request_id: RequestId, rejected: Rejected) -> str:
    message = rejected.detail or rejected.reason.value.replace("_", " ")
    return encode_error(request_id, rejected.reason.value, message)


def event_body(seq: int, event: object) -> dict[str, Any]:
    name = EVENT_NAMES.get(type(event))
    if name is None:
        raise ProtocolError(ErrorCode.INTERNAL, f"{type(event).__name__} is not a room event")
    return {"seq": seq, "kind": name, "event": to_plain(event)}


def encode_event(seq: int, event: object) -> str:
    return encode_envelope("event", event_body(seq, event))


def encode_snapshot(seq: int, room: object, you: str, extra: dict[str, Any] | None = None) -> str:
    body: dict[str, Any] = {"seq": seq, "you": you, "room": to_plain(room)}
    body.update(extra or {})
    return encode_envelope("snapshot", body)
