"""Relay fan-out: CPU per listener-packet, listeners at 50 % of a core, added latency, memory.

Processes (all on loopback, `iceServers=[]`, host candidates 127.0.0.1 only):
- this one: the relay (`RoomMedia`, encode once + fan-out), measured with getrusage;
Peer processes (bench/relay_peers.py):
- `--role speaker`: one aiortc peer sending a 440 Hz tone; stamps each RTP packet's send
  time by its RTP timestamp (CLOCK_MONOTONIC is shared by all processes);
- `--role listeners`: N aiortc listener peers. Each counts SRTP datagrams at its socket
  (aioice level) and passes 1 in 50 through aiortc's full path (SRTP unprotect, RTP parse)
  to check they decrypt; receiver statistics are fed from every packet, so RTCP receiver
  reports flow back to the relay as from a browser;
- `--role baseline`: stock aiortc, one Opus encoder per listener's sender (a 48 kHz tone
  through `MediaRelay`), measured by itself; same listeners process.

Environment: ROOMCAST_BENCH_STEPS (listener counts, default 50,100,200,300,400,500),
ROOMCAST_BENCH_WINDOW_S (measurement per step, default 10), ROOMCAST_BENCH_SOAK_S (memory
soak at 200 listeners, default 60; the full soak is 600), ROOMCAST_BENCH_BASELINE_N
(default 30), ROOMCAST_BENCH_PIN=1 (relay on one CPU, peers on the others). Relay-added
latency: speaker packet sent (its process) -> the mixed packet sent to a listener (this
process), spread over listeners by their place in the send loop. A window whose delivery
falls short or whose loop stalls (another job on the box) is measured once more; both are
printed. Marginal cost: the slope of relay CPU over packets sent across the steps.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from typing import Any

import numpy as np

from bench.relay_peers import PACKETS_PER_S, _cpu_s, _env_float, _pin, _rss_mb

FULL_DELIVERY = 0.99  # of 50 packets/s, for every listener


class _Child:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, role: str) -> _Child:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.relay_peers",
            "--role",
            role,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=1 << 26,
        )
        return cls(process)

    async def call(self, cmd: str, **fields: Any) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write((json.dumps({"cmd": cmd, **fields}) + "\n").encode())
        await self.process.stdin.drain()
        line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"bench child died during {cmd!r}")
        reply: dict[str, Any] = json.loads(line)
        return reply

    async def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b'{"cmd": "exit"}\n')
        await self.process.stdin.drain()
        try:
            await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


def _fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares slope and intercept."""
    slope, intercept = np.polyfit(np.array(xs), np.array(ys), 1)
    return float(slope), float(intercept)


