"""The relay database's tables, as numbered migrations (server/store.py applies them)."""

from __future__ import annotations

# Each entry takes the schema from version i to i + 1. Never edit one that
# has shipped: add the next.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE rooms (
        room_id    TEXT PRIMARY KEY,
        host_id    TEXT NOT NULL,
        state      TEXT NOT NULL,
        starts_at  REAL,
        updated_at REAL NOT NULL,
        last_seq   INTEGER NOT NULL,
        snapshot   TEXT NOT NULL
    );
    CREATE INDEX rooms_by_state ON rooms(state);
    CREATE TABLE events (
        room_id TEXT NOT NULL REFERENCES rooms(room_id) ON DELETE CASCADE,
        seq     INTEGER NOT NULL,
        kind    TEXT NOT NULL,
        actor   TEXT NOT NULL,
        at      REAL NOT NULL,
        body    TEXT NOT NULL,
        PRIMARY KEY (room_id, seq)
    ) WITHOUT ROWID;
    CREATE TABLE blocks (
        host_id    TEXT NOT NULL,
        user_id    TEXT NOT NULL,
        blocked_at REAL NOT NULL,
        blocked_by TEXT NOT NULL,
        PRIMARY KEY (host_id, user_id)
    ) WITHOUT ROWID;
    CREATE TABLE contacts (
        host_id  TEXT NOT NULL,
        user_id  TEXT NOT NULL,
        added_at REAL NOT NULL,
        PRIMARY KEY (host_id, user_id)
    ) WITHOUT ROWID;
    CREATE TABLE tickets (
        room_id     TEXT NOT NULL REFERENCES rooms(room_id) ON DELETE CASCADE,
        code        TEXT NOT NULL,
        issued_at   REAL NOT NULL,
        holder      TEXT,
        redeemed_at REAL,
        PRIMARY KEY (room_id, code)
    ) WITHOUT ROWID;
    CREATE TABLE reminders (
        room_id   TEXT NOT NULL REFERENCES rooms(room_id) ON DELETE CASCADE,
        client_id TEXT NOT NULL,
        asked_at  REAL NOT NULL,
        PRIMARY KEY (room_id, client_id)
    ) WITHOUT ROWID;
    """,
    # 2: who may act as whom. A client's id is bound to the hash of the secret it
    # first came with; host and co-host links carry tokens bound to a user id.
    """
    CREATE TABLE identities (
        client_id   TEXT PRIMARY KEY,
        secret_hash TEXT NOT NULL,
        first_seen  REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE tokens (
        token_hash TEXT PRIMARY KEY,
        room_id    TEXT NOT NULL REFERENCES rooms(room_id) ON DELETE CASCADE,
        user_id    TEXT NOT NULL,
        role       TEXT NOT NULL,
        created_at REAL NOT NULL
    ) WITHOUT ROWID;
    """,
    # 3: rooms whose saved state could not be read. Their rows stay as they were (state
    # 'damaged', bytes untouched) and this says what was wrong and what the state had been.
    """
    CREATE TABLE quarantine (
        room_id      TEXT PRIMARY KEY,
        found_at     REAL NOT NULL,
        reason       TEXT NOT NULL,
        state_before TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
