"""Recording and consent (DESIGN §6): only the host starts and stops; everyone on stage is asked
(PENDING) and answers GRANTED or DECLINED, and may change the answer; whoever comes on stage
during a recording starts PENDING; leaving the stage keeps the ledger entry.

The host's own consent is GRANTED when they start the recording: pressing Record is their yes,
and asking them again would only add a click. They can still decline with SetConsent(False).
"""

from __future__ import annotations

import pytest

from server.room import (
    AcceptInvite,
    AddMarker,
    ApproveRequest,
    Consent,
    ConsentEntry,
    InviteKind,
    InviteToSpeak,
    Marker,
    SetConsent,
    StartRecording,
    StepDown,
    StopRecording,
)
from tests.room.room_world import OK, check, rows, world

GRANTED, DECLINED, PENDING = Consent.GRANTED, Consent.DECLINED, Consent.PENDING

START_STOP = rows(
    ("host starts recording", "host", StartRecording(), "live", OK),
    ("co-host starts recording", "cohost", StartRecording(), "live", "not_allowed"),
    ("speaker starts recording", "speaker", StartRecording(), "live", "not_allowed"),
    ("host starts recording twice", "host", StartRecording(), "recording", "already_recording"),
    ("host starts recording before the start",
     "host", StartRecording(), "scheduled", "not_started"),
    ("host starts recording after the end", "host", StartRecording(), "ended", "room_ended"),
    ("absent host starts recording", "host", StartRecording(), "host away", "not_in_room"),
    ("host starts an all-party recording", "host", StartRecording(all_party=True), "live", OK),
    ("host sends a non-boolean mode",
     "host", StartRecording(all_party="yes"), "live", "invalid_field"),  # type: ignore[arg-type]
    ("host stops recording", "host", StopRecording(), "recording", OK),
    ("absent host stops recording", "host", StopRecording(), "recording, host away", OK),
    ("co-host stops recording", "cohost", StopRecording(), "recording", "not_allowed"),
    ("host stops when not recording", "host", StopRecording(), "live", "not_recording"),
)  # fmt: skip


@pytest.mark.parametrize(("actor", "command", "given", "expect"), START_STOP)
def test_starting_and_stopping(actor, command, given, expect):
    check(actor, command, given, expect)


CONSENT = rows(
    ("speaker consents", "speaker", SetConsent(True), "recording", OK),
    ("speaker declines", "speaker", SetConsent(False), "recording", OK),
    ("co-host consents", "cohost", SetConsent(True), "recording", OK),
    ("host declines after starting", "host", SetConsent(False), "recording", OK),
    ("host consents again", "host", SetConsent(True), "recording", "no_change"),
    ("ex-speaker withdraws consent",
     "speaker", SetConsent(False), "recording, speaker stepped down", OK),
    ("listener consents", "listener", SetConsent(True), "recording", "not_on_stage"),
    ("speaker consents with nothing recording",
     "speaker", SetConsent(True), "live", "not_recording"),
    ("host marks a moment", "host", AddMarker("Q&A"), "recording", OK),
    ("co-host marks a moment", "cohost", AddMarker("Ad break"), "recording", OK),
    ("speaker marks a moment", "speaker", AddMarker("Me"), "recording", "not_allowed"),
    ("host marks with nothing recording", "host", AddMarker("Q&A"), "live", "not_recording"),
    ("host marks with a blank label", "host", AddMarker(" "), "recording", "invalid_field"),
    ("host marks with an 81-letter label",
     "host", AddMarker("m" * 81), "recording", "invalid_field"),
)  # fmt: skip


@pytest.mark.parametrize(("actor", "command", "given", "expect"), CONSENT)
def test_consent_and_markers(actor, command, given, expect):
    check(actor, command, given, expect)


def consents(start):
    assert start.room.recording is not None
    return start.room.recording.consents


def test_starting_asks_everyone_on_stage_and_counts_the_host_in():
    assert consents(world("recording")) == {
        "host": GRANTED,
        "cohost": PENDING,
        "cohost2": PENDING,
        "speaker": PENDING,
        "speaker2": PENDING,
    }


@pytest.mark.parametrize(
    "steps",
    [
        pytest.param([("host", ApproveRequest("asker"))], id="approved request"),
        pytest.param(
            [("host", InviteToSpeak("asker")), ("asker", AcceptInvite(InviteKind.SPEAK))],
            id="accepted invitation",
        ),
    ],
)
def test_coming_on_stage_during_a_recording_starts_pending(steps):
    assert consents(world("recording").then(*steps))["asker"] is PENDING


def test_leaving_the_stage_keeps_the_answer_and_coming_back_does_not_ask_again():
    start = world("recording, speaker stepped down")
    assert consents(start)["speaker"] is GRANTED
    back = start.then(
        ("host", InviteToSpeak("speaker")), ("speaker", AcceptInvite(InviteKind.SPEAK))
    )
    assert consents(back)["speaker"] is GRANTED


def test_the_ledger_keeps_every_answer_in_order():
    start = world("recording")
    t0 = start.now - 1  # the recording started one step ago
    after = start.then(("speaker", SetConsent(True)), ("speaker", SetConsent(False)))
    assert after.room.recording is not None
    speaker_lines = [e for e in after.room.recording.ledger if e.user_id == "speaker"]
    assert speaker_lines == [
        ConsentEntry("speaker", t0, PENDING),
        ConsentEntry("speaker", t0 + 1, GRANTED),
        ConsentEntry("speaker", t0 + 2, DECLINED),
    ]


def test_a_new_take_asks_everyone_again():
    start = world("recording").then(
        ("speaker", SetConsent(True)),
        ("host", StopRecording()),
        ("host", StartRecording()),
    )
    assert start.room.recording is not None and start.room.recording.take == 2
    assert consents(start)["speaker"] is PENDING


def test_stopping_keeps_the_ledger_and_markers_for_the_manifest():
    start = world("recording").then(
        ("cohost", AddMarker("Intro")),
        ("speaker", StepDown()),
        ("host", StopRecording()),
    )
    recording = start.room.recording
    assert recording is not None and not recording.active
    assert recording.stopped_at == start.now - 1
    assert recording.markers == (Marker(start.now - 3, "Intro", "cohost"),)
    assert recording.consents["speaker"] is PENDING  # stepped down, still in the ledger
    assert len(recording.ledger) == 5


def test_an_all_party_take_waits_for_everyone_on_stage_and_only_them():
    """Nothing is written while anyone on stage has not said yes; people who leave the stage
    stop holding it up, and someone who comes on stage holds it up until they answer."""
    start = world("live").then(("host", StartRecording(all_party=True)))
    room = start.room
    assert room.recording is not None and room.recording.all_party
    waiting = set(room.recording_waits_for())
    assert "host" not in waiting and {"speaker", "cohost"} <= waiting
    after = start
    for user_id in sorted(waiting):
        after = after.then((user_id, SetConsent(True)))
    assert after.room.recording_waits_for() == ()
    declined = start.then(("speaker", SetConsent(False)))
    assert "speaker" in declined.room.recording_waits_for()  # a no holds it too
    stepped_down = declined.then(("speaker", StepDown()))
    assert "speaker" not in stepped_down.room.recording_waits_for()
    # A per-speaker take waits for nobody.
    assert world("recording").room.recording_waits_for() == ()
