"""The frozen build's smoke test (make installer-test), run on what `make installer` made.

    .venv/bin/python installer/frozen_test.py

1. Unpacks dist/roomcast-*.tar.gz into a temporary folder and, from there, with a bare
   environment (no virtual environment, no PYTHONPATH, a fresh HOME, the working directory
   elsewhere, so nothing can come from the source tree), runs `roomcast --version` (and times
   it) and `roomcast self-test --gui`: the embedded relay as the bundle's own child, a room,
   the web client's files, a bot that hears a tone through the relay, Qt offscreen. Any module
   or library missing from the bundle fails it.
2. Reads the .deb: its control fields, and that it holds the launcher, the bundle, the menu
   entry and the icons (and the menu entry passes desktop-file-validate, when installed).

Installing the .deb is not part of it (that changes the machine): see installer/BUILDING.md.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"

DEB_MUST_HOLD = (
    "./usr/bin/roomcast",
    "./usr/lib/roomcast/roomcast",
    "./usr/lib/roomcast/_internal/server/web/index.html",
    "./usr/share/applications/roomcast.desktop",
    "./usr/share/icons/hicolor/scalable/apps/roomcast.svg",
    "./usr/share/icons/hicolor/256x256/apps/roomcast.png",
    "./usr/share/doc/roomcast/copyright",
)


class Failed(Exception):
    pass


def say(text: str) -> None:
    print(f"installer-test: {text}", flush=True)


def main() -> int:
    try:
        archive = _one(DIST.glob("roomcast-*-linux-*.tar.gz"), "tarball")
        package = _one(DIST.glob("roomcast_*.deb"), ".deb")
        with tempfile.TemporaryDirectory(prefix="roomcast-frozen-") as folder:
            check_tarball(archive, Path(folder))
        check_deb(package)
    except Failed as failed:
        say(f"FAILED: {failed}")
        return 1
    say("passed")
    return 0


def _one(found: Iterable[Path], what: str) -> Path:
    """The newest of the files found (an older version's may still lie in dist/)."""
    paths = list(found)
    if not paths:
        raise Failed(f"no {what} in {DIST.relative_to(ROOT)}/: run `make installer` first")
    return max(paths, key=lambda p: p.stat().st_mtime)


def check_tarball(archive: Path, folder: Path) -> None:
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="tar")
    program = folder / "roomcast" / "roomcast"
    if not program.is_file():
        raise Failed(f"{archive.name} holds no roomcast/roomcast")
    home = folder / "home"
    home.mkdir()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TMPDIR": str(folder),
    }
    for key in ("PULSE_SERVER", "XDG_RUNTIME_DIR"):  # a test machine's sound server, if any
        if key in os.environ:
            env[key] = os.environ[key]

    times = []
    for _ in range(3):
        started = time.monotonic()
        done = subprocess.run(
            [str(program), "--version"], capture_output=True, text=True, env=env, cwd=home
        )
        times.append(time.monotonic() - started)
        if done.returncode != 0 or not done.stdout.startswith("roomcast "):
            raise Failed(f"`roomcast --version` answered {done.returncode}: {done.stderr}")
    say(f"{done.stdout.strip()} from {archive.name}; starts in {min(times):.2f} s (--version)")

    started = time.monotonic()
    self_test = subprocess.run(
        [str(program), "self-test", "--gui"], env=env, cwd=home, timeout=180, check=False
    )
    if self_test.returncode != 0:
        raise Failed(f"the frozen self-test failed (exit {self_test.returncode}); see above")
    say(f"frozen self-test passed in {time.monotonic() - started:.1f} s")


def check_deb(package: Path) -> None:
    if shutil.which("dpkg-deb") is None:
        say("dpkg-deb is missing: the .deb is not checked")
        return
    info = subprocess.run(
        ["dpkg-deb", "--field", str(package)], capture_output=True, text=True, check=True
    ).stdout
    fields = dict(
        line.split(": ", 1) for line in info.splitlines() if ": " in line and line[0] != " "
    )
    for name, must in (("Package", "roomcast"), ("Depends", "libportaudio2")):
        if must not in fields.get(name, ""):
            raise Failed(f"{package.name}: {name} lacks {must!r} ({fields.get(name)!r})")
    if "pulseaudio | pipewire-pulse" not in fields.get("Recommends", ""):
        raise Failed(f"{package.name}: Recommends names no sound server")
    listing = subprocess.run(
        ["dpkg-deb", "--contents", str(package)], capture_output=True, text=True, check=True
    ).stdout
    paths = {line.split()[5].rstrip("/") for line in listing.splitlines() if len(line.split()) > 5}
    lacking = [path for path in DEB_MUST_HOLD if path not in paths]
    if lacking:
        raise Failed(f"{package.name} lacks {', '.join(lacking)}")
    launcher = next(line for line in listing.splitlines() if line.endswith("./usr/bin/roomcast"))
    if not launcher.startswith("-rwxr-xr-x root/root"):
        raise Failed(f"the launcher's mode or owner is wrong: {launcher}")
    validator = shutil.which("desktop-file-validate")
    if validator is not None:
        done = subprocess.run(
            [validator, str(ROOT / "installer" / "roomcast.desktop")],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0 or done.stdout.strip():
            raise Failed(f"desktop-file-validate: {done.stdout}{done.stderr}")
    say(
        f"{package.name}: {package.stat().st_size / 2**20:.0f} MB, {len(paths)} paths, "
        f"Depends: {fields['Depends']}"
    )


if __name__ == "__main__":
    sys.exit(main())
