"""Names that impersonate the host or a co-host are refused at the door (issue: names that
impersonate).

As found: display names identical to or confusable with the host's were accepted — a "(Host)"
suffix, zero-width and direction characters, Cyrillic look-alikes, fullwidth letters. The
defence, through a real relay's WebSocket: every name is stored in one normal form (NFKC, no
invisible characters), and a name that passes for the host's or a present co-host's, or
labels itself with a role, is refused with `name_taken` and a sentence saying why.
"""

from __future__ import annotations

import asyncio

import pytest

from console.client import CommandRejected
from console.identity import Identity
from tests.relay.relaykit import cohost_link, create_room, join, relay

DISGUISES = [
    "Hana Host",  # the same
    "hana host",  # another case
    "Ｈａｎａ Ｈｏｓｔ",  # fullwidth
    "Ηana Ηost",  # Greek capital Eta
    "Hаnа Hоst",  # Cyrillic a and o
    "Ha\u200bna Ho\u2060st",  # zero-width space, word joiner
    "Hana\u200e Host\u200f",  # direction marks
    "Hàna Hōst.",  # accents, a dot
    "Lee (Host)",  # a role label
    "[co-host] Lee",
    "Cory Cohost",  # the co-host's name
    "C0ry C0h0st",  # … with zeros
]


def test_names_that_pass_for_the_host_or_a_cohost_are_refused(tmp_path):
    async def scenario():
        async with relay(tmp_path) as config:
            created = await create_room(config, Identity.new())
            host = await join(created["host_url"], "Hana Host")
            link = await cohost_link(config, created)
            cohost = await join(link["url"], "Cory Cohost")
            try:
                for disguise in DISGUISES:
                    with pytest.raises(CommandRejected) as refused:
                        await join(created["join_url"], disguise)
                    assert refused.value.code == "name_taken", disguise
                    assert refused.value.message, disguise
                assert len(host.room.participants) == 2  # nobody got in
                # A name of one's own, in any script, is welcome, and kept in normal form.
                lee = await join(created["join_url"], "Ｌｅｅ\u200b Ｌｉ")
                lena = await join(created["join_url"], "Лена")
                await host.wait_for(lambda c: lena.user_id in c.room.participants)
                assert host.room.participants[lee.user_id].display_name == "Lee Li"
                assert host.room.participants[lena.user_id].display_name == "Лена"
                await lee.close()
                await lena.close()
            finally:
                await cohost.close()
                await host.close()

    asyncio.run(scenario())
