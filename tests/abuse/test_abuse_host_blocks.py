"""A block is the host's, and reaches every room of theirs (issue: blocks do not reach the host's
other rooms).

As found: a block was copied into a room only when that room was created, so the blocked person
stayed in the host's other live room, joined a scheduled room made before the block, and an
unblock did not lift it elsewhere. And since the block list is the host's, a co-host of one room
could bar the co-host of another room from all the host's future rooms. The defence, against a
real relay with real WebSocket clients on loopback: a block acts at once on every live and
scheduled room of that host (the person is dropped where present), an unblock lifts it
everywhere, a co-host cannot block another room's co-host, and a restart brings any room whose
list fell behind (a crash between two rooms' copies) in line with the host's.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest

from console.client import CommandRejected
from console.identity import Identity
from server.room import RemoveParticipant, StartRoom, Unblock
from server.store import DB_NAME
from tests.relay.relaykit import cohost_link, create_room, join, relay


def moved(url: str, config) -> str:
    """The same link on the restarted relay's port."""
    return config.base_url + "/r/" + url.split("/r/", 1)[1]


def test_a_block_in_one_room_reaches_every_room_of_the_host_and_an_unblock_lifts_it(tmp_path):
    async def scenario():
        async with relay(tmp_path) as config:
            hana = Identity.new()
            first = await create_room(config, hana, title="Morning show")
            second = await create_room(config, hana, title="Evening show")
            later = await create_room(
                config, hana, title="Tomorrow", starts_at=time.time() + 86_400
            )
            stranger_room = await create_room(config, Identity.new(), title="Someone else's")
            host1 = await join(first["host_url"], "Hana Host")
            host2 = await join(second["host_url"], "Hana Host")
            troll_id = Identity.new()
            troll1 = await join(first["join_url"], "Trent Troll", troll_id)
            troll2 = await join(second["join_url"], "Trent Troll", troll_id)
            bystander = await join(second["join_url"], "Bea Bystander")
            host3 = None
            try:
                await host1.send(RemoveParticipant(troll1.user_id, block=True))
                # Dropped from both live rooms at once, not only the one where it was done.
                await troll1.wait_for(lambda c: c.closed_reason == "removed")
                await troll2.wait_for(lambda c: c.closed_reason == "removed")
                await host2.wait_for(lambda c: troll2.user_id in c.room.blocked)
                await bystander.wait_for(lambda c: troll2.user_id not in c.room.participants)
                assert bystander.closed_reason is None
                # The scheduled room made before the block shuts them out too, once it starts.
                host3 = await join(later["host_url"], "Hana Host")
                assert troll1.user_id in host3.room.blocked
                await host3.send(StartRoom())
                with pytest.raises(CommandRejected) as refused:
                    await join(later["join_url"], "Trent Again", troll_id)
                assert refused.value.code == "blocked"
                with pytest.raises(CommandRejected) as refused:
                    await join(second["join_url"], "Trent Again", troll_id)
                assert refused.value.code == "blocked"
                # Another host's room is none of this block's business.
                elsewhere = await join(stranger_room["join_url"], "Trent", troll_id)
                await elsewhere.close()

                # One unblock, in the other room, lifts it everywhere.
                await host2.send(Unblock(troll2.user_id))
                await host1.wait_for(lambda c: troll1.user_id not in c.room.blocked)
                back1 = await join(first["join_url"], "Trent Forgiven", troll_id)
                back_later = await join(later["join_url"], "Trent Forgiven", troll_id)
                await back1.close()
                await back_later.close()
            finally:
                for client in (troll1, troll2, bystander, host1, host2, host3):
                    if client is not None:
                        await client.close(leave=False)

    asyncio.run(scenario())


def test_a_cohost_cannot_block_the_cohost_of_another_room_but_can_block_a_troll(tmp_path):
    async def scenario():
        async with relay(tmp_path) as config:
            hana = Identity.new()
            first = await create_room(config, hana, title="Morning show")
            second = await create_room(config, hana, title="Evening show")
            link1 = await cohost_link(config, first)
            link2 = await cohost_link(config, second)
            host2 = await join(second["host_url"], "Hana Host")
            cohost1 = await join(link1["url"], "Cora One")
            cohost2 = await join(link2["url"], "Cole Two")
            troll = await join(first["join_url"], "Trent Troll")
            troll_elsewhere = await join(second["join_url"], "Trent Troll", troll.identity)
            try:
                # The attack: co-host of the morning show bars the evening show's co-host
                # (who is not even in the morning room) from all of the host's rooms.
                with pytest.raises(CommandRejected) as refused:
                    await cohost1.send(RemoveParticipant(cohost2.user_id, block=True))
                assert refused.value.code == "not_allowed"
                assert "only the host" in refused.value.message
                assert cohost2.closed_reason is None
                assert cohost2.user_id not in host2.room.blocked
                assert cohost2.user_id in host2.room.cohost_ids
                third = await create_room(config, hana, title="Next week")

                # A co-host's block of a plain troll is the host's block, everywhere.
                await cohost1.send(RemoveParticipant(troll.user_id, block=True))
                await troll.wait_for(lambda c: c.closed_reason == "removed")
                await troll_elsewhere.wait_for(lambda c: c.closed_reason == "removed")
                with pytest.raises(CommandRejected) as refused:
                    await join(third["join_url"], "Trent Again", troll.identity)
                assert refused.value.code == "blocked"
            finally:
                for client in (troll, troll_elsewhere, cohost1, cohost2, host2):
                    await client.close(leave=False)

    asyncio.run(scenario())


def test_a_room_whose_block_list_fell_behind_is_brought_in_line_at_restart(tmp_path):
    """A crash between one room's block and the copy into the next leaves them apart; the
    host's list (kept with each block) is the truth at the next start."""

    async def first_run():
        async with relay(tmp_path) as config:
            hana = Identity.new()
            created = await create_room(config, hana, title="Morning show")
            return hana, created

    hana, created = asyncio.run(first_run())
    troll = Identity.new()
    db = sqlite3.connect(tmp_path / DB_NAME)
    with db:
        db.execute(
            "INSERT INTO blocks VALUES (?, ?, ?, ?)", (hana.client_id, troll.client_id, 1.0, "x")
        )
    db.close()

    async def second_run():
        async with relay(tmp_path) as config:
            with pytest.raises(CommandRejected) as refused:
                await join(moved(created["join_url"], config), "Trent", troll)
            assert refused.value.code == "blocked"
            host = await join(moved(created["host_url"], config), "Hana Host", hana)
            try:
                assert troll.client_id in host.room.blocked
            finally:
                await host.close()

    asyncio.run(second_run())
