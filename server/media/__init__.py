"""The relay's media: WebRTC peers, the 20 ms mixer clock, encode-once fan-out (DESIGN §5)."""

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
