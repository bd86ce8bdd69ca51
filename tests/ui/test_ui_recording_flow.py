"""Recording from the console, end to end: the whole console (its own relay child), a tone bot
that says yes and one that says no. The host presses Record and confirms; the declining bot is
listed as left out; a marker goes in with Ctrl+M; Stop; the library lists the take with its
length and speakers (an old one went at start: retention); the export dialog makes an MP3 with the real `audio.export` that ffprobe
reads; then one speaker's audio is removed, and the recording deleted."""

from __future__ import annotations

import asyncio
import json
import subprocess

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel

from console import settings as settings_store
from console.room_view import ApproveRequest, Consent
from tests.ui.botkit import BotProcess, until
from tests.ui.test_ui_recording_library import make
from ui.console_app import ConsoleApp
from ui.start_dialog import NewRoom

pytestmark = [
    pytest.mark.timeout(120),
    # the offscreen platform cannot raise a window; the library raises itself when shown
    pytest.mark.qt_log_ignore("This plugin does not support raise"),
]


def ffprobe_format(path) -> dict:
    said = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-of", "json", str(path)],
        check=True, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    return json.loads(said.stdout)["format"]


def test_record_with_consent_mark_stop_list_export_and_remove_a_speaker(
    qapp, aloop, tmp_path, qtmodeltester
):
    async def scenario():
        # an old recording, and retention turned on: the console deletes it when it starts
        old = make(
            tmp_path / "data" / "relay" / "recordings", "old", "Old show", stopped_days_ago=40
        )
        settings_store.save(tmp_path / "data", settings_store.Settings(retention_days=30))
        app = ConsoleApp(tmp_path / "data")
        app.settings = app.settings.with_changes(relay_port=0, display_name="Hana Host")
        finished = []
        app.finished.connect(lambda: finished.append(True))
        await app.start()
        await until(lambda: not old.exists(), 10, "retention to delete the old recording")
        assert "older than 30 days" in app.start_dialog.status.text()
        await app._chosen(NewRoom("Recorded talk"))
        window = app.window
        bar = window.recording_bar
        session = window.session
        join_url = app.book.rooms()[0].join_url
        yes = BotProcess(
            join_url,
            tmp_path / "yes.json",
            "--name",
            "Yara Yes",
            "--tone",
            "660",
            "--request-to-speak",
            "--consent",
            "yes",
        )
        no = BotProcess(join_url, tmp_path / "no.json", "--name", "Noah No", "--tone", "880", "--request-to-speak", "--consent", "no")  # fmt: skip
        try:
            await until(lambda: window.request_model.rowCount() == 2, 30, "both requests")
            for bot in (yes, no):
                await session.send(ApproveRequest(bot.user_id))
            on_air = lambda b: (p := session.room.participants.get(b.user_id)) and not p.muted  # noqa: E731
            await until(lambda: on_air(yes) and on_air(no), 30, "both bots on stage, unmuted")

            # Record asks first, and says everyone on stage will be asked
            assert not bar.record.isHidden() and bar.record.isEnabled()
            bar.record.click()
            question = bar.pending_question
            assert question.isVisible() and not question.isModal()
            assert any(
                "asked for their consent" in label.text() for label in question.findChildren(QLabel)
            )
            question.yes.click()
            await until(lambda: session.room.is_recording, 10, "the recording to start")
            consents = lambda: session.room.recording.consents  # noqa: E731
            await until(
                lambda: (
                    consents().get(yes.user_id) is Consent.GRANTED
                    and consents().get(no.user_id) is Consent.DECLINED
                ),
                20,
                "both answers",
            )
            await until(lambda: "Noah No (declined)" in bar.left_out.text(), 5, "left out")
            assert "Yara" not in bar.left_out.text()
            assert bar.clock.text().startswith("● REC 0:0")
            assert (
                "● REC" in window.header.recording.text()
                and window.header.recording.isVisibleTo(window)
            )

            # a marker with its label, by the key
            window.activateWindow()
            await until(window.isActiveWindow, 5, "the main window to be active")
            bar.marker_label.setText("Intro")
            QTest.keyClick(window, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
            await until(lambda: len(session.room.recording.markers) == 1, 5, "the marker")
            assert session.room.recording.markers[0].label == "Intro"
            assert bar.marker_label.text() == ""
            await asyncio.sleep(4.0)

            bar.record.click()  # Stop: no question
            await until(lambda: not session.room.is_recording, 10, "the recording to stop")
            assert bar.record.text() == "● Record" and not bar.export.isHidden()

            # the library lists it: length, speakers, who declined
            library = app.recordings.show_library()
            model = library.model
            await until(
                lambda: model.rowCount() == 1 and model.row_at(0).state == "stopped",
                15,
                "the finished recording",
            )
            qtmodeltester.check(model)
            row = model.row_at(0)
            assert 3.5 < row.duration_s < 12.0, row
            assert "Yara Yes" in {s.name for s in row.speakers}
            assert "Noah No" not in {s.name for s in row.speakers}
            assert row.declined == ("Noah No",) and row.markers == 1
            assert (
                "Yara Yes" in model.index(0, 3).data()
                and "declined: Noah No" in model.index(0, 3).data()
            )
            assert model.index(0, 2).data().startswith("0:0")
            opened = []
            library.open_url = opened.append
            library.select(0)
            library.play()
            library.open_folder()
            assert opened[0].toLocalFile() == str(row.folder / "mix.flac")
            assert opened[1].toLocalFile() == str(row.folder)

            # export the latest recording from the bar: MP3, with progress, through audio.export
            bar.export.click()
            await until(lambda: app.recordings.export_dialog is not None, 10, "the export dialog")
            dialog = app.recordings.export_dialog
            assert dialog.chosen_format == "mp3" and dialog.out.text().endswith(".mp3")
            seen = []
            dialog.progress.valueChanged.connect(seen.append)
            dialog.start.click()
            assert dialog.cancel.text() == "Cancel" and not dialog.format.isEnabled()
            await until(
                lambda: dialog.report is not None or "fail" in dialog.status.text(),
                60,
                "the export",
            )
            report = dialog.report
            assert report is not None, dialog.status.text()
            assert len(seen) > 3 and seen[-1] == 1000, seen[-5:]
            assert report.out_path.is_file() and report.out_path.suffix == ".mp3"
            shown = dialog.status.text().replace("\u200b", "")  # break points, not text
            assert str(report.out_path) in shown
            assert f"{report.file_lufs:.1f}".replace("-", "−") in dialog.status.text()
            assert "true peak" in dialog.status.text() and not dialog.open_folder.isHidden()
            probed = ffprobe_format(report.out_path)
            assert probed["format_name"] == "mp3" and float(probed["duration"]) > 3.0

            # remove one speaker's audio: pick, confirm, a worker does it; its exports go too
            await until(lambda: model.rowCount() == 1, 5)
            library.select(0)
            assert library.remove_button.isEnabled()
            ask = library.ask_remove_speaker()
            names = [ask.picker.itemText(i) for i in range(ask.picker.count())]
            ask.picker.setCurrentIndex(
                next(i for i, n in enumerate(names) if n.startswith("Yara Yes"))
            )
            ask.yes.click()
            await until(
                lambda: library.last_removal is not None and not library.busy, 30, "the removal"
            )
            assert library.last_removal.removed, library.last_removal
            assert "Yara Yes" in library.status.text()
            await until(lambda: "Yara Yes" not in {s.name for s in model.row_at(0).speakers}, 10)
            assert not report.out_path.exists(), "an export with her voice in it is gone too"
            manifest = json.loads((row.folder / "manifest.json").read_text())
            assert yes.user_id not in {t["user_id"] for t in manifest["tracks"]}
            assert manifest["audit"][-1]["action"] == "speaker_removed"

            # delete, after a confirmation
            library.select(0)
            library.ask_delete().yes.click()
            await until(lambda: model.rowCount() == 0 and not library.busy, 15, "the deletion")
            assert not row.folder.exists()
        finally:
            yes.stop()
            no.stop()
            app.window.close_now()  # the console quits with its last window, relay and all
            await until(lambda: finished, 20, "the console to quit")

    aloop.run_until_complete(scenario())
