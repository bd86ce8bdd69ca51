"""The moderation log over HTTP (issue 16, item 4): `GET /api/rooms/{id}/log`.

A page that joins gets a snapshot, not the events before it, so a browser host had no log of
what happened before it came in. The endpoint hands that history to the room's moderators only
(a host or co-host link's token, held by someone in the room as one), each event as that
moderator may see it: a co-host never reads a ticket code, which only its holder and the host
may. Real relay, real WebSockets and HTTP.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from console.identity import Identity
from server.app import running_app
from server.config import RelayConfig
from tests.abuse.wirekit import hello_body, wire
from tests.relay.relaykit import cohost_link, create_room

CODE = "K7QM-2XPD-RW9A"


async def read_log(
    config: RelayConfig, room_id: str, token: str | None, query: str = ""
) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{config.base_url}/api/rooms/{room_id}/log{query}", headers=headers) as resp,
    ):
        return resp.status, await resp.json()


def kinds(body: dict[str, Any]) -> list[str]:
    return [e["kind"] for e in body["events"]]


def test_only_the_rooms_moderators_read_its_log_each_as_they_may_see_it(tmp_path):
    async def scenario():
        config = RelayConfig(data_dir=tmp_path, host="127.0.0.1", port=0)
        async with running_app(config, with_media=False) as (bound, _app):
            tickets = {"price_cents": 500, "currency": "EUR", "quantity": 10}
            created = await create_room(bound, Identity.new(), tickets=tickets)
            room_id, host_token = created["room_id"], created["host_token"]
            other = await create_room(bound, Identity.new())
            link = await cohost_link(bound, created)
            host_hello = hello_body(room_id, Identity.new("h"), "Hana", token=host_token)
            async with wire(bound) as host, wire(bound) as cohost, wire(bound) as buyer:
                assert (await host.hello(host_hello))["type"] == "ok"
                assert (await host.request("issue_ticket", {"code": CODE}))["type"] == "ok"
                cohost_hello = hello_body(room_id, name="Cora", token=link["token"])
                assert (await cohost.hello(cohost_hello))["type"] == "ok"
                reply = await buyer.hello(hello_body(room_id, name="Ben", ticket_code=CODE))
                buyer_id = reply["body"]["you"]
                report = {"reason": "Spam or scam", "user_id": link["user_id"]}
                assert (await buyer.request("report", report))["type"] == "ok"
                assert (await host.request("lock_room", {"locked": True}))["type"] == "ok"

                # Nobody without a moderator's link reads it.
                status, body = await read_log(bound, room_id, None)
                assert (status, body["error"]["code"]) == (401, "token_required")
                for token in ("not-a-token-at-all", other["host_token"]):
                    status, body = await read_log(bound, room_id, token)
                    assert (status, body["error"]["code"]) == (403, "not_allowed"), token

                # The host reads everything, the ticket code included.
                status, body = await read_log(bound, room_id, host_token)
                assert status == 200, body
                assert {"participant_joined", "report_filed", "room_locked"} <= set(kinds(body))
                assert body["next_after"] is None
                assert CODE in str(body["events"])

                # The co-host reads the report and the lock, never the code.
                status, body = await read_log(bound, room_id, link["token"])
                assert status == 200, body
                assert {"report_filed", "room_locked"} <= set(kinds(body))
                joins = [e["event"] for e in body["events"] if e["kind"] == "participant_joined"]
                buyer_join = next(j for j in joins if j["actor"] == buyer_id)
                assert buyer_join["ticket_code"] is None
                assert CODE not in str(body)

                # A page at a time: the cursor continues where the last page stopped.
                status, first = await read_log(bound, room_id, host_token, "?limit=2")
                assert status == 200 and len(first["events"]) == 2
                after = first["next_after"]
                assert after == first["events"][-1]["seq"]
                status, rest = await read_log(bound, room_id, host_token, f"?after={after}")
                assert rest["events"] and rest["events"][0]["seq"] > after
                status, body = await read_log(bound, room_id, host_token, "?limit=500")
                assert (status, body["error"]["code"]) == (400, "invalid_field")

                # A co-host who steps down keeps a link that admits a listener: no log.
                assert (await cohost.request("step_down"))["type"] == "ok"
                await host.wait(
                    lambda: any(
                        e["event"]["user_id"] == link["user_id"]
                        for e in host.events("role_changed")
                    ),
                    "the co-host stepping down",
                )
                status, body = await read_log(bound, room_id, link["token"])
                assert (status, body["error"]["code"]) == (403, "not_allowed")

    asyncio.run(scenario())
