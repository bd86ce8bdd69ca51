"""Who may be recorded, by the time their audio was captured (DESIGN §6, issue 14).

A speaker's blocks leave the ingress buffer 20-80 ms after they were captured, so a gate that
asks "may they be recorded now?" when a block is mixed writes audio captured before a yes.
This gate keeps, per person, when their recordability changed, and asks instead "were they
recordable for the whole span this block's audio was captured in?".

Two timelines per person, both on CLOCK_MONOTONIC (perf_counter: shared by every process on
the machine, so instants taken in the control process compare with arrival times here):

- the stage: on stage, unmuted and (while a take runs) consenting, as the control process
  last said (`SetStage`), stamped when the control process sent it;
- the consent ledger of the running take, each answer stamped with the instant the control
  process accepted it (server/recorder.py), which is a little earlier than the stage stamp.

A block is written only if both say yes for its whole capture span; a person with no ledger
line yet follows the stage alone. Edges older than `keep_s` are forgotten (a block is never
that old when it is mixed), so memory stays bounded however long the room runs.

Runs on: the media worker's loop (changes) and the room's clock task (questions), one thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

KEEP_S = 5.0
# A timeline opens (a yes, an unmute, a step onto the stage) this long after its stamp. A
# block's capture time comes from its RTP time and the shortest delay seen over the last
# seconds; on a loaded machine the worker reads every packet late, so that estimate can place
# audio captured just before a yes just after it. Measured at a load of 4-5 on 2 cores: up to
# ~30 ms beyond the worker's own lateness, which is added (`CaptureGate.open_margin_s`).
# Closing (a no, a mute) takes effect at once: there the error only drops audio.
OPEN_MARGIN_S = 0.06


@dataclass(slots=True)
class _Timeline:
    """Steps of a yes/no value: (instant, value) in order; before the first step: `initial`."""

    initial: bool = False
    steps: list[tuple[float, bool]] = field(default_factory=list)

    @property
    def latest(self) -> bool:
        return self.steps[-1][1] if self.steps else self.initial

    def set(self, at_s: float, value: bool, open_margin_s: float = OPEN_MARGIN_S) -> None:
        if value == self.latest:
            return
        if value:
            at_s += open_margin_s
        # The control process stamps in order; a stamp earlier than the last one (a clock
        # read across processes a hair apart) is placed at the last one, never before it.
        if self.steps and at_s < self.steps[-1][0]:
            at_s = self.steps[-1][0]
        self.steps.append((at_s, value))

    def allows(self, from_s: float, to_s: float) -> bool:
        """True for the whole span [from_s, to_s]."""
        value = self.initial
        for at_s, step in self.steps:
            if at_s <= from_s:
                value = step
            elif at_s <= to_s:
                if not step:
                    return False
            else:
                break
        return value

    def forget_before(self, cutoff_s: float) -> None:
        while len(self.steps) > 1 and self.steps[1][0] <= cutoff_s:
            self.steps.pop(0)
        if self.steps and self.steps[0][0] <= cutoff_s:
            self.initial = self.steps.pop(0)[1]


@dataclass(frozen=True, slots=True)
class ConsentStep:
    """One consent answer: who, when the control process accepted it (CLOCK_MONOTONIC), yes."""

    user_id: str
    at_s: float
    granted: bool


class CaptureGate:
    """Runs on: one thread (the worker's loop and the clock task it runs)."""

    def __init__(self, keep_s: float = KEEP_S) -> None:
        self.keep_s = keep_s
        # OPEN_MARGIN_S, plus how late this worker has lately been running (server/media/
        # room_media.py sets it): a starved worker reads packets late by about as much.
        self.open_margin_s = OPEN_MARGIN_S
        self._stage: dict[str, _Timeline] = {}
        self._consent: dict[str, _Timeline] | None = None
        self._awaiting_ledger = False

    def stage_changed(self, recordable: Mapping[str, bool], at_s: float) -> None:
        """The stage as of `at_s`: per person on it, whether they may be recorded (unmuted
        and consenting). Anyone absent is off stage from `at_s`."""
        for user_id, timeline in self._stage.items():
            if user_id not in recordable:
                timeline.set(at_s, False)
        for user_id, value in recordable.items():
            self._stage.setdefault(user_id, _Timeline()).set(at_s, value, self.open_margin_s)
        self._forget(at_s - self.keep_s)

    def take_started(self) -> None:
        """A new take: nothing is recordable until `consent_ledger` brings its ledger (the
        control process sends it right after the take's start; blocks mixed before it arrives
        were captured before anyone was asked)."""
        self._consent = None
        self._awaiting_ledger = True

    def take_stopped(self) -> None:
        self._consent = None
        self._awaiting_ledger = False

    def consent_ledger(self, steps: Iterable[ConsentStep]) -> None:
        """The running take's whole ledger, in order (it only ever grows)."""
        consent: dict[str, _Timeline] = {}
        for step in steps:
            timeline = consent.setdefault(step.user_id, _Timeline())
            timeline.set(step.at_s, step.granted, self.open_margin_s)
        self._consent = consent
        self._awaiting_ledger = False

    def allows(self, user_id: str, from_s: float, to_s: float) -> bool:
        """May audio of `user_id` captured over [from_s, to_s] be recorded?"""
        if self._awaiting_ledger:
            return False
        stage = self._stage.get(user_id)
        if stage is None or not stage.allows(from_s, to_s):
            return False
        if self._consent is None:
            return True
        consent = self._consent.get(user_id)
        return consent is None or consent.allows(from_s, to_s)

    def _forget(self, cutoff_s: float) -> None:
        for timeline in self._stage.values():
            timeline.forget_before(cutoff_s)
        for user_id in [u for u, t in self._stage.items() if not t.latest and not t.steps]:
            del self._stage[user_id]  # off stage for longer than anyone's audio can be late
