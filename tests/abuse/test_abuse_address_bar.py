"""A removed person does not come straight back with a fresh identity (issue 16, item 6:
"removal is one fresh browser profile away from undone").

Without accounts a new identity is a new person, so the relay also bars the network address a
removed or blocked person was connected from, from that room, for the room's life. People behind
the same NAT share it (said in the README); a host or co-host link still gets in, anyone already
in the room stays, another network is not affected, and an unblock lifts the bar. Real relay,
raw WebSocket clients from distinct loopback addresses (127.0.0.2 the troll's network, 127.0.0.3
someone else's).
"""

from __future__ import annotations

import asyncio

import aiohttp

from console.identity import Identity
from server.room import RemoveParticipant, Unblock
from tests.abuse.wirekit import Wire, hello_body
from tests.relay.relaykit import cohost_link, create_room, join, relay


async def from_network(config, address: str, body: dict) -> tuple[Wire, dict]:
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(address, 0)))
    wire = await Wire.open(config, http=http)
    wire.owns_http = True
    return wire, await wire.hello(body)


def test_a_removed_persons_network_is_barred_from_the_room_but_links_still_get_in(tmp_path):
    async def scenario():
        async with relay(tmp_path, bar_loopback=True) as config:
            created = await create_room(config, Identity.new(), title="Raided room")
            room_id = created["room_id"]
            host = await join(created["host_url"], "Hana Host")
            wires: list[Wire] = []
            try:
                troll, ok = await from_network(
                    config, "127.0.0.2", hello_body(room_id, name="Trent Troll")
                )
                wires.append(troll)
                assert ok["type"] == "ok", ok
                housemate, ok = await from_network(
                    config, "127.0.0.2", hello_body(room_id, name="Hal Housemate")
                )
                wires.append(housemate)
                assert ok["type"] == "ok", ok
                troll_id = troll.replies[1]["body"]["you"]
                await host.wait_for(lambda c: troll_id in c.room.participants)
                await host.send(RemoveParticipant(troll_id))
                await troll.wait_closed()

                # The attack: a fresh identity from the same network.
                again, refused = await from_network(
                    config, "127.0.0.2", hello_body(room_id, name="Totally New")
                )
                wires.append(again)
                assert refused["type"] == "error", refused
                assert refused["body"]["code"] == "removed"
                assert "your network" in refused["body"]["message"]
                code, _reason = await again.wait_closed()
                assert code == 4003

                # Already inside from that network: stays.
                assert housemate.close_code is None
                assert housemate.replies[1]["body"]["you"] in host.room.participants
                # Another network: welcome.
                other, ok = await from_network(
                    config, "127.0.0.3", hello_body(room_id, name="Olga Other")
                )
                wires.append(other)
                assert ok["type"] == "ok", ok
                # A co-host link from the barred network: the host chose them.
                link = await cohost_link(config, created)
                cohost, ok = await from_network(
                    config,
                    "127.0.0.2",
                    hello_body(room_id, name="Cora Cohost", token=link["token"]),
                )
                wires.append(cohost)
                assert ok["type"] == "ok", ok

                # Blocked, then unblocked: the bar goes with the block.
                await host.send(RemoveParticipant(troll_id, block=True))
                await host.send(Unblock(troll_id))
                back, ok = await from_network(
                    config, "127.0.0.2", hello_body(room_id, name="Second Chance")
                )
                wires.append(back)
                assert ok["type"] == "ok", ok
            finally:
                for wire in wires:
                    await wire.close()
                await host.close()

    asyncio.run(scenario())


def test_with_address_bars_off_only_the_person_is_barred(tmp_path):
    async def scenario():
        async with relay(tmp_path, bar_loopback=True, bar_removed_addresses=False) as config:
            created = await create_room(config, Identity.new(), title="Trusting room")
            host = await join(created["host_url"], "Hana Host")
            troll, ok = await from_network(
                config, "127.0.0.2", hello_body(created["room_id"], name="Trent")
            )
            try:
                await host.send(RemoveParticipant(ok["body"]["you"]))
                await troll.wait_closed()
                again, ok = await from_network(
                    config, "127.0.0.2", hello_body(created["room_id"], name="New Person")
                )
                assert ok["type"] == "ok", ok
                await again.close()
            finally:
                await troll.close()
                await host.close()

    asyncio.run(scenario())
