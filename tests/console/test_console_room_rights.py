"""The console's embedded relay creates rooms for the console only: the console holds the
relay's key (a 0600 file in the data folder they share) and sends it; a stranger on the same
computer, a page in the host's browser or a script without the file, is refused."""

from __future__ import annotations

import asyncio
import stat

import aiohttp
import pytest

from console.identity import Identity
from console.relay_key import KEY_FILE as CONSOLE_READS
from console.rooms_api import ApiError, RelayApi
from console.supervisor import RelaySupervisor
from server.admin_key import KEY_FILE

pytestmark = pytest.mark.timeout(60)


def test_only_the_console_creates_rooms_on_its_relay(tmp_path):
    async def scenario():
        supervisor = RelaySupervisor(tmp_path, port=0)
        url = await supervisor.start()
        try:
            assert CONSOLE_READS == KEY_FILE  # the console reads the file the relay writes
            key_file = supervisor.relay_dir / KEY_FILE
            assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
            assert supervisor.admin_key() == key_file.read_text().strip()
            console = RelayApi(url, admin_key=supervisor.admin_key())
            hosted, card = await console.create_room(Identity.new(), "Hana Host", "Our show")
            assert card["title"] == "Our show" and hosted.host_url.startswith(url)

            stranger = RelayApi(url)
            with pytest.raises(ApiError) as refused:
                await stranger.create_room(Identity.new(), "Mallory", "Free rooms")
            assert refused.value.code == "key_required"
            guesser = RelayApi(url, admin_key="0" * 64)
            with pytest.raises(ApiError) as refused:
                await guesser.create_room(Identity.new(), "Mallory", "Free rooms")
            assert refused.value.code == "bad_key"
            async with aiohttp.ClientSession() as http, http.get(f"{url}/api/rooms") as resp:
                titles = [room["title"] for room in (await resp.json())["rooms"]]
            assert titles == ["Our show"]
        finally:
            await supervisor.stop()

    asyncio.run(scenario())
