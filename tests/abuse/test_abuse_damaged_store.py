"""Damage in the relay's data file sets aside what is damaged and starts the rest (issue: one
damaged room stops the relay).

As found: a damaged snapshot row refused the whole relay's start (every other room down too); a
0-byte database was silently re-initialised; 4 KiB of random bytes inside the file went
unnoticed. The defence, each against a real relay started on the damaged data folder: a room
whose saved state cannot be read is quarantined (its bytes kept, marked damaged, reported) and
every other room comes back; the file's integrity is checked at start, and a damaged, empty or
foreign file is renamed beside a new one (bytes untouched) with what can be read copied over;
/healthz and the log say what happened.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import sqlite3

import aiohttp
import pytest

from console.client import CommandRejected
from console.identity import Identity
from server.store import DB_NAME
from tests.relay.relaykit import create_room, join, relay


def moved(url: str, config) -> str:
    """The same link on the restarted relay's port."""
    return config.base_url + "/r/" + url.split("/r/", 1)[1]


async def health(config) -> dict:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{config.base_url}/healthz") as resp,
    ):
        assert resp.status == 200
        return await resp.json()


def make_rooms(tmp_path, count: int) -> list[dict]:
    """`count` live rooms, each with its host in it (so each has events after its snapshot)."""

    async def scenario():
        async with relay(tmp_path) as config:
            made = []
            for n in range(count):
                created = await create_room(config, Identity.new(), title=f"Room {n}")
                host = await join(created["host_url"], f"Host {n}")
                await host.close(leave=False)
                made.append(created)
            return made

    return asyncio.run(scenario())


def test_rooms_with_damaged_saved_states_are_set_aside_and_the_others_come_back(tmp_path, caplog):
    bad_snapshot, bad_shape, sound = make_rooms(tmp_path, 3)
    db = sqlite3.connect(tmp_path / DB_NAME)
    with db:
        db.execute(
            "UPDATE rooms SET snapshot = '{\"room_id\": 5' WHERE room_id = ?",
            (bad_snapshot["room_id"],),
        )
        # Sound JSON, the wrong shape: a room without its host.
        db.execute(
            "UPDATE rooms SET snapshot = json_remove(snapshot, '$.host_id') WHERE room_id = ?",
            (bad_shape["room_id"],),
        )
    kept_shape = db.execute(
        "SELECT snapshot FROM rooms WHERE room_id = ?", (bad_shape["room_id"],)
    ).fetchone()[0]
    db.close()

    async def restarted():
        caplog.set_level(logging.ERROR, logger="server.app")
        async with relay(tmp_path) as config:
            report = await health(config)
            assert report["live_rooms"] == 1
            assert report["store"]["damaged_rooms"] == 2
            # The sound room is whole: its host comes back to it and a listener joins.
            host = await join(moved(sound["host_url"], config), "Host 2")
            listener = await join(moved(sound["join_url"], config), "Lee Listener")
            assert listener.user_id in host.room.participants or await host.wait_for(
                lambda c: listener.user_id in c.room.participants
            )
            await listener.close()
            await host.close()
            # The damaged ones say there is no such room, rather than failing.
            for damaged in (bad_snapshot, bad_shape):
                with pytest.raises(CommandRejected) as refused:
                    await join(moved(damaged["join_url"], config), "Curious")
                assert refused.value.code == "room_not_found"
                async with (
                    aiohttp.ClientSession() as http,
                    http.get(f"{config.base_url}/api/rooms/{damaged['room_id']}") as resp,
                ):
                    assert resp.status == 404

    asyncio.run(restarted())
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert bad_snapshot["room_id"] in logged and bad_shape["room_id"] in logged
    # Their bytes are where they were, marked, with the reason and the state they had.
    db = sqlite3.connect(tmp_path / DB_NAME)
    snapshot = db.execute(
        "SELECT snapshot, state FROM rooms WHERE room_id = ?", (bad_snapshot["room_id"],)
    ).fetchone()
    assert snapshot == ('{"room_id": 5', "damaged")
    shape = db.execute(
        "SELECT snapshot FROM rooms WHERE room_id = ?", (bad_shape["room_id"],)
    ).fetchone()
    assert shape == (kept_shape,)
    reasons = dict(db.execute("SELECT room_id, state_before FROM quarantine").fetchall())
    assert reasons == {bad_snapshot["room_id"]: "live", bad_shape["room_id"]: "live"}
    db.close()


def test_an_empty_data_file_is_kept_and_said_not_silently_replaced(tmp_path):
    (tmp_path / DB_NAME).write_bytes(b"")

    async def scenario():
        async with relay(tmp_path) as config:
            report = await health(config)
            assert any("empty" in n and "kept as" in n for n in report["store"]["notices"])
            await create_room(config, Identity.new())

    asyncio.run(scenario())
    kept = list(tmp_path.glob(f"{DB_NAME}.empty-*"))
    assert len(kept) == 1 and kept[0].stat().st_size == 0


def test_a_foreign_file_in_place_of_the_data_file_is_kept_byte_for_byte(tmp_path):
    notes = b"this is not a database, but someone's notes\n" * 200
    (tmp_path / DB_NAME).write_bytes(notes)

    async def scenario():
        async with relay(tmp_path) as config:
            report = await health(config)
            assert any("damaged" in n for n in report["store"]["notices"])
            await create_room(config, Identity.new())

    asyncio.run(scenario())
    kept = [
        p for p in tmp_path.glob(f"{DB_NAME}.damaged-*") if not p.name.endswith(("-wal", "-shm"))
    ]
    assert len(kept) == 1 and kept[0].read_bytes() == notes


def test_random_bytes_inside_the_file_are_noticed_and_the_readable_rooms_salvaged(tmp_path):
    made = make_rooms(tmp_path, 12)
    path = tmp_path / DB_NAME
    db = sqlite3.connect(path)
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    # A leaf page of the event log, in the middle of the file: the rooms themselves stay
    # readable, so the salvage has something to show.
    pages = [
        int(r[0])
        for r in db.execute(
            "SELECT pageno FROM dbstat WHERE name = 'events' AND pagetype = 'leaf' ORDER BY pageno"
        )
    ]
    db.close()
    assert pages, "the event log should span leaf pages"
    target = pages[len(pages) // 2]
    noise = random.Random(11).randbytes(4096)
    with open(path, "r+b") as raw:
        raw.seek((target - 1) * page_size)
        raw.write(noise[:page_size] if page_size < 4096 else noise)
    damaged_digest = hashlib.sha256(path.read_bytes()).hexdigest()
    check = sqlite3.connect(path)
    try:
        verdict = check.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        verdict = [(str(exc),)]
    check.close()
    assert verdict != [("ok",)], "the damage should be one SQLite can find"

    async def scenario():
        async with relay(tmp_path) as config:
            report = await health(config)
            notices = report["store"]["notices"]
            assert len(notices) == 1 and "damaged" in notices[0], notices
            assert "rooms" in notices[0]  # says what was copied
            # Every room the salvage could read is back (those whose log page was hit are
            # set aside or lost their later events, never the relay).
            assert 1 <= report["live_rooms"] <= len(made)
            await create_room(config, Identity.new())
            return report

    asyncio.run(scenario())
    kept = [
        p for p in tmp_path.glob(f"{DB_NAME}.damaged-*") if not p.name.endswith(("-wal", "-shm"))
    ]
    assert len(kept) == 1
    assert hashlib.sha256(kept[0].read_bytes()).hexdigest() == damaged_digest
    sound = sqlite3.connect(path)
    assert sound.execute("PRAGMA quick_check").fetchall() == [("ok",)]
    sound.close()
