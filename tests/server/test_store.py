"""The SQLite store: rooms survive a reopen, writes are all-or-nothing, damage is reported."""

from __future__ import annotations

import sqlite3

import pytest

from server.room import (
    EndRoom,
    IssueTicket,
    Join,
    Mute,
    RemoveParticipant,
    RevokeTicket,
    Room,
    RoomCard,
    RoomState,
    SetTicketing,
    Unblock,
    apply_all,
    decide,
    new_room,
)
from server.store import DB_NAME, SCHEMA_VERSION, Store, StoreError
from tests.server.roomkit import HOST, T0, live_room


def commit(
    store: Store, room: Room, last_seq: int, actor: str, command: object, now: float
) -> tuple[Room, int]:
    events = decide(room, actor, command, now)  # type: ignore[arg-type]
    assert isinstance(events, list), events
    room = apply_all(room, events)
    return room, store.commit(room, events, last_seq + 1)


@pytest.fixture
def store(tmp_path):
    opened = Store.open(tmp_path)
    yield opened
    opened.close()


def test_a_new_store_is_at_the_current_schema_in_wal_mode(store):
    assert store.schema_version == SCHEMA_VERSION
    mode = store._db.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_a_room_and_its_events_survive_a_reopen(tmp_path):
    store = Store.open(tmp_path)
    room = live_room()
    store.create_room(room)
    room, seq = commit(store, room, 0, HOST, Mute("spk"), T0 + 20)
    room, seq = commit(store, room, seq, "lis", Join("Lee Listener"), T0 + 21)  # idempotent rejoin
    store.close()

    reopened = Store.open(tmp_path)
    stored = reopened.load_room("r1")
    assert stored is not None
    assert stored.room == room
    assert stored.last_seq == seq
    log = reopened.events_after("r1", 0)
    assert [s for s, _ in log] == list(range(1, seq + 1))
    assert type(log[0][1]).__name__ == "Muted"
    assert reopened.events_after("r1", seq) == []
    reopened.close()


def test_blocks_span_the_hosts_rooms_until_unblocked(store):
    room = live_room("r1")
    store.create_room(room)
    room, seq = commit(store, room, 0, HOST, RemoveParticipant("lis", block=True), T0 + 20)
    assert store.blocked_by(HOST) == {"lis"}
    assert store.blocked_by("another-host") == frozenset()

    # the host's next room starts with the block list from the store
    second = new_room(
        "r2", HOST, "Hana Host", RoomCard("Next one"), T0 + 100, blocked=store.blocked_by(HOST)
    )
    assert isinstance(second, Room)
    verdict = decide(second, "lis", Join("Lee Listener"), T0 + 101)
    assert not isinstance(verdict, list)
    assert verdict.reason.value == "blocked"

    room, seq = commit(store, room, seq, HOST, Unblock("lis"), T0 + 30)
    assert store.blocked_by(HOST) == frozenset()


def test_tickets_are_mirrored_with_their_holder(store):
    made = new_room("t1", HOST, "Hana Host", RoomCard("Paid talk"), T0)
    assert isinstance(made, Room)
    room = made
    store.create_room(room)
    room, seq = commit(store, room, 0, HOST, Join("Hana Host"), T0)
    room, seq = commit(store, room, seq, HOST, SetTicketing(500, "EUR", 2), T0 + 1)
    room, seq = commit(store, room, seq, HOST, IssueTicket("AAAA-1111"), T0 + 2)
    room, seq = commit(store, room, seq, HOST, IssueTicket("BBBB-2222"), T0 + 3)
    room, seq = commit(
        store, room, seq, "buyer", Join("Bea Buyer", ticket_code="AAAA-1111"), T0 + 4
    )
    assert store.ticket_holders("t1") == {"AAAA-1111": "buyer", "BBBB-2222": None}
    assert store.load_room("t1").room.tickets.holders == {"AAAA-1111": "buyer"}
    # a refund takes the code off the room's list, and the buyer out of the room
    room, seq = commit(store, room, seq, HOST, RevokeTicket("AAAA-1111"), T0 + 5)
    assert store.ticket_holders("t1") == {"BBBB-2222": None}
    reloaded = store.load_current("t1").room
    assert reloaded.tickets.revoked == {"AAAA-1111"} and not reloaded.is_present("buyer")


def test_rooms_are_listed_by_state(store):
    live = live_room("live")
    store.create_room(live)
    ended = live_room("over")
    store.create_room(ended)
    commit(store, ended, 0, HOST, EndRoom(), T0 + 50)
    assert [s.room.room_id for s in store.rooms([RoomState.LIVE])] == ["live"]
    assert [s.room.room_id for s in store.rooms([RoomState.ENDED])] == ["over"]


def test_a_failed_commit_leaves_the_room_as_it_was(store):
    room = live_room()
    store.create_room(room)
    muted, seq = commit(store, room, 0, HOST, Mute("spk"), T0 + 20)
    events = decide(muted, HOST, RemoveParticipant("lis"), T0 + 21)
    assert isinstance(events, list)
    with pytest.raises(StoreError, match="already stored"):
        store.commit(apply_all(muted, events), events, seq)  # reuses a sequence number
    assert store.load_room("r1").room == muted
    assert store.load_room("r1").last_seq == seq


