"""The host desk's "Make a new host link" (issue 13: links that could not be taken back): from
the console's own Share menu, against the console's own relay, the old link stops admitting at
once, the window stays connected, and the room book keeps the new link for reopening."""

from __future__ import annotations

import pytest

from console.client import CommandRejected, JoinLink, RoomClient
from console.identity import Identity
from tests.ui.botkit import until
from ui.console_app import ConsoleApp
from ui.start_dialog import NewRoom

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.qt_log_ignore("This plugin does not support raise"),
]


def test_the_share_menu_makes_a_new_host_link_and_the_old_one_stops(qapp, aloop, tmp_path):
    async def scenario():
        app = ConsoleApp(tmp_path / "data")
        app.settings = app.settings.with_changes(relay_port=0, display_name="Hana Host")
        await app.start()
        try:
            await app._chosen(NewRoom("Leaky link"))
            await until(lambda: app.window is not None, 30, "the main window")
            window = app.window
            old_url = app.book.rooms()[0].host_url
            menu = window.header.share_button.menu()
            (action,) = [a for a in menu.actions() if a.text().startswith("Make a new host link")]
            assert action.isEnabled()
            action.trigger()
            await until(lambda: app.book.rooms()[0].host_url != old_url, 10, "the new link")
            new_url = app.book.rooms()[0].host_url
            assert "changed" in window.statusBar().currentMessage()
            assert window.session.client.connected

            stale = RoomClient(JoinLink.parse(old_url), Identity.new(), "Thief", reconnect=False)
            with pytest.raises(CommandRejected) as refused:
                await stale.connect()
            assert refused.value.code == "bad_token"
            # The new link is the host's: co-host links are made with it from now on.
            assert window.header.share.host_token == new_url.split("#token=", 1)[1]
        finally:
            if app.window is not None:
                app.window.close()
                if app.window.pending_question is not None:
                    app.window.pending_question.yes.click()
            await until(lambda: app.supervisor.state.name == "STOPPED", 20, "the relay to stop")

    aloop.run_until_complete(scenario())
