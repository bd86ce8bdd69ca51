"""The wire protocol between the relay and its clients (DESIGN §4)."""

from .envelope import (
    MAX_FRAME_BYTES,
    PROTOCOL_VERSION,
    Envelope,
    RequestId,
    decode_envelope,
    encode_envelope,
)
from .ephemeral import (
    EPHEMERAL_TYPES,
    Ephemeral,
    Levels,
    MediaRestart,
    RecordingFailed,
    SourceLevel,
    Speaking,
    decode_ephemeral,
    encode_ephemeral,
)
from .errors import ErrorCode, ProtocolError
from .messages import SESSION_TYPES, Hello, Offer, Ping, Request, decode_body, decode_request
from .replies import (
    encode_error,
    encode_event,
    encode_ok,
    encode_protocol_error,
    encode_rejected,
    encode_snapshot,
    event_body,
)

__all__ = [
    "EPHEMERAL_TYPES",
    "MAX_FRAME_BYTES",
    "PROTOCOL_VERSION",
    "SESSION_TYPES",
    "Envelope",
    "Ephemeral",
    "ErrorCode",
    "Hello",
    "Levels",
    "MediaRestart",
    "Offer",
    "Ping",
    "ProtocolError",
    "RecordingFailed",
    "Request",
    "RequestId",
    "SourceLevel",
    "Speaking",
    "decode_body",
    "decode_envelope",
    "decode_ephemeral",
    "decode_request",
    "encode_envelope",
    "encode_ephemeral",
    "encode_error",
    "encode_event",
    "encode_ok",
    "encode_protocol_error",
    "encode_rejected",
    "encode_snapshot",
    "event_body",
]
