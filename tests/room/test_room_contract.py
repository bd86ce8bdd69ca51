"""The shape other code is written against: names, wire names, frozen dataclasses, the field types
the JSON codec understands, events that name their actor and time, and a total `decide`."""

from __future__ import annotations

import dataclasses
import enum
import json
import re
import types
import typing
from collections.abc import Iterator

import pytest

import server.room as room_api
from server.room import (
    COMMAND_TYPES,
    EVENT_TYPES,
    SYSTEM,
    Leave,
    Reason,
    Rejected,
    Room,
    can,
    decide,
)
from server.room.codec import from_plain, to_plain
from tests.room.room_world import WORLDS, world

SNAKE = re.compile(r"[a-z]+(_[a-z]+)*")

PUBLIC = [
    "Room", "Participant", "Role", "AskMode", "RoomState", "Consent", "Limits", "RoomCard",
    "Rejected", "Reason", "decide", "apply", "apply_all", "new_room", "SYSTEM",
    "COMMAND_TYPES", "EVENT_TYPES", "REACTIONS", "can", "is_moderator",
]  # fmt: skip


def test_the_public_api_is_importable_from_the_package():
    missing = [name for name in PUBLIC if not hasattr(room_api, name)]
    missing += [cls.__name__ for cls in (*COMMAND_TYPES.values(), *EVENT_TYPES.values())
                if getattr(room_api, cls.__name__, None) is not cls]  # fmt: skip
    assert missing == []
    assert SYSTEM == "system"


@pytest.mark.parametrize("table", [COMMAND_TYPES, EVENT_TYPES], ids=["commands", "events"])
def test_wire_names_are_snake_case_and_name_their_class(table):
    for wire_name, cls in table.items():
        assert SNAKE.fullmatch(wire_name), wire_name
        assert cls.wire_name == wire_name
        params = cls.__dataclass_params__
        assert params.frozen and hasattr(cls, "__slots__"), cls
    assert not set(COMMAND_TYPES) & set(EVENT_TYPES)


def test_every_event_starts_with_its_actor_and_time():
    for cls in EVENT_TYPES.values():
        hints = typing.get_type_hints(cls)
        first_two = [f.name for f in dataclasses.fields(cls)][:2]
        assert first_two == ["actor", "at"], cls
        assert (hints["actor"], hints["at"]) == (str, float), cls


def test_reasons_are_unique_snake_case_codes():
    values = [reason.value for reason in Reason]
    assert len(set(values)) == len(values)
    assert all(SNAKE.fullmatch(value) for value in values)


def _codec_problems(tp: object, where: str, seen: set[type]) -> Iterator[str]:
    """Field types allowed by server/room/codec.py, checked recursively."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp in (str, int, float, bool, type(None)):
        return
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        if not all(isinstance(member.value, str) for member in tp):
            yield f"{where}: {tp.__name__} has values that are not text"
    elif origin in (types.UnionType, typing.Union):
        if type(None) not in args or len(args) != 2:
            yield f"{where}: only `X | None` unions"
        for arg in args:
            yield from _codec_problems(arg, where, seen)
    elif origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        yield from _codec_problems(args[0], where, seen)
    elif origin is frozenset and args == (str,):
        return
    elif origin is dict and args[0] is str:
        yield from _codec_problems(args[1], where, seen)
    elif isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if tp in seen:
            return
        seen.add(tp)
        if not tp.__dataclass_params__.frozen:  # type: ignore[attr-defined]
            yield f"{where}: {tp.__name__} is not frozen"
        hints = typing.get_type_hints(tp)
        for field in dataclasses.fields(tp):
            yield from _codec_problems(hints[field.name], f"{tp.__name__}.{field.name}", seen)
    else:
        yield f"{where}: {tp!r} is outside the codec's types"


def test_every_field_type_is_one_the_codec_understands():
    seen: set[type] = set()
    classes = (Room, *COMMAND_TYPES.values(), *EVENT_TYPES.values())
    assert [p for cls in classes for p in _codec_problems(cls, cls.__name__, seen)] == []


def test_the_type_check_can_fail():
    @dataclasses.dataclass(frozen=True)
    class Loose:
        items: list[str]
        anything: typing.Any
        either: int | str

    assert len(list(_codec_problems(Loose, "Loose", set()))) == 3


@pytest.mark.parametrize("given", sorted(WORLDS))
def test_every_room_survives_a_trip_through_json(given):
    room = world(given).room
    text = json.dumps(to_plain(room), ensure_ascii=False)
    assert from_plain(Room, json.loads(text)) == room


def _sample(cls: type) -> object:
    """An instance with plausible field values, to prove every command reaches a rule."""
    values: dict[str, object] = {}
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        if field.default is not dataclasses.MISSING:
            continue
        tp = hints[field.name]
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            values[field.name] = next(iter(tp))
        else:
            values[field.name] = {str: "listener", bool: True, int: 1, float: 1.0}.get(tp, ())
    return cls(**values)


@pytest.mark.parametrize("cls", list(COMMAND_TYPES.values()), ids=list(COMMAND_TYPES))
def test_every_command_reaches_a_rule_in_every_world(cls):
    command = _sample(cls)
    for given in WORLDS:
        start = world(given)
        for actor in ("host", "cohost", "speaker", "listener", "stranger", SYSTEM):
            verdict = decide(start.room, actor, command, start.now)  # type: ignore[arg-type]
            assert isinstance(verdict, (list, Rejected))
            if isinstance(verdict, Rejected):
                assert verdict.reason is not Reason.UNKNOWN_COMMAND
                assert verdict.detail
            assert can(start.room, actor, command, start.now) is isinstance(verdict, list)  # type: ignore[arg-type]


def test_something_that_is_not_a_command_is_refused_not_raised():
    start = world("live")
    verdict = decide(start.room, "host", "mute everyone", start.now)  # type: ignore[arg-type]
    assert isinstance(verdict, Rejected) and verdict.reason is Reason.UNKNOWN_COMMAND
    assert decide(start.room, "listener", Leave(), start.now) != verdict
