"""The wire protocol between the relay and its clients (DESIGN §4)."""

from .dispatch import Outcome, execute, handle_command_frame
from .envelope import (
    MAX_FRAME_BYTES,
    PROTOCOL_VERSION,
    Envelope,
    RequestId,
    decode_envelope,
    encode_envelope,
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
    "MAX_FRAME_BYTES",
    "PROTOCOL_VERSION",
    "SESSION_TYPES",
    "Envelope",
    "ErrorCode",
    "Hello",
    "Offer",
    "Outcome",
    "Ping",
    "ProtocolError",
    "Request",
    "RequestId",
    "decode_body",
    "decode_envelope",
    "decode_request",
    "encode_envelope",
    "encode_error",
    "encode_event",
    "encode_ok",
    "encode_protocol_error",
    "encode_rejected",
    "encode_snapshot",
    "event_body",
    "execute",
    "handle_command_frame",
]
