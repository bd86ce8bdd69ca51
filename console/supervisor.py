"""The embedded relay: started as a child process, watched, restarted when it dies.

    supervisor = RelaySupervisor(data_dir, port=8470, on_change=...)
    url = await supervisor.start()      # waits for "roomcast relay listening on URL"
    ...
    await supervisor.stop()

The child is `roomcast relay` (through `sys.executable`, so the frozen build works too), in
its own session so a console crash (or a Ctrl-C in the console's terminal) does not take the
room down with it. It watches a pid file naming the console and stops by itself some minutes
after no console is left; a console started meanwhile adopts it instead of starting another.
Restarts keep the port the first start got, so every link already handed out stays valid;
the relay restores its rooms from its database and participants resume their places.

Runs on: the console's event loop. One reader thread per child blocks on its output and
hands lines back with `call_soon_threadsafe`; nothing here blocks the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

logger = logging.getLogger(__name__)

READY_PREFIX = "roomcast relay listening on "
PID_FILE = "relay.json"  # {"pid", "url"} of the running relay
CONSOLE_PID_FILE = "console.pid"  # the console the relay belongs to
BACKOFF_S = (0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
STABLE_AFTER_S = 30.0  # a child that ran this long resets the backoff


class RelayState(enum.Enum):
    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    RESTARTING = "restarting"
    FAILED = "failed"


EMBEDDED_MEDIA_WORKERS = 1
"""The console's own relay runs one media worker, not one per core: the host's computer is
also running the console (its meters, the microphone, often a browser), a host's room is
heard by tens of people rather than thousands (about 20 µs of CPU per listener-packet: 100
listeners are a tenth of a core), and each worker costs about 60 MB and a second to start.
One worker still keeps the audio apart from the control work; a server relay
(`roomcast relay`) defaults to one per core."""


class SupervisorError(Exception):
    """The relay could not be started; the message says what to do."""


def relay_command(
    host: str, port: int, data_dir: Path, console_pid_file: Path, log_level: str = "WARNING"
) -> list[str]:
    """The child's command line: `roomcast relay …` from this interpreter or frozen build."""
    args = [
        "relay", "--host", host, "--port", str(port), "--data-dir", str(data_dir),
        "--log-level", log_level, "--console-pid-file", str(console_pid_file),
        "--media-workers", str(EMBEDDED_MEDIA_WORKERS),
    ]  # fmt: skip
    if getattr(sys, "frozen", False):
        return [sys.executable, *args]
    return [sys.executable, "-m", "ui.cli", *args]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


