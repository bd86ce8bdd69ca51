"""`roomcast relay`: the relay alone, in the foreground.

Prints one line, `roomcast relay listening on URL`, once it accepts
connections (the console's supervisor waits for it), then runs until SIGINT
or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from server.config import DEFAULT_PORT, RelayConfig
from server.data_dir import resolve_data_dir
from server.media.worker_args import worker_arguments


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "relay",
        help="run the relay alone (rooms over WebSocket and WebRTC)",
        description="Run the Roomcast relay: the authority on rooms, and their audio.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    parser.add_argument(
        "--data-dir", dest="relay_data_dir", default=None, help="folder for the relay's database"
    )
    parser.add_argument(
        "--announce-address",
        action="append",
        default=None,
        metavar="A",
        help="address offered to peers as an ICE candidate (repeatable; default 127.0.0.1)",
    )
    parser.add_argument(
        "--stun",
        action="append",
        default=None,
        metavar="URL",
        help="STUN server (none unless given)",
    )
    parser.add_argument(
        "--public-url", default=None, help="base URL for the links the relay hands out"
    )
    parser.add_argument(
        "--media-workers",
        type=_positive_int,
        default=None,
        metavar="N",
        help="processes carrying the rooms' audio (peers, mixers, fan-out, recorders); "
        "default: one per core",
    )
    parser.add_argument(
        "--abandon-after-s",
        type=_positive_float,
        default=600.0,
        metavar="S",
        help="end a live room once its host and co-hosts have all been disconnected this long "
        "(default 600)",
    )
    rooms = parser.add_argument_group(
        "who may create rooms",
        "POST /api/rooms needs `Authorization: Bearer KEY` with the key in DATA_DIR/admin.key "
        "(made on first start, mode 0600) or one from --admin-key-file; with --open-rooms anyone "
        "may, within per-address limits (key holders are not limited).",
    )
    rooms.add_argument(
        "--admin-key-file",
        action="append",
        default=None,
        metavar="FILE",
        help="more keys that may create rooms, one a line (repeatable)",
    )
    rooms.add_argument(
        "--open-rooms", action="store_true", help="let anyone create rooms, within the limits below"
    )
    rooms.add_argument(
        "--rooms-per-address-per-hour",
        type=_positive_int,
        default=10,
        metavar="N",
        help="rooms one address may create an hour without a key (default 10)",
    )
    rooms.add_argument(
        "--open-rooms-per-address",
        type=_positive_int,
        default=3,
        metavar="N",
        help="rooms not yet ended one address may hold without a key (default 3)",
    )
    conns = parser.add_argument_group(
        "connections",
        "Requests must name one of the relay's own hosts (the --public-url's, --host's, or "
        "127.0.0.1/localhost/[::1]); browsers' WebSockets must come from its own pages. "
        "Listening on 0.0.0.0, name the address people use with --public-url, "
        "--announce-address or --allowed-host.",
    )
    conns.add_argument(
        "--allowed-host",
        action="append",
        default=None,
        metavar="NAME",
        help="another host name to answer to, e.g. a LAN name (repeatable)",
    )
    conns.add_argument(
        "--header-timeout-s",
        type=_positive_float,
        default=10.0,
        metavar="S",
        help="close a connection whose request headers are not in within S (default 10)",
    )
    conns.add_argument(
        "--idle-timeout-s",
        type=_positive_float,
        default=30.0,
        metavar="S",
        help="close a kept-alive HTTP connection idle this long (default 30)",
    )
    conns.add_argument(
        "--max-connections-per-address",
        type=_positive_int,
        default=1024,
        metavar="N",
        help="connections one address (IPv4, or IPv6 /64) may hold; more are closed at once "
        "(default 1024)",
    )
    conns.add_argument(
        "--max-connections",
        type=_positive_int,
        default=None,
        metavar="N",
        help="connections in all; past it the oldest one still sending its headers is closed "
        "(default: the open-file limit, raised to its hard limit, less 192)",
    )
    parser.add_argument(
        "--hls",
        action="store_true",
        help="stream every live room as LL-HLS at /hls/<room_id>/index.m3u8, for listeners "
        "past the WebRTC seats and for HTTP caches and CDNs (files in DATA_DIR/hls)",
    )
    parser.add_argument(
        "--hls-dir",
        default=None,
        metavar="D",
        help="write the HLS streams here instead (implies --hls; any web server may serve it)",
    )
    parser.add_argument(
        "--hls-linger-s",
        type=_positive_float,
        default=30.0,
        metavar="S",
        help="keep an ended room's HLS (with its end mark) this long, then delete it (default 30)",
    )
    parser.add_argument(
        "--hls-sampled-listeners",
        type=_positive_int,
        default=10_000,
        metavar="N",
        help="HLS listeners are counted from heartbeats sent by a sampled fraction of them, "
        "chosen so that about N per room heartbeat, one request each per 20 s (default 10000)",
    )
    parser.add_argument(
        "--trust-forwarded-for",
        action="append",
        default=None,
        type=_network,
        metavar="NET",
        help="an HLS edge (nginx, a CDN) at these addresses (1.2.3.4, 10.0.0.0/8; repeatable): "
        "its X-Forwarded-For names the client for the HLS heartbeat and reaction limits",
    )
    parser.add_argument(
        "--webrtc-seats",
        type=_positive_int,
        default=None,
        metavar="N",
        help="WebRTC listeners per room; past them a listener's page plays the room over HLS "
        "(default: no limit)",
    )
    parser.add_argument(
        "--no-address-bars",
        dest="address_bars",
        action="store_false",
        help="do not bar a removed or blocked person's network address from the room (by "
        "default it is barred for the room's life; people behind the same NAT share it)",
    )
    parser.add_argument(
        "--recordings-dir",
        default=None,
        metavar="DIR",
        help="where recordings are written (default: recordings/ in the data folder)",
    )
    parser.add_argument(
        "--keep-recordings-days",
        type=_positive_float,
        default=None,
        metavar="N",
        help="delete finished recordings N days after they stopped (checked at start and "
        "hourly; default: keep them)",
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    parser.add_argument(
        "--console-pid-file",
        default=None,
        metavar="FILE",
        help="run as a console's embedded relay: FILE holds the console's process id; once no "
        "console named there is running for --orphan-grace-s, the relay stops",
    )
    parser.add_argument(
        "--orphan-grace-s",
        type=float,
        default=300.0,
        metavar="S",
        help="how long an embedded relay keeps its rooms after its console died (default 300)",
    )
    parser.set_defaults(handler=run)

    # The relay starts its media workers as `roomcast media-worker …` from the frozen build
    # (from source it runs `python -m server.media.worker`); not for people, so not listed.
    worker = subparsers.add_parser("media-worker")
    worker_arguments(worker)
    worker.set_defaults(handler=_run_worker)


def _run_worker(args: argparse.Namespace) -> int:
    from server.media.worker import run as run_worker

    return run_worker(args)


def _hls_dir(args: argparse.Namespace, data_dir: Path) -> Path | None:
    if args.hls_dir:
        return Path(args.hls_dir).expanduser()
    return data_dir / "hls" if args.hls else None


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def _network(text: str) -> str:
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an address or network") from None


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def run(args: argparse.Namespace) -> int:
    from server.admin_key import AdminKeyError, read_keys
    from server.connection_guard import raise_descriptor_limit
    from server.log_flood import install as limit_log_floods

    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    limit_log_floods()
    raise_descriptor_limit()  # media workers inherit it
    try:
        data_dir = resolve_data_dir(args.relay_data_dir or args.data_dir)
        keys = [key for name in args.admin_key_file or () for key in read_keys(Path(name))]
    except (OSError, AdminKeyError) as exc:
        print(f"roomcast relay: {exc}", file=sys.stderr)
        return 2
    config = RelayConfig(
        data_dir=data_dir,
        host=args.host,
        port=args.port,
        announce_addresses=tuple(args.announce_address or ("127.0.0.1",)),
        stun_urls=tuple(args.stun or ()),
        public_url=args.public_url,
        media_workers=args.media_workers,
        abandon_after_s=args.abandon_after_s,
        hls_dir=_hls_dir(args, data_dir),
        hls_linger_s=args.hls_linger_s,
        hls_sampled_listeners=args.hls_sampled_listeners,
        trusted_proxies=tuple(args.trust_forwarded_for or ()),
        webrtc_seats=args.webrtc_seats,
        recordings_dir=Path(args.recordings_dir).expanduser() if args.recordings_dir else None,
        keep_recordings_days=args.keep_recordings_days,
        bar_removed_addresses=args.address_bars,
        admin_keys=tuple(keys),
        open_rooms=args.open_rooms,
        rooms_per_address_per_hour=args.rooms_per_address_per_hour,
        open_rooms_per_address=args.open_rooms_per_address,
        allowed_hosts=tuple(args.allowed_host or ()),
        header_timeout_s=args.header_timeout_s,
        idle_timeout_s=args.idle_timeout_s,
        max_connections_per_address=args.max_connections_per_address,
        max_connections=args.max_connections,
    )
    console = Path(args.console_pid_file) if args.console_pid_file else None
    try:
        asyncio.run(_serve(config, console, args.orphan_grace_s))
    except OSError as exc:
        print(
            f"roomcast relay: cannot listen on {config.host}:{config.port} ({exc.strerror})",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        pass
    return 0


async def _serve(config: RelayConfig, console_pid_file: Path | None, grace_s: float) -> None:
    from server.admin_key import AdminKeyError
    from server.app import running_relay
    from server.store import StoreError

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
            loop.add_signal_handler(sig, stop.set)
    try:
        async with running_relay(config) as running:
            print(f"roomcast relay listening on {running.base_url}", flush=True)
            watch = None
            if console_pid_file is not None:
                watch = asyncio.create_task(_outlive_console(console_pid_file, grace_s, stop))
            await stop.wait()
            if watch is not None:
                watch.cancel()
    except (StoreError, AdminKeyError) as exc:
        print(f"roomcast relay: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def _console_alive(pid_file: Path) -> bool:
    """Whether the console named in `pid_file` runs (a console that adopts us rewrites it)."""
    try:
        pid = int(pid_file.read_text(encoding="ascii").split()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return False
    try:  # a zombie is not a console
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True  # no /proc (macOS): kill(pid, 0) is all we know


async def _outlive_console(pid_file: Path, grace_s: float, stop: asyncio.Event) -> None:
    """An embedded relay keeps its rooms through a console crash, for `grace_s`, then stops."""
    orphaned_at: float | None = None
    while True:
        await asyncio.sleep(1.0)
        if _console_alive(pid_file):
            orphaned_at = None
            continue
        now = time.monotonic()
        if orphaned_at is None:
            orphaned_at = now
            logging.getLogger(__name__).warning(
                "the console is gone; keeping the rooms for %.0f s", grace_s
            )
        elif now - orphaned_at >= grace_s:
            stop.set()
            return
