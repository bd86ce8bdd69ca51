"""Value objects the relay and its room media exchange: stage state, levels, counters, errors."""

from __future__ import annotations

from dataclasses import dataclass, field


class MediaError(Exception):
    """A request the media layer refused, with a message a person can act on.

    Raised for a bad offer (garbage SDP, no audio, no Opus, missing ICE or DTLS
    parameters) before anything in the room changes.
    """


class ListenOverHls(MediaError):
    """A listener's WebRTC offer refused because the room's WebRTC seats are taken or the host
    turned on broadcast mode: their page plays the room over HLS instead."""


@dataclass(frozen=True, slots=True)
class StageState:
    """How one person on stage is treated by the mixer.

    `muted`: contributes nothing to any mix (enforced here, whatever their browser sends).
    `recordable`: carried for the recorder (a speaker whose consent is pending or declined is
    left out of recorded tracks, never out of the live mix).
    """

    muted: bool = False
    recordable: bool = True


@dataclass(frozen=True, slots=True)
class StampedConsent:
    """One line of a take's consent ledger as the control process hands it to the media side:
    the room's `ConsentEntry` (who, wall-clock `at`, `consent`) plus `at_s`, the instant the
    relay accepted the answer on CLOCK_MONOTONIC (perf_counter, shared by every process on the
    machine), which the recorder compares with when each block of audio was captured."""

    user_id: str
    at: float
    consent: object  # server.room.Consent
    at_s: float

    @property
    def granted(self) -> bool:
        return str(getattr(self.consent, "value", self.consent)) == "granted"


@dataclass(frozen=True, slots=True)
class LevelSample:
    """One stage member's level over the last report period (about 40 ms), in dBFS.

    Raw block figures: meter ballistics are the viewer's job. A muted member reads the floor
    (-120 dB) and never speaking, so a mute cannot leak whether someone talks.
    """

    peak_db: float
    rms_db: float
    speaking: bool


@dataclass(frozen=True, slots=True)
class PeerStats:
    """Counters for one participant's connection."""

    ready: bool
    """True once ICE and DTLS are up and the relay is sending to them."""
    packets_sent: int
    packets_dropped: int
    """Packets this peer lost at the relay because its send buffer was full."""
    ingress_packets: int
    ingress_lost: int
    """Speaker packets that never arrived (gaps in sequence numbers)."""
    ingress_dropped: int
    """Speaker packets dropped to keep their buffer short (late, overflow or latency trim)."""
    ingress_underruns: int
    """Ticks where a sending speaker's packet had not arrived in time (concealed or silent)."""
    ingress_fec_ticks: int = 0
    """Lost speaker frames rebuilt from the next packet's in-band FEC."""
    ingress_plc_ticks: int = 0
    """Lost or late speaker frames concealed by libopus PLC."""
    ingress_silent_gap_ticks: int = 0
    """Ticks left silent while the speaker was sending (concealment capped at 100 ms)."""

    @property
    def ingress_concealed_ticks(self) -> int:
        return self.ingress_fec_ticks + self.ingress_plc_ticks


@dataclass(frozen=True, slots=True)
class MediaStats:
    """Counters for one room's media, read at any time (cheap; no I/O)."""

    listeners: int
    """Peers the relay is sending to (stage members included), ready ones only."""
    speakers: int
    """Stage members with a live inbound audio track."""
    ticks: int
    late_ticks: int
    """Ticks that started more than 5 ms after their deadline."""
    skipped_ticks: int
    """Ticks given up because the clock fell more than 3 frames behind."""
    tick_lag_ms_p50: float
    tick_lag_ms_p99: float
    tick_lag_ms_max: float
    packets_sent: int
    packets_dropped: int
    encodes: int
    """Opus encodes so far (one per tick for the audience plus one per talking speaker)."""
    relay_latency_ms_p50: float
    """Speaker packet read by the relay -> the mix carrying it sent, mid-listener, p50."""
    relay_latency_ms_p95: float
    peers: dict[str, PeerStats] = field(default_factory=dict)
    hop_latency_ms_p50: float = 0.0
    """In a worker carrying listeners of a room mixed elsewhere: the mix encoded in the home
    worker -> sent here, mid-listener (the cost of crossing between workers), p50."""
    hop_latency_ms_p95: float = 0.0

    @property
    def drops(self) -> dict[str, int]:
        """Packets lost at the relay, per peer (only peers that lost any)."""
        return {user: p.packets_dropped for user, p in self.peers.items() if p.packets_dropped}
