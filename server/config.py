"""The relay's settings: where it listens, what it announces, its limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from server.rate_limits import RateLimitPolicy
from server.room import Limits

DEFAULT_PORT = 8470


@dataclass(frozen=True, slots=True)
class RelayConfig:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    # Addresses gathered and announced as ICE candidates (loopback for local use and tests;
    # a LAN or public address when deployed). No STUN unless `stun_urls` names one.
    announce_addresses: tuple[str, ...] = ("127.0.0.1",)
    stun_urls: tuple[str, ...] = ()
    # The base of links the relay hands out (join links); defaults to http://host:port.
    public_url: str | None = None
    limits: Limits = field(default_factory=Limits)
    # How long a dropped participant keeps their place (role, queue position) for a resume.
    resume_grace_s: float = 30.0
    # … and for someone on stage: a speaker's seat survives a 60 s drop (a train tunnel, a
    # Wi-Fi hand-over) with room for the page's backoff to notice the network is back.
    stage_grace_s: float = 90.0
    # How long a new connection may take to say hello.
    hello_timeout_s: float = 10.0
    heartbeat_s: float = 15.0
    # Per-connection command budget: a steady rate and a burst (token bucket).
    commands_per_s: float = 20.0
    command_burst: int = 40
    # Per person and per address, shared by their connections (server/rate_limits.py).
    rate_limits: RateLimitPolicy = field(default_factory=RateLimitPolicy)
    # A resume further behind than this gets a fresh snapshot instead of the missed events.
    max_resume_events: int = 500
    # A connection whose unsent frames pile past this is closed (it resumes later).
    max_pending_frames: int = 2000
    # A live room whose host and co-hosts have all been disconnected this long ends (as X Spaces
    # ends a Space its host left); a scheduled room this long past its start leaves the directory.
    abandon_after_s: float = 600.0
    # Room snapshots are written off the event loop at most this often, or after this many
    # events (the events themselves are saved with each command).
    snapshot_interval_s: float = 2.0
    snapshot_every_events: int = 500
    # Media worker processes (peers, mixers, fan-out, recorders); None: one per core.
    media_workers: int | None = None
    # A media connection not up this long after its answer is closed (its port with it).
    media_connect_timeout_s: float = 30.0
    # LL-HLS of every live room's audience mix, written under this folder and served at
    # /hls/<room_id>/ (None: no HLS). A room's folder goes `hls_linger_s` after it ends.
    hls_dir: Path | None = None
    hls_linger_s: float = 30.0
    # HLS listeners are counted from heartbeats (server/hls_audience.py): every this many
    # seconds, from a sampled fraction of clients chosen so that about `hls_sampled_listeners`
    # of them heartbeat per room.
    hls_heartbeat_s: float = 20.0
    hls_sampled_listeners: int = 10_000
    # Edges (nginx, a CDN) whose X-Forwarded-For the HLS heartbeat and reaction limits trust
    # for the client's address (networks, "10.0.0.0/8"); from anyone else it is ignored.
    trusted_proxies: tuple[str, ...] = ()
    # WebRTC listeners the relay takes per room; past them a listener's page plays HLS.
    # None: no limit.
    webrtc_seats: int | None = None
    # Where takes are written (None: <data_dir>/recordings), and how many days a finished one
    # is kept (None: for ever); checked at start and every RETENTION_EVERY_S.
    # A removed or blocked person's network address is barred from that room for its life
    # (people behind the same NAT share it; loopback is never barred). Off: --no-address-bars.
    bar_removed_addresses: bool = True
    bar_loopback: bool = False  # tests turn it on to bar 127.0.0.2 and let 127.0.0.3 in
    recordings_dir: Path | None = None
    keep_recordings_days: float | None = None

    @property
    def recordings_root(self) -> Path:
        return (
            self.recordings_dir if self.recordings_dir is not None else self.data_dir / "recordings"
        )

    # Who may create rooms (server/room_creation.py). The key in `data_dir/admin.key` (made on
    # first start) is always accepted; `admin_keys` adds more. Without a key, only a relay with
    # `open_rooms` creates rooms, and then at most this many per address an hour, and this
    # many not yet ended per address.
    admin_keys: tuple[str, ...] = ()
    open_rooms: bool = False
    rooms_per_address_per_hour: int = 10
    open_rooms_per_address: int = 3
    # Host names answered besides the public URL's, the listening address's and loopback's.
    allowed_hosts: tuple[str, ...] = ()
    # Connections (server/connection_guard.py): a new connection's first request headers must
    # be in within header_timeout_s; a kept-alive connection idle this long is closed; a JSON
    # body must arrive within body_timeout_s. Per address (an IPv4 address or an IPv6 /64)
    # at most this many connections (generous: one browser per listener behind one NAT);
    # in all, the descriptor limit less a reserve unless max_connections says otherwise.
    header_timeout_s: float = 10.0
    idle_timeout_s: float = 30.0
    body_timeout_s: float = 10.0
    max_connections_per_address: int = 1024
    max_connections: int | None = None
    # /healthz answers 503 when the data folder's disk has less free space than this.
    min_free_disk_bytes: int = 64 * 1024 * 1024

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def join_url(self, room_id: str) -> str:
        return f"{self.base_url}/r/{room_id}"
