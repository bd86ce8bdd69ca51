"""Machine-readable error codes of the wire protocol."""

from __future__ import annotations

import enum


class ErrorCode(enum.Enum):
    """Why a frame was refused before it reached the room rules.

    A refusal by the rules themselves carries the rule's `Reason` value as
    its code instead (for example `not_allowed` or `stage_full`).
    """

    MALFORMED_JSON = "malformed_json"
    FRAME_TOO_LARGE = "frame_too_large"
    BINARY_FRAME = "binary_frame"
    NOT_AN_OBJECT = "not_an_object"
    UNSUPPORTED_VERSION = "unsupported_version"
    UNKNOWN_TYPE = "unknown_type"
    UNKNOWN_FIELD = "unknown_field"
    MISSING_FIELD = "missing_field"
    INVALID_FIELD = "invalid_field"
    INVALID_ID = "invalid_id"
    RATE_LIMITED = "rate_limited"
    NOT_JOINED = "not_joined"
    INTERNAL = "internal"


class ProtocolError(Exception):
    """A frame that cannot be understood; it changes nothing.

    `request_id` is the frame's id when it could be read, so the reply can
    still be matched to the request.
    """

    def __init__(self, code: ErrorCode, message: str, request_id: str | int | None = None) -> None:
        super().__init__(f"{code.value}: {message}")
        self.code = code
        self.message = message
        self.request_id = request_id
