"""The relay's SQLite store: what must survive a restart (DESIGN §7).

One file, `roomcast.db`, in the data folder, in WAL mode. A room is kept as
a snapshot plus the numbered events (the events are the moderation log and
what a reconnecting client resumes from). A command's events are appended in
one transaction with the side tables they change (`append`); the snapshot is
rewritten separately and less often (`save_snapshot`, from
server/snapshot_writer.py's thread), so the room as it is now is the
snapshot with the events after it applied again (`load_current`). The host's
block and contact lists span rooms, so they live in their own tables, as do
tickets and reminders.

Runs on: the relay's event loop thread (appends take tens of microseconds);
the snapshot writer opens its own Store on its own thread.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from server.room import (
    EVENT_TYPES,
    ContactAdded,
    ContactRemoved,
    ParticipantJoined,
    ParticipantRemoved,
    Room,
    RoomState,
    TicketIssued,
    TicketMoved,
    TicketRevoked,
    Unblocked,
)
from server.room.codec import CodecError, decode_dataclass, to_plain
from server.room.reducer import apply
from server.store_schema import MIGRATIONS, SCHEMA_VERSION

DB_NAME = "roomcast.db"
# Events read per query when a room is brought up to date from its snapshot.
REPLAY_BATCH = 5_000


class StoreError(Exception):
    """The store cannot do what was asked; the message says what to do about it."""


@dataclass(frozen=True, slots=True)
class StoredRoom:
    room: Room
    last_seq: int


@dataclass(frozen=True, slots=True)
class DamagedRoom:
    """A room set aside at start because its saved state could not be read."""

    room_id: str
    reason: str
    found_at: float


class _Unreadable(StoreError):
    """SQLite says the file is not a database, or a damaged one."""


class Store:
    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        # What opening found and did about it (a file set aside, rows salvaged), in words.
        self.notices: list[str] = []

        # The last write that failed: (time.monotonic(), what to tell people); /healthz reports it.
        self.last_write_failure: tuple[float, str] | None = None

    def _write_failed(self, exc: sqlite3.OperationalError) -> StoreError:
        error = _write_error(exc)
        self.last_write_failure = (time.monotonic(), str(error))
        return error

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(cls, data_dir: Path, *, check: bool = True) -> Store:
        """Open (or create) the data file. With `check` (the relay's own start), a file that is
        empty, not a database, or fails SQLite's integrity check is never used or replaced as
        it is: it is renamed beside the new one, bytes untouched, what can be read of it is
        copied into a new file, and `notices` says so."""
        path = data_dir / DB_NAME
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"Cannot create Roomcast's data folder {data_dir} ({exc.strerror}); "
                "pick another with --data-dir."
            ) from exc
        if not check:
            return cls._connect(path)
        notices: list[str] = []
        if _is_empty(path):
            kept = _set_aside(path, "empty")
            notices.append(
                f"Roomcast's data file was empty (0 bytes, perhaps cut short by a crash or a "
                f"full disk); it was kept as {kept.name} and a new one started."
            )
        problem: str | None
        try:
            store: Store | None = cls._connect(path)
            assert store is not None
            problem = store._integrity_problem()
        except _Unreadable as exc:
            store, problem = None, str(exc.__cause__ or exc)
        if problem is not None:
            if store is not None:
                store.close()
            kept = _set_aside(path, "damaged")
            store = cls._connect(path)
            copied = store._salvage(kept)
            notices.append(
                f"Roomcast's data file was damaged ({problem}). It was kept as it was, as "
                f"{kept.name}; what could be read was copied into a new {DB_NAME}: {copied}."
            )
        assert store is not None
        store.notices = notices
        return store

    @classmethod
    def _connect(cls, path: Path) -> Store:
        try:
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA busy_timeout=5000")
            store = cls(db, path)
            store._migrate()
        except sqlite3.DatabaseError as exc:
            kind = _Unreadable if _damage(exc) else StoreError
            raise kind(
                f"Roomcast's data file {path} cannot be read ({exc}). It was left as it is; "
                "restore a backup, or start with another --data-dir."
            ) from exc
        return store

    def _integrity_problem(self) -> str | None:
        """SQLite's quick check of every page and index (a few ms per MB), or None if sound."""
        try:
            rows = self._db.execute("PRAGMA quick_check(3)").fetchall()
        except sqlite3.DatabaseError as exc:
            return str(exc)
        found = [str(r[0]) for r in rows]
        return None if found == ["ok"] else "; ".join(found)

    def _salvage(self, kept: Path) -> str:
        """Copy every row that can still be read from the file set aside; says how many."""
        try:
            source = sqlite3.connect(f"{kept.as_uri()}?mode=ro", uri=True)
            source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            return f"nothing ({exc})"
        copied: list[str] = []
        self._db.execute("PRAGMA foreign_keys=OFF")
        try:
            for table in _SALVAGE_ORDER:
                columns = [r[1] for r in self._db.execute(f"PRAGMA table_info({table})")]
                try:
                    present = [r[1] for r in source.execute(f"PRAGMA table_info({table})")]
                except sqlite3.DatabaseError:
                    present = []
                names = [c for c in columns if c in present]
                if not names:
                    continue
                count, broke = self._copy_rows(source, table, names)
                copied.append(f"{count} {table}" + (f" (then: {broke})" if broke else ""))
        finally:
            self._db.execute("PRAGMA foreign_keys=ON")
            source.close()
        return ", ".join(copied) or "nothing"

    def _copy_rows(
        self, source: sqlite3.Connection, table: str, names: list[str]
    ) -> tuple[int, str | None]:
        listed = ", ".join(names)
        marks = ", ".join("?" * len(names))
        insert = f"INSERT OR IGNORE INTO {table} ({listed}) VALUES ({marks})"
        count, broke = 0, None
        with self._transaction():
            try:
                cursor = source.execute(f"SELECT {listed} FROM {table}")
                while rows := cursor.fetchmany(500):
                    self._db.executemany(insert, rows)
                    count += len(rows)
            except sqlite3.DatabaseError as exc:
                broke = str(exc)
        return count, broke

    def close(self) -> None:
        self._db.close()

    @property
    def schema_version(self) -> int:
        row = self._db.execute("PRAGMA user_version").fetchone()
        return int(row[0])

    def _migrate(self) -> None:
        found = self.schema_version
        if found > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer Roomcast (schema {found}, this one knows "
                f"{SCHEMA_VERSION}); update Roomcast or use another --data-dir."
            )
        for version in range(found, SCHEMA_VERSION):
            with self._transaction():
                for statement in _statements(MIGRATIONS[version]):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={version + 1}")

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    # -- rooms ---------------------------------------------------------------------------------

    def create_room(self, room: Room) -> None:
        try:
            with self._transaction():
                self._db.execute(
                    "INSERT INTO rooms (room_id, host_id, state, starts_at, updated_at, last_seq,"
                    " snapshot) VALUES (?, ?, ?, ?, ?, 0, ?)",
                    (
                        room.room_id,
                        room.host_id,
                        room.state.value,
                        room.starts_at,
                        room.created_at,
                        _dump(room),
                    ),
                )
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"a room with id {room.room_id!r} already exists") from exc
        except sqlite3.OperationalError as exc:
            raise self._write_failed(exc) from exc

    def append(self, room: Room, events: Sequence[object], first_seq: int) -> int:
        """Append `events` as first_seq, first_seq + 1, … (and the side tables they change).

        `room` is the room after them. Returns the last sequence number. One transaction: a
        crash or a full disk leaves the log as it was before the call.
        """
        try:
            with self._transaction():
                self._append_all(room, events, first_seq)
        except sqlite3.IntegrityError as exc:
            # The events' foreign key also refuses a room the store does not have.
            raise StoreError(
                f"events for room {room.room_id!r} from {first_seq} cannot be stored ({exc})"
            ) from exc
        except sqlite3.OperationalError as exc:
            raise self._write_failed(exc) from exc
        return first_seq + len(events) - 1

    def _append_all(self, room: Room, events: Sequence[object], first_seq: int) -> None:
        for offset, event in enumerate(events):
            self._append_event(room, first_seq + offset, event)
            self._mirror(room, event)

    def save_snapshot(self, room: Room, seq: int, snapshot: str | None = None) -> bool:
        """Save `room` as the state after event `seq`, unless a later one is already saved.

        `snapshot` is the room already encoded (by `encode_snapshot`), when the caller did it.
        """
        try:
            with self._transaction():
                return self._save_snapshot(room, seq, snapshot or encode_snapshot(room))
        except sqlite3.OperationalError as exc:
            raise self._write_failed(exc) from exc

    def _save_snapshot(self, room: Room, seq: int, snapshot: str) -> bool:
        updated = self._db.execute(
            "UPDATE rooms SET state = ?, starts_at = ?, updated_at = ?, last_seq = ?,"
            " snapshot = ? WHERE room_id = ? AND last_seq <= ?",
            (
                room.state.value,
                room.starts_at,
                _last_change(room),
                seq,
                snapshot,
                room.room_id,
                seq,
            ),
        ).rowcount
        return bool(updated)

    def commit(self, room: Room, events: Sequence[object], first_seq: int) -> int:
        """Append `events` and save `room` as the result, in one transaction.

        The wave-1 write path (a full snapshot per command): tests and the benchmark's
        baseline use it; the relay appends and leaves snapshots to the snapshot writer.
        """
        last_seq = first_seq + len(events) - 1
        try:
            with self._transaction():
                for offset, event in enumerate(events):
                    self._append_event(room, first_seq + offset, event)
                    self._mirror(room, event)
                updated = self._db.execute(
                    "UPDATE rooms SET state = ?, starts_at = ?, updated_at = ?, last_seq = ?,"
                    " snapshot = ? WHERE room_id = ?",
                    (
                        room.state.value,
                        room.starts_at,
                        max((_at(e) for e in events), default=room.created_at),
                        last_seq,
                        _dump(room),
                        room.room_id,
                    ),
                ).rowcount
                if updated != 1:
                    raise StoreError(f"room {room.room_id!r} is not in the store")
        except sqlite3.IntegrityError as exc:
            raise StoreError(
                f"events for room {room.room_id!r} from {first_seq} are already stored"
            ) from exc
        except sqlite3.OperationalError as exc:
            raise self._write_failed(exc) from exc
        return last_seq

    def _append_event(self, room: Room, seq: int, event: object) -> None:
        kind = getattr(type(event), "wire_name", None)
        if kind not in EVENT_TYPES:
            raise StoreError(f"{type(event).__name__} is not a room event")
        self._db.execute(
            "INSERT INTO events (room_id, seq, kind, actor, at, body) VALUES (?, ?, ?, ?, ?, ?)",
            (room.room_id, seq, kind, _actor(event), _at(event), json.dumps(to_plain(event))),
        )

    def _mirror(self, room: Room, event: object) -> None:
        """Keep the cross-room tables in step with the events that change them."""
        host = room.host_id
        if isinstance(event, ParticipantRemoved) and event.block:
            self._db.execute(
                "INSERT OR REPLACE INTO blocks VALUES (?, ?, ?, ?)",
                (host, event.user_id, event.at, event.actor),
            )
        elif isinstance(event, Unblocked):
            self._db.execute(
                "DELETE FROM blocks WHERE host_id = ? AND user_id = ?", (host, event.user_id)
            )
        elif isinstance(event, ContactAdded):
            self._db.execute(
                "INSERT OR REPLACE INTO contacts VALUES (?, ?, ?)", (host, event.user_id, event.at)
            )
        elif isinstance(event, ContactRemoved):
            self._db.execute(
                "DELETE FROM contacts WHERE host_id = ? AND user_id = ?", (host, event.user_id)
            )
        elif isinstance(event, TicketIssued):
            self._db.execute(
                "INSERT OR IGNORE INTO tickets (room_id, code, issued_at) VALUES (?, ?, ?)",
                (room.room_id, event.code, event.at),
            )
        elif isinstance(event, TicketMoved):
            self._db.execute(
                "UPDATE tickets SET holder = ?, redeemed_at = ? WHERE room_id = ? AND code = ?",
                (event.actor, event.at, room.room_id, event.code),
            )
        elif isinstance(event, TicketRevoked):
            # a refunded code is no sale: it leaves the room's ticket list
            self._db.execute(
                "DELETE FROM tickets WHERE room_id = ? AND code = ?", (room.room_id, event.code)
            )
        elif isinstance(event, ParticipantJoined) and event.ticket_code:
            self._db.execute(
                "UPDATE tickets SET holder = ?, redeemed_at = ? "
                "WHERE room_id = ? AND code = ? AND holder IS NULL",
                (event.actor, event.at, room.room_id, event.ticket_code),
            )

    def load_room(self, room_id: str) -> StoredRoom | None:
        """The room's snapshot (None for no such room, or one set aside as damaged)."""
        row = self._db.execute(
            "SELECT snapshot, last_seq FROM rooms WHERE room_id = ? AND state != ?",
            (room_id, DAMAGED_STATE),
        ).fetchone()
        if row is None:
            return None
        return StoredRoom(_load(room_id, row[0]), int(row[1]))

    def load_current(self, room_id: str) -> StoredRoom | None:
        """The room as it is now: its snapshot with every later event applied again."""
        stored = self.load_room(room_id)
        return self._replayed(stored) if stored is not None else None

    def _replayed(self, stored: StoredRoom) -> StoredRoom:
        room, seq = stored.room, stored.last_seq
        while True:  # bounded: each pass reads at most REPLAY_BATCH events, until none are left
            batch = self.events_after(room.room_id, seq, REPLAY_BATCH)
            for _, event in batch:
                room = apply(room, event)  # type: ignore[arg-type]
            if batch:
                seq = batch[-1][0]
            if len(batch) < REPLAY_BATCH:
                return StoredRoom(room, seq)

    def current_rooms(self, states: Iterable[RoomState]) -> list[StoredRoom]:
        """Rooms now in the given states (snapshots replayed to their last event). A room whose
        snapshot or events cannot be read is set aside (`quarantine`), not fatal: one damaged
        room must not keep every other room down."""
        wanted = frozenset(states)
        current = []
        for room_id, snapshot, last_seq in self._rows(
            wanted | {RoomState.SCHEDULED, RoomState.LIVE}
        ):
            try:
                stored = self._replayed(StoredRoom(_load(room_id, snapshot), last_seq))
            except StoreError as exc:
                self.quarantine(room_id, str(exc))
                continue
            if stored.room.state in wanted:
                current.append(stored)
        return current

    def quarantine(self, room_id: str, reason: str) -> None:
        """Set a room aside: its rows stay byte for byte, marked damaged, with the reason."""
        try:
            with self._transaction():
                self._db.execute(
                    "INSERT OR REPLACE INTO quarantine"
                    " SELECT room_id, ?, ?, state FROM rooms WHERE room_id = ?",
                    (time.time(), reason, room_id),
                )
                self._db.execute(
                    "UPDATE rooms SET state = ? WHERE room_id = ?", (DAMAGED_STATE, room_id)
                )
        except sqlite3.OperationalError as exc:
            raise _write_error(exc) from exc

    def damaged_rooms(self) -> list[DamagedRoom]:
        rows = self._db.execute(
            "SELECT room_id, reason, found_at FROM quarantine ORDER BY found_at, room_id"
        )
        return [DamagedRoom(r[0], r[1], float(r[2])) for r in rows]

    def reminder_counts(self) -> dict[str, int]:
        """Every room's reminder count, in one query (the directory caches them)."""
        rows = self._db.execute("SELECT room_id, count(*) FROM reminders GROUP BY room_id")
        return {room_id: int(count) for room_id, count in rows}

    def rooms(self, states: Iterable[RoomState] = tuple(RoomState)) -> list[StoredRoom]:
        """Rooms whose snapshot is in the given states, newest first (events after the snapshot
        not applied: see `current_rooms`). A damaged snapshot raises StoreError."""
        return [StoredRoom(_load(r[0], r[1]), r[2]) for r in self._rows(states)]

    def _rows(self, states: Iterable[RoomState]) -> list[tuple[str, str, int]]:
        wanted = [s.value for s in states]
        marks = ",".join("?" * len(wanted))
        rows = self._db.execute(
            f"SELECT room_id, snapshot, last_seq FROM rooms WHERE state IN ({marks})"
            " ORDER BY updated_at DESC",
            wanted,
        ).fetchall()
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]

    def events_after(
        self, room_id: str, after_seq: int, limit: int = 10_000
    ) -> list[tuple[int, object]]:
        """The room's events with seq > after_seq, in order (the moderation log from 0)."""
        rows = self._db.execute(
            "SELECT seq, kind, body FROM events WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (room_id, after_seq, limit),
        ).fetchall()
        return [(int(seq), _event(room_id, seq, kind, body)) for seq, kind, body in rows]

    # -- the host's lists, tickets, reminders --------------------------------------------------

    def blocked_by(self, host_id: str) -> frozenset[str]:
        rows = self._db.execute("SELECT user_id FROM blocks WHERE host_id = ?", (host_id,))
        return frozenset(r[0] for r in rows)

    def contacts_of(self, host_id: str) -> frozenset[str]:
        rows = self._db.execute("SELECT user_id FROM contacts WHERE host_id = ?", (host_id,))
        return frozenset(r[0] for r in rows)

    def ticket_holders(self, room_id: str) -> dict[str, str | None]:
        rows = self._db.execute("SELECT code, holder FROM tickets WHERE room_id = ?", (room_id,))
        return {code: holder for code, holder in rows}

    def add_reminder(self, room_id: str, client_id: str, now: float) -> int:
        """Record that `client_id` asked to be reminded; returns the room's reminder count."""
        try:
            with self._transaction():
                self._db.execute(
                    "INSERT OR IGNORE INTO reminders VALUES (?, ?, ?)", (room_id, client_id, now)
                )
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"room {room_id!r} is not in the store") from exc
        except sqlite3.OperationalError as exc:
            raise self._write_failed(exc) from exc
        return self.reminder_count(room_id)

    # -- identities and role tokens -------------------------------------------------------------

    def check_identity(self, client_id: str, secret: str, now: float, bind: bool = True) -> bool:
        """True if `secret` is this client's, or the client id is new. A new id is bound to the
        secret at once with `bind`; without it (a hello not yet admitted), nothing is written:
        `bind_identity` records it once the person is really in a room."""
        digest = _digest(secret)
        if not bind:
            row = self._db.execute(
                "SELECT secret_hash FROM identities WHERE client_id = ?", (client_id,)
            ).fetchone()
            return row is None or hmac.compare_digest(row[0], digest)
        try:
            with self._transaction():
                self._db.execute(
                    "INSERT OR IGNORE INTO identities VALUES (?, ?, ?)", (client_id, digest, now)
                )
                row = self._db.execute(
                    "SELECT secret_hash FROM identities WHERE client_id = ?", (client_id,)
                ).fetchone()
        except sqlite3.OperationalError as exc:
            raise self._write_failed(exc) from exc
        return hmac.compare_digest(row[0], digest)

    def bind_identity(self, client_id: str, secret: str, now: float) -> None:
        """Record a client id with its secret (first come keeps it)."""
        try:
            with self._transaction():
                self._db.execute(
                    "INSERT OR IGNORE INTO identities VALUES (?, ?, ?)",
                    (client_id, _digest(secret), now),
                )
        except sqlite3.OperationalError as exc:
            raise _write_error(exc) from exc

    def identity_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM identities").fetchone()[0])

    def add_token(self, token: str, room_id: str, user_id: str, role: str, now: float) -> None:
        try:
            with self._transaction():
                self._db.execute(
                    "INSERT INTO tokens VALUES (?, ?, ?, ?, ?)",
                    (_digest(token), room_id, user_id, role, now),
                )
        except sqlite3.OperationalError as exc:
            raise self._write_failed(exc) from exc

    def token_holder(self, token: str) -> tuple[str, str, str] | None:
        """(room_id, user_id, role) the token was made for, or None."""
        row = self._db.execute(
            "SELECT room_id, user_id, role FROM tokens WHERE token_hash = ?", (_digest(token),)
        ).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def revoke_tokens(self, room_id: str, user_id: str) -> int:
        """Delete every link token of `user_id` in `room_id`; returns how many there were."""
        try:
            with self._transaction():
                gone = self._db.execute(
                    "DELETE FROM tokens WHERE room_id = ? AND user_id = ?", (room_id, user_id)
                ).rowcount
        except sqlite3.OperationalError as exc:
            raise _write_error(exc) from exc
        return int(gone)

    def replace_token(self, token: str, room_id: str, user_id: str, role: str, now: float) -> None:
        """`token` becomes the only link of `user_id` in `room_id` (the old ones stop at once)."""
        try:
            with self._transaction():
                self._db.execute(
                    "DELETE FROM tokens WHERE room_id = ? AND user_id = ?", (room_id, user_id)
                )
                self._db.execute(
                    "INSERT INTO tokens VALUES (?, ?, ?, ?, ?)",
                    (_digest(token), room_id, user_id, role, now),
                )
        except sqlite3.OperationalError as exc:
            raise _write_error(exc) from exc

    def reminder_count(self, room_id: str) -> int:
        row = self._db.execute("SELECT count(*) FROM reminders WHERE room_id = ?", (room_id,))
        return int(row.fetchone()[0])


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if kind is None:
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        elif self._db.in_transaction:
            # SQLite has already rolled back after some errors (a full disk among them);
            # a second ROLLBACK would raise and hide the real error.
            self._db.execute("ROLLBACK")


