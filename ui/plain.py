"""Labels that show text as it was typed.

A QLabel guesses whether its text is markup (Qt::AutoText): a display name such as
"<b>Boss</b> says unblock me" would render bold, or rewrite the wording of a prompt it is
quoted in. Names, titles, topics, reasons and links come from other people, so every label in
the console is made here, as plain text; the few that show markup the console built itself
(escaping what it quotes) say so where they are made (`rich_label`).
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


def plain_label(*args: Any) -> QLabel:
    """QLabel(*args), showing its text as text, never as markup."""
    label = QLabel(*args)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def rich_label(*args: Any) -> QLabel:
    """QLabel(*args) for markup the console built itself, every quoted value escaped."""
    label = QLabel(*args)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


def plain_tooltip(text: str) -> str:
    """A tooltip showing `text` as typed: Qt guesses markup in tooltips too, so the text goes
    in escaped, inside markup of the console's own."""
    return "<p>" + html.escape(text).replace("\n", "<br>") + "</p>"


class PathLabel(QLabel):
    """A file or folder path that fits where it is put: elided in the middle (the start and
    the name stay readable), the whole path in its tooltip, never widening its window."""

    def __init__(self, path: object, parent: QWidget | None = None, prefix: str = "") -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(80)
        self.prefix = prefix
        self.full = ""
        self.set_path(path)

    def set_path(self, path: object) -> None:
        self.full = f"{self.prefix}{path}"
        self.setToolTip(plain_tooltip(str(path)))
        self.setAccessibleName(self.full)  # a screen reader reads the whole path
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        fitted = self.fontMetrics().elidedText(
            self.full, Qt.TextElideMode.ElideMiddle, max(self.width(), self.minimumWidth())
        )
        if fitted != self.text():
            self.setText(fitted)


def wrappable_path(path: object) -> str:
    """A path that a word-wrapped label may break after each separator (a zero-width space
    after each `/`), for display only: copy the path from a field or the tooltip."""
    return str(path).replace("/", "/\u200b").replace("\\", "\\\u200b")
