"""Device errors a person can act on: what happened to which device, and what to do."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

Direction = Literal["input", "output"]


class DeviceProblem(StrEnum):
    NO_AUDIO_SYSTEM = "no_audio_system"  # PortAudio is not installed
    NOT_FOUND = "not_found"
    OPEN_FAILED = "open_failed"
    DISAPPEARED = "disappeared"
    STALLED = "stalled"
    NO_AUDIO = "no_audio"  # opened, but no callback ever came
    SERVER_GONE = "server_gone"


class DeviceError(Exception):
    """A device problem; `str()` is the sentence to show the person."""

    def __init__(
        self,
        message: str,
        *,
        problem: DeviceProblem,
        direction: Direction | None = None,
        device_name: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.problem = problem
        self.direction = direction
        self.device_name = device_name


def device_noun(direction: Direction) -> str:
    return "Microphone" if direction == "input" else "Output"


def pick_another(direction: Direction) -> str:
    return "pick another input" if direction == "input" else "pick another output"


def lost_message(direction: Direction, device_name: str, problem: DeviceProblem) -> str:
    """The sentence for a device that failed while in use."""
    noun, pick = device_noun(direction), pick_another(direction)
    if problem is DeviceProblem.DISAPPEARED:
        return f"{noun} '{device_name}' disappeared — {pick}"
    if problem is DeviceProblem.STALLED:
        return f"{noun} '{device_name}' stopped responding — plug it back in or {pick}"
    if problem is DeviceProblem.NO_AUDIO:
        return f"{noun} '{device_name}' opened but no sound came through — {pick}"
    if problem is DeviceProblem.SERVER_GONE:
        return (
            f"The sound server stopped while using {noun.lower()} '{device_name}' — "
            f"restart it (or your session), then {pick}"
        )
    return f"{noun} '{device_name}' failed ({problem}) — {pick}"
