"""Rooms over the WebSocket: join, commands, bad input, resume, enforcement, restart."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from console.client import ClientClosed, CommandRejected
from console.identity import Identity
from server.room import (
    ApproveRequest,
    EndRoom,
    IssueTicket,
    Join,
    Mute,
    PinLink,
    RemoveParticipant,
    RequestToSpeak,
    Role,
    Unmute,
)
from server.store import Store
from tests.relay.relaykit import create_room, join, relay


def test_request_approve_and_every_mirror_agrees(tmp_path):
    async def scenario():
        async with relay(tmp_path) as config:
            created = await create_room(config, Identity.new())
            host = await join(created["host_url"], "Hana Host")
            listener = await join(created["join_url"], "Lee Listener")
            try:
                assert host.room.role_of(host.user_id) is Role.HOST
                assert listener.room.role_of(listener.user_id) is Role.LISTENER
                await listener.send(RequestToSpeak())
                await host.wait_for(lambda c: c.room.request_of(listener.user_id) is not None)
                await host.send(ApproveRequest(listener.user_id))
                await listener.wait_for(lambda c: c.room.role_of(c.user_id) is Role.SPEAKER)
                assert listener.room.participants[listener.user_id].muted  # joins the stage muted
                await listener.send(Unmute())
                await host.wait_for(lambda c: not c.room.participants[listener.user_id].muted)
                await listener.wait_for(lambda c: c.seq == host.seq)
                # the listener's mirror is the host's view less what only the host may see
                assert listener.room.participants == host.room.participants
                assert listener.room.requests == host.room.requests
            finally:
                await listener.close()
                await host.close()

    asyncio.run(scenario())


def test_a_listener_sending_host_commands_and_garbage_changes_nothing(tmp_path):
    async def scenario():
        async with relay(tmp_path) as config:
            created = await create_room(config, Identity.new())
            host = await join(created["host_url"], "Hana Host")
            listener = await join(created["join_url"], "Lee Listener")
            try:
                seq_before = host.seq
                for command in (
                    EndRoom(),
                    Mute(host.user_id),
                    RemoveParticipant(host.user_id, block=True),
                ):
                    with pytest.raises(CommandRejected) as refused:
                        await listener.send(command)
                    assert refused.value.code == "not_allowed" and refused.value.message

                listener_ws = listener._ws
                garbage = [
                    "{not json",
                    '{"v": 1, "type": "make_me_host", "id": "g1", "body": {}}',
                    '{"v": 1, "type": "mute", "id": "g2", "body": {"user_id": 7}}',
                    '{"v": 1, "type": "offer", "id": "g3", "body": {"sdp": 12}}',
                    "x" * 70_000,
                ]
                codes = []
                original = listener._dispatch

                def capture(frame):
                    if frame.get("type") == "error" and frame.get("id") in (None, "g1", "g2", "g3"):
                        codes.append(frame["body"]["code"])
                        listener._changed.set()
                    original(frame)

                listener._dispatch = capture
                for raw in garbage:
                    await listener_ws.send_str(raw)
                await listener.wait_for(lambda c: len(codes) == len(garbage), timeout_s=5)
                assert codes == [
                    "malformed_json",
                    "unknown_type",
                    "invalid_field",
                    "invalid_field",
                    "frame_too_large",
                ]
                await asyncio.sleep(0.1)
                assert host.seq == seq_before
                stored = Store.open(tmp_path)
                try:
                    assert stored.load_current(created["room_id"]).room == host.room
                finally:
                    stored.close()
                assert listener.connected  # bad input is answered, not punished
            finally:
                await listener.close()
                await host.close()

    asyncio.run(scenario())


def test_a_client_that_reconnects_gets_every_missed_event_in_order(tmp_path):
    async def scenario():
        async with relay(tmp_path, resume_grace_s=30.0) as config:
            created = await create_room(config, Identity.new())
            host = await join(created["host_url"], "Hana Host")
            listener = await join(created["join_url"], "Lee Listener")
            seen: list[int] = []
            listener.on_event.append(lambda seq, event, room: seen.append(seq))
            reconnected = asyncio.Event()

            async def note():
                reconnected.set()

            listener.on_reconnected.append(note)
            try:
                start_seq = listener.seq
                # drop the connection under the client's feet (no Leave)
                listener._ws._response.connection.transport.abort()
                others = [await join(created["join_url"], f"Guest {i}") for i in range(3)]
                await host.send(PinLink("https://example.org/notes", "Notes"))
                await others[0].send(RequestToSpeak())
                await asyncio.wait_for(reconnected.wait(), timeout=10)
                await listener.wait_for(lambda c: c.seq == host.seq)
                assert seen == list(range(start_seq + 1, host.seq + 1))
                assert listener.room.pinned_links == host.room.pinned_links
                assert listener.room.participants == host.room.participants
                assert listener.room.role_of(listener.user_id) is Role.LISTENER
                for other in others:
                    await other.close()
            finally:
                await listener.close()
                await host.close()

    asyncio.run(scenario())


def test_a_dropped_participant_leaves_after_the_grace_period(tmp_path):
    async def scenario():
        async with relay(tmp_path, resume_grace_s=0.3) as config:
            created = await create_room(config, Identity.new())
            host = await join(created["host_url"], "Hana Host")
            listener = await join(created["join_url"], "Lee Listener", reconnect=False)
            try:
                gone = listener.user_id
                listener._ws._response.connection.transport.abort()
                await host.wait_for(lambda c: gone not in c.room.participants, timeout_s=5)
            finally:
                await host.close()

    asyncio.run(scenario())


def test_removed_and_blocked_people_are_shut_out(tmp_path):
    async def scenario():
        async with relay(tmp_path) as config:
            host_identity = Identity.new()
            created = await create_room(config, host_identity)
            host = await join(created["host_url"], "Hana Host")
            removed_identity, blocked_identity = Identity.new(), Identity.new()
            removed = await join(created["join_url"], "Rex Removed", removed_identity)
            blocked = await join(created["join_url"], "Bo Blocked", blocked_identity)
            try:
                await host.send(RemoveParticipant(removed.user_id))
                await removed.wait_for(lambda c: c.closed_reason == "removed")
                with pytest.raises(CommandRejected) as refused:
                    await join(created["join_url"], "Rex Again", removed_identity)
                assert refused.value.code == "removed"

                witness = await join(created["join_url"], "Wendy Witness")
                await host.send(RemoveParticipant(blocked.user_id, block=True))
                await blocked.wait_for(lambda c: c.closed_reason == "removed")
                await witness.wait_for(lambda c: blocked.user_id in c.room.removed)
                assert witness.room.blocked == frozenset(), "a listener learnt of a block"
                assert blocked.user_id in host.room.blocked
                await witness.close()
                second = await create_room(config, host_identity, title="Next time")
                with pytest.raises(CommandRejected) as refused:
                    await join(second["join_url"], "Bo Again", blocked_identity)
                assert refused.value.code == "blocked"
                # another host's rooms are open to them
                other = await create_room(config, Identity.new(), title="Elsewhere")
                welcome = await join(other["join_url"], "Bo Elsewhere", blocked_identity)
                await welcome.close()
            finally:
                await removed.close(leave=False)
                await blocked.close(leave=False)
                await host.close()

    asyncio.run(scenario())


def test_ending_the_room_closes_everyone_and_nobody_joins_after(tmp_path):
    async def scenario():
        async with relay(tmp_path) as config:
            created = await create_room(config, Identity.new())
            host = await join(created["host_url"], "Hana Host")
            listener = await join(created["join_url"], "Lee Listener")
            await host.send(EndRoom())
            await listener.wait_for(lambda c: c.closed_reason == "room_ended")
            await host.wait_for(lambda c: c.closed_reason == "room_ended")
            with pytest.raises(CommandRejected) as refused:
                await join(created["join_url"], "Late Comer")
            assert refused.value.code == "room_ended"
            card_url = f"{config.base_url}/api/rooms/{created['room_id']}"
            async with aiohttp.ClientSession() as http, http.get(card_url) as resp:
                assert (await resp.json())["state"] == "ended"
            await listener.close(leave=False)
            await host.close(leave=False)

    asyncio.run(scenario())


def test_identity_is_bound_to_its_secret(tmp_path):
    async def scenario():
        async with relay(tmp_path) as config:
            created = await create_room(config, Identity.new())
            me = Identity.new()
            first = await join(created["join_url"], "Real Me", me)
            impostor = Identity(me.client_id, "a-different-secret-of-enough-length")
            with pytest.raises(CommandRejected) as refused:
                await join(created["join_url"], "Fake Me", impostor)
            assert refused.value.code == "identity_mismatch"
            assert first.connected
            await first.close()

    asyncio.run(scenario())


def test_hello_must_come_first_and_in_time(tmp_path):
    async def scenario():
        async with relay(tmp_path, hello_timeout_s=0.3) as config, aiohttp.ClientSession() as http:
            async with http.ws_connect(f"{config.base_url}/ws") as ws:
                await ws.send_str('{"v": 1, "type": "request_to_speak", "id": 1, "body": {}}')
                reply = json.loads((await ws.receive()).data)
                assert reply["body"]["code"] == "not_joined"
                assert (await ws.receive()).type in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSED,
                )
            async with http.ws_connect(f"{config.base_url}/ws") as ws:
                reply = json.loads((await ws.receive(timeout=5)).data)
                assert reply["body"]["code"] == "hello_timeout"

    asyncio.run(scenario())


def test_flooding_is_rate_limited(tmp_path):
    async def scenario():
        async with relay(tmp_path, commands_per_s=5.0, command_burst=10) as config:
            created = await create_room(config, Identity.new())
            listener = await join(created["join_url"], "Fast Fingers")
            try:
                results = await asyncio.gather(
                    *(listener.ping() for _ in range(30)), return_exceptions=True
                )
                limited = [
                    r
                    for r in results
                    if isinstance(r, CommandRejected) and r.code == "rate_limited"
                ]
                assert 10 <= len(results) - len(limited) <= 13
                assert len(limited) >= 17
                assert listener.connected
            finally:
                await listener.close()

    asyncio.run(scenario())


def test_joining_again_from_a_second_connection_replaces_the_first(tmp_path):
    async def scenario():
        async with relay(tmp_path) as config:
            created = await create_room(config, Identity.new())
            me = Identity.new()
            first = await join(created["join_url"], "Me", me)
            second = await join(created["join_url"], "Me", me)
            await first.wait_for(lambda c: c.closed_reason == "replaced")
            assert second.room.role_of(me.client_id) is Role.LISTENER
            with pytest.raises(ClientClosed):
                await first.send(Join("Me"))
            await second.close()

    asyncio.run(scenario())


def test_a_ticketed_room_admits_only_ticket_holders(tmp_path):
    async def scenario():
        async with relay(tmp_path) as config:
            created = await create_room(
                config,
                Identity.new(),
                tickets={"price_cents": 500, "currency": "EUR", "quantity": 2},
            )
            host = await join(created["host_url"], "Hana Host")
            try:
                await host.send(IssueTicket("GOLD-0001"))
                with pytest.raises(CommandRejected) as refused:
                    await join(created["join_url"], "No Ticket")
                assert refused.value.code == "ticket_required"
                with pytest.raises(CommandRejected) as refused:
                    await join(created["join_url"], "Wrong Ticket", ticket_code="FAKE-9999")
                assert refused.value.code == "ticket_invalid"
                buyer_identity = Identity.new()
                buyer = await join(
                    created["join_url"], "Bea Buyer", buyer_identity, ticket_code="GOLD-0001"
                )
                assert buyer.room.tickets.holders == {
                    "GOLD-0001": buyer.user_id
                }  # sees only their own
                assert buyer.room.tickets.issued == frozenset({"GOLD-0001"})
                await buyer.close()
                # The code is the ticket: whoever brings it holds it, one person at a time.
                friend = await join(created["join_url"], "Sharing Friend", ticket_code="GOLD-0001")
                await host.wait_for(
                    lambda c: c.room.tickets.holders == {"GOLD-0001": friend.user_id}
                )
                await friend.close()
            finally:
                await host.close()

    asyncio.run(scenario())


def test_a_speakers_seat_outlasts_a_one_minute_drop_and_a_listeners_place_half_a_minute(
    tmp_path,
):
    """Issue 16, item 2: a speaker who dropped for more than 30 s silently became a listener.
    On stage the grace is 90 s (a 60 s drop, plus the page's retries), in the audience 30 s;
    the hello reply says both, so the page can tell its person how long they have."""
    from server.app import HUB, running_app
    from server.config import RelayConfig
    from tests.abuse.wirekit import Wire, hello_body

    async def scenario():
        settings = RelayConfig(data_dir=tmp_path, port=0)
        async with running_app(settings, with_media=False) as (config, app):
            assert (config.resume_grace_s, config.stage_grace_s) == (30.0, 90.0)
            created = await create_room(config, Identity.new())
            host = await join(created["host_url"], "Hana Host")
            sam = await join(created["join_url"], "Sam Speaker")
            lee = await Wire.open(config)
            try:
                ok = await lee.hello(hello_body(created["room_id"], name="Lee Listener"))
                assert ok["body"]["resume_grace_s"] == 30.0
                assert ok["body"]["stage_grace_s"] == 90.0
                await sam.send(RequestToSpeak())
                await host.wait_for(lambda c: c.room.request_of(sam.user_id) is not None)
                await host.send(ApproveRequest(sam.user_id))
                await sam.wait_for(lambda c: c.room.role_of(c.user_id) is Role.SPEAKER)
                hub = app[HUB]
                assert hub.grace_s(created["room_id"], sam.user_id) == 90.0
                assert hub.grace_s(created["room_id"], ok["body"]["you"]) == 30.0
            finally:
                await lee.close()
                for client in (sam, host):
                    await client.close()

    asyncio.run(scenario())


def test_a_buyer_moves_their_ticket_to_another_device_and_the_first_one_is_told(tmp_path):
    """Issue 16, item 7: a ticket was tied to the first browser that used it. Bringing its
    code on another device moves it there; the old connection is closed with `ticket_moved`,
    and nobody else ever sees the code."""
    from server.room import IssueTicket

    async def scenario():
        async with relay(tmp_path) as config:
            created = await create_room(
                config,
                Identity.new(),
                tickets={"price_cents": 900, "currency": "EUR", "quantity": 5},
            )
            host = await join(created["host_url"], "Hana Host")
            await host.send(IssueTicket("GOLD-0001"))
            phone = await join(created["join_url"], "Tia", ticket_code="GOLD-0001", reconnect=False)
            laptop = await join(created["join_url"], "Tia", ticket_code="GOLD-0001")
            try:
                await phone.wait_for(lambda c: c.closed_reason is not None)
                assert phone.closed_reason == "replaced"  # 4001, reason "ticket_moved"
                await host.wait_for(
                    lambda c: c.room.tickets.holders.get("GOLD-0001") == laptop.user_id
                )
                assert phone.user_id not in host.room.participants
                assert laptop.user_id in host.room.participants
            finally:
                for client in (laptop, phone, host):
                    await client.close(leave=False)

    asyncio.run(scenario())
