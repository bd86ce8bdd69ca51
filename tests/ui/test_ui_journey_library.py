"""Journey (issue 15, item 5): the recordings library does not say "No recordings yet" under
a recording it lists.

Opened before any take, it says so; once a take is written (by the real recording writer)
and the host presses Refresh, the take is listed and the empty notice is gone.

What it caught on main: the notice, set by the first scan, stayed under the listed take even
after Refresh.
"""

from __future__ import annotations

import pytest

from tests.ui.botkit import until
from tests.ui.journey import click
from tests.ui.test_ui_recording_library import make
from ui.placement import is_on_screen
from ui.recordings_library import RecordingsLibrary

pytestmark = pytest.mark.timeout(60)


def test_no_recordings_yet_goes_once_a_recording_is_listed(qapp, aloop, tmp_path, qtbot):
    root = tmp_path / "recordings"
    root.mkdir()
    library = RecordingsLibrary(root, retention_days=None)
    library.show()

    async def scenario():
        await library.refresh()
        assert library.model.rowCount() == 0
        assert library.status.isVisible() and "No recordings yet" in library.status.text()
        make(root, "take-1", "Friday show")
        click(qtbot, library.refresh_button)
        await until(lambda: library.model.rowCount() == 1, 20, "the take to be listed")
        await until(lambda: not library._scanning, what="the scan to finish")
        assert "No recordings yet" not in library.status.text()

    try:
        aloop.run_until_complete(scenario())
    finally:
        library.close()


def test_the_library_opens_whole_on_screen_and_a_long_folder_fits(qapp, aloop, tmp_path, qtbot):
    """What it caught on main: the Recordings window (900 px wide) opened partly off a smaller
    screen, and a long recordings folder was clipped (or widened the window past the screen).
    The test's screen is the offscreen platform's 800 × 800."""
    root = tmp_path.joinpath(*[f"a-rather-long-folder-name-{i}" for i in range(8)], "recordings")
    root.mkdir(parents=True)
    library = RecordingsLibrary(root, retention_days=None)
    library.show()

    async def scenario():
        await until(library.isVisible, what="the library")
        assert is_on_screen(library), (
            library.frameGeometry(),
            library.screen().availableGeometry(),
        )
        where = library.where
        assert where.isVisible() and where.width() <= library.width()
        assert "…" in where.text() and where.text().startswith("Saved in ")
        assert str(root) in where.toolTip()  # the whole path, on hover
        assert where.accessibleName() == f"Saved in {root}"
        # wider window, more of the path; never wider than the window
        library.resize(library.width() - 200, library.height())
        await until(lambda: where.width() <= library.width(), what="the label to follow")
        assert where.fontMetrics().horizontalAdvance(where.text()) <= where.width()

    try:
        aloop.run_until_complete(scenario())
    finally:
        library.close()
