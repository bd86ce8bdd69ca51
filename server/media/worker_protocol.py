"""The messages between the relay's control process and its media workers, and their framing.

The control process (rules, sessions, store) never touches audio; each media worker
(`server/media/worker.py`) runs peers, mixers, fan-out and recorders. They talk over one
stream socket per worker with the small, typed messages below: commands go down (offers,
stage, recording), reports come up (answers, levels, speaking, failures). Every frame is a
4-byte big-endian length and a pickled message. Both ends are our own processes on a
socketpair the control process made, but the unpickler still admits only this module's
messages and the plain values they carry, so a confused peer cannot run anything.

Audience packets between workers (a room's mix, once per tick, to each other worker that
has listeners of that room) use `AudienceFrame`: a fixed header and the Opus payload, with
no pickling on the 20 ms path.
"""

from __future__ import annotations

import io
import pickle
import struct
from dataclasses import dataclass, field
from typing import Any

from server.media.values import LevelSample, MediaStats, PeerStats, StageState, StampedConsent

MAX_MESSAGE_BYTES = 1 << 20
_LENGTH = struct.Struct("!I")

# -- control -> worker --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HostRoom:
    """Run this room's mixer here. `tick_origin_s` (CLOCK_MONOTONIC, shared by every process on
    the machine) numbers the ticks, so a mixer restarted in another worker continues the same
    RTP timeline for listeners who never noticed."""

    room_id: str
    tick_origin_s: float
    hls_folder: str | None = None
    """Where this room's LL-HLS stream goes (None: no HLS). A folder already holding one (the
    room's previous home died) is continued."""


@dataclass(frozen=True, slots=True)
class Connect:
    call_id: int
    room_id: str
    user_id: str
    offer_sdp: str
    send_allowed: bool


@dataclass(frozen=True, slots=True)
class Disconnect:
    room_id: str
    user_id: str


@dataclass(frozen=True, slots=True)
class SetStage:
    """The stage as the room rules last decided it. `at_s`: when the control process sent it
    (perf_counter, CLOCK_MONOTONIC: machine-wide); the recorder gates each block of audio by
    comparing when it was captured with it. None: when the worker reads it."""

    room_id: str
    stage: dict[str, StageState]
    at_s: float | None = None


@dataclass(frozen=True, slots=True)
class SetForward:
    """Where the room's mixer sends each tick's audience packet: the other workers (by index)
    that carry listeners of the room."""

    room_id: str
    workers: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CloseRoom:
    room_id: str


@dataclass(frozen=True, slots=True)
class StartRecording:
    room_id: str
    folder: str
    room_title: str
    consent_mode: str = "per_speaker"


@dataclass(frozen=True, slots=True)
class DescribeRecording:
    """Names of the people on stage and the consent ledger: server.room ConsentEntry values, or
    StampedConsent (the same plus the instant each answer was accepted, on CLOCK_MONOTONIC)."""

    room_id: str
    participants: dict[str, str]
    ledger: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class AddMarker:
    room_id: str
    label: str
    actor: str


@dataclass(frozen=True, slots=True)
class StrikeRecording:
    """Strike the last `seconds` of `user_id`'s voice from the running take (StruckFromRecord)."""

    room_id: str
    user_id: str
    seconds: float
    by: str
    span: str
    at: float


@dataclass(frozen=True, slots=True)
class StopRecording:
    room_id: str


@dataclass(frozen=True, slots=True)
class StatsRequest:
    call_id: int
    restart_windows: bool = False
    """Start the percentile windows (tick lag, latency) afresh after this reading."""


# -- worker -> control --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkerReady:
    index: int
    pid: int


@dataclass(frozen=True, slots=True)
class Answered:
    call_id: int
    sdp: str


@dataclass(frozen=True, slots=True)
class Refused:
    call_id: int
    message: str


@dataclass(frozen=True, slots=True)
class Levels:
    room_id: str
    levels: dict[str, LevelSample]


@dataclass(frozen=True, slots=True)
class SpeakingChanged:
    room_id: str
    user_id: str
    speaking: bool


@dataclass(frozen=True, slots=True)
class RecordingFailed:
    room_id: str
    message: str


@dataclass(frozen=True, slots=True)
class PeerLost:
    """A participant's connection failed (ICE or DTLS gave up) in this worker."""

    room_id: str
    user_id: str


@dataclass(frozen=True, slots=True)
class HlsProgress:
    """The room's HLS stream has part `part` of segment `msn` on disk, and every segment up to
    `complete_msn`; `ended`: the playlist is final (EXT-X-ENDLIST)."""

    room_id: str
    msn: int
    part: int
    complete_msn: int
    ended: bool = False


@dataclass(frozen=True, slots=True)
class WorkerStats:
    call_id: int
    index: int
    rooms: dict[str, MediaStats] = field(default_factory=dict)
    audience_frames_in: int = 0
    audience_frames_out: int = 0
    audience_frames_dropped: int = 0
    cpu_s: float = 0.0


