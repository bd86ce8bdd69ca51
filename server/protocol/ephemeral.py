"""Frames outside the event log: levels, speaking flags, a recording that failed.

They are not sequenced (a client that reconnects does not get them again) and
a connection that is behind may skip them. Each has a typed body like every
other frame; `decode_ephemeral` checks a body against its type, so the media
side cannot put an ad-hoc dict on the wire.

    levels            {"levels": {user_id: {"peak_db", "rms_db", "speaking"}}}  moderators, 20–25 Hz
    speaking          {"user_id", "speaking"}                                   everyone, on a flip
    recording_failed  {"message"}                                               everyone
    media_restart     {"message"}                the people whose audio worker restarted
    hls_reactions     {"counts": {emoji: n}}     everyone, at most once a second: reactions
                                                 from listeners on HLS (no WebSocket), summed
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from server.room.codec import CodecError, decode_dataclass, to_plain

from .envelope import encode_envelope
from .errors import ErrorCode, ProtocolError


@dataclass(frozen=True, slots=True)
class SourceLevel:
    """One person's level in dBFS (peak and RMS over the last tick) and their speaking flag."""

    peak_db: float
    rms_db: float
    speaking: bool


@dataclass(frozen=True, slots=True)
class Levels:
    wire_name: ClassVar[str] = "levels"
    levels: dict[str, SourceLevel]


@dataclass(frozen=True, slots=True)
class Speaking:
    wire_name: ClassVar[str] = "speaking"
    user_id: str
    speaking: bool


@dataclass(frozen=True, slots=True)
class RecordingFailed:
    """The recorder stopped (a full disk, say); the message says what to do."""

    wire_name: ClassVar[str] = "recording_failed"
    message: str


@dataclass(frozen=True, slots=True)
class MediaRestart:
    """The media worker carrying this person's connection restarted: offer audio again."""

    wire_name: ClassVar[str] = "media_restart"
    message: str


@dataclass(frozen=True, slots=True)
class HlsReactions:
    """Reactions sent by HLS listeners (POST /hls/<room>/reactions) in the last second."""

    wire_name: ClassVar[str] = "hls_reactions"
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class HlsListeners:
    """Listeners who hear the room over HLS and are not joined (no WebSocket): add `extra` to
    the room's listeners; `estimated` when they are counted from a sample (say "about")."""

    wire_name: ClassVar[str] = "hls_listeners"
    extra: int
    estimated: bool


Ephemeral = Levels | Speaking | RecordingFailed | MediaRestart | HlsReactions | HlsListeners
EPHEMERAL_TYPES: dict[str, type[Ephemeral]] = {
    cls.wire_name: cls
    for cls in (Levels, Speaking, RecordingFailed, MediaRestart, HlsReactions, HlsListeners)
}


def decode_ephemeral(kind: str, body: dict[str, Any]) -> Ephemeral:
    """The typed frame for `kind` and `body`, or ProtocolError (unknown kind, wrong fields)."""
    cls = EPHEMERAL_TYPES.get(kind)
    if cls is None:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"{kind!r} is not an ephemeral frame")
    try:
        message: Ephemeral = decode_dataclass(cls, body)
    except CodecError as exc:
        raise ProtocolError(ErrorCode.INVALID_FIELD, str(exc)) from None
    return message


def encode_ephemeral(message: Ephemeral) -> str:
    body = to_plain(message)
    assert isinstance(body, dict)
    return encode_envelope(message.wire_name, body)
