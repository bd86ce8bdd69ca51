"""The relay key file: made once, readable only by its user, the same key on every read."""

from __future__ import annotations

import os
import stat
import threading

import pytest

from server.admin_key import KEY_FILE, AdminKeyError, load_or_create, read_keys


def test_the_key_file_is_made_0600_and_kept(tmp_path):
    folder = tmp_path / "relay"
    key = load_or_create(folder)
    path = folder / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) == 64 and int(key, 16) >= 0
    assert load_or_create(folder) == key  # a second start reads the same key
    assert [p.name for p in folder.iterdir()] == [KEY_FILE]  # no temporary file left


def test_a_key_file_others_can_read_is_tightened(tmp_path):
    key = load_or_create(tmp_path)
    os.chmod(tmp_path / KEY_FILE, 0o644)
    assert load_or_create(tmp_path) == key
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600


def test_the_console_and_its_relay_racing_get_one_key(tmp_path):
    keys: list[str] = []
    threads = [
        threading.Thread(target=lambda: keys.append(load_or_create(tmp_path))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1


def test_configured_key_files_skip_comments_and_refuse_short_keys(tmp_path):
    keys = tmp_path / "keys"
    keys.write_text("# the studio's booking tool\n" + "a" * 32 + "\n\n" + "b" * 40 + "\n")
    assert read_keys(keys) == ["a" * 32, "b" * 40]
    keys.write_text("short\n")
    with pytest.raises(AdminKeyError, match="shorter than"):
        read_keys(keys)
