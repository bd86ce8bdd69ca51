"""The relay's media: WebRTC peers, the 20 ms mixer clock, encode-once fan-out (DESIGN §5),
run in media worker processes (DESIGN §10).

The names below load on first use: the relay's control process and the command line import
parts of this package (the coordinator, the worker's arguments) without aiortc and PyAV.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from server.media.ice import IceConfig, rtc_configuration
    from server.media.room_media import RoomMedia, TickTrace
    from server.media.values import LevelSample, MediaError, MediaStats, PeerStats, StageState

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
    # Plain imports (not import_module with a computed name), so the frozen build's analysis
    # sees them; each runs once, on the first use of one of its names.
    if name in ("IceConfig", "rtc_configuration"):
        from server.media import ice

        return getattr(ice, name)
    if name in ("RoomMedia", "TickTrace"):
        from server.media import room_media

        return getattr(room_media, name)
    if name in ("LevelSample", "MediaError", "MediaStats", "PeerStats", "StageState"):
        from server.media import values

        return getattr(values, name)
    raise AttributeError(f"module 'server.media' has no attribute {name!r}")
