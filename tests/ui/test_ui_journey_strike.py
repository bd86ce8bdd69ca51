"""Journey (issue 14 item 5): the host strikes from the record, from the console.

A speaker (an in-process tone bot) is on stage and says yes; the host records. Strike from the
record is not offered before the take; during it the speaker's right-click menu offers it, the
question names what happens, the host picks "Last 5 minutes" and confirms, and the recording
bar says in plain words that it was done. The host then strikes their own voice from the bar.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from console.room_view import ApproveRequest, Consent, SetConsent, StruckFromRecord
from server.room import StepDown
from tests.ui.botkit import ToneBot, until
from tests.ui.consolekit import open_console
from tests.ui.journey import choose_from_menu, click, click_row, right_click_row, the_dialog
from ui.strike_dialog import StrikeQuestion

pytestmark = [
    pytest.mark.timeout(120),
    # offscreen cannot raise windows or grab the keyboard for a popup menu
    pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)"),
]


def choose(qtbot, radio) -> None:
    """Click a radio button on its indicator, as a person does (its label may be narrower than
    the dialog: a click past the text does nothing)."""
    assert radio.isVisible()
    qtbot.mouseClick(radio, Qt.MouseButton.LeftButton, pos=QPoint(6, radio.height() // 2))


def test_the_host_strikes_a_speakers_last_five_minutes_and_then_their_own_voice(
    qapp, aloop, relay_child, qtbot
):
    async def scenario():
        console = await open_console(relay_child, "Strike talk")
        window, session = console.window, console.session
        bar, stage = window.recording_bar, window.stage
        struck: list[StruckFromRecord] = []
        console.controller.eventArrived.connect(
            lambda _s, e, _r: struck.append(e) if isinstance(e, StruckFromRecord) else None
        )
        tara = ToneBot(console.hosted.join_url, "Tara Tone", 620)
        try:
            await tara.start()
            await until(lambda: window.request_model.rowCount() == 1, what="Tara's request")
            await session.send(ApproveRequest(tara.user_id))
            await until(lambda: stage.model.row_of(tara.user_id) >= 0, what="Tara on stage")
            click_row(qtbot, stage.view, tara.user_id)
            assert stage.strike.isHidden(), "nothing to strike before a recording"
            assert bar.strike_mine.isHidden()

            click(qtbot, bar.record)
            click(qtbot, bar.pending_question.yes)
            await until(lambda: session.room.is_recording, what="the recording")
            await tara.client.send(SetConsent(True))
            await until(
                lambda: session.room.recording.consents.get(tara.user_id) is Consent.GRANTED,
                what="Tara's yes",
            )
            click_row(qtbot, stage.view, tara.user_id)
            assert stage.strike.isVisible() and stage.strike.isEnabled()

            # the speaker's menu: Strike from the record…
            right_click_row(qtbot, stage.view, tara.user_id)
            choose_from_menu(qtbot, "Strike from the record…")
            question = the_dialog(StrikeQuestion)
            assert question.windowTitle() == "Strike from the record"
            texts = [b.text() for b in question.choices.values()]
            assert texts == [
                "Last minute",
                "Last 5 minutes",
                "Last 15 minutes",
                "Since they joined",
            ]
            assert question.choices["last_minute"].isChecked()
            assert question.body.text().startswith("Tara Tone’s last minute will be removed")
            choose(qtbot, question.choices["last_5_minutes"])
            assert question.choices["last_5_minutes"].isChecked()
            assert "Tara Tone’s last 5 minutes will be removed" in question.body.text()
            assert "their track and the mix become silence" in question.body.text()
            assert struck == [], "nothing is sent before Strike it"
            click(qtbot, question.yes)
            await until(lambda: len(struck) == 1, what="the strike in the room's log")
            assert (struck[0].user_id, struck[0].span) == (tara.user_id, "last_5_minutes")
            await until(
                lambda: (
                    bar.struck_note.isVisible()
                    and bar.struck_note.text()
                    == "Tara Tone’s last 5 minutes were removed from the recording."
                ),
                what="the confirmation on the recording bar",
            )
            logged = [line.text for line in window.side.log.items()]
            assert "Hana Host struck Tara Tone’s last 5 minutes from the recording" in logged

            # the host's own voice, from the recording bar
            assert bar.strike_mine.isVisible()
            click(qtbot, bar.strike_mine)
            mine = the_dialog(StrikeQuestion)
            assert mine.choices["since_joined"].text() == "Since I joined"
            choose(qtbot, mine.choices["since_joined"])
            assert mine.body.text().startswith("Your voice since joining will be removed")
            assert "Nobody has to approve it." in mine.body.text()
            click(qtbot, mine.yes)
            await until(lambda: len(struck) == 2, what="the host's own strike")
            assert (struck[1].actor, struck[1].user_id) == (session.user_id, session.user_id)
            await until(
                lambda: (
                    bar.struck_note.text()
                    == "Your voice since joining was removed from the recording."
                ),
                what="the host's confirmation",
            )

            # Tara goes back to the audience: her voice in this take can still be struck
            await tara.client.send(StepDown())
            await until(lambda: window.audience_model.row_of(tara.user_id) >= 0, what="Tara down")
            right_click_row(qtbot, window.audience.view, tara.user_id)
            choose_from_menu(qtbot, "Strike from the record…")
            again = the_dialog(StrikeQuestion)
            assert again.body.text().startswith("Tara Tone’s last minute will be removed")
            click(qtbot, again.yes)
            await until(lambda: len(struck) == 3, what="the strike from the audience")
            assert (struck[2].user_id, struck[2].span) == (tara.user_id, "last_minute")

            click(qtbot, bar.record)  # Stop
            await until(lambda: not session.room.is_recording, what="the recording to stop")
            assert bar.strike_mine.isHidden() and bar.struck_note.isHidden()
        finally:
            await tara.close()
            await console.close()

    aloop.run_until_complete(scenario())
