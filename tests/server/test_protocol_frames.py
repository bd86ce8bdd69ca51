"""The envelope and message decoding: each kind of bad frame gets its own code."""

from __future__ import annotations

import json

import pytest

from server.protocol import (
    MAX_FRAME_BYTES,
    ErrorCode,
    Hello,
    ProtocolError,
    decode_request,
    encode_event,
)
from server.room import EVENT_TYPES, ParticipantJoined, RequestToSpeak, Role
from server.room.codec import decode_dataclass
from tests.server.live_session import HOST, LiveRelay, frame
from tests.server.roomkit import T0


@pytest.fixture(scope="module")
def relay(tmp_path_factory):
    live = LiveRelay(tmp_path_factory.mktemp("relay"))
    yield live
    live.close()


BAD_FRAMES = [
    pytest.param("{not json", ErrorCode.MALFORMED_JSON, id="malformed json"),
    pytest.param("", ErrorCode.MALFORMED_JSON, id="empty frame"),
    pytest.param('{"v": NaN}', ErrorCode.MALFORMED_JSON, id="NaN literal"),
    pytest.param("[1, 2]", ErrorCode.NOT_AN_OBJECT, id="a list"),
    pytest.param("null", ErrorCode.NOT_AN_OBJECT, id="null"),
    pytest.param(b'{"v":1}', ErrorCode.BINARY_FRAME, id="binary frame"),
    pytest.param("x" * (MAX_FRAME_BYTES + 1), ErrorCode.FRAME_TOO_LARGE, id="oversized frame"),
    pytest.param(
        frame("ping", {"pad": "é" * (MAX_FRAME_BYTES // 2)}),
        ErrorCode.FRAME_TOO_LARGE,
        id="oversized in bytes, not in characters",
    ),
    pytest.param('{"type": "ping"}', ErrorCode.UNSUPPORTED_VERSION, id="no version"),
    pytest.param(frame("ping", v=2), ErrorCode.UNSUPPORTED_VERSION, id="version 2"),
    pytest.param(frame("ping", v=True), ErrorCode.UNSUPPORTED_VERSION, id="version true"),
    pytest.param(frame("ping", extra=1), ErrorCode.UNKNOWN_FIELD, id="unknown envelope key"),
    pytest.param('{"v": 1, "id": 1}', ErrorCode.MISSING_FIELD, id="no type"),
    pytest.param(frame(""), ErrorCode.MISSING_FIELD, id="empty type"),
    pytest.param('{"v": 1, "type": 7}', ErrorCode.MISSING_FIELD, id="numeric type"),
    pytest.param(frame("make_me_host"), ErrorCode.UNKNOWN_TYPE, id="unknown type"),
    pytest.param(frame("ok"), ErrorCode.UNKNOWN_TYPE, id="a server-only type"),
    pytest.param(frame("ping", []), ErrorCode.INVALID_FIELD, id="body a list"),
    pytest.param(
        frame("react", {"emoji": "🔥", "x": 1}), ErrorCode.UNKNOWN_FIELD, id="unknown body field"
    ),
    pytest.param(frame("react", {}), ErrorCode.MISSING_FIELD, id="missing body field"),
    pytest.param(frame("react", {"emoji": 5}), ErrorCode.INVALID_FIELD, id="number for text"),
    pytest.param(frame("mute", {"user_id": None}), ErrorCode.INVALID_FIELD, id="null for text"),
    pytest.param(
        frame("set_ask_mode", {"mode": "anyone"}), ErrorCode.INVALID_FIELD, id="enum value unknown"
    ),
    pytest.param(
        frame("remove_participant", {"user_id": "a", "block": "yes"}),
        ErrorCode.INVALID_FIELD,
        id="text for bool",
    ),
    pytest.param(frame("react", {"emoji": "\ud800"}), ErrorCode.INVALID_FIELD, id="lone surrogate"),
    pytest.param(frame("ping", request_id=True), ErrorCode.INVALID_ID, id="id true"),
    pytest.param(frame("ping", request_id=1.5), ErrorCode.INVALID_ID, id="id fractional"),
    pytest.param(frame("ping", request_id="x" * 65), ErrorCode.INVALID_ID, id="id too long"),
    pytest.param(frame("ping", request_id=[1]), ErrorCode.INVALID_ID, id="id a list"),
    pytest.param(
        frame("offer", {"sdp": "v=0" + "a" * 60_000}), ErrorCode.INVALID_FIELD, id="sdp too long"
    ),
    pytest.param(
        "[" * 5000 + "]" * 5000, ErrorCode.MALFORMED_JSON, id="deep nesting beyond the parser"
    ),
    pytest.param(
        frame("ping", {"a": json.loads("[" * 20 + "1" + "]" * 20)}),
        ErrorCode.INVALID_FIELD,
        id="deep nesting",
    ),
]


@pytest.mark.parametrize(("raw", "code"), BAD_FRAMES)
def test_bad_frame_gets_its_code(raw, code):
    with pytest.raises(ProtocolError) as caught:
        decode_request(raw)
    assert caught.value.code is code
    assert caught.value.message


@pytest.mark.parametrize(("raw", "code"), BAD_FRAMES)
def test_bad_frame_changes_no_room(relay, raw, code):
    room_id, sessions = relay.live_room()
    room, seq = relay.room(room_id), relay.hub.seq(room_id)
    reply = relay.send(sessions[HOST], raw)
    assert relay.room(room_id) is room and relay.hub.seq(room_id) == seq
    assert reply["type"] == "error"
    assert reply["body"]["code"] == code.value


def test_error_reply_echoes_a_readable_id(relay):
    _room_id, sessions = relay.live_room()
    reply = relay.send(sessions[HOST], frame("nope", request_id="req-7"))
    assert reply["id"] == "req-7"
    assert reply["body"]["code"] == "unknown_type"


def test_hello_decodes_with_defaults():
    request = decode_request(
        frame(
            "hello",
            {"room_id": "r1", "client_id": "c", "client_secret": "s", "display_name": "Ana"},
        )
    )
    assert request.message == Hello("r1", "c", "s", "Ana")
    assert request.id == 1


def test_a_command_frame_changes_the_room_and_says_ok(relay):
    room_id, sessions = relay.live_room()
    room, seq = relay.room(room_id), relay.hub.seq(room_id)
    reply = relay.send(sessions["lis"], frame("request_to_speak", request_id="a"))
    assert reply == {"v": 1, "type": "ok", "id": "a", "body": {"seq": seq + 1}}
    assert relay.room(room_id).request_of("lis") is not None
    assert room.request_of("lis") is None  # the old room is untouched


def test_a_listener_sending_host_commands_changes_nothing(relay):
    room_id, sessions = relay.live_room()
    room = relay.room(room_id)
    for kind, body in [
        ("end_room", {}),
        ("mute", {"user_id": "spk"}),
        ("approve_request", {"user_id": "asker"}),
        ("remove_participant", {"user_id": HOST, "block": True}),
        ("start_recording", {}),
        ("set_ticketing", {"price_cents": 100, "currency": "EUR", "quantity": 5}),
        ("appoint_cohost", {"user_id": "lis"}),
    ]:
        reply = relay.send(sessions["lis"], frame(kind, body))
        assert reply["type"] == "error", kind
        assert reply["body"]["code"] == "not_allowed", (kind, reply)
        assert relay.room(room_id) is room


def test_session_messages_are_answered_by_the_session_not_the_room(relay):
    room_id, sessions = relay.live_room()
    room = relay.room(room_id)
    assert relay.send(sessions[HOST], frame("ping"))["type"] == "ok"
    again = {"room_id": room_id, "client_id": "x", "client_secret": "s" * 16, "display_name": "X"}
    assert relay.send(sessions[HOST], frame("hello", again))["body"]["code"] == "already_joined"
    assert relay.room(room_id) is room


def test_events_round_trip_through_the_wire():
    event = ParticipantJoined(actor="u1", at=T0, display_name="<b>Zoë</b> 🎉", role=Role.LISTENER)
    wire = json.loads(encode_event(42, event))
    assert wire["type"] == "event" and wire["body"]["seq"] == 42
    assert wire["body"]["kind"] == "participant_joined"
    cls = EVENT_TYPES[wire["body"]["kind"]]
    assert decode_dataclass(cls, wire["body"]["event"]) == event


def test_commands_decode_to_their_classes():
    request = decode_request(frame("request_to_speak"))
    assert request.message == RequestToSpeak()