def _pct(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _delivery(
    listeners: _Child, ids: list[str], window_s: float
) -> tuple[float, float, float]:
    """Mean and worst packets/s per listener over `window_s`, and the listeners' CPU."""
    before = await listeners.call("status")
    await asyncio.sleep(window_s)
    after = await listeners.call("status")
    span = after["t"] - before["t"]
    rates = [(after["counts"][u] - before["counts"].get(u, 0)) / span for u in ids]
    return statistics.mean(rates), min(rates), (after["cpu"] - before["cpu"]) / span


async def _relay_run(listeners: _Child, speaker: _Child) -> dict[str, Any]:
    from server.media import IceConfig, RoomMedia, StageState, TickTrace

    steps = [
        int(s) for s in os.environ.get("ROOMCAST_BENCH_STEPS", "50,100,200,300,400,500").split(",")
    ]
    window_s = _env_float("ROOMCAST_BENCH_WINDOW_S", 10.0)
    soak_s = _env_float("ROOMCAST_BENCH_SOAK_S", 60.0)
    room = RoomMedia("bench", IceConfig(), lambda levels: None, lambda user, on: None)
    traces: list[TickTrace] = []
    room.tick_trace = traces.append
    await room.start()
    offer = (await speaker.call("speaker_offer"))["offer"]
    answer = await room.connect("speaker", offer, send_allowed=True)
    await speaker.call("speaker_answer", sdp=answer)
    room.set_stage({"speaker": StageState()})
    while room.stats().listeners < 1:
        await asyncio.sleep(0.05)
    await asyncio.sleep(2.0)
    rss_empty = _rss_mb()
    ids: list[str] = []
    rows: list[dict[str, Any]] = []
    soak: dict[str, Any] = {}
    for target in steps:
        new = [f"l{i}" for i in range(len(ids), target)]
        for start in range(0, len(new), 50):
            batch = new[start : start + 50]
            offers = (await listeners.call("offer", ids=batch))["offers"]
            answers = {u: await room.connect(u, offers[u], send_allowed=False) for u in batch}
            await listeners.call("answer", answers=answers)
        ids += new
        deadline = time.perf_counter() + 60
        while room.stats().listeners < len(ids) + 1 and time.perf_counter() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(3.0)
        if target == 200:
            room.tick_trace = None  # the traces list would grow: measure the relay alone
            soak = await _soak(room, soak_s)
            room.tick_trace = traces.append
        row = await _measure(room, listeners, speaker, ids, traces, window_s)
        if row["worst_rate"] < FULL_DELIVERY * PACKETS_PER_S or row["lag_p99"] > 20.0:
            _print_row(row)
            print("  (disturbed window: delivery short or the loop stalled; measuring again)")
            row = await _measure(room, listeners, speaker, ids, traces, window_s)
        rows.append(row)
        _print_row(row)
        if row["worst_rate"] < FULL_DELIVERY * PACKETS_PER_S * 0.9 or row["cpu"] > 0.8:
            print("  (stopping the ramp: delivery or CPU past the limit)")
            break
    status = await listeners.call("status")
    await listeners.call("close", ids=ids)
    await room.close()
    return {"rows": rows, "soak": soak, "rss_empty": rss_empty, "verified": status["verified"]}


async def _measure(
    room: Any,
    listeners: _Child,
    speaker: _Child,
    ids: list[str],
    traces: list[Any],
    window_s: float,
) -> dict[str, Any]:
    """One measurement window at the current listener count."""
    stats0, cpu0, t0 = room.stats(), _cpu_s(), time.perf_counter()
    traces.clear()
    mean_rate, worst_rate, client_cpu = await _delivery(listeners, ids, window_s)
    cpu1, t1, stats1 = _cpu_s(), time.perf_counter(), room.stats()
    stamps = dict((ts, t) for ts, t in (await speaker.call("stamps", since=t0 - 1.0))["stamps"])
    latencies = _latencies(traces, stamps)
    row = {
        "n": len(ids),
        "cpu": (cpu1 - cpu0) / (t1 - t0),
        "pps": (stats1.packets_sent - stats0.packets_sent) / (t1 - t0),
        "mean_rate": mean_rate,
        "worst_rate": worst_rate,
        "client_cpu": client_cpu,
        "drops": stats1.packets_dropped - stats0.packets_dropped,
        "speaker": _ingress_delta(stats0, stats1),
        "lag_p99": _pct([(t.fanout_start_s - t.deadline_s) * 1000.0 for t in traces], 0.99),
        "late": stats1.late_ticks - stats0.late_ticks,
        "lat_p50": _pct(latencies, 0.5),
        "lat_p95": _pct(latencies, 0.95),
        "rss": _rss_mb(),
    }
    return row


def _ingress_delta(before: Any, after: Any) -> str:
    """The speaker's packets lost, dropped (trimmed) and ticks that underran in the window."""
    a, b = before.peers["speaker"], after.peers["speaker"]
    return (
        f"lost {b.ingress_lost - a.ingress_lost} dropped {b.ingress_dropped - a.ingress_dropped}"
        f" underruns {b.ingress_underruns - a.ingress_underruns}"
    )


def _latencies(traces: list[Any], stamps: dict[int, float]) -> list[float]:
    """Speaker send -> send to listener k, for 11 places k along each tick's send loop."""
    out = []
    for trace in traces:
        for _, rtp_timestamp, _ in trace.consumed:
            sent = stamps.get(rtp_timestamp)
            if sent is None:
                continue
            span = trace.fanout_end_s - trace.fanout_start_s
            for k in range(11):
                out.append((trace.fanout_start_s + span * k / 10 - sent) * 1000.0)
    return out


async def _soak(room: Any, soak_s: float) -> dict[str, Any]:
    print(
        f"  memory soak: {soak_s:.0f} s at {room.stats().listeners - 1} listeners "
        "(ROOMCAST_BENCH_SOAK_S=600 for the 10-minute soak)",
        flush=True,
    )
    samples = []
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < soak_s:
        samples.append((elapsed, _rss_mb()))
        await asyncio.sleep(min(5.0, soak_s / 12))
    samples.append((time.perf_counter() - start, _rss_mb()))
    slope, _ = _fit([s[0] for s in samples], [s[1] for s in samples])
    half = samples[len(samples) // 2 :]
    late_slope, _ = _fit([s[0] for s in half], [s[1] for s in half]) if len(half) > 2 else (0, 0)
    return {
        "start": samples[0][1],
        "end": samples[-1][1],
        "slope_mb_min": slope * 60,
        "late_slope_mb_min": late_slope * 60,
        "seconds": samples[-1][0],
    }


async def _baseline_run(listeners: _Child) -> dict[str, Any]:
    count = int(_env_float("ROOMCAST_BENCH_BASELINE_N", 30))
    window_s = _env_float("ROOMCAST_BENCH_WINDOW_S", 10.0)
    relay = await _Child.start("baseline")
    try:
        before = await relay.call("usage")
        ids = [f"b{i}" for i in range(count)]
        offers = (await listeners.call("offer", ids=ids))["offers"]
        answers = (await relay.call("baseline_connect", offers=offers))["answers"]
        await listeners.call("answer", answers=answers)
        await asyncio.sleep(5.0)
        u0 = await relay.call("usage")
        s0 = await listeners.call("status")
        mean_rate, worst_rate, _ = await _delivery(listeners, ids, window_s)
        u1 = await relay.call("usage")
        s1 = await listeners.call("status")
        delivered = sum(s1["counts"][u] - s0["counts"][u] for u in ids)
        cpu = u1["cpu"] - u0["cpu"]
        await listeners.call("close", ids=ids)
        return {
            "n": count,
            "cpu": cpu / (u1["t"] - u0["t"]),
            "us_per_packet": cpu / delivered * 1e6,
            "mean_rate": mean_rate,
            "worst_rate": worst_rate,
            "mb_per_listener": (u1["rss_mb"] - before["rss_mb"]) / count,
        }
    finally:
        await relay.stop()


def _print_row(row: dict[str, Any]) -> None:
    print(
        f"  {row['n']:4d} listeners: relay CPU {row['cpu'] * 100:5.1f} %, "
        f"{row['pps']:.0f} packets/s, {row['cpu'] / max(row['pps'], 1) * 1e6:.1f} µs/packet "
        f"all-in; delivery per listener mean {row['mean_rate']:.1f} worst "
        f"{row['worst_rate']:.1f} /s, drops {row['drops']}\n"
        f"        latency p50 {row['lat_p50']:.1f} p95 {row['lat_p95']:.1f} ms, tick lag p99 "
        f"{row['lag_p99']:.1f} ms, RSS {row['rss']:.0f} MB, speaker in: {row['speaker']}, "
        f"listeners' process CPU {row['client_cpu'] * 100:.0f} %",
        flush=True,
    )


async def _main() -> None:
    print(_pin(None))
    listeners = await _Child.start("listeners")
    speaker = await _Child.start("speaker")
    try:
        print("encode-once relay (mode D: one fan-out loop, SRTP + sendto per listener)")
        ours = await _relay_run(listeners, speaker)
        print(
            f"baseline: stock aiortc, one Opus encoder per listener "
            f"({int(_env_float('ROOMCAST_BENCH_BASELINE_N', 30))} listeners)",
            flush=True,
        )
        base = await _baseline_run(listeners)
    finally:
        await asyncio.gather(listeners.stop(), speaker.stop())
    _report(ours, base)


def _report(ours: dict[str, Any], base: dict[str, Any]) -> None:
    rows = ours["rows"]
    top = rows[-1]
    if len({r["n"] for r in rows}) >= 2:
        slope, intercept = _fit([r["pps"] for r in rows], [r["cpu"] for r in rows])
    else:  # one step: no slope to fit, count everything as per-packet
        slope, intercept = top["cpu"] / top["pps"], 0.0
    marginal_us = slope * 1e6
    full = [r for r in rows if r["worst_rate"] >= FULL_DELIVERY * PACKETS_PER_S]
    within = [r["n"] for r in full if r["cpu"] <= 0.5]
    at_half = (0.5 - intercept) / (slope * PACKETS_PER_S) if slope > 0 else float("inf")
    print(
        f"  baseline: CPU {base['cpu'] * 100:.1f} % at {base['n']} listeners, "
        f"{base['us_per_packet']:.0f} µs/pkt, delivery mean {base['mean_rate']:.1f} "
        f"worst {base['worst_rate']:.1f} /s, {base['mb_per_listener']:.2f} MB/listener"
    )
    print("results")
    print(
        f"  CPU per listener-packet: {marginal_us:.1f} µs marginal (fit over "
        f"{len(rows)} steps; fixed {intercept * 100:.1f} % of a core), "
        f"{top['cpu'] / top['pps'] * 1e6:.1f} µs all-in at {top['n']}"
    )
    print(
        f"  baseline (stock aiortc): {base['us_per_packet']:.0f} µs per packet -> "
        f"{base['us_per_packet'] / marginal_us:.0f}x marginal, "
        f"{base['us_per_packet'] / (top['cpu'] / top['pps'] * 1e6):.0f}x all-in"
    )
    print(
        f"  listeners at <= 50 % of one core, full delivery: measured "
        f"{max(within) if within else 0}; extrapolated {at_half:.0f}"
    )
    lat = [r for r in rows if r["n"] >= 200] or rows
    print(
        "  relay-added latency (speaker packet sent -> listener packet sent): "
        + ", ".join(f"{r['n']}: p50 {r['lat_p50']:.1f} / p95 {r['lat_p95']:.1f} ms" for r in lat)
    )
    soak = ours["soak"]
    at200 = next((r for r in rows if r["n"] == 200), None)
    if soak and at200:
        per = (soak["start"] - ours["rss_empty"]) / 200
        print(
            f"  memory: {per:.2f} MB per listener (baseline {base['mb_per_listener']:.2f}); "
            f"over {soak['seconds']:.0f} s at 200: {soak['start']:.0f} -> {soak['end']:.0f} MB "
            f"(slope {soak['slope_mb_min']:+.2f} MB/min, second half "
            f"{soak['late_slope_mb_min']:+.2f} MB/min)"
        )
    print(f"  SRTP packets checked through aiortc's full receive path: {ours['verified']}")


def main() -> None:
    asyncio.run(_main())


if __name__ == "__main__":
    main()
