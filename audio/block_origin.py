"""Where a speaker's 20 ms block came from, tick by tick: their packet, or a repair.

The relay's ingress says it for every tick it pulls; the recording writer counts the repairs
per track, so a take's manifest tells how much of each voice was concealed or missing.
"""

from __future__ import annotations

from enum import StrEnum


class BlockOrigin(StrEnum):
    PACKET = "packet"
    """Decoded from the speaker's own packet for this tick."""
    FEC = "fec"
    """Their packet was lost; rebuilt from the redundant copy (Opus in-band FEC) in the next."""
    PLC = "plc"
    """Their packet was lost or late; concealed (Opus PLC: a fading continuation)."""
    SILENT_GAP = "silent_gap"
    """They were sending but nothing was there, past the concealment cap: silence."""
    IDLE = "idle"
    """They were not sending (muted on their side, gone, or not talking with DTX): silence."""

    @property
    def is_gap(self) -> bool:
        """A tick the speaker meant to fill that the relay had to repair or leave silent."""
        return self in (BlockOrigin.FEC, BlockOrigin.PLC, BlockOrigin.SILENT_GAP)

    @property
    def concealed(self) -> bool:
        return self in (BlockOrigin.FEC, BlockOrigin.PLC)
