"""Recording: only the host starts and stops it; everyone who is on stage during a take is asked
for consent and may change their answer at any time; markers become chapters in the export.
Anyone who has been on stage in the running take may strike the recent span of their own voice
from it, without anyone's approval; the host and co-hosts may do it on someone's behalf."""

from __future__ import annotations

from server.room import validation
from server.room.commands import (
    STRIKE_SPANS,
    AddMarker,
    SetConsent,
    StartRecording,
    StopRecording,
    StrikeFromRecord,
)
from server.room.events import (
    ConsentAnswered,
    Event,
    MarkerAdded,
    RecordingStarted,
    RecordingStopped,
    StruckFromRecord,
)
from server.room.model import Consent, UserId
from server.room.permissions import (
    require_host,
    require_live,
    require_moderator,
    require_reach,
)
from server.room.reasons import Reason, Rejected
from server.room.state import Room

_NOT_RECORDING = Rejected(Reason.NOT_RECORDING, "The room is not being recorded.")


def start_recording(
    room: Room, actor: UserId, command: StartRecording, now: float
) -> list[Event] | Rejected:
    refused = require_host(room, actor, "start a recording") or require_live(room, "record")
    if refused:
        return refused
    if room.is_recording:
        return Rejected(Reason.ALREADY_RECORDING, "The room is already being recorded.")
    if not isinstance(command.all_party, bool):
        return validation.invalid("all_party must be true or false.")
    return [RecordingStarted(actor, now, command.all_party)]


def stop_recording(
    room: Room, actor: UserId, command: StopRecording, now: float
) -> list[Event] | Rejected:
    refused = require_host(room, actor, "stop the recording")
    if refused:
        return refused
    if not room.is_recording:
        return _NOT_RECORDING
    return [RecordingStopped(actor, now)]


def set_consent(
    room: Room, actor: UserId, command: SetConsent, now: float
) -> list[Event] | Rejected:
    if not isinstance(command.granted, bool):
        return validation.invalid("Answer yes or no.")
    recording = room.recording
    if recording is None or not recording.active:
        return _NOT_RECORDING
    current = recording.consents.get(actor)
    if current is None:
        return Rejected(
            Reason.NOT_ON_STAGE, "Only people who are on stage during a recording are asked."
        )
    wanted = Consent.GRANTED if command.granted else Consent.DECLINED
    if wanted is current:
        return Rejected(Reason.NO_CHANGE, "That is already your answer.")
    return [ConsentAnswered(actor, now, command.granted)]


def add_marker(room: Room, actor: UserId, command: AddMarker, now: float) -> list[Event] | Rejected:
    # Co-hosts too: whoever runs the show drops the chapter marks (DESIGN features (d) 6).
    refused = require_moderator(room, actor, "add markers")
    if refused:
        return refused
    if not room.is_recording:
        return _NOT_RECORDING
    label = validation.text(command.label, "marker label", room.limits.max_marker_label_chars)
    if isinstance(label, Rejected):
        return label
    return [MarkerAdded(actor, now, label)]


def strike_from_record(
    room: Room, actor: UserId, command: StrikeFromRecord, now: float
) -> list[Event] | Rejected:
    """Your own voice: yours to strike, if you have been on stage in this take. Someone else's:
    the host's or a co-host's to strike on their behalf (never the host's, by a co-host)."""
    if command.span not in STRIKE_SPANS:
        names = ", ".join(STRIKE_SPANS)
        return validation.invalid(f"Choose what to strike: one of {names}.")
    recording = room.recording
    if recording is None or not recording.active:
        return Rejected(
            Reason.NOT_RECORDING, "The room is not being recorded: there is nothing to strike."
        )
    target = command.user_id
    if target != actor:
        refused = require_moderator(
            room, actor, "strike someone else's voice from the recording"
        ) or require_reach(room, actor, target)
        if refused:
            return refused
    first_asked = next((e.at for e in recording.ledger if e.user_id == target), None)
    if first_asked is None:
        whose = "You have" if target == actor else "That person has"
        return Rejected(
            Reason.NOT_ON_STAGE,
            f"{whose} not been on stage during this recording: nothing of it is in it.",
        )
    seconds = STRIKE_SPANS[command.span]
    since = max(recording.started_at, first_asked)
    if seconds is not None:
        since = max(since, now - seconds)
    return [StruckFromRecord(actor, now, target, command.span, min(since, now))]
