"""Every command, as every role, against every kind of target, over the wire (issue 13).

The rules' own tables (tests/room) check `decide`; this drives the live path a hostile client
meets: a real relay, a real WebSocket per person, each command sent as JSON. The expected
outcome comes from the small table below, written from DESIGN's roles (X Spaces' model), not
from calling `decide`. Each (role, command) gets a fresh room with the same cast:

    the host; a co-host who came in on a co-host link; a speaker (unmuted); a listener with a
    speak request waiting; someone removed; and the actor, a second person of the role
    under test (the host acts as themself).

A refusal must be an `error` that changes nothing (the room and its sequence number are as
before); an allowed command must take effect (new events). Any refused-but-applied case is an
escalation, and there must be none. The per-person and per-address limits are lifted here:
this table is about who may do what, and it opens some 1,200 connections from one address.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aiohttp

from console.identity import Identity
from server.app import HUB, running_app
from server.config import RelayConfig
from server.rate_limits import RateLimitPolicy
from tests.abuse.wirekit import Wire, hello_body
from tests.relay.relaykit import create_room

H, C, S, L = "host", "cohost", "speaker", "listener"
ROLES = (L, S, C, H)
TARGETS = ("self", "listener", "speaker", "cohost", "host", "absent", "removed")
PRESENT = {"listener", "speaker", "cohost"}  # reachable people below the host, not self
KNOWN = {"listener", "speaker", "cohost", "host", "removed"}

# Commands that name a person: command -> {actor role: the kinds of target it may act on}. In
# the cast the listener has a request waiting, the speaker is unmuted, the co-host and the host
# are muted; "absent" never came; "removed" was removed (not blocked).
TARGETED: dict[str, dict[str, set[str]]] = {
    "approve_request": {H: {"listener"}, C: {"listener"}},
    "decline_request": {H: {"listener"}, C: {"listener"}},
    "invite_to_speak": {H: {"listener"}, C: {"listener"}},
    "invite_to_cohost": {H: {"listener", "speaker"}},
    "move_to_audience": {H: {"speaker", "cohost"}, C: {"speaker"}},
    "appoint_cohost": {H: {"absent"}},
    "remove_cohost": {H: {"cohost"}},
    "mute": {H: {"speaker"}, C: {"speaker"}, S: {"self"}},  # only an open mic can be muted
    "ask_to_unmute": {H: {"cohost"}},  # the only muted person a moderator reaches
    "remove_participant": {H: PRESENT | {"absent"}, C: {"listener", "speaker", "absent"}},
    "block": {H: PRESENT | {"absent", "removed"}, C: {"listener", "speaker", "absent", "removed"}},
    "unblock": {H: {"removed"}},
    "report": {role: KNOWN for role in ROLES},  # anyone, about anyone known but themself
    "add_contact": {H: PRESENT | {"absent", "removed"}},
    "remove_contact": {},  # nobody is on the host's list yet
}

# Commands that name nobody: command -> the roles that may send them (in a live room with no
# recording, no invitations, no tickets, nothing pinned).
UNTARGETED: dict[str, set[str]] = {
    "start_room": set(),  # already live
    "end_room": {H},
    "cancel_room": set(),
    "edit_card": {H},
    "reschedule": set(),
    "set_ask_mode": {H, C},
    "set_ticketing": {H},
    "clear_ticketing": set(),
    "issue_ticket": set(),
    "request_to_speak": {L},
    "withdraw_request": set(),
    "accept_invite": set(),
    "decline_invite": set(),
    "step_down": {S, C},
    "mute_all": {H, C},
    "unmute": {H, C},
    "react": {L, S, C, H},
    "pin_link": {S, C, H},
    "unpin_link": set(),
    "start_recording": {H},
    "stop_recording": set(),
    "set_consent": set(),
    "add_marker": set(),
    "leave": {L, S, C, H},
    "expire_invites": set(),  # the relay's own timers only
    "end_abandoned_room": set(),
    "rotate_host_link": {H},
}

BODIES = {
    "edit_card": {"title": "A new title"},
    "reschedule": {"starts_at": time.time() + 3600},
    "set_ask_mode": {"mode": "invited"},
    "set_ticketing": {"price_cents": 500, "currency": "EUR", "quantity": 5},
    "issue_ticket": {"code": "K7QM-2XPD-RW9A"},
    "accept_invite": {"kind": "speak"},
    "decline_invite": {"kind": "speak"},
    "react": {"emoji": "🔥"},
    "pin_link": {"url": "https://example.org/notes"},
    "unpin_link": {"url": "https://example.org/notes"},
    "set_consent": {"granted": True},
    "add_marker": {"label": "Intro"},
}


@dataclass
class Cast:
    room_id: str
    ids: dict[str, str]  # target kind -> user id ("self" is the actor)
    actor: Wire
    wires: list[Wire]


async def joined(bound: RelayConfig, http: aiohttp.ClientSession, body: dict) -> tuple[Wire, str]:
    person = await Wire.open(bound, http=http)
    reply = await person.hello(body)
    assert reply["type"] == "ok", reply
    return person, reply["body"]["you"]


async def ok(person: Wire, kind: str, body: dict | None = None) -> None:
    reply = await person.request(kind, body)
    assert reply["type"] == "ok", (kind, reply)


async def cast_for(bound: RelayConfig, http: aiohttp.ClientSession, role: str) -> Cast:
    created = await create_room(bound, Identity.new("h"))
    room_id, token = created["room_id"], created["host_token"]
    wires: list[Wire] = []

    async def person(name: str, **extra: object) -> tuple[Wire, str]:
        made = await joined(bound, http, hello_body(room_id, Identity.new("p"), name, **extra))
        wires.append(made[0])
        return made

    async def cohost(name: str) -> tuple[Wire, str]:
        url = f"{bound.base_url}/api/rooms/{room_id}/cohost-links"
        auth = {"Authorization": f"Bearer {token}"}
        async with http.post(url, headers=auth) as resp:
            link = await resp.json()
        return await person(name, token=link["token"])

    async def speaker(name: str) -> tuple[Wire, str]:
        made = await person(name)
        await ok(made[0], "request_to_speak")
        await ok(host, "approve_request", {"user_id": made[1]})
        await ok(made[0], "unmute")
        return made

    host, host_id = await person("Hana", token=token)
    _, cohost_id = await cohost("Cora")
    _, speaker_id = await speaker("Sam")
    listener, listener_id = await person("Lee")
    await ok(listener, "request_to_speak")
    _, removed_id = await person("Rex")
    await ok(host, "remove_participant", {"user_id": removed_id})
    if role == H:
        actor, actor_id = host, host_id
    elif role == C:
        actor, actor_id = await cohost("Cleo")
    elif role == S:
        actor, actor_id = await speaker("Sue")
    else:
        actor, actor_id = await person("Lou")
    ids = {
        "self": actor_id,
        "listener": listener_id,
        "speaker": speaker_id,
        "cohost": cohost_id,
        "host": host_id,
        "absent": "ghost-never-came",
        "removed": removed_id,
    }
    return Cast(room_id, ids, actor, wires)


def test_no_role_gets_further_than_the_table_says_over_the_wire(tmp_path):
    async def scenario():
        config = RelayConfig(
            data_dir=tmp_path, host="127.0.0.1", port=0, rate_limits=RateLimitPolicy.unlimited()
        )
        async with (
            running_app(config, with_media=False) as (bound, app),
            aiohttp.ClientSession() as http,
        ):
            hub = app[HUB]
            mismatches: list[str] = []
            escalations = cases = 0

            async def check(cast: Cast, label: str, kind: str, body: dict, allowed: bool) -> None:
                nonlocal escalations, cases
                cases += 1
                before, seq = hub.room(cast.room_id), hub.seq(cast.room_id)
                reply = await cast.actor.request(kind, body)
                after_seq = hub.seq(cast.room_id)
                changed = after_seq != seq or hub.room(cast.room_id) != before
                if reply["type"] == "error":
                    assert reply["body"]["code"] != "rate_limited", reply
                    if changed:
                        escalations += 1
                        mismatches.append(f"{label}: refused but the room changed")
                    if allowed:
                        mismatches.append(f"{label}: refused ({reply['body']['code']})")
                    return
                took_effect = changed or kind == "rotate_host_link"
                if not allowed:
                    escalations += 1
                    mismatches.append(f"{label}: allowed (took effect: {took_effect})")
                elif not took_effect:
                    mismatches.append(f"{label}: ok but nothing changed")

            started = time.perf_counter()
            for role in ROLES:
                for kind, may in TARGETED.items():
                    cast = await cast_for(bound, http, role)
                    for target in TARGETS:
                        if role == H and target == "host":
                            continue  # the host's "host" is themself
                        body = {"user_id": cast.ids[target]}
                        wire_kind = kind
                        if kind == "block":
                            wire_kind, body = "remove_participant", {**body, "block": True}
                        if kind == "report":
                            body = {**body, "reason": "Spam"}
                        allowed = target in may.get(role, set())
                        await check(cast, f"{role} {kind} {target}", wire_kind, body, allowed)
                    for person in cast.wires:
                        await person.close()
                for kind, roles in UNTARGETED.items():
                    cast = await cast_for(bound, http, role)
                    label = f"{role} {kind}"
                    await check(cast, label, kind, BODIES.get(kind, {}), role in roles)
                    for person in cast.wires:
                        await person.close()
            elapsed_s = time.perf_counter() - started
            print(f"\n  {cases} wire cases in {elapsed_s:.1f} s: {escalations} escalations")
            assert escalations == 0, mismatches
            assert not mismatches, mismatches

    asyncio.run(scenario())


def test_a_removed_or_blocked_person_cannot_get_back_in_or_act(tmp_path):
    async def scenario():
        config = RelayConfig(data_dir=tmp_path, host="127.0.0.1", port=0)
        async with (
            running_app(config, with_media=False) as (bound, app),
            aiohttp.ClientSession() as http,
        ):
            hub = app[HUB]
            created = await create_room(bound, Identity.new("h"))
            room_id = created["room_id"]
            host, _ = await joined(
                bound,
                http,
                hello_body(room_id, Identity.new("h"), "Hana", token=created["host_token"]),
            )
            barred = {"removed": Identity.new("r"), "blocked": Identity.new("b")}
            for how, identity in barred.items():
                person, user_id = await joined(bound, http, hello_body(room_id, identity, how))
                body = {"user_id": user_id, "block": how == "blocked"}
                await ok(host, "remove_participant", body)
                assert (await person.wait_closed())[0] == 4003
                await person.close()
            before, seq = hub.room(room_id), hub.seq(room_id)
            for how, identity in barred.items():
                back = await Wire.open(bound, http=http)
                reply = await back.hello(hello_body(room_id, identity, how))
                assert reply["body"]["code"] == how, reply
                assert (await back.wait_closed())[0] == 4003
                await back.close()
                # A command instead of a hello changes nothing either.
                sneaky = await Wire.open(bound, http=http)
                reply = await sneaky.request("end_room")
                assert reply["body"]["code"] == "not_joined", reply
                assert (await sneaky.wait_closed())[0] == 4009
                await sneaky.close()
            assert hub.seq(room_id) == seq and hub.room(room_id) == before
            await host.close()

    asyncio.run(scenario())