class RelaySupervisor:
    def __init__(
        self,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 8470,
        on_change: Callable[[RelayState, str], None] | None = None,
        command: Callable[[str, int, Path, Path], Sequence[str]] = relay_command,
        backoff_s: Sequence[float] = BACKOFF_S,
        ready_timeout_s: float = 30.0,
        relay_args: Sequence[str] = (),
    ) -> None:
        self.data_dir = data_dir
        # More of `roomcast relay`'s options (the recordings folder, their retention).
        self.relay_args = tuple(relay_args)
        self.relay_dir = data_dir / "relay"
        self.host = host
        self.port = port
        self.on_change = on_change
        self._command = command
        self._backoff_s = tuple(backoff_s)
        self.ready_timeout_s = ready_timeout_s
        self.state = RelayState.STOPPED
        self.base_url: str | None = None
        self.pid: int | None = None
        self.restarts = 0
        self.output: deque[str] = deque(maxlen=40)  # the child's last lines, for error messages
        self._process: subprocess.Popen[str] | None = None
        self._adopted = False
        self._stopping = False
        self._failures = 0
        self._started_at = 0.0
        self._ready: asyncio.Future[str] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._running = asyncio.Event()

    # -- public ---------------------------------------------------------------------------------

    async def start(self) -> str:
        """Start (or adopt) the relay; returns its base URL. Raises SupervisorError."""
        self._stopping = False
        self.relay_dir.mkdir(parents=True, exist_ok=True)
        self._write_console_pid()
        adopted = await self._adopt()
        if adopted is not None:
            return adopted
        return await self._spawn_and_wait()

    async def wait_running(self, timeout_s: float = 30.0) -> str:
        await asyncio.wait_for(self._running.wait(), timeout_s)
        assert self.base_url is not None
        return self.base_url

    def detach(self) -> None:
        """Stop supervising but leave the relay running (a console leaving a room on air): it
        keeps the rooms for its grace period, or until a new console adopts it."""
        self._stopping = True
        for task in list(self._tasks):
            task.cancel()
        self._process = None
        self._set(RelayState.STOPPED, "The relay runs on without this console.")

    async def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the relay (SIGTERM, then SIGKILL) and do not restart it."""
        self._stopping = True
        for task in list(self._tasks):
            task.cancel()
        pid = self.pid
        if pid is not None and _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout_s
            while _alive(pid) and time.monotonic() < deadline:
                if self._process is not None and self._process.poll() is not None:
                    break
                await asyncio.sleep(0.05)
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if self._process is not None:  # reap it (the reader thread waits on it too)
            deadline = time.monotonic() + timeout_s
            while self._process.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        with contextlib.suppress(FileNotFoundError):
            (self.relay_dir / PID_FILE).unlink()
        self.pid = None
        self._running.clear()
        self._set(RelayState.STOPPED, "The relay is stopped.")

    # -- starting -------------------------------------------------------------------------------

    def _write_console_pid(self) -> None:
        path = self.relay_dir / CONSOLE_PID_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(f"{os.getpid()}\n", encoding="ascii")
        tmp.replace(path)

    async def _adopt(self) -> str | None:
        """A relay left running by a console that crashed: take it over if it answers."""
        try:
            known = json.loads((self.relay_dir / PID_FILE).read_text(encoding="utf-8"))
            pid, url = int(known["pid"]), str(known["url"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not _alive(pid) or not await _healthy(url):
            return None
        logger.info("adopting the relay left running at %s (pid %d)", url, pid)
        self._adopted = True
        self.pid = pid
        self._remember(url)
        self._spawn_task(self._watch_adopted(pid))
        return url

    async def _spawn_and_wait(self) -> str:
        loop = asyncio.get_running_loop()
        self._set(
            RelayState.STARTING if self.restarts == 0 else RelayState.RESTARTING,
            "Starting the relay…",
        )
        command = [
            *self._command(self.host, self.port, self.relay_dir, self.relay_dir / CONSOLE_PID_FILE),
            *self.relay_args,
        ]
        self._ready = loop.create_future()
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                encoding="utf-8",
                errors="replace",
                start_new_session=True,  # a console crash or Ctrl-C leaves the room running
            )
        except OSError as exc:
            self._set(RelayState.FAILED, f"Cannot start the relay: {exc}")
            raise SupervisorError(f"Cannot start the relay ({exc}).") from exc
        self._process = process
        self._adopted = False
        self.pid = process.pid
        self._started_at = time.monotonic()
        threading.Thread(
            target=self._read_output, args=(process, loop), name="relay-output", daemon=True
        ).start()
        try:
            url = await asyncio.wait_for(asyncio.shield(self._ready), self.ready_timeout_s)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            self._set(RelayState.FAILED, "The relay did not start in time.")
            raise SupervisorError(
                f"The relay did not start within {self.ready_timeout_s:g} s. "
                f"Its last words: {self._last_words()}"
            ) from None
        return url

    def _read_output(self, process: subprocess.Popen[str], loop: asyncio.AbstractEventLoop) -> None:
        """Runs on: the relay-output thread. Lines to the loop; then the exit code."""
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.rstrip("\n")
            self.output.append(line)  # deque.append is atomic under the GIL
            if line.startswith(READY_PREFIX):
                url = line.removeprefix(READY_PREFIX).strip()
                loop.call_soon_threadsafe(self._on_ready, process, url)
        code = process.wait()
        with contextlib.suppress(RuntimeError):  # the loop may be closed at exit
            loop.call_soon_threadsafe(self._on_exit, process, code)

    def _on_ready(self, process: subprocess.Popen[str], url: str) -> None:
        if process is not self._process:
            return
        self._remember(url)
        if self._ready is not None and not self._ready.done():
            self._ready.set_result(url)

    def _remember(self, url: str) -> None:
        port = urlsplit(url).port
        if port:
            self.port = port  # keep it across restarts: links already shared stay valid
        self.base_url = url
        path = self.relay_dir / PID_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"pid": self.pid, "url": url}), encoding="utf-8")
        tmp.replace(path)
        self._running.set()
        self._set(RelayState.RUNNING, f"The relay is running at {url}.")

    # -- dying and restarting -------------------------------------------------------------------

    def _on_exit(self, process: subprocess.Popen[str], code: int) -> None:
        if process is not self._process:
            return
        self._running.clear()
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(
                SupervisorError(f"The relay stopped at once (exit {code}): {self._last_words()}")
            )
            self._set(RelayState.FAILED, f"The relay could not start: {self._last_words()}")
            return
        if self._stopping:
            return
        self._relay_died(f"exit code {code}")

    def _relay_died(self, why: str) -> None:
        logger.warning("relay %s -> %s (%s)", RelayState.RUNNING.value, "restarting", why)
        if time.monotonic() - self._started_at >= STABLE_AFTER_S:
            self._failures = 0
        self._set(RelayState.RESTARTING, f"The relay stopped ({why}); restarting it…")
        self._spawn_task(self._restart())

    async def _restart(self) -> None:
        while not self._stopping:
            delay_s = self._backoff_s[min(self._failures, len(self._backoff_s) - 1)]
            self._failures += 1
            await asyncio.sleep(delay_s)
            self.restarts += 1
            try:
                await self._spawn_and_wait()
                return
            except SupervisorError as exc:
                logger.warning("relay restart failed: %s", exc)
                self._set(RelayState.RESTARTING, f"{exc} Trying again…")

    async def _watch_adopted(self, pid: int) -> None:
        while not self._stopping:
            await asyncio.sleep(0.5)
            if not _alive(pid):
                self._running.clear()
                self._started_at = 0.0
                self._relay_died("the adopted relay stopped")
                return

    # -- helpers --------------------------------------------------------------------------------

    def _spawn_task(self, coro: Coroutine[object, object, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _last_words(self) -> str:
        lines = [line for line in self.output if line.strip()]
        return " / ".join(lines[-3:]) or "(nothing)"

    def _set(self, state: RelayState, message: str) -> None:
        if state is not self.state:
            logger.info("relay %s -> %s", self.state.value, state.value)
        self.state = state
        if self.on_change is not None:
            self.on_change(state, message)


async def _healthy(url: str) -> bool:
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http,
            http.get(f"{url}/healthz") as resp,
        ):
            data = await resp.json()
            return resp.status == 200 and bool(data.get("ok"))
    except (aiohttp.ClientError, OSError, TimeoutError, ValueError):
        return False
