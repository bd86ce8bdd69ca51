"""A desktop for journeys the offscreen platform cannot show: a virtual X screen (Xvfb) with a
window manager (openbox) and a system tray (trayer), the real `roomcast` console running on it
as its own process, and xdotool as the person's keyboard and mouse.

What a person sees is read from the X server: window titles (wmctrl), the tray icon's place
(xwininfo) and colour (a screen grab), whether a window is minimised (xprop). The packages
come from `make test` (installer/system-deps.sh).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("Xvfb", "openbox", "trayer", "xdotool", "wmctrl", "xwininfo", "xprop")
_GEOMETRY = re.compile(r"(\d+)x(\d+)\+-?\d+\+-?\d+\s+\+(-?\d+)\+(-?\d+)")


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


@dataclass
class Desktop:
    display: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "DISPLAY": self.display, "QT_QPA_PLATFORM": "xcb"}

    def run(self, *args: str) -> str:
        """One X tool, its output (raises on failure)."""
        done = subprocess.run(
            args, env=self.env, capture_output=True, text=True, timeout=30, check=True
        )
        return done.stdout

    def key(self, *keys: str) -> None:
        self.run("xdotool", "key", "--clearmodifiers", *keys)

    def windows(self) -> dict[str, str]:
        """Title -> window id of every managed window (the tray's panel aside)."""
        found: dict[str, str] = {}
        for _attempt in range(20):  # a window closing while it is listed fails the listing
            try:
                listing = self.run("wmctrl", "-l")
                break
            except subprocess.CalledProcessError:
                time.sleep(0.05)
        else:
            raise AssertionError("wmctrl cannot list the windows")
        for line in listing.splitlines():
            parts = line.split(None, 3)
            if len(parts) == 4 and parts[3] != "panel":
                found[parts[3]] = parts[0]
        return found

    def wait_window(self, title: str, timeout_s: float = 30.0, *, gone: bool = False) -> str:
        """The id of the window whose title contains `title` (or wait for none to be left)."""
        deadline = time.monotonic() + timeout_s
        while True:
            matching = [wid for name, wid in self.windows().items() if title in name]
            if gone and not matching:
                return ""
            if matching and not gone:
                return matching[0]
            if time.monotonic() > deadline:
                state = "gone" if gone else "on screen"
                raise AssertionError(f"no window {title!r} {state}; windows: {self.windows()}")
            time.sleep(0.1)

    def minimised(self, window: str) -> bool:
        return "_NET_WM_STATE_HIDDEN" in self.run("xprop", "-id", window, "_NET_WM_STATE")

    def tray_icon(self) -> tuple[int, int, int, int] | None:
        """(x, y, width, height) on screen of the icon docked in the tray, if any."""
        tree = self.run("xwininfo", "-root", "-tree").splitlines()
        for index, line in enumerate(tree):
            if '("panel" "trayer")' not in line:
                continue
            depth = len(line) - len(line.lstrip())
            for child in tree[index + 1 :]:
                if child.strip() and len(child) - len(child.lstrip()) <= depth:
                    break  # past the panel's own windows
                match = _GEOMETRY.search(child)
                if match and int(match[1]) >= 16 and int(match[2]) >= 16:
                    return int(match[3]), int(match[4]), int(match[1]), int(match[2])
        return None

    def colour_at(self, x: int, y: int) -> tuple[int, int, int]:
        """The screen's colour at (x, y), grabbed from the X server."""
        said = subprocess.run(
            [sys.executable, "-c", _GRAB, str(x), str(y)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.split()
        red, green, blue = (int(v) for v in said[-3:])
        return red, green, blue

    def screenshot(self, path: Path) -> Path:
        """The whole screen as a PNG (for a failing journey's report)."""
        subprocess.run(
            [sys.executable, "-c", _SHOT, str(path)], env=self.env, timeout=60, check=False
        )
        return path

    def click(self, x: int, y: int, button: int = 1) -> None:
        self.run("xdotool", "mousemove", "--sync", str(x), str(y), "click", str(button))

    def console(self, data_dir: Path, *args: str) -> subprocess.Popen[bytes]:
        """The real `roomcast` console on this desktop."""
        process = subprocess.Popen(
            [sys.executable, "-m", "ui.cli", "--data-dir", str(data_dir), *args],
            cwd=ROOT,
            env={**self.env, "PYTHONPATH": str(ROOT)},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.processes.append(process)
        return process


_GRAB = """
import sys
from PySide6.QtGui import QGuiApplication
app = QGuiApplication(sys.argv[:1])
x, y = int(sys.argv[1]), int(sys.argv[2])
colour = app.primaryScreen().grabWindow(0, x, y, 1, 1).toImage().pixelColor(0, 0)
print(colour.red(), colour.green(), colour.blue())
"""


TRAYER = ["trayer", "--edge", "top", "--align", "right", "--widthtype", "request",
          "--height", "24"]  # fmt: skip


def _start(program: list[str], desktop: Desktop) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        program, env=desktop.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _wait(ready: Callable[[], bool], what: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(subprocess.CalledProcessError):
            if ready():
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not start within {timeout_s:g} s")
        time.sleep(0.1)


_SHOT = """
import sys
from PySide6.QtGui import QGuiApplication
app = QGuiApplication(sys.argv[:1])
app.primaryScreen().grabWindow(0).save(sys.argv[1])
"""


@contextlib.contextmanager
def running_desktop(width: int = 1280, height: int = 800) -> Iterator[Desktop]:
    """Xvfb on a free display, openbox and trayer on it; everything stopped afterwards."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{width}x{height}x24", "-nolisten",
         "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write)
    with os.fdopen(read) as said:
        number = said.readline().strip()
    desktop = Desktop(f":{number}", [xvfb])
    try:
        if not number:
            raise AssertionError("Xvfb did not start")
        desktop.processes.append(_start(["openbox"], desktop))
        _wait(lambda: "Openbox" in desktop.run("wmctrl", "-m"), "the window manager")
        # the tray, once the window manager runs (trayer gives up without one); again if it
        # gave up anyway
        for _attempt in range(3):
            tray = _start(TRAYER, desktop)
            desktop.processes.append(tray)
            try:
                _wait(
                    lambda t=tray: "panel" in desktop.run("wmctrl", "-l") or t.poll() is not None,
                    "the tray",
                )
            except AssertionError:
                tray.terminate()
                continue
            if tray.poll() is None:
                break
        else:
            raise AssertionError("the tray (trayer) did not start")
        yield desktop
    finally:
        for process in reversed(desktop.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
