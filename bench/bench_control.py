"""The relay's control plane: what one command costs the event loop, with the old write path as
the baseline measured in the same run.

    python -m bench.bench_control [--samples N] [--sizes 100,500,1000]

For rooms of 100 / 500 / 1,000 people, each with a real Session (server/session.py) attached
per person, times `Hub.submit` for a reaction and for a join:
- new: decide + apply + append the events + queue the frames (one encode per class of
  viewer); the snapshot goes to the snapshot thread; delivery is a separate pass, timed
  apart and given per delivered frame;
- baseline (wave 1's path): the whole room rewritten in the command's own transaction and
  every connection handed its frame inside the command.
Then a directory poll with 50 rooms: cached (nothing changed), after one room changed, and the
wave-1 way (a card and a reminder query per room per poll). Prints figures; never fails on a
timing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from server.config import RelayConfig
from server.directory import card_of
from server.hub import Hub
from server.room import Join, Limits, React, RoomCard
from server.session import Session
from server.snapshot_writer import SnapshotWriter
from server.store import Store

ROOMY = Limits(listener_capacity=10_000)  # the joins measured come on top of the largest room


class Clock:
    """Seconds that move 2 s per reading, so nobody's reactions are rate limited."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        self.now += 2.0
        return self.now


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Rig:
    def __init__(self, data_dir: Path, people: int) -> None:
        self.store = Store.open(data_dir)
        self.snapshots = SnapshotWriter(data_dir)
        self.hub = Hub(self.store, snapshots=self.snapshots, clock=Clock())
        self.config = RelayConfig(data_dir=data_dir, max_pending_frames=10**6)
        host = "host-0"
        self.room_id = self.hub.create_room(
            host_id=host, host_name="Host", card=RoomCard("Bench"), limits=ROOMY
        ).room.room_id
        self.sessions: dict[str, Session] = {}
        for i in range(people):
            self.join(host if i == 0 else f"person-{i}")
        self.hub.broadcaster.deliver_pending()
        self.drain()
        self.next_user = people

    def join(self, user_id: str) -> None:
        self.hub.submit(self.room_id, user_id, Join(user_id))
        session = Session(None, self.hub, self.config)  # type: ignore[arg-type]
        self.sessions[user_id] = session
        self.hub.attach(self.room_id, user_id, session)

    def drain(self) -> None:
        for session in self.sessions.values():
            session._out.clear()

    def close(self) -> None:
        self.snapshots.close()
        self.store.close()


def measure(rig: Rig, kind: str, samples: int, baseline: bool) -> tuple[list[float], list[float]]:
    """(command costs in ms, delivery cost per delivered frame in µs)."""
    rig.hub.log.write_through = baseline
    costs, per_frame = [], []
    listeners = [u for u in rig.sessions if u != "host-0"]
    for i in range(samples):
        started = time.perf_counter()
        if kind == "reaction":
            rig.hub.submit(rig.room_id, listeners[i % len(listeners)], React("🔥"))
        else:
            user_id = f"late-{rig.next_user}"
            rig.next_user += 1
            rig.hub.submit(rig.room_id, user_id, Join(user_id))
        if baseline:
            rig.hub.broadcaster.deliver_pending()
        costs.append((time.perf_counter() - started) * 1e3)
        if kind == "join":  # seat the newcomer (untimed), as its hello would
            session = Session(None, rig.hub, rig.config)  # type: ignore[arg-type]
            rig.sessions[user_id] = session
            rig.hub.attach(rig.room_id, user_id, session)
        if not baseline:
            delivered_before = sum(len(s._out) for s in rig.sessions.values())
            started = time.perf_counter()
            rig.hub.broadcaster.deliver_pending()
            spent = time.perf_counter() - started
            delivered = sum(len(s._out) for s in rig.sessions.values()) - delivered_before
            per_frame.append(spent * 1e6 / max(delivered, 1))
        rig.drain()
    rig.hub.log.write_through = False
    return costs, per_frame


def directory(data_dir: Path) -> None:
    store = Store.open(data_dir)
    hub = Hub(store, snapshots=SnapshotWriter(data_dir), clock=Clock())
    ids = [
        hub.create_room(host_id=f"h{i}", host_name="Host", card=RoomCard(f"Room {i}")).room.room_id
        for i in range(50)
    ]
    for room_id in ids:
        for j in range(20):
            hub.submit(room_id, f"p{j}", Join(f"P {j}"))
    hub.directory_page(50, 0)

    def timed(poll: object, n: int = 200) -> float:
        started = time.perf_counter()
        for _ in range(n):
            poll()  # type: ignore[operator]
        return (time.perf_counter() - started) / n * 1e3

    cached = timed(lambda: hub.directory_page(50, 0))
    changed = timed(lambda: (hub.directory.changed(ids[0]), hub.directory_page(50, 0)))

    def wave1() -> None:
        cards = [card_of(room, store.reminder_count(room.room_id)) for room in hub.log.rooms()]
        cards.sort(key=lambda c: (c["state"] != "live", c["starts_at"] or 0.0))

    old = timed(wave1)
    ratio = old / max(changed, 1e-9)
    print(
        f"directory poll, 50 rooms of 20: cached {cached:.3f} ms, after a change "
        f"{changed:.3f} ms; wave-1 way {old:.3f} ms ({ratio:.0f}x)"
    )
    hub.log.close()
    store.close()


async def run(samples: int, sizes: list[int]) -> None:
    print(f"per-command control-loop cost, ms (p50 / p99 of {samples}); delivery per frame, µs")
    for people in sizes:
        for kind in ("reaction", "join"):
            with tempfile.TemporaryDirectory() as tmp:
                rig = Rig(Path(tmp), people)
                try:
                    new, per_frame = measure(rig, kind, samples, baseline=False)
                    old, _ = measure(rig, kind, samples, baseline=True)
                finally:
                    rig.close()
            ratio = statistics.median(old) / max(statistics.median(new), 1e-9)
            print(
                f"{people:5d} people {kind:8s}: new {percentile(new, 0.5):.3f} / "
                f"{percentile(new, 0.99):.3f}"
                f"  + delivery {statistics.median(per_frame):.2f} µs/frame"
                f"  | baseline {percentile(old, 0.5):.3f} / {percentile(old, 0.99):.3f}"
                f"  ({ratio:.1f}x)",
                flush=True,
            )
    with tempfile.TemporaryDirectory() as tmp:
        directory(Path(tmp))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--sizes", default="100,500,1000")
    args = parser.parse_args()
    asyncio.run(run(args.samples, [int(s) for s in args.sizes.split(",")]))


if __name__ == "__main__":
    main()