DAMAGED_STATE = "damaged"
# Parents before children, so the salvaged events find their rooms.
_SALVAGE_ORDER = (
    "rooms", "events", "blocks", "contacts", "tickets", "reminders", "identities", "tokens",
    "quarantine",
)  # fmt: skip


def _damage(exc: sqlite3.DatabaseError) -> bool:
    """Is this SQLite's word for a file that is not a database, or a damaged one (as opposed
    to one it cannot open, or that is locked)?"""
    name = getattr(exc, "sqlite_errorname", "")
    return name in ("SQLITE_NOTADB", "SQLITE_CORRUPT") or (
        not isinstance(exc, sqlite3.OperationalError) and not name
    )


def _is_empty(path: Path) -> bool:
    """A data file of 0 bytes with no write-ahead log holding pages for it."""
    wal = path.with_name(path.name + "-wal")
    try:
        return path.stat().st_size == 0 and (not wal.exists() or wal.stat().st_size == 0)
    except FileNotFoundError:
        return False


def _set_aside(path: Path, why: str) -> Path:
    """Rename the data file (and its log files) beside itself; returns the new name."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kept = path.with_name(f"{path.name}.{why}-{stamp}")
    n = 1
    while kept.exists():
        n += 1
        kept = path.with_name(f"{path.name}.{why}-{stamp}-{n}")
    try:
        path.rename(kept)
        for tail in ("-wal", "-shm"):
            log = path.with_name(path.name + tail)
            if log.exists():
                log.rename(kept.with_name(kept.name + tail))
    except OSError as exc:
        raise StoreError(
            f"Roomcast's data file {path} is damaged and could not be set aside "
            f"({exc.strerror}); move it away by hand, or start with another --data-dir."
        ) from exc
    return kept


def _digest(secret: str) -> str:
    # Tokens are 256 random bits made by the relay, so a plain hash is enough to keep
    # the file from holding usable credentials.
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def encode_snapshot(room: Room) -> str:
    """The room as the store keeps it (JSON); the snapshot writer calls it on its own thread."""
    return json.dumps(to_plain(room), ensure_ascii=False, allow_nan=False)


_dump = encode_snapshot


def _last_change(room: Room) -> float:
    return max(t for t in (room.created_at, room.started_at, room.ended_at) if t is not None)


def _load(room_id: str, text: str) -> Room:
    try:
        return decode_dataclass(Room, json.loads(text))
    except (ValueError, CodecError) as exc:
        raise StoreError(f"the saved state of room {room_id!r} is damaged ({exc})") from exc


def _event(room_id: str, seq: int, kind: str, body: str) -> object:
    cls = EVENT_TYPES.get(kind)
    if cls is None:
        raise StoreError(f"event {seq} of room {room_id!r} has unknown kind {kind!r}")
    try:
        return decode_dataclass(cls, json.loads(body))
    except (ValueError, CodecError) as exc:
        raise StoreError(f"event {seq} of room {room_id!r} is damaged ({exc})") from exc


def _actor(event: object) -> str:
    actor = getattr(event, "actor", None)
    if not isinstance(actor, str):
        raise StoreError(f"{type(event).__name__} names no actor")
    return actor


def _at(event: object) -> float:
    at = getattr(event, "at", None)
    if not isinstance(at, (int, float)):
        raise StoreError(f"{type(event).__name__} has no time")
    return float(at)


def _write_error(exc: sqlite3.OperationalError) -> StoreError:
    text = str(exc)
    if "full" in text:
        return StoreError(
            "The disk holding Roomcast's data is full; nothing was saved for this change. "
            "Free some space."
        )
    return StoreError(f"Roomcast could not save to its data file ({text}).")
