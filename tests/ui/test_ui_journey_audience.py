"""Journey (issue 15, item 6): the host acts on people in the audience.

The host invites a listener to co-host straight from the audience (not only from the stage),
then removes another listener: after the remove, nobody is selected and the buttons wait for
a new choice, so a second press of Remove cannot reach the next person in the list.

What it caught on main: co-host invitations existed only on the stage's buttons; after a
remove the selection jumped to the next person, with Remove and Block live for them.
"""

from __future__ import annotations

import pytest

from server.room import InviteKind
from tests.ui.botkit import ToneBot, until
from tests.ui.consolekit import open_console
from tests.ui.journey import choose_from_menu, click, click_row, right_click_row, the_dialog
from ui.dialogs import Question

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)"),
]


def test_invite_a_listener_to_cohost_then_remove_another_and_nobody_else_is_selected(
    qapp, aloop, relay_child, qtbot
):
    async def scenario():
        console = await open_console(relay_child, "Audience at work")
        window = console.window
        audience = window.audience
        bots = [ToneBot(console.hosted.join_url, name, 300 + 40 * i) for i, name in
                enumerate(("Ann Aster", "Bob Birch", "Cy Cedar"))]  # fmt: skip
        ann, bob, cy = bots
        try:
            for bot in bots:
                await bot.start(ask=False)
            model = window.audience_model
            await until(lambda: all(model.row_of(b.user_id) >= 0 for b in bots), what="audience")
            assert not audience.cohost.isEnabled()  # nobody selected yet

            # Ann: Invite to co-host, from the audience's own button
            click_row(qtbot, audience.view, ann.user_id)
            assert audience.cohost.isVisible() and audience.cohost.isEnabled()
            click(qtbot, audience.cohost)
            await until(
                lambda: (
                    ann.client.room is not None
                    and ann.client.room.invite_for(ann.user_id, InviteKind.COHOST) is not None
                ),
                what="Ann's co-host invitation",
            )
            await until(lambda: not audience.cohost.isEnabled(), what="the button to settle")
            assert audience.cohost.toolTip().startswith("Invite them to co-host")

            # Bob, by right-click: the menu offers the same
            right_click_row(qtbot, audience.view, bob.user_id)
            choose_from_menu(qtbot, "Invite to co-host")
            await until(
                lambda: (
                    bob.client.room is not None
                    and bob.client.room.invite_for(bob.user_id, InviteKind.COHOST) is not None
                ),
                what="Bob's co-host invitation",
            )

            # remove Bob: afterwards nobody is selected, Remove and Block are off
            click_row(qtbot, audience.view, bob.user_id)
            assert audience.selected_user() == bob.user_id
            click(qtbot, audience.remove)
            question = the_dialog(Question)
            assert question.windowTitle() == "Remove Bob Birch?"
            click(qtbot, question.yes)
            await until(lambda: model.row_of(bob.user_id) < 0, what="Bob gone")
            assert audience.selected_user() is None
            assert not audience.view.selectionModel().hasSelection()
            for button in (audience.invite, audience.cohost, audience.remove, audience.block):
                assert not button.isEnabled(), button.text()
            assert model.row_of(cy.user_id) >= 0 and model.row_of(ann.user_id) >= 0
        finally:
            for bot in bots:
                await bot.close()
            await console.close()

    aloop.run_until_complete(scenario())


def test_the_queue_buttons_stay_put_when_the_first_request_arrives(qapp, aloop, relay_child, qtbot):
    """What it caught on main: the "Nobody is waiting" line disappeared with the first request
    and the Approve buttons jumped about 30 px under the host's pointer."""

    async def scenario():
        console = await open_console(relay_child, "Steady buttons")
        window = console.window
        queue = window.requests
        dee = ToneBot(console.hosted.join_url, "Dee Dogwood", 350)
        try:
            await until(queue.empty.isVisible, what="the empty queue's line")
            before = queue.approve_next.mapTo(window, queue.approve_next.rect().topLeft())
            await dee.start(ask=True)
            await until(lambda: queue.model.rowCount() == 1, what="Dee's request")
            await until(lambda: not queue.empty.isVisible(), what="the line to go")
            after = queue.approve_next.mapTo(window, queue.approve_next.rect().topLeft())
            assert after == before
            assert queue.approve_next.isEnabled()
        finally:
            await dee.close()
            await console.close()

    aloop.run_until_complete(scenario())
