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
from PySide6.QtWidgets import QLabel


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
