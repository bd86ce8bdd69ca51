"""The page's ports of the room rules (server/web/mirror.js, server/web/permissions.js) agree
with the Python rules on every exported case (tests/room/cases/, written by
tests/room/export_cases.py): runs the Node tests in tests/web_unit/ with `node --test`.

No browser and no relay: Node imports the page's modules as they are served."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NODE_TESTS = sorted((ROOT / "tests" / "web_unit").glob("*.test.mjs"))


def test_the_pages_rules_agree_with_the_python_rules_on_every_case():
    node = shutil.which("node")
    assert node, "Node.js is not installed: `make test` installs it (apt-get install nodejs)"
    assert {p.name for p in NODE_TESTS} >= {"mirror.test.mjs", "permissions.test.mjs"}
    run = subprocess.run(
        [node, "--test", "--test-reporter=dot", *map(str, NODE_TESTS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, f"node --test failed:\n{run.stdout}\n{run.stderr}"
