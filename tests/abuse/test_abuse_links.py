"""Links that could not be taken back (issue 13, item 7).

As found: the host token was permanent (whoever opened it became the host, and the real host
was not told why it stopped), and a co-host link still admitted after `remove_cohost`. The
defence: removing a co-host deletes their link; the host can rotate their own link (the old one
stops at once); the newest connection with the host's seat wins (as X Spaces does when you
open your Space on a second device) and the older one is closed with 4001 and the reason "Your
host link was opened somewhere else." Real relay, real WebSockets, the real HTTP API.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from console.client import CommandRejected
from console.identity import Identity
from server.app import running_app
from server.config import RelayConfig
from server.hub import REPLACED_HOST
from server.room import AskMode, SetAskMode
from tests.abuse.wirekit import hello_body, wire
from tests.relay.relaykit import create_room, join


def relay_config(tmp_path) -> RelayConfig:
    return RelayConfig(data_dir=tmp_path, host="127.0.0.1", port=0)


async def cohost_link(bound: RelayConfig, room_id: str, host_token: str) -> tuple[int, dict]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{bound.base_url}/api/rooms/{room_id}/cohost-links",
            headers={"Authorization": f"Bearer {host_token}"},
        ) as resp,
    ):
        return resp.status, await resp.json()


def link_hello(room_id: str, token: str, name: str = "Someone") -> dict:
    return hello_body(room_id, Identity.new("x"), name, token=token)


def test_removing_a_cohost_takes_their_link_back(tmp_path):
    async def scenario():
        async with running_app(relay_config(tmp_path), with_media=False) as (bound, _app):
            created = await create_room(bound, Identity.new())
            room_id, host_token = created["room_id"], created["host_token"]
            async with wire(bound) as host, wire(bound) as cohost:
                assert (await host.hello(link_hello(room_id, host_token, "Hana")))["type"] == "ok"
                status, present = await cohost_link(bound, room_id, host_token)
                assert status == 201
                status, absent = await cohost_link(bound, room_id, host_token)
                assert status == 201
                reply = await cohost.hello(link_hello(room_id, present["token"], "Cora"))
                assert reply["body"]["you"] == present["user_id"]
                for seat in (present, absent):
                    reply = await host.request("remove_cohost", {"user_id": seat["user_id"]})
                    assert reply["type"] == "ok", reply
                # The present co-host stays in the room (on stage as a speaker) ...
                assert (await cohost.request("ping"))["type"] == "ok"
                # ... but neither link admits anyone any more.
                for seat in (present, absent):
                    async with wire(bound) as again:
                        refused = await again.hello(link_hello(room_id, seat["token"]))
                        assert refused["body"]["code"] == "bad_token", refused
                        assert "taken back" in refused["body"]["message"]
                        assert (await again.wait_closed())[0] == 4009
                # The bot and the console's client meet the same refusal.
                with pytest.raises(CommandRejected) as refused_client:
                    await join(f"{created['join_url']}#token={absent['token']}", "Bot")
                assert refused_client.value.code == "bad_token"

    asyncio.run(scenario())


def test_the_host_link_opened_elsewhere_tells_the_replaced_host_and_can_be_rotated(tmp_path):
    async def scenario():
        async with running_app(relay_config(tmp_path), with_media=False) as (bound, _app):
            created = await create_room(bound, Identity.new())
            room_id, old_token = created["room_id"], created["host_token"]
            async with wire(bound) as host, wire(bound) as thief, wire(bound) as listener:
                assert (await host.hello(link_hello(room_id, old_token, "Hana")))["type"] == "ok"
                assert (await listener.hello(hello_body(room_id)))["type"] == "ok"
                # Someone else opens the leaked host link: the newest wins, the old is told.
                assert (await thief.hello(link_hello(room_id, old_token, "Thief")))["type"] == "ok"
                assert await host.wait_closed() == (4001, REPLACED_HOST)
                # The host opens their link again (the thief is told the same) and rotates it.
                async with wire(bound) as back:
                    assert (await back.hello(link_hello(room_id, old_token)))["type"] == "ok"
                    assert await thief.wait_closed() == (4001, REPLACED_HOST)
                    refused = await listener.request("rotate_host_link")
                    assert refused["body"]["code"] == "not_allowed", refused
                    rotated = await back.request("rotate_host_link")
                    assert rotated["type"] == "ok", rotated
                    new_token = rotated["body"]["token"]
                    assert new_token != old_token
                    assert rotated["body"]["url"].endswith(f"/r/{room_id}#token={new_token}")
                    assert (await back.request("ping"))["type"] == "ok"  # the asker goes on
                    # The old link is dead at once, on the WebSocket and over HTTP.
                    async with wire(bound) as again:
                        refused = await again.hello(link_hello(room_id, old_token))
                        assert refused["body"]["code"] == "bad_token", refused
                    status, _ = await cohost_link(bound, room_id, old_token)
                    assert status == 403
                    status, _ = await cohost_link(bound, room_id, new_token)
                    assert status == 201
                    # The new link works (and, opened elsewhere, replaces this connection).
                    async with wire(bound) as newest:
                        reply = await newest.hello(link_hello(room_id, new_token))
                        assert reply["type"] == "ok", reply
                        assert await back.wait_closed() == (4001, REPLACED_HOST)

    asyncio.run(scenario())


def test_the_console_client_rotates_and_reconnects_with_the_new_link(tmp_path):
    """What the console's "Make a new host link" does: the host's own client asks, keeps its
    connection, and comes back with the new link after a drop."""

    async def scenario():
        async with running_app(relay_config(tmp_path), with_media=False) as (bound, _app):
            created = await create_room(bound, Identity.new())
            host = await join(created["host_url"], "Hana Host")
            try:
                url = await host.rotate_host_link()
                assert host.token is not None and url.endswith(host.token)
                assert host.token != created["host_token"]
                # Drop the connection; the client resumes with the new token.
                assert host._ws is not None
                await host._ws.close()
                await host.wait_for(lambda c: c.connected and c.room is not None, 10)
                await host.send_when_connected(SetAskMode(AskMode.INVITED))
                assert host.room is not None and host.room.ask_mode.value == "invited"
                # Opened elsewhere, the console's connection stops and says why in words.
                elsewhere = await join(url, "Hana on her phone")
                await host.wait_for(lambda c: c.closed_reason == "replaced", 10)
                assert host.closed_message == REPLACED_HOST
                await elsewhere.close()
            finally:
                await host.close()

    asyncio.run(scenario())
