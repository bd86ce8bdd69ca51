"""The PulseAudio (or PipeWire-Pulse) server as seen through `pactl`: its sources and sinks,
and a watcher that notices when one disappears.

Debian's PortAudio has no PulseAudio host API; it reaches the server through ALSA's "pulse"
plugin, which shows up as one PortAudio device. Which source or sink that device opens is read
from PULSE_SOURCE / PULSE_SINK when the stream is opened, so listing the server's own nodes here
is what makes picking a microphone by name real. Without `pactl` (or a server) we list nothing
and PortAudio's own devices are all there is.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass
from typing import Any, Literal

logger = logging.getLogger(__name__)

Direction = Literal["input", "output"]

_EVENT = re.compile(r"Event '(new|remove)' on (source|sink) #(\d+)")
_SPEC = re.compile(r"(\d+)ch (\d+)Hz")


@dataclass(frozen=True, slots=True)
class PulseNode:
    """One source (input) or sink (output) of the server."""

    index: int
    name: str  # the server's name, e.g. "alsa_input.usb-...": what PULSE_SOURCE takes
    description: str  # what a person reads, e.g. "USB Audio Analog Mono"
    direction: Direction
    channels: int
    sample_rate_hz: int
    is_monitor: bool  # a sink's monitor: "what that output plays", not a microphone
    is_default: bool


def _run_pactl(args: list[str], timeout_s: float) -> str | None:
    pactl = shutil.which("pactl")
    if pactl is None:
        return None
    try:
        done = subprocess.run(
            [pactl, *args], capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        logger.debug("pactl %s failed: %s", args, exc)
        return None
    if done.returncode != 0:
        logger.debug("pactl %s -> rc %d: %s", args, done.returncode, done.stderr.strip())
        return None
    return done.stdout


def _node(raw: dict[str, Any], direction: Direction, default_name: str) -> PulseNode:
    spec = _SPEC.search(str(raw.get("sample_specification", "")))
    channels, rate_hz = (int(spec.group(1)), int(spec.group(2))) if spec else (0, 0)
    properties = raw.get("properties") or {}
    is_monitor = direction == "input" and (
        bool(raw.get("monitor_source")) or properties.get("device.class") == "monitor"
    )
    name = str(raw["name"])
    return PulseNode(
        index=int(raw["index"]),
        name=name,
        description=str(raw.get("description") or name),
        direction=direction,
        channels=channels,
        sample_rate_hz=rate_hz,
        is_monitor=is_monitor,
        is_default=name == default_name,
    )


def list_pulse_nodes(timeout_s: float = 3.0) -> list[PulseNode] | None:
    """Sources then sinks of the server PULSE_SERVER points at; None when none is reachable."""
    info_text = _run_pactl(["-f", "json", "info"], timeout_s)
    if info_text is None:
        return None
    sources_text = _run_pactl(["-f", "json", "list", "sources"], timeout_s)
    sinks_text = _run_pactl(["-f", "json", "list", "sinks"], timeout_s)
    if sources_text is None or sinks_text is None:
        return None
    try:
        info = json.loads(info_text)
        sources = json.loads(sources_text)
        sinks = json.loads(sinks_text)
    except json.JSONDecodeError as exc:
        logger.warning("pactl printed something that is not JSON: %s", exc)
        return None
    nodes = [_node(raw, "input", str(info.get("default_source_name", ""))) for raw in sources]
    nodes += [_node(raw, "output", str(info.get("default_sink_name", ""))) for raw in sinks]
    return nodes


class PulseWatcher:
    """Follows `pactl subscribe` on a daemon thread and remembers which nodes went away.

    The reader (a stream's `check()`) only tests `is_removed()` and `server_lost`: a set
    membership and a bool, both safe to read under the GIL while this thread writes them.
    A node's index is never reused while the server runs, so "index N was removed" is exact.
    """

    def __init__(self) -> None:
        self._removed: dict[Direction, set[int]] = {"input": set(), "output": set()}
        self.server_lost = False
        self.changes = 0  # bumps on every new/removed node: a cue to refresh device lists
        self._process: subprocess.Popen[str] | None = None
        self._thread: threading.Thread | None = None
        self._closing = False

    def start(self) -> bool:
        """Start following the server; False when pactl is missing or cannot start."""
        pactl = shutil.which("pactl")
        if pactl is None:
            return False
        try:
            self._process = subprocess.Popen(
                [pactl, "subscribe"],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
                text=True,
                bufsize=1,
            )
        except OSError as exc:
            logger.warning("cannot follow the sound server (pactl subscribe): %s", exc)
            return False
        self._thread = threading.Thread(target=self._follow, name="pulse-watcher", daemon=True)
        self._thread.start()
        return True

    @property
    def running(self) -> bool:
        return self._process is not None and not self.server_lost

    def _follow(self) -> None:
        """Runs on: the pulse-watcher thread."""
        process = self._process
        assert process is not None and process.stdout is not None
        for line in process.stdout:
            match = _EVENT.search(line)
            if match is None:
                continue
            kind, facility, index = match.group(1), match.group(2), int(match.group(3))
            direction: Direction = "input" if facility == "source" else "output"
            if kind == "remove":
                self._removed[direction].add(index)
            self.changes += 1
        if not self._closing:
            logger.warning("sound server connection ended (pactl subscribe exited)")
            self.server_lost = True

    def is_removed(self, direction: Direction, index: int) -> bool:
        return index in self._removed[direction]

    def close(self) -> None:
        self._closing = True
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=2.0)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=2.0)
            if process.stdout is not None:
                process.stdout.close()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
