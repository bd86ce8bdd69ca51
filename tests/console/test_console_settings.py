"""Settings and the room book survive a restart, and a damaged file never stops the console."""

from __future__ import annotations

import json
import stat

from console import settings as store
from console.rooms_api import HostedRoom, RoomBook
from console.settings import Settings


def test_settings_round_trip_and_defaults(tmp_path):
    assert store.load(tmp_path) == Settings()
    chosen = Settings(display_name="Hana", input_device="USB Mic", theme="dark", relay_port=9000)
    store.save(tmp_path, chosen)
    assert store.load(tmp_path) == chosen


def test_unknown_keys_and_wrong_types_fall_back_to_defaults(tmp_path):
    (tmp_path / store.FILE_NAME).write_text(
        json.dumps({"display_name": 5, "theme": "purple", "relay_port": 99999, "future": 1,
                    "speaking_sensitivity": True, "input_device": "Mic"}),
        encoding="utf-8",
    )  # fmt: skip
    loaded = store.load(tmp_path)
    assert loaded == Settings(input_device="Mic")


def test_a_file_that_is_not_json_is_set_aside_not_overwritten(tmp_path):
    (tmp_path / store.FILE_NAME).write_text("{not json", encoding="utf-8")
    assert store.load(tmp_path) == Settings()
    assert (tmp_path / "console-settings.broken.json").read_text(encoding="utf-8") == "{not json"


def test_the_room_book_keeps_host_links_private(tmp_path):
    book = RoomBook(tmp_path)
    room = HostedRoom(
        "r1",
        "http://127.0.0.1:1",
        "http://127.0.0.1:1/r/r1#token=t",
        "http://127.0.0.1:1/r/r1",
        "Talk",
    )
    book.add(room)
    assert RoomBook(tmp_path).get("r1") == room
    assert stat.S_IMODE((tmp_path / "console-rooms.json").stat().st_mode) == 0o600
    book.remove("r1")
    assert RoomBook(tmp_path).rooms() == []
