"""The rule cases in tests/room/cases/ are what the Python rules say now: a rule change that is
not re-exported fails here, and once re-exported the page's JS must agree with it
(tests/web_unit/, run by tests/web/test_web_rules_node.py)."""

from __future__ import annotations

import json

from server.room import EVENT_TYPES
from tests.room import export_cases


def test_the_committed_rule_cases_are_what_the_rules_say_now():
    files, _notes = export_cases.generate()
    stale = [
        path.name
        for path, text in files.items()
        if not path.exists() or path.read_text("utf-8") != text
    ]
    assert not stale, (
        f"{', '.join(stale)} differ from the Python rules; run `python -m tests.room.export_cases`"
        " and make server/web/mirror.js and permissions.js agree (make test runs their Node tests)"
    )


def test_the_cases_cover_every_event_kind_and_person_action():
    reducer = json.loads(export_cases.REDUCER_FILE.read_text("utf-8"))
    kinds = {event["kind"] for case in reducer["cases"] for event in case["events"]}
    assert kinds == set(EVENT_TYPES)
    permissions = json.loads(export_cases.PERMISSIONS_FILE.read_text("utf-8"))
    order = list(permissions["person_actions_commands"])
    assert order == list(export_cases.PERSON_ACTIONS)
    cases = permissions["person_actions"]
    for i, action in enumerate(order):  # each action both allowed and refused somewhere
        assert {c["verdicts"][i] == "ok" for c in cases} == {True, False}, action
    total = sum(len(path.read_bytes()) for path in export_cases.CASES_DIR.glob("*.json"))
    assert total < 1_100_000, f"the case files grew to {total} bytes"