def test_a_full_disk_is_reported_and_loses_nothing(store):
    room = live_room()
    store.create_room(room)
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count={pages}")
    big = room
    events = []
    for i in range(400):
        verdict = decide(big, f"user-{i}", Join(f"Listener number {i} with a long name"), T0 + 30)
        assert isinstance(verdict, list)
        events += verdict
        big = apply_all(big, verdict)
    with pytest.raises(StoreError, match="full"):
        store.commit(big, events, 1)
    assert store.load_room("r1").room == room
    assert store.events_after("r1", 0) == []


def test_a_damaged_file_is_set_aside_untouched_and_a_new_one_started(tmp_path):
    path = tmp_path / DB_NAME
    path.write_bytes(b"this is not a database, but someone's notes" * 100)
    before = path.read_bytes()
    store = Store.open(tmp_path)
    try:
        [notice] = store.notices
        kept = [p for p in tmp_path.iterdir() if p.name.startswith(f"{DB_NAME}.damaged-")]
        assert [p.name for p in kept] == [kept[0].name] and kept[0].name in notice
        assert kept[0].read_bytes() == before
        assert "nothing" in notice  # nothing could be copied from notes
        store.create_room(live_room())
    finally:
        store.close()


def test_a_file_the_relay_cannot_open_is_refused_not_set_aside(tmp_path):
    path = tmp_path / DB_NAME
    path.mkdir()  # a folder where the file should be: not damage, a mistake to say
    with pytest.raises(StoreError, match="cannot be read"):
        Store.open(tmp_path)
    assert path.is_dir()


def test_a_room_whose_events_cannot_be_replayed_is_quarantined_not_fatal(store):
    store.create_room(live_room("r1"))
    store.create_room(live_room("r2"))
    room = live_room("r1")
    commit(store, room, 0, HOST, Mute("spk"), T0 + 20)
    store._db.execute(
        "UPDATE rooms SET last_seq = 0, snapshot = ? WHERE room_id = 'r1'",
        (store._db.execute("SELECT snapshot FROM rooms WHERE room_id = 'r2'").fetchone()[0]
         .replace('"r2"', '"r1"'),),
    )  # fmt: skip
    store._db.execute("UPDATE events SET body = '{' WHERE room_id = 'r1' AND seq = 1")
    assert [s.room.room_id for s in store.current_rooms([RoomState.LIVE])] == ["r2"]
    [damaged] = store.damaged_rooms()
    assert damaged.room_id == "r1" and "event 1" in damaged.reason
    assert store.load_room("r1") is None
    # Set aside once: the next start does not find it again, nor lose the other.
    assert [s.room.room_id for s in store.current_rooms([RoomState.LIVE])] == ["r2"]
    assert len(store.damaged_rooms()) == 1


def test_a_store_from_a_newer_roomcast_is_refused(tmp_path):
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer Roomcast"):
        Store.open(tmp_path)


def test_a_damaged_snapshot_names_the_room(store):
    store.create_room(live_room())
    store._db.execute("UPDATE rooms SET snapshot = '{\"room_id\": 5}' WHERE room_id = 'r1'")
    with pytest.raises(StoreError, match="room 'r1' is damaged"):
        store.load_room("r1")


def test_reminders_are_counted_once_per_client(store):
    made = new_room("s1", HOST, "Hana Host", RoomCard("Later"), T0, starts_at=T0 + 3600)
    assert isinstance(made, Room)
    store.create_room(made)
    assert store.add_reminder("s1", "c1", T0) == 1
    assert store.add_reminder("s1", "c1", T0 + 1) == 1
    assert store.add_reminder("s1", "c2", T0 + 2) == 2
    with pytest.raises(StoreError):
        store.add_reminder("no-such-room", "c1", T0)


def test_appended_events_replay_onto_an_older_snapshot_exactly(store):
    """What a kill -9 leaves: events appended after the last snapshot. The room comes back as
    the snapshot with those events applied again, every role and request as it was."""
    room = live_room()
    store.create_room(room)
    seq = 0
    truth = room
    for actor, command in [(HOST, Mute("spk")), ("new", Join("Nina New")), (HOST, EndRoom())]:
        events = decide(truth, actor, command, T0 + 40 + seq)  # type: ignore[arg-type]
        assert isinstance(events, list), events
        truth = apply_all(truth, events)
        seq = store.append(truth, events, seq + 1)
        if seq == 1:
            assert store.save_snapshot(truth, seq)
    assert store.load_room("r1").last_seq == 1
    current = store.load_current("r1")
    assert current is not None and current.room == truth and current.last_seq == seq
    assert store.current_rooms([RoomState.LIVE]) == []
    assert [s.room.room_id for s in store.current_rooms([RoomState.ENDED])] == ["r1"]
    assert not store.save_snapshot(room, 0), "an older snapshot never replaces a newer one"
