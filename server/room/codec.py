"""Plain-data codec for the room's dataclasses: commands, events and rooms.

`to_plain` turns a value into JSON-ready data; `from_plain` rebuilds a typed
value and is strict: unknown or missing fields, wrong types, non-finite
numbers and strings that are not valid Unicode are refused with a
`CodecError` naming the field. Both the wire protocol and the store use it,
so a message and a saved room are read by the same rules.

Supported field types: str, int, float, bool, None unions, str-valued Enums,
tuple[X, ...], frozenset[str], dict[str, X] and nested dataclasses.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar, Union, get_args, get_origin

T = TypeVar("T")

Plain = None | bool | int | float | str | list["Plain"] | dict[str, "Plain"]


class CodecError(ValueError):
    """A value does not fit its declared type; `path` names the field."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path or 'value'}: {message}")
        self.path = path
        self.message = message


_FIELD_TYPES: dict[type, dict[str, Any]] = {}
_REQUIRED: dict[type, frozenset[str]] = {}


def field_types(cls: type) -> dict[str, Any]:
    """Resolved type hints of a dataclass's fields, cached per class."""
    found = _FIELD_TYPES.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = _FIELD_TYPES[cls] = {f.name: hints[f.name] for f in dataclasses.fields(cls)}
    return found


def required_fields(cls: type) -> frozenset[str]:
    found = _REQUIRED.get(cls)
    if found is None:
        found = _REQUIRED[cls] = frozenset(
            f.name
            for f in dataclasses.fields(cls)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        )
    return found


def to_plain(value: object) -> Plain:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CodecError("", "non-finite number")
        return value
    if isinstance(value, enum.Enum):
        return to_plain(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, frozenset):
        return sorted(to_plain(v) for v in value)  # type: ignore[type-var]
    if isinstance(value, (tuple, list)):
        return [to_plain(v) for v in value]
    raise CodecError("", f"cannot encode {type(value).__name__}")


def _check_str(data: object, path: str) -> str:
    if not isinstance(data, str):
        raise CodecError(path, f"expected text, got {_kind(data)}")
    try:
        data.encode("utf-8")
    except UnicodeEncodeError:
        raise CodecError(path, "text is not valid Unicode") from None
    return data


def _kind(data: object) -> str:
    return {
        type(None): "null",
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "an object",
    }.get(type(data), type(data).__name__)


def from_plain(tp: Any, data: object, path: str = "") -> Any:
    """Rebuild a value of type `tp` from plain data, or raise CodecError."""
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        options = get_args(tp)
        if data is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return from_plain(option, data, path)
            except CodecError as exc:
                errors.append(exc.message)
        raise CodecError(path, errors[0] if len(errors) == 1 else "; ".join(errors))
    if tp is type(None):
        if data is not None:
            raise CodecError(path, f"expected null, got {_kind(data)}")
        return None
    if tp is str:
        return _check_str(data, path)
    if tp is bool:
        if not isinstance(data, bool):
            raise CodecError(path, f"expected true/false, got {_kind(data)}")
        return data
    if tp is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise CodecError(path, f"expected a whole number, got {_kind(data)}")
        if abs(data) > 2**53:
            raise CodecError(path, "number out of range")
        return data
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            raise CodecError(path, f"expected a number, got {_kind(data)}")
        value = float(data)
        if not math.isfinite(value):
            raise CodecError(path, "number must be finite")
        return value
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        allowed = [m.value for m in tp]
        if isinstance(data, bool) or data not in allowed:
            raise CodecError(path, f"expected one of {', '.join(map(str, allowed))}")
        return tp(data)
    if origin is tuple:
        args = get_args(tp)
        if not isinstance(data, list):
            raise CodecError(path, f"expected a list, got {_kind(data)}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_plain(args[0], item, f"{path}[{i}]") for i, item in enumerate(data))
        if len(args) != len(data):
            raise CodecError(path, f"expected {len(args)} items, got {len(data)}")
        pairs = enumerate(zip(args, data, strict=True))
        return tuple(from_plain(a, item, f"{path}[{i}]") for i, (a, item) in pairs)
    if origin is frozenset:
        (arg,) = get_args(tp)
        if not isinstance(data, list):
            raise CodecError(path, f"expected a list, got {_kind(data)}")
        return frozenset(from_plain(arg, item, f"{path}[{i}]") for i, item in enumerate(data))
    if origin in (dict, Mapping) or origin is typing.Mapping:
        key_tp, value_tp = get_args(tp)
        if not isinstance(data, dict):
            raise CodecError(path, f"expected an object, got {_kind(data)}")
        return {
            from_plain(key_tp, k, f"{path}.<key>"): from_plain(value_tp, v, f"{path}.{k}")
            for k, v in data.items()
        }
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return decode_dataclass(tp, data, path)
    raise CodecError(path, f"unsupported type {tp!r}")


def decode_dataclass(cls: type[T], data: object, path: str = "") -> T:
    if not isinstance(data, dict):
        raise CodecError(path, f"expected an object, got {_kind(data)}")
    hints = field_types(cls)
    unknown = sorted(set(data) - set(hints))
    if unknown:
        raise CodecError(_join(path, str(unknown[0])), "unknown field")
    missing = sorted(required_fields(cls) - set(data))
    if missing:
        raise CodecError(_join(path, missing[0]), "missing field")
    values = {
        name: from_plain(hints[name], data[name], _join(path, name))
        for name in hints
        if name in data
    }
    return cls(**values)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
