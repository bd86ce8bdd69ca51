"""The recordings library and the export dialog on recordings made by the real writer (no
relay): the model passes Qt's model tester and changes row by row; retention is off by
default and deletes only what is past it; a recording being written cannot be deleted, and
the reason is shown; the export runs off the GUI thread, can be cancelled, and its errors
are shown in words."""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from audio.export import ExportCancelled, ExportError
from audio.recording_files import FolderLock
from console import settings as settings_store
from tests.recording.recordingkit import record, tone
from tests.ui.botkit import until
from ui.export_dialog import ExportDialog
from ui.recordings_desk import RecordingsDesk
from ui.recordings_library import RecordingsLibrary
from ui.recordings_model import RecordingsModel, read_row, scan_recordings

pytestmark = pytest.mark.timeout(60)


def make(root: Path, name: str, title: str, stopped_days_ago: float = 0.0) -> Path:
    folder = record(
        root / name,
        {"ana": tone(440, 1.0, 0.3), "ben": tone(660, 1.0, 0.3)},
        names={"ana": "Ana", "ben": "Ben"},
        title=title,
    )
    if stopped_days_ago:
        path = folder / "manifest.json"
        data = json.loads(path.read_text())
        moment = time.gmtime(time.time() - stopped_days_ago * 86_400)
        data["started_at"] = data["stopped_at"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", moment)
        path.write_text(json.dumps(data))
    return folder


def test_the_model_reaches_any_scan_by_row_changes_and_passes_the_model_tester(
    qapp, tmp_path, qtmodeltester
):
    root = tmp_path / "recordings"
    make(root, "a", "Monday show")
    (root / "no-manifest").mkdir()  # not a recording: not listed
    broken = root / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text("{not json")
    rows = scan_recordings(root)
    assert [r.state for r in rows].count("unreadable") == 1 and len(rows) == 2
    good = next(r for r in rows if r.state == "stopped")
    assert good.title == "Monday show" and 0.9 < good.duration_s < 1.1
    assert [s.name for s in good.speakers] == ["Ana", "Ben"] and good.size_bytes > 0

    model = RecordingsModel()
    qtmodeltester.check(model)
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    pool = [replace(good, folder=tmp_path / f"r{i}", started_at=float(i)) for i in range(12)]
    rng = random.Random(3)
    for _ in range(60):
        chosen = rng.sample(pool, rng.randint(0, len(pool)))
        if rng.random() < 0.3 and chosen:
            chosen[0] = replace(chosen[0], duration_s=rng.random() * 100)
        model.sync(chosen)
        assert model.rows() == chosen
    qtmodeltester.check(model)
    model.sync([read_row(root / "a")])
    assert model.index(0, 0).data() == "Monday show" and "Ana, Ben" in model.index(0, 3).data()
    assert not resets


def test_retention_is_off_by_default_and_deletes_only_what_is_past_it(qapp, aloop, tmp_path):
    root = tmp_path / "recordings"
    old = make(root, "old", "Old show", stopped_days_ago=10)
    new = make(root, "new", "New show", stopped_days_ago=2)
    assert settings_store.load(tmp_path).retention_days is None
    said = []

    async def scenario():
        desk = RecordingsDesk(root, None, lambda days: None, said.append)
        assert await desk.apply_retention() == []
        desk.retention_days = 7
        assert await desk.apply_retention() == [old]

    aloop.run_until_complete(scenario())
    assert not old.exists() and new.exists()
    assert said == ["Deleted 1 recording(s) older than 7 days (retention, set in Recordings)."]
    settings_store.save(tmp_path, settings_store.Settings(retention_days=7))
    assert settings_store.load(tmp_path).retention_days == 7


def test_the_library_refuses_to_delete_a_recording_being_written_and_says_why(
    qapp, aloop, tmp_path
):
    root = tmp_path / "recordings"
    folder = make(root, "a", "Live show")
    library = RecordingsLibrary(root, retention_days=None)
    changed = []
    library.retentionChanged.connect(changed.append)
    library.show()

    async def scenario():
        await library.refresh()
        library.select(0)
        lock = FolderLock(folder)
        assert lock.acquire()  # a writer holds the folder: the row turns "Recording now"
        try:
            await library.refresh()
            assert library.model.row_at(0).state == "recording"
            assert not library.delete_button.isEnabled() and not library.export_button.isEnabled()
            assert library.ask_delete() is not None  # even if asked (a stale row) ...
            library.pending_question.yes.click()
            await until(lambda: "still being recorded" in library.status.text(), 10)
            assert folder.exists()
        finally:
            lock.release()

    aloop.run_until_complete(scenario())
    assert not library.retention.isChecked() and not library.retention_days.isEnabled()
    library.retention.setChecked(True)
    library.retention_days.setValue(14)
    assert changed[-1] == 14
    library.retention.setChecked(False)
    assert changed[-1] is None
    library.close()


def test_export_runs_off_the_gui_thread_can_be_cancelled_and_explains_failures(
    qapp, aloop, tmp_path
):
    folder = make(tmp_path / "recordings", "a", "Show")
    row = read_row(folder)
    threads = []

    def slow_export(folder, out, fmt, *, channels, stems, progress, cancel):
        threads.append(threading.current_thread())
        for step in range(1, 200):
            if cancel.is_set():
                raise ExportCancelled("Export cancelled; nothing was written.")
            progress(step / 200)
            time.sleep(0.01)
        raise ExportError(f"The disk is full: could not write the export in {out.parent}.")

    dialog = ExportDialog(row, export_fn=slow_export)
    dialog.show()

    async def scenario():
        dialog.format.setCurrentIndex(dialog.format.findData("flac"))
        assert dialog.out.text().endswith("/exports/show.flac")
        dialog.start.click()
        await until(lambda: dialog.progress.value() > 50, 10, "progress")
        assert dialog.cancel.text() == "Cancel"
        dialog.cancel.click()
        await until(lambda: dialog.job is None, 10, "the cancel")
        assert dialog.status.text() == "Export cancelled; nothing was written."
        assert threads[0] is not threading.main_thread()
        assert dialog.start.isEnabled() and dialog.cancel.text() == "Close"

        dialog.start.click()  # this time it runs into a full disk
        await until(lambda: dialog.job is None, 10, "the failure")
        assert "The disk is full" in dialog.status.text() and dialog.report is None

        dialog.out.setText("relative/path")
        dialog.start.click()
        assert "full path" in dialog.status.text() and dialog.job is None

    aloop.run_until_complete(scenario())
    dialog.close()


def _take_with_gaps(folder: Path) -> Path:
    """A take through the real writer: Ana's packets were concealed in 12 ticks (4 by FEC)
    and missing in 3 while she was sending; the relay's clock skipped 2 ticks."""
    from audio.block_origin import BlockOrigin
    from audio.recording import RecordingWriter

    ana = tone(440, 2.0, 0.3)
    writer = RecordingWriter(folder, room_title="Bumpy show")
    writer.set_participant("ana", "Ana")
    for tick in range(100):
        if tick in (50, 51):
            continue  # skipped by the clock
        block = ana[tick * 960 : (tick + 1) * 960]
        if tick in (70, 71, 72):
            writer.write_tick(tick, {}, wait=True, gaps={"ana": BlockOrigin.SILENT_GAP})
        elif 20 <= tick < 32:
            origin = BlockOrigin.FEC if tick < 24 else BlockOrigin.PLC
            writer.write_tick(tick, {"ana": block}, wait=True, gaps={"ana": origin})
        else:
            writer.write_tick(tick, {"ana": block}, wait=True)
    writer.stop()
    assert writer.wait_closed(10) and writer.error is None
    return folder


def test_the_library_says_when_a_take_had_gaps(qapp, aloop, tmp_path):
    from ui.recordings_model import COLUMNS, GAPS_COLUMN

    root = tmp_path / "recordings"
    make(root, "clean", "Smooth show")
    _take_with_gaps(root / "bumpy")
    library = RecordingsLibrary(root, retention_days=None)
    library.show()

    async def scenario():
        await library.refresh()

    aloop.run_until_complete(scenario())
    model = library.view.model()
    assert model.headerData(GAPS_COLUMN, Qt.Orientation.Horizontal) == COLUMNS[GAPS_COLUMN]
    texts = {
        model.index(r, 0).data(): model.index(r, GAPS_COLUMN).data()
        for r in range(model.rowCount())
    }
    assert texts == {
        "Smooth show": "none",
        "Bumpy show": "12 concealed, 3 silent, 2 dropped (0.3 s)",
    }
    assert not library.view.isColumnHidden(GAPS_COLUMN)
    library.select(library.model.row_of("bumpy"))
    assert library.gaps_line.isVisible()
    assert (
        library.gaps_line.text() == "Gaps in this take: 12 concealed, 3 silent, 2 dropped (0.3 s)"
    )
    library.select(library.model.row_of("clean"))
    assert library.gaps_line.text() == ""
    library.close()
