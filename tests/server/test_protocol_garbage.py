"""Property tests: garbage only ever yields a protocol error and never changes a room.

Every frame goes down the relay's live path: a real Session on a real Hub over a real SQLite
store (tests/server/live_session.py), as a WebSocket frame would."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.protocol import ProtocolError, decode_request
from server.protocol.messages import SESSION_TYPES
from server.room import COMMAND_TYPES
from tests.server.live_session import HOST, PEOPLE, LiveRelay

ACTORS = st.sampled_from([HOST, *PEOPLE])
ALL_TYPES = sorted(set(COMMAND_TYPES) | set(SESSION_TYPES))

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=30,
)
field_names = st.sampled_from(
    ["user_id", "emoji", "url", "title", "reason", "kind", "mode", "granted", "block", "label",
     "display_name", "ticket_code", "price_cents", "currency", "quantity", "code", "sdp",
     "starts_at", "topics", "description", "room_id", "x", ""]
)  # fmt: skip
bodies = st.dictionaries(field_names, json_values, max_size=4)


@pytest.fixture(scope="module")
def relay(tmp_path_factory):
    live = LiveRelay(tmp_path_factory.mktemp("relay"))
    yield live
    live.close()


@pytest.fixture(scope="module")
def world(relay):
    """One room for the garbage that never decodes (it must never change)."""
    return relay.live_room()


def assert_garbage_is_harmless(relay, world, raw: str | bytes, actor: str) -> None:
    room_id, sessions = world
    before, seq = relay.room(room_id), relay.hub.seq(room_id)
    try:
        decode_request(raw)
    except ProtocolError as error:
        assert error.message
        reply = relay.send(sessions[actor], raw)
        assert reply["type"] == "error" and reply["body"]["code"] == error.code.value
        assert relay.room(room_id) is before
        assert relay.hub.seq(room_id) == seq


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(raw=st.text(max_size=300), actor=ACTORS)
def test_random_text(relay, world, raw, actor):
    assert_garbage_is_harmless(relay, world, raw, actor)


@SETTINGS
@given(raw=st.binary(max_size=200), actor=ACTORS)
def test_random_bytes(relay, world, raw, actor):
    assert_garbage_is_harmless(relay, world, raw, actor)
    assert_garbage_is_harmless(relay, world, raw.decode("utf-8", "replace"), actor)


@SETTINGS
@given(value=json_values, actor=ACTORS)
def test_random_json(relay, world, value, actor):
    assert_garbage_is_harmless(relay, world, json.dumps(value), actor)


@SETTINGS
@given(
    kind=st.sampled_from(ALL_TYPES) | st.text(max_size=20),
    body=bodies | json_values,
    request_id=json_values,
    version=st.sampled_from([1, 1, 1, 0, 2, "1", None, True]),
    actor=ACTORS,
)
def test_random_envelopes(relay, kind, body, request_id, version, actor):
    """Near-valid frames, each in a fresh room: anything that does not decode is refused with no
    change; anything that does decode is a real command the rules then judge (or a session
    message), and a refusal changes nothing."""
    room_id, sessions = relay.live_room()
    before, seq = relay.room(room_id), relay.hub.seq(room_id)
    raw = json.dumps({"v": version, "type": kind, "id": request_id, "body": body})
    try:
        request = decode_request(raw)
    except ProtocolError:
        assert relay.send(sessions[actor], raw)["type"] == "error"
        assert relay.room(room_id) is before
        return
    assert type(request.message) is (SESSION_TYPES.get(kind) or COMMAND_TYPES[kind])
    if kind == "offer":
        return  # media is not part of this relay (no media factory): covered in tests/relay
    reply = relay.send(sessions[actor], raw)
    after = relay.hub.room(room_id)
    if reply["type"] == "error":
        assert after is before and relay.hub.seq(room_id) == seq
        assert reply["body"]["code"] and reply["body"]["message"]
        return
    assert reply["type"] == "ok"
    events = relay.hub.log.events_after(room_id, seq)
    if kind in SESSION_TYPES:
        assert events == []
        return
    new_seq = reply["body"]["seq"]
    assert new_seq is None or new_seq == seq + len(events)  # None: the room ended
    assert all(e.actor in (actor, "system") for _, e in events)
