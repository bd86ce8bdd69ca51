"""Ticket codes leaked to everyone (issue 13, item 8).

As found: `participant_joined` carried the code a person came in with to every participant, live
and in the events a resuming client is sent, so anyone in a paid room could copy a code and
hand it on before its buyer used it again from another device. The defence: the code reaches
only its holder and the host; everyone else sees the join without it, live, on resume, and in
snapshots. Real relay, real WebSockets.
"""

from __future__ import annotations

import asyncio

from console.identity import Identity
from server.app import running_app
from server.config import RelayConfig
from tests.abuse.wirekit import Wire, hello_body, wire
from tests.relay.relaykit import create_room

CODES = ("K7QM-2XPD-RW9A", "T4HN-8CVE-JS3K", "Q9WF-6MZB-YP2D")


def joins_of(seen: Wire, user_id: str) -> list[dict]:
    return [e["event"] for e in seen.events("participant_joined") if e["event"]["actor"] == user_id]


def test_a_ticket_code_reaches_only_its_holder_and_the_host(tmp_path):
    async def scenario():
        config = RelayConfig(data_dir=tmp_path, host="127.0.0.1", port=0)
        async with running_app(config, with_media=False) as (bound, _app):
            tickets = {"price_cents": 500, "currency": "EUR", "quantity": 10}
            created = await create_room(bound, Identity.new(), tickets=tickets)
            room_id = created["room_id"]
            host_hello = hello_body(room_id, Identity.new("h"), "Hana", token=created["host_token"])
            bystander_id = Identity.new("b")
            async with wire(bound) as host, wire(bound) as bystander, wire(bound) as buyer:
                assert (await host.hello(host_hello))["type"] == "ok"
                for code in CODES:
                    assert (await host.request("issue_ticket", {"code": code}))["type"] == "ok"
                first = hello_body(room_id, bystander_id, "Bea", ticket_code=CODES[0])
                assert (await bystander.hello(first))["type"] == "ok"
                seq_before_buyer = bystander.reply(1)["body"]["seq"]
                reply = await buyer.hello(hello_body(room_id, name="Ben", ticket_code=CODES[1]))
                buyer_id = reply["body"]["you"]
                for seen in (host, bystander):
                    await seen.wait(lambda s=seen: joins_of(s, buyer_id), "the buyer's join")
                # Live: the host and the buyer see the code, the bystander does not.
                assert joins_of(host, buyer_id)[0]["ticket_code"] == CODES[1]
                assert joins_of(bystander, buyer_id)[0]["ticket_code"] is None
                assert buyer.of_type("snapshot")[0]["body"]["room"]["tickets"]["holders"] == {
                    CODES[1]: buyer_id
                }
                bystander_snapshot = bystander.of_type("snapshot")[0]["body"]["room"]["tickets"]
                assert set(bystander_snapshot["issued"]) == {CODES[0]}

            # On resume: the bystander comes back and is sent what it missed, still redacted.
            async with wire(bound) as again:
                body = hello_body(room_id, bystander_id, "Bea", resume_after_seq=seq_before_buyer)
                reply = await again.hello(body)
                assert reply["body"]["catch_up"] == "events", reply
                await again.wait(lambda: joins_of(again, buyer_id), "the missed join")
                assert joins_of(again, buyer_id)[0]["ticket_code"] is None
                every_frame = " ".join(str(f) for f in again.frames)
                for code in CODES[1:]:
                    assert code not in every_frame, f"{code} reached a bystander"

    asyncio.run(scenario())
