"""LL-HLS (issue 12): what the stream costs the room's clock, and what an edge saves the relay.

1. The media worker's tick, with and without HLS: a room's `RoomMedia._tick` (two people on
   stage, the audience mix encoded as for a WebRTC listener) in a tight loop, 3,000 ticks
   (60 s of audio); with HLS the tick also hands its packet to the stream, whose writer
   thread writes parts, segments and playlists to a temporary folder meanwhile. Baseline:
   the same tick without HLS, in the same run.
2. The relay behind nginx (deploy/nginx/roomcast-hls.conf, rendered as tests/hls does): a
   subprocess relay with `--hls`, a tone bot on stage, N plain HLS followers (blocking
   playlist reload + segment, as tests/hls/followers.py) for a window: requests that reached
   the relay per segment, and the relay's CPU (its processes' utime + stime from /proc).
   Baseline: the same followers straight at the relay, no edge.
3. Speaker -> HLS listener delay, by a click train (a click at every wall-clock second): a
   follower takes each part as soon as it is out and finds the clicks in it. Baseline: the
   speaker -> mix delay of the same clicks (the part's program date-time).

Environment: ROOMCAST_BENCH_HLS_PHASES (default tick,edge), ROOMCAST_BENCH_HLS_CLIENTS
(default 10,100,500), ROOMCAST_BENCH_HLS_WINDOW_S (default 20), ROOMCAST_BENCH_HLS_DIRECT
(baseline client counts, default 10,100), ROOMCAST_BENCH_HLS_WEBRTC (WebRTC listener counts
measured beside, default 10,100,500: the relay's CPU for the same audience over WebRTC).
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from server.media.hls_stream import HlsStream

TICKS = 3_000


def _env_list(name: str, default: str) -> list[int]:
    return [int(x) for x in os.environ.get(name, default).split(",") if x.strip()]


# -- 1. the tick ---------------------------------------------------------------------------------


async def _tick_costs(folder: Path) -> tuple[list[float], list[float], HlsStream]:
    """Two rooms ticking in turn, one without HLS and one with it, so both see the same
    machine (a 2-core box shared with other work is noisy minute to minute)."""
    from server.media.ice import IceConfig
    from server.media.room_media import RoomMedia
    from server.media.values import StageState

    def room(name: str) -> RoomMedia:
        media = RoomMedia(name, IceConfig(), lambda levels: None, lambda u, s: None)
        media.set_stage({"a": StageState(muted=False), "b": StageState(muted=False)})
        media.set_forwarding(True)  # encode the audience mix every tick, as for a listener
        return media

    plain, streaming = room("plain"), room("streaming")
    stream = HlsStream(folder, lambda msn, part, complete, ended: None)
    streaming.hls_to(stream)
    without, with_hls = [], []
    for tick in range(TICKS):
        for media, costs in ((plain, without), (streaming, with_hls)):
            started = time.perf_counter()
            media._tick(tick)
            costs.append(time.perf_counter() - started)
        if tick % 25 == 0:
            await asyncio.sleep(0)  # let the writer thread take the GIL as it would
    stream.end()
    stream.close()
    await plain.close()
    await streaming.close()
    return without, with_hls, stream


def _summary(costs: list[float]) -> tuple[float, float, float]:
    ordered = sorted(costs)
    return (
        ordered[len(ordered) // 2] * 1e6,
        ordered[int(len(ordered) * 0.99)] * 1e6,
        statistics.fmean(costs) * 1e6,
    )


def bench_tick() -> None:
    print(f"worker tick, {TICKS} ticks (60 s of audio), 2 on stage, rooms ticking in turn:")
    with tempfile.TemporaryDirectory(prefix="roomcast-bench-hls-") as tmp:
        without, with_hls, stream = asyncio.run(_tick_costs(Path(tmp) / "room"))
    base_p50, base_p99, base_mean = _summary(without)
    p50, p99, mean = _summary(with_hls)
    print(
        f"  baseline (no HLS)   p50 {base_p50:7.1f} µs  p99 {base_p99:8.1f} µs"
        f"  mean {base_mean:7.1f} µs"
    )
    print(
        f"  with HLS            p50 {p50:7.1f} µs  p99 {p99:8.1f} µs  mean {mean:7.1f} µs"
        f"  (p50 {p50 - base_p50:+.1f} µs, x{p50 / base_p50:.2f})"
    )
    parts = max(1, stream.parts_written)
    print(
        f"  writer thread: {stream.parts_written} parts, "
        f"{stream.writer_busy_s / parts * 1e3:.2f} ms per part (files + playlist, GIL waits "
        f"included), off the clock; {stream.write_errors} write errors"
    )
    packets = [bytes(80)] * 25_000
    with tempfile.TemporaryDirectory(prefix="roomcast-bench-hls-") as tmp:
        sink = HlsStream(Path(tmp) / "room", lambda *a: None)
        started = time.perf_counter()
        for packet in packets:
            sink.add(packet)
        per_add_us = (time.perf_counter() - started) / len(packets) * 1e6
        sink.close()
    print(f"  HlsStream.add alone: {per_add_us:.2f} µs per tick (an append; a queue put per part)")


# -- 2. the edge ---------------------------------------------------------------------------------


def _process_tree_cpu_s(pid: int) -> float:
    """utime + stime of `pid` and its children (the media workers), in seconds."""
    tick_hz = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick_hz
    return total


async def _window(
    relay_pid: int, url: str, clients: int, window_s: float
) -> tuple[int, float, int]:
    """(segments fetched by client 0, relay CPU s, client requests)."""
    from tests.hls.followers import follow_many

    cpu_before = _process_tree_cpu_s(relay_pid)
    followers = await follow_many(url, clients, window_s)
    cpu = _process_tree_cpu_s(relay_pid) - cpu_before
    failed = [f for f in followers if f.errors]
    if failed:
        raise SystemExit(f"{len(failed)} followers failed, e.g. {failed[0].errors}")
    return len(followers[0].segments), cpu, sum(f.requests for f in followers)


async def _webrtc_window(
    relay_pid: int, join_url: str, count: int, window_s: float
) -> tuple[float, float]:
    """`count` WebRTC listeners on the same relay and room (aiortc peers in a child process,
    counting SRTP at their sockets; their WebSockets spread over loopback addresses so the
    per-address join limit does not pace them): (relay CPU s over the window, packets per
    listener per second)."""
    import json

    import aiohttp

    from bench.bench_relay import _Child
    from console.client import Hello, JoinLink, _body
    from console.identity import Identity
    from server.protocol import encode_envelope
    from server.protocol.messages import Offer

    link = JoinLink.parse(join_url)
    child = await _Child.start("listeners")
    sessions: list[aiohttp.ClientSession] = []
    sockets: list[Any] = []
    try:
        ids = [f"w{i:04d}" for i in range(count)]
        offers: dict[str, str] = (await child.call("offer", ids=ids))["offers"]

        async def join(index: int, user: str) -> tuple[str, str]:
            http = sessions[index % len(sessions)]
            ws = await http.ws_connect(f"{link.base_url}/ws", heartbeat=30.0)
            sockets.append(ws)
            identity = Identity.new("wl")
            hello = Hello(
                room_id=link.room_id,
                client_id=identity.client_id,
                client_secret=identity.client_secret,
                display_name=f"WebRTC listener {index:04d}",
            )
            await ws.send_str(encode_envelope("hello", _body(hello), 1))
            await ws.send_str(encode_envelope("offer", _body(Offer(offers[user])), 2))
            while True:
                frame = json.loads((await ws.receive()).data)
                if frame.get("type") == "error":
                    raise SystemExit(f"WebRTC listener {index} refused: {frame}")
                if frame.get("id") == 2:
                    return user, str(frame["body"]["sdp"])

        addresses = max(1, count // 40)  # 40 joins per loopback address (the burst is 60)
        for a in range(addresses):
            connector = aiohttp.TCPConnector(limit=0, local_addr=(f"127.0.0.{a + 2}", 0))
            sessions.append(aiohttp.ClientSession(connector=connector))
        answers: dict[str, str] = {}
        for start in range(0, count, 50):
            joined = await asyncio.gather(
                *(join(i, ids[i]) for i in range(start, min(count, start + 50)))
            )
            answers.update(joined)
        pending = list(answers.items())
        for start in range(0, len(pending), 20):  # the child reads lines of at most 64 KiB
            await child.call("answer", answers=dict(pending[start : start + 20]))

        async def delivered() -> int:
            return sum((await child.call("status"))["counts"].values())

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # every listener hears the room
            counts = (await child.call("status"))["counts"]
            if len(counts) == count and min(counts.values()) > 0:
                break
            await asyncio.sleep(0.5)
        else:
            raise SystemExit(f"not every WebRTC listener heard the room within 30 s ({count})")
        packets_before = await delivered()
        cpu_before = _process_tree_cpu_s(relay_pid)
        started = time.monotonic()
        await asyncio.sleep(window_s)
        cpu = _process_tree_cpu_s(relay_pid) - cpu_before
        packets = await delivered() - packets_before
        rate = packets / count / (time.monotonic() - started)
        return cpu, rate
    finally:
        for ws in sockets:
            await ws.close()
        for http in sessions:
            await http.close()
        await child.stop()


async def _edge_bench() -> None:
    from console.identity import Identity
    from server.config import RelayConfig
    from tests.hls.edge import free_port, nginx_available, running_edge
    from tests.hls.test_hls_edge import first_segment
    from tests.relay.relaykit import create_room
    from tests.relay.test_relay_restart import start_relay

    if not nginx_available():
        print("  nginx is not installed (make bench installs it): edge figures skipped")
        return
    import aiohttp

    window_s = float(os.environ.get("ROOMCAST_BENCH_HLS_WINDOW_S", "20"))
    through = _env_list("ROOMCAST_BENCH_HLS_CLIENTS", "10,100,500")
    direct = _env_list("ROOMCAST_BENCH_HLS_DIRECT", "10,100")
    webrtc = _env_list("ROOMCAST_BENCH_HLS_WEBRTC", "10,100,500")
    with tempfile.TemporaryDirectory(prefix="roomcast-bench-hls-") as tmp:
        port = free_port()
        relay = await start_relay(Path(tmp) / "relay", port, "--hls", "--media-workers", "1")
        bot = None
        try:
            config = RelayConfig(data_dir=Path(tmp) / "relay", port=port)
            created = await create_room(config, Identity.new())
            bot = subprocess.Popen(
                [sys.executable, "-m", "ui.cli", "bot", created["join_url"], "--token",
                 created["host_token"], "--tone", "440", "--name", "Tone Bot"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            path = f"/hls/{created['room_id']}/index.m3u8"
            async with aiohttp.ClientSession() as http:
                await first_segment(http, f"{config.base_url}{path}", 30)
            print(f"relay behind nginx, {window_s:.0f} s windows, 2 s segments:", flush=True)
            idle_before = _process_tree_cpu_s(relay.pid)
            await asyncio.sleep(window_s)  # the relay with its room and no HLS client
            idle = (_process_tree_cpu_s(relay.pid) - idle_before) / window_s * 100
            print(f"  no HLS client (room mixing, HLS written): relay CPU {idle:5.1f} % of a core")
            for clients in direct:
                segments, cpu, requests = await _window(
                    relay.pid, f"{config.base_url}{path}", clients, window_s
                )
                print(
                    f"  baseline, {clients:4d} clients straight at the relay: "
                    f"{requests / max(1, segments):7.1f} relay requests/segment, "
                    f"relay CPU {cpu / window_s * 100:5.1f} %",
                    flush=True,
                )
            for clients in through:
                with running_edge(Path(tmp) / f"nginx-{clients}", port) as edge:
                    segments, cpu, requests = await _window(
                        relay.pid, f"{edge.base_url}{path}", clients, window_s
                    )
                    upstream = sum(1 for line in edge.log() if line.reached_relay)
                    print(
                        f"  {clients:4d} clients through nginx: {requests:6d} edge requests, "
                        f"{upstream / max(1, segments):5.1f} relay requests/segment, "
                        f"relay CPU {cpu / window_s * 100:5.1f} %",
                        flush=True,
                    )
            for listeners in webrtc:
                cpu, rate = await _webrtc_window(
                    relay.pid, created["join_url"], listeners, window_s
                )
                print(
                    f"  beside: {listeners:4d} WebRTC listeners on the same relay: "
                    f"relay CPU {cpu / window_s * 100:5.1f} %, {rate:4.1f} packets/s each "
                    "(50 is full delivery)",
                    flush=True,
                )
        finally:
            if bot is not None:
                bot.kill()
                bot.wait()
            relay.terminate()
            relay.wait(timeout=20)


# -- 3. the delay -------------------------------------------------------------------------------

PART_HOLD_BACK_S = 1.5  # what the playlist advertises (three 0.5 s parts)
HOLD_BACK_S = 6.0  # three 2 s segments, for a player that ignores parts


def _click_track() -> Any:
    """A speaker's microphone with a 10 ms click at every whole second of wall-clock time; it
    notes when each click left for the relay."""
    import numpy as np

    from console.tracks import SAMPLE_RATE_HZ, PacedAudioTrack

    class ClickTrack(PacedAudioTrack):
        def __init__(self) -> None:
            super().__init__()
            self.emitted: list[float] = []
            self._second = int(time.time())

        def next_block(self, frames: int) -> Any:
            now = time.time()
            block = np.zeros(frames, dtype=np.int16)
            if int(now) > self._second:
                self._second = int(now)
                n = np.arange(SAMPLE_RATE_HZ // 100)
                block[: n.size] = (16000 * np.sin(2 * np.pi * 1000 * n / SAMPLE_RATE_HZ)).astype(
                    np.int16
                )
                self.emitted.append(now)
            return block

    return ClickTrack()


async def _delay_bench() -> None:
    """Speaker -> HLS listener, by a click train: a follower takes each part as soon as the
    relay has it (the preload hint), decodes it, and finds the clicks; the part's program
    date-time places each click on the wall clock."""
    import io
    from datetime import datetime

    import aiohttp
    import av
    import numpy as np

    from console.identity import Identity
    from console.media_link import MediaLink
    from server.app import running_app
    from server.config import RelayConfig
    from tests.relay.relaykit import create_room, join

    window_s = float(os.environ.get("ROOMCAST_BENCH_HLS_WINDOW_S", "20"))
    with tempfile.TemporaryDirectory(prefix="roomcast-bench-hls-") as tmp:
        config = RelayConfig(data_dir=Path(tmp), port=0, hls_dir=Path(tmp) / "hls", media_workers=1)
        async with running_app(config) as (config, _app):
            created = await create_room(config, Identity.new())
            host = await join(created["host_url"], "Clicker")
            from server.room import Unmute

            await host.send(Unmute())
            track = _click_track()
            media = MediaLink(host, source=lambda: track)
            await media.start(send=True)
            base = f"{config.base_url}/hls/{created['room_id']}"
            edge_s: list[float] = []
            mix_s: list[float] = []
            try:
                async with aiohttp.ClientSession() as http:
                    text = ""
                    deadline = time.monotonic() + 30
                    while "#EXT-X-PART:" not in text and time.monotonic() < deadline:
                        async with http.get(f"{base}/index.m3u8") as response:
                            text = await response.text() if response.status == 200 else ""
                    async with http.get(f"{base}/init.mp4") as response:
                        init = await response.read()
                    last = re.findall(r'URI="p(\d+)\.(\d+)\.m4s"', text)[-1]
                    msn, part = int(last[0]), int(last[1]) + 1
                    stamps = re.findall(r"#EXT-X-PROGRAM-DATE-TIME:(\S+)", text)
                    listed = re.findall(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text)
                    # The wall-clock time of each segment's first sample, from the playlist.
                    segment_start = {}
                    first_msn = int(listed[0])
                    for offset, stamp in enumerate(stamps):
                        when = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
                        segment_start[first_msn + offset] = when
                    anchor_msn = max(segment_start)
                    anchor_s = segment_start[anchor_msn]
                    until = time.monotonic() + window_s
                    while time.monotonic() < until:
                        if part >= 4:
                            msn, part = msn + 1, 0
                        async with http.get(f"{base}/p{msn}.{part}.m4s") as response:
                            data = await response.read()
                            arrived = time.time()
                        if response.status != 200:
                            continue
                        with av.open(io.BytesIO(init + data)) as container:
                            pcm = np.concatenate(
                                [f.to_ndarray().reshape(-1) for f in container.decode(audio=0)]
                            )
                        loud = np.flatnonzero(np.abs(pcm) > 0.1)
                        if loud.size:
                            start_s = anchor_s + (msn - anchor_msn) * 2.0 + part * 0.5
                            click_s = start_s + loud[0] / 48_000
                            emitted = max(
                                (e for e in track.emitted if e <= click_s + 0.05), default=None
                            )
                            if emitted is not None:
                                until_part_end = 0.5 - loud[0] / 48_000
                                edge_s.append(arrived - until_part_end - emitted)
                                mix_s.append(click_s - emitted)
                        part += 1
            finally:
                await media.close()
                await host.close()

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

    print(f"speaker -> HLS listener, click train, {len(edge_s)} clicks in {window_s:.0f} s:")
    print(
        f"  baseline: speaker -> the relay's mix     p50 {pct(mix_s, 0.5):5.2f} s  "
        f"p95 {pct(mix_s, 0.95):5.2f} s"
    )
    print(
        f"  at the live edge (part out, fetched)    p50 {pct(edge_s, 0.5):5.2f} s  "
        f"p95 {pct(edge_s, 0.95):5.2f} s"
    )
    edge = pct(edge_s, 0.5)
    # A player starts HOLD-BACK behind the newest part (or segment) it sees, which is up to one
    # part (or segment) old when it looks: what it hears lies in a range, not at one figure.
    print(
        f"  heard, LL-HLS player at PART-HOLD-BACK  {edge + PART_HOLD_BACK_S:5.2f}"
        f"-{edge + PART_HOLD_BACK_S + 0.5:.2f} s (p50 edge + 1.5 s + up to one 0.5 s part)"
    )
    print(
        f"  heard, plain HLS player at HOLD-BACK    {edge + HOLD_BACK_S:5.2f}"
        f"-{edge + HOLD_BACK_S + 2.0:.2f} s (p50 edge + 6 s + up to one 2 s segment)"
    )


def main() -> None:
    phases = os.environ.get("ROOMCAST_BENCH_HLS_PHASES", "tick,edge,delay").split(",")
    if "tick" in phases:
        bench_tick()
    if "edge" in phases:
        asyncio.run(_edge_bench())
    if "delay" in phases:
        asyncio.run(_delay_bench())


if __name__ == "__main__":
    main()
