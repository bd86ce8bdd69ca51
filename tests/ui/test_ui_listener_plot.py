"""The at-a-glance plot has axes a host can read: a count scale (0, half, a round top) and how
far back the line goes ("12 min ago" … "now"), drawn, and said to a screen reader.

What it caught on main: the plot was a bare filled line, with no scale and no time.
"""

from __future__ import annotations

from PySide6.QtGui import QColor

from console.talk_time import CountHistory
from ui.side_panels import ListenerPlot, ago_text, nice_top


def test_the_scale_is_round_and_the_time_reads_as_words():
    assert [nice_top(p) for p in (0, 1, 2, 3, 7, 12, 99, 101, 480)] == [
        2, 2, 2, 5, 10, 20, 100, 200, 500,
    ]  # fmt: skip
    assert ago_text(40) == "40 s ago"
    assert ago_text(720) == "12 min ago"
    assert ago_text(3900) == "1 h 5 min ago"
    assert ago_text(7200) == "2 h ago"


def test_the_plot_draws_its_axes(qtbot):
    clock = iter([0.0, 300.0, 600.0, 720.0])
    history = CountHistory(now=lambda: next(clock))
    for count in (0, 4, 7, 12):
        history.add(count)
    plot = ListenerPlot(history)
    qtbot.addWidget(plot)
    plot.resize(300, 160)
    plot.show()
    qtbot.waitExposed(plot)
    assert plot.axes() == (["0", "10", "20"], ["12 min ago", "now"])

    image = plot.grab().toImage()
    background = image.pixelColor(plot.width() // 2, 4)

    def inked(x0: int, x1: int, y0: int, y1: int) -> int:
        return sum(
            image.pixelColor(x, y) != background for x in range(x0, x1) for y in range(y0, y1)
        )

    gutter = plot.fontMetrics().horizontalAdvance("20") + 6
    assert inked(4, 8 + gutter - 2, 24, plot.height() - 20) > 20  # the count labels
    bottom = plot.height() - plot.fontMetrics().height() - 2
    assert inked(8 + gutter, 8 + gutter + 40, bottom, plot.height()) > 10  # "12 min ago"
    assert inked(plot.width() - 40, plot.width() - 10, bottom, plot.height()) > 10  # "now"
    assert plot.accessibleDescription() == (
        "Listeners now 12, peak 12; scale 0 to 20, from 12 min ago to now."
    )
    assert isinstance(background, QColor)
