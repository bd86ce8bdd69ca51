"""The consent ledger's own file: `consent-ledger.jsonl`, beside the manifest, append-only.

The manifest is rewritten whole every few seconds; if it is ever damaged, the ledger (who was
asked, when, what they answered) must not go with it: without it nobody can tell who agreed
to be recorded. So each answer is also appended here as one JSON line and fsynced before the
writer moves on. A crash can tear only the last line, which `read_ledger` leaves out and says.

Runs on: the recording's writer thread (appends); any thread (reads).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from audio.recording_manifest import ConsentLine, fsync_directory

LEDGER_NAME = "consent-ledger.jsonl"
STRUCK = "struck"
"""The `answer` of a ledger line that records a strike (audio/recording_strike.py)."""


class LedgerUnreadable(Exception):
    """The ledger file is missing or damaged beyond its last line; the message says which."""


def append_ledger(folder: Path, lines: Iterable[ConsentLine]) -> int:
    """Append `lines` and fsync; returns how many were written."""
    return append_records(folder, (asdict(line) for line in lines))


def append_records(folder: Path, records: Iterable[dict[str, Any]]) -> int:
    """Append one JSON line per record (a consent answer, or a strike: `answer` "struck") and
    fsync; returns how many were written."""
    data = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    if not data:
        return 0
    path = folder / LEDGER_NAME
    created = not path.exists()
    with open(path, "ab") as handle:
        handle.write(data.encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())
    if created:
        fsync_directory(folder)
    return data.count("\n")


def read_ledger(folder: Path) -> tuple[list[ConsentLine], str]:
    """Every whole line of the folder's ledger, and a note if a torn last line was left out.

    Raises LedgerUnreadable when there is no ledger file, or a line before the last is not
    a ledger line (the file was damaged, not just cut short by a crash)."""
    path = folder / LEDGER_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise LedgerUnreadable(f"{folder.name} has no {LEDGER_NAME}") from None
    except OSError as exc:
        raise LedgerUnreadable(f"{LEDGER_NAME} cannot be read ({exc.strerror})") from exc
    chunks = raw.split(b"\n")
    last = len(chunks) - 1
    lines: list[ConsentLine] = []
    note = ""
    for number, chunk in enumerate(chunks):
        if not chunk.strip():
            continue
        try:
            data = json.loads(chunk.decode("utf-8"))
            if data["answer"] == STRUCK:
                continue  # a strike, not an answer: audio/recording_strike.read_strikes
            lines.append(
                ConsentLine(
                    str(data["user_id"]),
                    str(data["display_name"]),
                    str(data["at"]),
                    str(data["answer"]),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            if number == last:  # no newline after it: a crash tore the last write
                note = f"the last line of {LEDGER_NAME} was cut short by a crash and left out"
                break
            raise LedgerUnreadable(
                f"line {number + 1} of {LEDGER_NAME} is damaged ({type(exc).__name__})"
            ) from exc
    return lines, note
