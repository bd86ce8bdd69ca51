"""Journey (issue 14, item 6): the host records with all-party consent, and the recording bar
says that nothing is written until everyone on stage has said yes, and whom it waits for.

The host clicks Record, ticks "All-party consent" in the question, and starts; the bar names
the speaker who has not answered; once she says yes it says everyone agreed.
"""

from __future__ import annotations

import pytest

from server.room import ApproveRequest, SetConsent
from tests.ui.botkit import ToneBot, until
from tests.ui.consolekit import open_console
from tests.ui.journey import click, the_dialog
from ui.dialogs import Question

pytestmark = [pytest.mark.timeout(120)]


def test_an_all_party_recording_says_whom_it_waits_for(qapp, aloop, relay_child, qtbot):
    async def scenario():
        console = await open_console(relay_child, "Everyone agrees")
        window = console.window
        bar = window.recording_bar
        tia = ToneBot(console.hosted.join_url, "Tia Tone", 540)
        try:
            await tia.start(ask=True)
            await until(lambda: window.request_model.rowCount() == 1, what="Tia's request")
            await window.session.send(ApproveRequest(tia.user_id))
            await until(lambda: tia.on_stage, what="Tia on stage")

            click(qtbot, bar.record)
            question = the_dialog(Question)
            assert question.option is not None and question.option.isVisible()
            assert not question.option.isChecked()  # per speaker unless the host asks
            click(qtbot, question.option)
            assert question.option.isChecked()
            click(qtbot, question.yes)
            await until(lambda: not question.isVisible(), what="the question to close")
            await until(lambda: window.session.room.is_recording, what="the recording")
            assert window.session.room.recording.all_party
            await until(lambda: bar.left_out.isVisible(), what="the consent line")
            await until(
                lambda: (
                    bar.left_out.text()
                    == "Nothing is recorded — waiting for consent: Tia Tone (not answered yet)"
                ),
                what="the bar to name whom it waits for",
            )

            await tia.client.send(SetConsent(True))
            await until(
                lambda: bar.left_out.text() == "Everyone on stage agreed to be recorded.",
                what="the bar to say everyone agreed",
            )
        finally:
            await tia.close()
            await console.close()

    aloop.run_until_complete(scenario())
