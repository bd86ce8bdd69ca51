"""The codec is strict and round-trips every event and command type."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.room import COMMAND_TYPES, EVENT_TYPES, Room
from server.room.codec import CodecError, decode_dataclass, from_plain, to_plain
from tests.server.roomkit import live_room

# The wire carries finite numbers within JSON's safe integer range; draw only those.
st.register_type_strategy(float, st.floats(allow_nan=False, allow_infinity=False))
st.register_type_strategy(int, st.integers(min_value=-(2**53), max_value=2**53))


@pytest.mark.parametrize(
    "cls", sorted([*EVENT_TYPES.values(), *COMMAND_TYPES.values()], key=lambda c: c.__name__)
)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_every_message_type_round_trips(cls, data):
    value = data.draw(st.from_type(cls))
    assert decode_dataclass(cls, to_plain(value)) == value


def test_a_room_round_trips():
    room = live_room()
    assert decode_dataclass(Room, to_plain(room)) == room


@pytest.mark.parametrize(
    ("tp", "data", "message"),
    [
        (int, True, "expected a whole number"),
        (int, 1.0, "expected a whole number"),
        (int, 2**60, "out of range"),
        (float, math.inf, "finite"),
        (float, "1", "expected a number"),
        (str, "\udc00", "not valid Unicode"),
        (bool, 0, "expected true/false"),
        (tuple[str, ...], "abc", "expected a list"),
        (frozenset[str], {"a": 1}, "expected a list"),
        (dict[str, int], [], "expected an object"),
        (str | None, 3, "expected text"),
    ],
)
def test_wrong_shapes_are_refused(tp, data, message):
    with pytest.raises(CodecError, match=message):
        from_plain(tp, data)


def test_errors_name_the_nested_field():
    plain = to_plain(live_room())
    plain["participants"]["spk"]["role"] = "emperor"
    with pytest.raises(CodecError) as caught:
        decode_dataclass(Room, plain)
    assert caught.value.path == "participants.spk.role"
