"""Ticket codes as the host hands them out: easy to read aloud and type, hard to guess.

The relay checks a code against the room's issued set (server/room/ticket_rules.py); the
console makes the code, as the `IssueTicket` command expects.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from server.room import Room

# no 0/O, 1/I/L: a code read over the phone survives
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_GROUPS = 3
GROUP_CHARS = 4  # 31**12 ≈ 8e17 codes


def new_ticket_code() -> str:
    """A fresh code such as `K7QM-2XPD-RW9A`."""
    groups = (
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(GROUP_CHARS))
        for _ in range(CODE_GROUPS)
    )
    return "-".join(groups)


@dataclass(frozen=True, slots=True)
class TicketRow:
    code: str
    holder_id: str | None  # None: not used yet
    holder_name: str | None
    revoked: bool = False  # refunded: admits nobody, listed so the host sees what they did

    @property
    def unused(self) -> bool:
        return self.holder_id is None and not self.revoked


def ticket_rows(room: Room, names: Mapping[str, str]) -> list[TicketRow]:
    """Every issued code, unused ones first, each with who it admitted (by name); revoked
    codes last."""
    tickets = room.tickets
    if tickets is None:
        return []
    rows = []
    for code in tickets.issued:
        holder = tickets.holders.get(code)
        name = None
        if holder is not None:
            person = room.participants.get(holder)
            name = person.display_name if person else names.get(holder, holder[:10])
        rows.append(TicketRow(code, holder, name))
    rows += [TicketRow(code, None, None, revoked=True) for code in tickets.revoked]
    rows.sort(key=lambda r: (r.revoked, r.holder_id is not None, r.code))
    return rows
