"""The media plane in worker processes (DESIGN §10): CPU per listener-packet summed over every
relay process, with 1 and with 2 workers; the hop between workers; the mixer clock while the
control plane is loaded; relay-added latency.

Processes, all on loopback:
- this one: the relay's control plane (`running_app`: HTTP, WebSocket, rules, store) and the
  benchmark's driver; its CPU is counted in the relay's total;
- the media workers the relay starts (their CPU comes from their own getrusage, reported
  through the coordinator);
- peers (bench/relay_peers.py): one speaker sending a tone; N listeners counting SRTP
  datagrams at their sockets (their CPU is not the relay's and is printed apart).

Listener media is placed through the coordinator directly (`MediaWorkers.port`), as the
WebSocket `offer` does, without a WebSocket per listener: what is measured is the media.
The control-plane load (50 commands/s to another room over real WebSockets, 5 directory
polls/s) goes through the real HTTP and WebSocket paths.

Environment: ROOMCAST_BENCH_WORKER_STEPS (listener counts, default 200,500,1000),
ROOMCAST_BENCH_WINDOW_S (seconds per measurement, default 10), ROOMCAST_BENCH_WORKER_PHASES
(ramp,jitter by default). The clock-jitter phase pins the media worker to the first CPU and
everything else (control, its load, the peers) to the others. On a 2-core box the listeners'
process needs a core of its own at 1,000 listeners, so the relay's 2-worker figure there is
measured with fewer cores than workers: the per-worker figures say how the work divided.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.bench_relay import FULL_DELIVERY, _Child
from bench.relay_peers import PACKETS_PER_S, _env_float

BATCH = 50
ALL_CPUS = sorted(os.sched_getaffinity(0))
CONNECT_TIMEOUT_S = 300.0


def _cpu_self_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _room_totals(pool: Any, room_id: str) -> dict[str, Any]:
    stats = await pool.stats()
    rooms = [s.rooms[room_id] for s in stats if room_id in s.rooms]
    return {
        "t": time.perf_counter(),
        "control_cpu": _cpu_self_s(),
        "worker_cpu": {s.index: s.cpu_s for s in stats},
        "sent": sum(r.packets_sent for r in rooms),
        "dropped": sum(r.packets_dropped for r in rooms),
        "ready": sum(r.listeners for r in rooms),
        "frames_out": sum(s.audience_frames_out for s in stats),
        "frames_in": sum(s.audience_frames_in for s in stats),
        "rooms": {s.index: s.rooms[room_id] for s in stats if room_id in s.rooms},
    }


async def _add_listeners(pool: Any, proxy: Any, listeners: _Child, ids: list[str]) -> None:
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        offers = (await listeners.call("offer", ids=batch))["offers"]
        answers = dict(
            zip(
                batch,
                await asyncio.gather(
                    *(proxy.connect(u, offers[u], send_allowed=False) for u in batch)
                ),
                strict=True,
            )
        )
        await listeners.call("answer", answers=answers)


async def _wait_ready(
    pool: Any, room_id: str, count: int, timeout_s: float = CONNECT_TIMEOUT_S
) -> int:
    deadline = time.perf_counter() + timeout_s
    ready = 0
    while time.perf_counter() < deadline:
        ready = (await _room_totals(pool, room_id))["ready"]
        if ready >= count:
            break
        await asyncio.sleep(0.5)
    return ready


async def _window(
    pool: Any, room_id: str, listeners: _Child, ids: list[str], window_s: float
) -> dict[str, Any]:
    await pool.stats(restart_windows=True)
    before = await _room_totals(pool, room_id)
    c0 = await listeners.call("status")
    await asyncio.sleep(window_s)
    c1 = await listeners.call("status")
    after = await _room_totals(pool, room_id)
    span = after["t"] - before["t"]
    rates = [(c1["counts"][u] - c0["counts"].get(u, 0)) / (c1["t"] - c0["t"]) for u in ids]
    workers = {
        i: (after["worker_cpu"][i] - before["worker_cpu"].get(i, after["worker_cpu"][i])) / span
        for i in after["worker_cpu"]
    }
    control = (after["control_cpu"] - before["control_cpu"]) / span
    sent = (after["sent"] - before["sent"]) / span
    home = next((r for r in after["rooms"].values() if r.ticks), None)
    return {
        "n": len(ids),
        "control": control,
        "workers": workers,
        "total": control + sum(workers.values()),
        "pps": sent,
        "dropped": after["dropped"] - before["dropped"],
        "mean_rate": statistics.mean(rates) if rates else 0.0,
        "worst_rate": min(rates) if rates else 0.0,
        "client_cpu": (c1["cpu"] - c0["cpu"]) / (c1["t"] - c0["t"]),
        "frames_per_s": (after["frames_out"] - before["frames_out"]) / span,
        "rooms": after["rooms"],
        "home": home,
    }


def _print_row(workers: int, row: dict[str, Any]) -> None:
    per_packet = row["total"] / max(row["pps"], 1.0) * 1e6
    split = ", ".join(f"worker {i} {c * 100:.0f} %" for i, c in sorted(row["workers"].items()))
    print(
        f"  {workers} worker(s), {row['n']:4d} listeners: relay CPU {row['total'] * 100:5.1f} % "
        f"(control {row['control'] * 100:.1f} %, {split}); {row['pps']:.0f} packets/s; "
        f"{per_packet:.1f} µs per listener-packet all-in\n"
        f"        delivery per listener mean {row['mean_rate']:.1f} worst "
        f"{row['worst_rate']:.1f} /s, drops {row['dropped']}, audience frames between "
        f"workers {row['frames_per_s']:.0f} /s; listeners' process CPU "
        f"{row['client_cpu'] * 100:.0f} %",
        flush=True,
    )


async def _ramp(workers: int, steps: list[int], window_s: float) -> list[dict[str, Any]]:
    from server.app import MEDIA, running_app
    from server.config import RelayConfig
    from server.media.values import StageState

    rows: list[dict[str, Any]] = []
    listeners = await _Child.start("listeners")
    speaker = await _Child.start("speaker")
    with tempfile.TemporaryDirectory(prefix="roomcast-bench-") as data:
        # One listeners' process on a 2-core box takes minutes to complete 1,000 DTLS
        # handshakes: give them that long (a real client connects in well under a second).
        config = RelayConfig(
            data_dir=Path(data),
            host="127.0.0.1",
            port=0,
            media_workers=workers,
            media_connect_timeout_s=CONNECT_TIMEOUT_S,
        )
        try:
            async with running_app(config) as (_, app):
                pool = app[MEDIA]
                await pool.wait_ready()
                proxy = pool.port("bench")
                await proxy.start()
                offer = (await speaker.call("speaker_offer"))["offer"]
                answer = await proxy.connect("speaker", offer, send_allowed=True)
                await speaker.call("speaker_answer", sdp=answer)
                proxy.set_stage({"speaker": StageState()})
                ids: list[str] = []
                for target in steps:
                    new = [f"l{i}" for i in range(len(ids), target)]
                    await _add_listeners(pool, proxy, listeners, new)
                    ids += new
                    ready = await _wait_ready(pool, "bench", len(ids) + 1)
                    if ready < len(ids) + 1:
                        print(f"  only {ready - 1} of {len(ids)} listeners connected in time")
                    await asyncio.sleep(3.0)
                    row = await _window(pool, "bench", listeners, ids, window_s)
                    if row["worst_rate"] < FULL_DELIVERY * PACKETS_PER_S:
                        _print_row(workers, row)
                        print("  (disturbed window: delivery short; measuring again)")
                        row = await _window(pool, "bench", listeners, ids, window_s)
                    rows.append(row)
                    _print_row(workers, row)
                await listeners.call("close", ids=ids)
                await proxy.close()
        finally:
            await asyncio.gather(listeners.stop(), speaker.stop())
    return rows


async def _control_load(base_url: str, stop: asyncio.Event) -> dict[str, int]:
    """50 commands/s into another room over real WebSockets, 5 directory polls/s."""
    from console.client import CommandRejected, JoinLink, RoomClient
    from console.identity import Identity
    from server.room import React, RequestToSpeak, WithdrawRequest

    host = Identity.new()
    body = {
        "title": "Busy room",
        "host": {
            "client_id": host.client_id,
            "client_secret": host.client_secret,
            "display_name": "Busy host",
        },
    }
    async with aiohttp.ClientSession() as http, http.post(f"{base_url}/api/rooms", json=body) as r:
        created = await r.json()
    clients = []
    for n in range(5):
        client = RoomClient(JoinLink.parse(created["join_url"]), Identity.new(), f"Busy {n}")
        await client.connect()
        clients.append(client)
    counts = {"commands": 0, "polls": 0}

    async def commands(client: Any) -> None:
        cycle = [RequestToSpeak(), WithdrawRequest(), React("👏")]
        n = 0
        while not stop.is_set():
            with contextlib.suppress(CommandRejected):
                await client.send(cycle[n % 3])
            n += 1
            counts["commands"] += 1
            await asyncio.sleep(0.1)  # 10/s each, 50/s in all

    async def polls() -> None:
        async with aiohttp.ClientSession() as http:
            while not stop.is_set():
                async with http.get(f"{base_url}/api/rooms") as response:
                    await response.read()
                counts["polls"] += 1
                await asyncio.sleep(0.2)

    try:
        await asyncio.gather(*(commands(c) for c in clients), polls())
    finally:
        for client in clients:
            await client.close()
    return counts


def _pin_apart(pool: Any, children: list[_Child]) -> str:
    """The media worker on the first CPU; the control process (which also runs the control
    load's clients), the speaker and the listeners on the others: the split a deployment
    makes, and the one that shows whether control work reaches the audio clock. On the
    wave-1 relay the clock and the control work shared one loop, whatever the pinning."""
    cpus = ALL_CPUS
    if len(cpus) < 2:
        return "one CPU: nothing pinned"
    rest = set(cpus[1:])
    for pid in pool.pids().values():
        os.sched_setaffinity(pid, {cpus[0]})
    for child in children:
        os.sched_setaffinity(child.process.pid, rest)
    os.sched_setaffinity(0, rest)
    return f"media worker pinned to CPU {cpus[0]}; control, load and peers to {sorted(rest)}"


async def _jitter(listener_count: int, window_s: float) -> None:
    """The mixer clock with `listener_count` listeners, without and with control-plane load."""
    from server.app import MEDIA, running_app
    from server.config import RelayConfig
    from server.media.values import StageState
    from server.rate_limits import RateLimitPolicy

    listeners = await _Child.start("listeners")
    speaker = await _Child.start("speaker")
    with tempfile.TemporaryDirectory(prefix="roomcast-bench-") as data:
        # The control load toggles requests at 10/s per client: lift the per-person limits so
        # the load stays what the figures have always measured (refusals would be cheaper).
        config = RelayConfig(
            data_dir=Path(data),
            host="127.0.0.1",
            port=0,
            media_workers=1,
            rate_limits=RateLimitPolicy.unlimited(),
        )
        try:
            async with running_app(config) as (bound, app):
                pool = app[MEDIA]
                await pool.wait_ready()
                print(f"  {_pin_apart(pool, [listeners, speaker])}", flush=True)
                proxy = pool.port("bench")
                await proxy.start()
                offer = (await speaker.call("speaker_offer"))["offer"]
                await speaker.call(
                    "speaker_answer", sdp=await proxy.connect("speaker", offer, send_allowed=True)
                )
                proxy.set_stage({"speaker": StageState()})
                ids = [f"l{i}" for i in range(listener_count)]
                await _add_listeners(pool, proxy, listeners, ids)
                await _wait_ready(pool, "bench", listener_count + 1)
                # The last handshakes and the first RTCP of 500 peers still run for a while:
                # one window's worth of settling, not measured.
                await asyncio.sleep(window_s)
                for label, loaded in (("no control load", False), ("control load", True)):
                    stop = asyncio.Event()
                    load = None
                    if loaded:
                        load = asyncio.ensure_future(_control_load(bound.base_url, stop))
                    before = await pool.room_stats("bench", restart_windows=True)
                    await asyncio.sleep(window_s)
                    after = await pool.room_stats("bench")
                    stop.set()
                    counts = await load if load is not None else {"commands": 0, "polls": 0}
                    home_b, home_a = next(iter(before.values())), next(iter(after.values()))
                    print(
                        f"  {listener_count} listeners, {label} "
                        f"({counts['commands'] / window_s:.0f} commands/s, "
                        f"{counts['polls'] / window_s:.1f} polls/s): tick lag p99 "
                        f"{home_a.tick_lag_ms_p99:.2f} ms, max {home_a.tick_lag_ms_max:.1f} ms, "
                        f"late ticks {home_a.late_ticks - home_b.late_ticks}, missed (skipped) "
                        f"ticks {home_a.skipped_ticks - home_b.skipped_ticks}; relay-added "
                        f"latency p50 {home_a.relay_latency_ms_p50:.1f} / p95 "
                        f"{home_a.relay_latency_ms_p95:.1f} ms",
                        flush=True,
                    )
                await listeners.call("close", ids=ids)
                await proxy.close()
        finally:
            await asyncio.gather(listeners.stop(), speaker.stop())
            os.sched_setaffinity(0, set(ALL_CPUS))  # the next run's workers start unpinned


async def _main() -> None:
    steps = [
        int(s) for s in os.environ.get("ROOMCAST_BENCH_WORKER_STEPS", "200,500,1000").split(",")
    ]
    window_s = _env_float("ROOMCAST_BENCH_WINDOW_S", 10.0)
    print(f"{os.cpu_count()} CPUs; listener steps {steps}; {window_s:.0f} s windows")
    phases = os.environ.get("ROOMCAST_BENCH_WORKER_PHASES", "ramp,jitter").split(",")
    if "ramp" in phases:
        await _ramps(steps, window_s)
    if "jitter" in phases:
        print("mixer clock under control-plane load (1 worker)")
        for count in (10, 500):
            await _jitter(count, window_s)


async def _ramps(steps: list[int], window_s: float) -> None:
    results: dict[int, list[dict[str, Any]]] = {}
    for workers in (1, 2):
        print(f"relay with {workers} media worker(s)", flush=True)
        results[workers] = await _ramp(workers, steps, window_s)
    print("results: relay CPU per listener-packet, all relay processes summed")
    for one, two in zip(results[1], results[2], strict=False):
        a = one["total"] / max(one["pps"], 1.0) * 1e6
        b = two["total"] / max(two["pps"], 1.0) * 1e6
        print(
            f"  {one['n']:4d} listeners: 1 worker {a:.1f} µs, 2 workers {b:.1f} µs "
            f"-> ratio {b / a:.2f} (target ≤ 1.15)"
        )
    for row in results[2]:
        for index, stats in sorted(row["rooms"].items()):
            if stats.hop_latency_ms_p95:
                print(
                    f"  {row['n']} listeners, worker {index} (listeners of a room mixed in the "
                    f"other): hop encoded -> sent p50 {stats.hop_latency_ms_p50:.2f} / p95 "
                    f"{stats.hop_latency_ms_p95:.2f} ms"
                )
        ipc = row["frames_per_s"]
        print(f"  {row['n']} listeners: {ipc:.0f} audience frames/s between workers (1 per tick)")


def main() -> None:
    asyncio.run(_main())


if __name__ == "__main__":
    main()
