"""Console UI responsiveness: event-loop lag with 13 animated meters and 500 listeners.

The main window is built on a stand-in session (no network): a room with a full stage of 13
and 500 listeners; the relay's `levels` arrive at 25 Hz for all 13 (moving like speech), one
listener leaves and another joins every 200 ms, and reactions arrive at 5 Hz. A probe timer
due every 10 ms records how late it fires (Qt's PreciseTimer on the same thread, under
qasync, as in the console). The baseline is the same window with an empty room and no
activity, measured in the same run.

    python -m bench ui        (ROOMCAST_BENCH_UI_S: seconds per phase, default 8)

Offscreen by default (set QT_QPA_PLATFORM to measure on a real display). Figures only; never
a pass/fail on timing.
"""

from __future__ import annotations

import asyncio
import math
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PROBE_MS = 10
STAGE = 13
LISTENERS = 500


class StandInClient:
    def __init__(self, room: Any, me: str) -> None:
        self.room = room
        self.user_id = me
        self.on_event: list[Any] = []
        self.on_speaking: list[Any] = []
        self.on_levels: list[Any] = []
        self.on_recording_failed: list[Any] = []
        self.speaking: dict[str, bool] = {}
        self.closed_reason = None
        self.connected = True
        self.link = None


class StandInSession:
    """What the window reads of a HostSession, without a relay."""

    def __init__(self, room: Any, me: str) -> None:
        from console.level_board import LevelBoard
        from console.talk_time import TalkTime

        self.client = StandInClient(room, me)
        self.board = LevelBoard()
        self.talk_time = TalkTime()
        self.mic = None
        self.muted = False

    @property
    def room(self) -> Any:
        return self.client.room

    @property
    def user_id(self) -> str:
        return self.client.user_id

    async def send(self, command: object) -> dict[str, Any]:
        return {}


def make_room(stage: int, listeners: int) -> Any:
    from server.room import Participant, Role, Room, RoomCard, RoomState

    now = time.time()
    people = {"host": Participant("host", "Hana Host", Role.HOST, now, False, now)}
    for i in range(1, stage):
        role = Role.COHOST if i <= 2 else Role.SPEAKER
        people[f"s{i}"] = Participant(f"s{i}", f"Speaker {i}", role, now, i % 5 == 0, now + i)
    for i in range(listeners):
        people[f"l{i}"] = Participant(f"l{i}", f"Listener {i:03d}", Role.LISTENER, now)
    return Room(
        "bench", "host", "Hana Host", RoomCard("Benchmark room"), RoomState.LIVE, now,
        started_at=now, participants=people,
    )  # fmt: skip


def percentiles(lags_ms: list[float]) -> tuple[float, float, float]:
    ordered = sorted(lags_ms)
    if not ordered:
        return (0.0, 0.0, 0.0)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return statistics.median(ordered), p99, ordered[-1]


async def measure(seconds: float, activity: Any) -> tuple[list[float], float]:
    """Probe lags (ms) and the share of one core this process used meanwhile."""
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
    stop = activity() if activity else None
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await done.wait()
    cpu_share = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    if stop:
        stop()
    return lags, cpu_share


def main() -> None:
    import qasync
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from server.room import Participant, Reacted, Role
    from ui.header import ShareLinks
    from ui.main_window import MainWindow
    from ui.room_controller import RoomController
    from ui.theme import apply_theme

    seconds = float(os.environ.get("ROOMCAST_BENCH_UI_S", "8"))
    app = QApplication.instance() or QApplication(sys.argv)
    app.setQuitOnLastWindowClosed(False)
    apply_theme(app, "dark")
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    def window_for(room: Any) -> tuple[MainWindow, StandInSession]:
        session = StandInSession(room, "host")
        controller = RoomController(session)  # type: ignore[arg-type]
        window = MainWindow(controller, ShareLinks("http://127.0.0.1:8470/r/bench"))
        window.show()
        return window, session

    async def run() -> None:
        idle_window, _ = window_for(make_room(1, 0))
        await asyncio.sleep(1.0)
        idle, idle_cpu = await measure(seconds, None)
        idle_window.close_now()

        window, session = window_for(make_room(STAGE, LISTENERS))
        client = session.client
        stage_ids = [p.user_id for p in client.room.stage()]
        counter = {"n": LISTENERS, "seq": 0, "t": 0.0}
        painted = {"rows": 0}

        def levels() -> None:
            counter["t"] += 0.04
            t = counter["t"]
            body = {}
            for i, uid in enumerate(stage_ids):
                envelope = 0.5 + 0.5 * math.sin(t * (1.3 + i * 0.21) + i)
                rms = -60 + 45 * envelope * (0.7 + 0.3 * math.sin(t * 9 + i))
                body[uid] = {"peak_db": rms + 6, "rms_db": rms, "speaking": envelope > 0.6}
            session.board.publish_relay(body)

        def churn() -> None:
            import dataclasses

            room = client.room
            people = dict(room.participants)
            gone = next(uid for uid, p in people.items() if p.role is Role.LISTENER)
            del people[gone]
            counter["n"] += 1
            uid = f"l{counter['n']}"
            people[uid] = Participant(
                uid, f"Listener {counter['n']:03d}", Role.LISTENER, time.time()
            )
            client.room = dataclasses.replace(room, participants=people)
            counter["seq"] += 1
            for callback in client.on_event:
                callback(counter["seq"], object(), client.room)

        def react() -> None:
            counter["seq"] += 1
            event = Reacted(f"l{counter['n'] - 3}", time.time(), "🙌")
            for callback in client.on_event:
                callback(counter["seq"], event, client.room)

        def activity() -> Any:
            timers = []
            for interval, slot in ((40, levels), (200, churn), (200, react)):
                timer = QTimer()
                timer.setInterval(interval)
                timer.timeout.connect(slot)
                timer.start()
                timers.append(timer)
            original = window.stage_model.tick

            def counting_tick(board: Any, elapsed_s: float) -> int:
                changed = original(board, elapsed_s)
                painted["rows"] += changed
                return changed

            window.stage_model.tick = counting_tick  # type: ignore[method-assign]
            return lambda: [t.stop() for t in timers]

        await asyncio.sleep(1.0)
        loaded, loaded_cpu = await measure(seconds, activity)
        rows = window.audience_model.rowCount()
        window.close_now()

        print(f"load average before the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        for name, lags, cpu in (
            ("idle window (baseline)", idle, idle_cpu),
            ("13 meters + 500 listeners", loaded, loaded_cpu),
        ):
            p50, p99, worst = percentiles(lags)
            print(
                f"{name:28s} probes {len(lags):5d}  lag p50 {p50:5.2f} ms  p99 {p99:5.2f} ms  "
                f"max {worst:6.2f} ms  CPU {cpu * 100:4.1f} % of a core"
            )
        b50, b99, _ = percentiles(idle)
        l50, l99, _ = percentiles(loaded)
        ratio50, ratio99 = l50 / max(b50, 0.01), l99 / max(b99, 0.01)
        print(f"loaded / baseline: p50 x{ratio50:.1f}, p99 x{ratio99:.1f} (target: p99 <= 16 ms)")
        print(f"audience rows {rows}; meter row repaints {painted['rows']} "
              f"({painted['rows'] / seconds:.0f}/s over {STAGE} meters)")  # fmt: skip

    loop.run_until_complete(run())


if __name__ == "__main__":
    main()
