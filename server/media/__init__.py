"""The relay's media: WebRTC peers, the 20 ms mixer clock, encode-once fan-out (DESIGN §5),
run in media worker processes (DESIGN §10).

The names below load on first use: the relay's control process and the command line import
parts of this package (the coordinator, the worker's arguments) without aiortc and PyAV.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from server.media.ice import IceConfig, rtc_configuration
    from server.media.room_media import RoomMedia, TickTrace
    from server.media.values import LevelSample, MediaError, MediaStats, PeerStats, StageState

_WHERE = {
    "IceConfig": "server.media.ice",
    "rtc_configuration": "server.media.ice",
    "RoomMedia": "server.media.room_media",
    "TickTrace": "server.media.room_media",
    "LevelSample": "server.media.values",
    "MediaError": "server.media.values",
    "MediaStats": "server.media.values",
    "PeerStats": "server.media.values",
    "StageState": "server.media.values",
}

__all__ = [
    "IceConfig",
    "LevelSample",
    "MediaError",
    "MediaStats",
    "PeerStats",
    "RoomMedia",
    "StageState",
    "TickTrace",
    "rtc_configuration",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'server.media' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
