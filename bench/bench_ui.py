"""The console's own cost: CPU and memory of its window and session on a real relay.

One run, one console (this process: the room window and its HostSession, with no microphone:
it sends nothing, and hears the room), a relay child process, and the room's people in another child
(bench/ui_peers.py) so their cost is theirs:

1. idle live room (the baseline): the host alone, live;
2. 13 meters moving: 2 co-hosts and 10 speakers on stage, talking (a tone rising and
   falling like speech), so the relay's levels, the meters and the speaking glow move;
3. 13 meters + 500 listeners: 500 listeners join on raw WebSockets (the audience list holds
   500 rows);
4. memory over a bounded window: the full room of phase 3 for ROOMCAST_BENCH_UI_RSS_S
   seconds (default 60; the issue asks for 30 minutes: ROOMCAST_BENCH_UI_RSS_S=1800),
   RSS sampled every second.

For each phase: the share of one core this process used (all its threads: Qt, the event
loop, aiortc decoding the stage mix) over ROOMCAST_BENCH_UI_S with nothing of the
benchmark's running; then, in a window of its own, the event loop's lag (a timer due every
10 ms, how late it fires) and the CPU share with that probe running; and RSS. The idle room
is digital silence: the console asks for DTX (`usedtx=1`), so the relay sends it nothing.

    python -m bench ui        (ROOMCAST_BENCH_UI_S: seconds per phase, default 10;
                               ROOMCAST_BENCH_UI_PROFILE=1 prints each phase's hot spots)

Offscreen by default (set QT_QPA_PLATFORM to measure on a real display). Figures only; never
a pass/fail on timing. Targets from issue 15: <= 2 % idle, <= 8 % with 13 meters moving,
memory flat.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PROBE_MS = 10
COHOSTS = 2
SPEAKERS = 10
STAGE = 1 + COHOSTS + SPEAKERS
LISTENERS = 500


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def thread_ticks() -> dict[str, int]:
    """CPU ticks (user + system) per thread name of this process, from /proc."""
    ticks: dict[str, int] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        ticks[name] = ticks.get(name, 0) + int(fields[11]) + int(fields[12])
    return ticks


def busiest(before: dict[str, int], after: dict[str, int], seconds: float) -> str:
    hz = os.sysconf("SC_CLK_TCK")
    used = {n: (after.get(n, 0) - before.get(n, 0)) / hz / seconds for n in after}
    top = sorted(used.items(), key=lambda kv: -kv[1])[:3]
    return ", ".join(f"{name} {share * 100:.0f} %" for name, share in top if share > 0.005)


def percentiles(lags_ms: list[float]) -> tuple[float, float, float]:
    ordered = sorted(lags_ms)
    if not ordered:
        return (0.0, 0.0, 0.0)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return statistics.median(ordered), p99, ordered[-1]


async def cpu_share(seconds: float, profile: cProfile.Profile | None = None) -> float:
    """The share of one core this process used over `seconds`, with nothing of ours running
    (the lag probe has its own window: at 100 callbacks a second it costs about a third of
    an idle console's own work)."""
    if profile is not None:
        profile.enable()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    share = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    if profile is not None:
        profile.disable()
    return share


async def measure_lag(seconds: float) -> tuple[list[float], float]:
    """Probe lags (ms), and the share of one core used meanwhile (probe included)."""
    from PySide6.QtCore import Qt, QTimer

    lags: list[float] = []
    done = asyncio.Event()
    state = {"due": time.perf_counter() + PROBE_MS / 1000}
    probe = QTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.setSingleShot(True)
    end = time.perf_counter() + seconds

    def fire() -> None:
        now = time.perf_counter()
        lags.append(max(0.0, (now - state["due"]) * 1000))
        if now >= end:
            done.set()
            return
        state["due"] = now + PROBE_MS / 1000
        probe.start(PROBE_MS)

    probe.timeout.connect(fire)
    probe.start(PROBE_MS)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await done.wait()
    return lags, (time.process_time() - cpu0) / (time.perf_counter() - wall0)


async def until(predicate: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"bench ui: timed out waiting for {what}")
        await asyncio.sleep(0.05)


class Peers:
    """bench/ui_peers.py as a child process, one command at a time."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, join_url: str) -> Peers:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.ui_peers", join_url,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            cwd=str(Path(__file__).resolve().parent.parent),
        )  # fmt: skip
        return cls(process)

    async def ask(self, line: str, timeout_s: float = 300.0) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()
        answer = await asyncio.wait_for(self.process.stdout.readline(), timeout_s)
        text = answer.decode().strip()
        if not text.startswith("ok"):
            raise RuntimeError(f"bench ui: the peers answered {text!r} to {line.split()[0]}")
        return text

    async def stop(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(RuntimeError, TimeoutError, OSError):
                await self.ask("quit", timeout_s=5.0)
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


def main() -> None:
    from PySide6.QtWidgets import QApplication

    from ui.event_loop import ConsoleLoop

    seconds = float(os.environ.get("ROOMCAST_BENCH_UI_S", "10"))
    rss_window_s = float(os.environ.get("ROOMCAST_BENCH_UI_RSS_S", "60"))
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    loop = ConsoleLoop(app)  # the console's own loop
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(run(app, seconds, rss_window_s))
    finally:
        loop.close()  # its worker threads too (Qt aborts on a QThread left running)


async def run(app: Any, seconds: float, rss_window_s: float) -> None:
    from console.client import JoinLink
    from console.host_session import HostSession
    from console.identity import Identity
    from console.microphones import SilenceTrack
    from console.rooms_api import RelayApi
    from console.supervisor import RelaySupervisor
    from server.room import ApproveRequest
    from ui.header import ShareLinks
    from ui.main_window import MainWindow
    from ui.room_controller import RoomController
    from ui.theme import apply_theme

    apply_theme(app, "dark")
    print(f"load average before the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    data = Path(tempfile.mkdtemp(prefix="rc-bench-ui-"))
    supervisor = RelaySupervisor(data / "relay", port=0)
    url = await supervisor.start()
    peers: Peers | None = None
    crowd: Peers | None = None  # the listeners, in a process of their own
    window: Any = None
    session: Any = None
    results: list[tuple[str, list[float], float, float, float, float]] = []
    try:
        identity = Identity.new()
        api = RelayApi(url, admin_key=supervisor.admin_key())
        hosted, _card = await api.create_room(identity, "Hana Host", "Benchmark room")
        token = hosted.host_url.split("#token=", 1)[1]
        session = HostSession(
            JoinLink.parse(hosted.host_url), identity, "Hana Host", mic=SilenceTrack()
        )
        await session.start()
        controller = RoomController(session)
        window = MainWindow(controller, ShareLinks(hosted.join_url, token))
        window.show()
        await asyncio.sleep(2.0)  # settle: first paint, media connected

        heard = {"levels": 0, "speaking": 0}
        session.client.on_levels.append(
            lambda body: heard.__setitem__("levels", heard["levels"] + 1)
        )

        async def phase(name: str) -> None:
            heard["levels"] = 0
            frames0 = session.media.recorder.frames_received
            threads0 = thread_ticks()
            profile = cProfile.Profile() if os.environ.get("ROOMCAST_BENCH_UI_PROFILE") else None
            cpu = await cpu_share(seconds, profile)
            threads = busiest(threads0, thread_ticks(), seconds)
            mix_fps = (session.media.recorder.frames_received - frames0) / seconds
            levels_per_s = heard["levels"] / seconds
            if profile is not None:
                print(f"  where the main thread's time went during {name}:")
                pstats.Stats(profile).sort_stats("tottime").print_stats(12)
            lags, probed_cpu = await measure_lag(max(3.0, seconds / 2))
            results.append((name, lags, cpu, probed_cpu, rss_mb(), mix_fps))
            room = session.client.room
            talking = sum(1 for p in room.stage() if not p.muted)
            print(
                f"  measured: {name} (connected {session.client.connected}; "
                f"{len(room.stage())} on stage, {talking} unmuted, "
                f"{len(room.listeners())} listening; "
                f"relay levels {levels_per_s:.0f}/s; "
                f"stage mix {mix_fps:.0f} frames/s; "
                f"busiest threads: {threads})",
                flush=True,
            )

        await phase("idle live room (baseline)")

        peers = await Peers.start(hosted.join_url)
        cohost_links = [await api.cohost_link(hosted.room_id, token) for _ in range(COHOSTS)]
        await peers.ask("speakers " + " ".join(cohost_links + [hosted.join_url] * SPEAKERS))

        async def approve_all() -> None:
            for request in list(session.client.room.requests):
                await session.client.send(ApproveRequest(request.user_id))

        deadline = time.monotonic() + 60
        while len(session.client.room.stage()) < STAGE:
            if time.monotonic() > deadline:
                raise RuntimeError("bench ui: the speakers never all reached the stage")
            await approve_all()
            await asyncio.sleep(0.2)
        await until(lambda: window.stage_model.rowCount() == STAGE, 30, "13 on the stage list")
        await asyncio.sleep(3.0)  # media up, levels flowing
        await phase(f"{STAGE} meters moving")

        crowd = await Peers.start(hosted.join_url)
        await crowd.ask(f"listeners {LISTENERS}")
        await until(
            lambda: window.audience_model.rowCount() >= LISTENERS, 120, "500 in the audience"
        )
        await asyncio.sleep(2.0)
        await phase(f"{STAGE} meters + {LISTENERS} listeners")

        rss_samples: list[float] = []
        cpu0, wall0 = time.process_time(), time.perf_counter()
        end = time.monotonic() + rss_window_s
        while time.monotonic() < end:
            rss_samples.append(rss_mb())
            await asyncio.sleep(1.0)
        window_cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
        print(f"  measured: RSS over {rss_window_s:.0f} s", flush=True)
    finally:
        for child in (crowd, peers):
            if child is not None:
                await child.stop()
        if window is not None:
            window.close_now()
        if session is not None:
            await session.close(leave=False)
        await supervisor.stop()

    print()
    base_cpu = results[0][2]
    for index, (name, lags, cpu, probed_cpu, rss, mix_fps) in enumerate(results):
        p50, p99, worst = percentiles(lags)
        ratio = f"x{cpu / base_cpu:4.1f}" if base_cpu > 0 else "  -  "
        print(
            f"{name:32s} CPU {cpu * 100:5.1f} % of a core ({ratio} baseline)  "
            f"loop lag p50 {p50:5.2f} ms p99 {p99:6.2f} ms max {worst:7.2f} ms "
            f"(CPU {probed_cpu * 100:4.1f} % with the 100 Hz lag probe)  RSS {rss:6.1f} MB"
            f"  stage mix {mix_fps:3.0f}/50 frames/s"
            + ("  (a silent room: the relay sends the console nothing, DTX)" if index == 0 else "")
        )
        if index == 0 and mix_fps > 5:
            print(f"  ! the silent room's mix reached the console at {mix_fps:.0f} frames/s: "
                  "the relay did not honour the console's usedtx=1")  # fmt: skip
        if index > 0 and mix_fps < 45:
            print(f"  ! the stage mix reached the console at {mix_fps:.0f} of 50 frames/s: this "
                  "figure is without (all) the audio decoding a full room costs")  # fmt: skip
    first, last = rss_samples[0], rss_samples[-1]
    minutes = max(1e-9, (len(rss_samples) - 1) / 60)
    print(
        f"RSS over {rss_window_s:.0f} s with the full room: {first:.1f} -> {last:.1f} MB "
        f"(max {max(rss_samples):.1f}; {(last - first) / minutes:+.2f} MB/min); "
        f"CPU {window_cpu * 100:.1f} % of a core meanwhile"
    )
    print("targets (issue 15): idle <= 2 %, 13 meters <= 8 %, memory flat")


if __name__ == "__main__":
    main()
