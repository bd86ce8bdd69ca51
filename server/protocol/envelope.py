"""The JSON envelope every WebSocket frame travels in (DESIGN §4).

    {"v": 1, "type": "...", "id": "..." | 123 | null, "body": {...}}

Decoding is strict: one JSON object, the four known keys only, version 1, a
short id, an object body, a bounded size. Anything else raises ProtocolError
with a code; nothing else is ever raised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .errors import ErrorCode, ProtocolError

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 64 * 1024
MAX_ID_CHARS = 64
MAX_DEPTH = 16
_ENVELOPE_KEYS = frozenset({"v", "type", "id", "body"})

RequestId = str | int | None


@dataclass(frozen=True, slots=True)
class Envelope:
    type: str
    id: RequestId = None
    body: dict[str, Any] = field(default_factory=dict)


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _depth(value: object, limit: int) -> int:
    """Nesting depth, stopping once it passes `limit` (deep input is hostile)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    deepest = 0
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def _valid_id(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0 <= value <= 2**53
    if isinstance(value, str):
        return 0 < len(value) <= MAX_ID_CHARS and value.isprintable()
    return False


def decode_envelope(frame: str | bytes, max_bytes: int = MAX_FRAME_BYTES) -> Envelope:
    if isinstance(frame, bytes):
        raise ProtocolError(ErrorCode.BINARY_FRAME, "send JSON text frames, not binary ones")
    if len(frame) > max_bytes or len(frame.encode("utf-8", "surrogatepass")) > max_bytes:
        raise ProtocolError(ErrorCode.FRAME_TOO_LARGE, f"frames are limited to {max_bytes} bytes")
    try:
        data = json.loads(frame, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(ErrorCode.MALFORMED_JSON, f"not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.NOT_AN_OBJECT, "a frame is one JSON object")
    request_id = data.get("id")
    known_id = request_id if _valid_id(request_id) else None
    if _depth(data, MAX_DEPTH) > MAX_DEPTH:
        raise ProtocolError(ErrorCode.INVALID_FIELD, "the frame is nested too deeply", known_id)
    unknown = sorted(set(data) - _ENVELOPE_KEYS)
    if unknown:
        raise ProtocolError(
            ErrorCode.UNKNOWN_FIELD, f"unknown envelope key {unknown[0]!r}", known_id
        )
    if data.get("v") != PROTOCOL_VERSION or isinstance(data.get("v"), bool):
        raise ProtocolError(
            ErrorCode.UNSUPPORTED_VERSION,
            f"this relay speaks protocol version {PROTOCOL_VERSION}",
            known_id,
        )
    if not _valid_id(request_id):
        raise ProtocolError(
            ErrorCode.INVALID_ID,
            f"id must be null, a whole number, or text of at most {MAX_ID_CHARS} characters",
        )
    kind = data.get("type")
    if not isinstance(kind, str) or not kind:
        raise ProtocolError(ErrorCode.MISSING_FIELD, "the frame needs a type", known_id)
    body = data.get("body", {})
    if not isinstance(body, dict):
        raise ProtocolError(ErrorCode.INVALID_FIELD, "body must be a JSON object", known_id)
    return Envelope(type=kind, id=request_id, body=body)


def encode_envelope(kind: str, body: dict[str, Any], request_id: RequestId = None) -> str:
    return json.dumps(
        {"v": PROTOCOL_VERSION, "type": kind, "id": request_id, "body": body},
        ensure_ascii=False,
        allow_nan=False,
        separators=(",", ":"),
    )
