"""Property tests: garbage only ever yields a protocol error and never changes a room."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.protocol import ProtocolError, decode_request, handle_command_frame
from server.protocol.messages import SESSION_TYPES
from server.room import COMMAND_TYPES
from tests.server.roomkit import HOST, T0, live_room

ROOM = live_room()
ACTORS = st.sampled_from([HOST, "spk", "lis", "asker", "stranger"])
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


def assert_garbage_is_harmless(raw: str | bytes, actor: str) -> None:
    try:
        decode_request(raw)
    except ProtocolError as error:
        assert error.message
        outcome = handle_command_frame(ROOM, actor, raw, T0 + 30)
        assert outcome.room is ROOM
        assert outcome.events == ()
        assert json.loads(outcome.reply)["type"] == "error"


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(raw=st.text(max_size=300), actor=ACTORS)
def test_random_text(raw, actor):
    assert_garbage_is_harmless(raw, actor)


@SETTINGS
@given(raw=st.binary(max_size=200), actor=ACTORS)
def test_random_bytes(raw, actor):
    assert_garbage_is_harmless(raw, actor)
    assert_garbage_is_harmless(raw.decode("utf-8", "replace"), actor)


@SETTINGS
@given(value=json_values, actor=ACTORS)
def test_random_json(value, actor):
    assert_garbage_is_harmless(json.dumps(value), actor)


@SETTINGS
@given(
    kind=st.sampled_from(ALL_TYPES) | st.text(max_size=20),
    body=bodies | json_values,
    request_id=json_values,
    version=st.sampled_from([1, 1, 1, 0, 2, "1", None, True]),
    actor=ACTORS,
)
def test_random_envelopes(kind, body, request_id, version, actor):
    """Near-valid frames: anything that does not decode is refused with no change; anything
    that does decode is a real command the rules then judge, and a refusal changes nothing."""
    raw = json.dumps({"v": version, "type": kind, "id": request_id, "body": body})
    try:
        request = decode_request(raw)
    except ProtocolError:
        outcome = handle_command_frame(ROOM, actor, raw, T0 + 30)
        assert outcome.room is ROOM and outcome.events == ()
        return
    assert type(request.message) is (SESSION_TYPES.get(kind) or COMMAND_TYPES[kind])
    outcome = handle_command_frame(ROOM, actor, raw, T0 + 30)
    reply = json.loads(outcome.reply)
    if reply["type"] == "error":
        assert outcome.room is ROOM and outcome.events == ()
        assert reply["body"]["code"] and reply["body"]["message"]
    else:
        assert reply["type"] == "ok"
        assert len(outcome.events) == reply["body"]["events"] >= 1
        assert all(e.actor in (actor, "system") for e in outcome.events)