MESSAGE_TYPES: tuple[type, ...] = (
    HostRoom,
    Connect,
    Disconnect,
    SetStage,
    SetForward,
    CloseRoom,
    StartRecording,
    DescribeRecording,
    AddMarker,
    StrikeRecording,
    StopRecording,
    StatsRequest,
    WorkerReady,
    Answered,
    Refused,
    Levels,
    SpeakingChanged,
    RecordingFailed,
    PeerLost,
    HlsProgress,
    WorkerStats,
)

# What a frame may contain besides the messages: the values they carry.
_ALLOWED: dict[tuple[str, str], type] = {
    (t.__module__, t.__qualname__): t
    for t in (*MESSAGE_TYPES, StageState, LevelSample, MediaStats, PeerStats, StampedConsent)
}
_ALLOWED_PREFIX = "server.room."  # ConsentEntry, Consent: the ledger's values


class ProtocolViolation(Exception):
    """A frame that is not one of ours (too long, or naming something we do not send)."""


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        allowed = _ALLOWED.get((module, name))
        if allowed is not None:
            return allowed
        if module.startswith(_ALLOWED_PREFIX) and name[:1].isupper():
            value = super().find_class(module, name)
            if isinstance(value, type):
                return value
        raise ProtocolViolation(f"{module}.{name} is not a media message")


def encode_message(message: object) -> bytes:
    if type(message) not in MESSAGE_TYPES:
        raise TypeError(f"{type(message).__name__} is not a media message")
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    if len(body) > MAX_MESSAGE_BYTES:
        raise ValueError(f"media message too large ({len(body)} bytes)")
    return _LENGTH.pack(len(body)) + body


def decode_message(body: bytes) -> object:
    try:
        message = _Unpickler(io.BytesIO(body)).load()
    except ProtocolViolation:
        raise
    except Exception as exc:
        raise ProtocolViolation(f"unreadable media message ({type(exc).__name__})") from exc
    if type(message) not in MESSAGE_TYPES:
        raise ProtocolViolation(f"{type(message).__name__} is not a media message")
    return message


class FrameReader:
    """Splits a byte stream into frame bodies (length-prefixed)."""

    def __init__(self, max_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self._buffer = bytearray()
        self._max = max_bytes

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        bodies: list[bytes] = []
        start = 0
        while len(self._buffer) - start >= _LENGTH.size:
            (size,) = _LENGTH.unpack_from(self._buffer, start)
            if size > self._max:
                raise ProtocolViolation(f"frame of {size} bytes is over the limit")
            end = start + _LENGTH.size + size
            if end > len(self._buffer):
                break
            bodies.append(bytes(self._buffer[start + _LENGTH.size : end]))
            start = end
        if start:
            del self._buffer[:start]
        return bodies


# -- audience packets between workers ---------------------------------------------------------

# room id length, tick, audio level (-dBov), flags, when the mix was encoded (monotonic s)
_AUDIENCE = struct.Struct("!BQBBd")
_VOICE_FLAG = 0x01
_SILENT_FLAG = 0x02


@dataclass(frozen=True, slots=True)
class AudienceFrame:
    room_id: str
    tick: int
    level: int
    voice: bool
    mixed_at_s: float
    """CLOCK_MONOTONIC (shared by the machine's processes) when the home encoded the mix."""
    payload: bytes
    silent: bool = False
    """The mix has been digital silence for a while: DTX peers are sent nothing."""


def encode_audience(
    room_id: bytes,
    tick: int,
    level: int,
    voice: bool,
    mixed_at_s: float,
    payload: bytes,
    silent: bool = False,
) -> bytes:
    """One tick of a room's audience mix for another worker (a length-prefixed frame)."""
    body_size = _AUDIENCE.size + len(room_id) + len(payload)
    return b"".join(
        (
            _LENGTH.pack(body_size),
            _AUDIENCE.pack(
                len(room_id),
                tick,
                level,
                (_VOICE_FLAG if voice else 0) | (_SILENT_FLAG if silent else 0),
                mixed_at_s,
            ),
            room_id,
            payload,
        )
    )


def decode_audience(body: bytes) -> AudienceFrame:
    if len(body) < _AUDIENCE.size:
        raise ProtocolViolation("audience frame too short")
    id_length, tick, level, flags, mixed_at_s = _AUDIENCE.unpack_from(body, 0)
    start = _AUDIENCE.size
    room_id = body[start : start + id_length].decode("utf-8", "replace")
    return AudienceFrame(
        room_id,
        tick,
        level,
        bool(flags & _VOICE_FLAG),
        mixed_at_s,
        body[start + id_length :],
        bool(flags & _SILENT_FLAG),
    )
