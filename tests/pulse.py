"""A private, headless PulseAudio for tests: null sinks and virtual microphones, no hardware.

    server = start_pulse(tmp_dir)          # raises PulseStartError with the log on failure
    server.client_env()                     # PULSE_SERVER=unix:..., for this process and children
    mic = server.add_virtual_mic("rc_mic2", "Second Mic")
    server.unload_module(mic.source_module) # the microphone "disappears"
    server.stop()                           # by PID

Layout of the default server:
- sink `rc_out` ("Roomcast Test Speakers"): where playback tests send sound;
- sink `rc_speech` + source `rc_mic` ("Roomcast Test Mic"): whatever is played into `rc_speech`
  comes out of `rc_mic`, sample for sample (float32, 48 kHz mono, volume 100 % = unity).

It runs as root with `--system=false` (it warns, and works) and with every path it uses under its
own folder: runtime dir, home, config, a unix socket. The daemon is reparented away from us, so it
is stopped by its PID from the pid file; a zombie left for an init that does not reap counts as
stopped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_SPEC = "rate=48000 channels=1 format=float32le"


class PulseStartError(RuntimeError):
    """PulseAudio could not be started; the message carries the reason and the log's tail."""


@dataclass(frozen=True)
class VirtualMic:
    """A null sink to play into and a source that hears it, as a microphone would."""

    sink: str
    source: str
    description: str
    sink_module: int
    source_module: int


@dataclass
class PulseServer:
    root: Path
    socket_path: Path
    pid: int
    log_path: Path
    mics: dict[str, VirtualMic] = field(default_factory=dict)

    @property
    def server_address(self) -> str:
        return f"unix:{self.socket_path}"

    def client_env(self) -> dict[str, str]:
        """Environment variables a client (this process, pactl, PortAudio) needs."""
        return {
            "PULSE_SERVER": self.server_address,
            "PULSE_CLIENTCONFIG": str(self.root / "client.conf"),
        }

    def pactl(self, *args: str, timeout_s: float = 10.0) -> str:
        env = {**os.environ, **self.client_env()}
        done = subprocess.run(
            ["pactl", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"pactl {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def load_module(self, name: str, arguments: str) -> int:
        return int(self.pactl("load-module", name, arguments).strip())

    def unload_module(self, module_id: int) -> None:
        self.pactl("unload-module", str(module_id))

    def add_virtual_mic(self, source: str, description: str) -> VirtualMic:
        """A new microphone `source`, fed by a new null sink `<source>_feed`."""
        sink = f"{source}_feed"
        sink_module = self.load_module(
            "module-null-sink",
            f"sink_name={sink} {SAMPLE_SPEC} sink_properties=device.description={sink}",
        )
        source_module = self.load_module(
            "module-remap-source",
            f"source_name={source} master={sink}.monitor {SAMPLE_SPEC} "
            f"source_properties=\"device.description='{description}'\"",
        )
        mic = VirtualMic(sink, source, description, sink_module, source_module)
        self.mics[source] = mic
        return mic

    def source_names(self) -> list[str]:
        return [line.split("\t")[1] for line in self.pactl("list", "short", "sources").splitlines()]

    def running(self) -> bool:
        return _alive(self.pid)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the daemon by its PID: SIGTERM, then SIGKILL if it lingers."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                if not _alive(self.pid):
                    return
                time.sleep(0.02)


def _alive(pid: int) -> bool:
    """True while `pid` runs; a zombie (exited, not reaped) is not alive."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def _startup_script(socket_path: Path) -> str:
    return "\n".join(
        [
            ".fail",  # a line that fails stops the daemon, instead of a server missing devices
            f"load-module module-native-protocol-unix auth-anonymous=1 socket={socket_path}",
            f"load-module module-null-sink sink_name=rc_out {SAMPLE_SPEC} "
            "sink_properties=\"device.description='Roomcast Test Speakers'\"",
            f"load-module module-null-sink sink_name=rc_speech {SAMPLE_SPEC} "
            "sink_properties=\"device.description='Roomcast Test Speech'\"",
            f"load-module module-remap-source source_name=rc_mic master=rc_speech.monitor "
            f"{SAMPLE_SPEC} source_properties=\"device.description='Roomcast Test Mic'\"",
            "set-default-sink rc_out",
            "set-default-source rc_mic",
            "",
        ]
    )


def start_pulse(root: Path, timeout_s: float = 10.0) -> PulseServer:
    """Start a private PulseAudio under `root` (a short path: unix sockets allow 107 bytes)."""
    if shutil.which("pulseaudio") is None or shutil.which("pactl") is None:
        raise PulseStartError(
            "pulseaudio/pactl not found: apt-get install pulseaudio pulseaudio-utils"
        )
    root.mkdir(parents=True, exist_ok=True)
    dirs = {name: root / name for name in ("run", "home", "config", "xdg")}
    for path in dirs.values():
        path.mkdir(exist_ok=True)
    socket_path = root / "native"
    if len(str(socket_path)) > 100:
        raise PulseStartError(f"socket path too long for a unix socket: {socket_path}")
    script = root / "server.pa"
    script.write_text(_startup_script(socket_path), encoding="utf-8")
    # Clients must never autospawn a second daemon (e.g. the user's) when ours is away.
    (root / "client.conf").write_text("autospawn = no\n", encoding="utf-8")
    log_path = root / "pulse.log"
    env = {
        **os.environ,
        "PULSE_RUNTIME_PATH": str(dirs["run"]),
        "HOME": str(dirs["home"]),
        "XDG_CONFIG_HOME": str(dirs["config"]),
        "XDG_RUNTIME_DIR": str(dirs["xdg"]),
    }
    env.pop("PULSE_SERVER", None)
    command = [
        "pulseaudio",
        "-n",
        "-F",
        str(script),
        "--exit-idle-time=-1",
        "--daemonize=yes",
        "--system=false",
        "--use-pid-file=yes",
        "--disable-shm=yes",
        "--realtime=no",
        "--high-priority=no",
        f"--log-target=file:{log_path}",
    ]
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=timeout_s, check=False
    )
    if done.returncode != 0:
        raise PulseStartError(
            f"pulseaudio exited with {done.returncode}: {done.stderr.strip()}\n{_tail(log_path)}"
        )
    pid_file = dirs["run"] / "pid"
    deadline = time.monotonic() + timeout_s
    server: PulseServer | None = None
    while time.monotonic() < deadline:
        text = pid_file.read_text(encoding="ascii").strip() if pid_file.exists() else ""
        if text and server is None:
            server = PulseServer(root, socket_path, int(text), log_path)
        if server is not None and socket_path.exists():
            try:
                server.pactl("info", timeout_s=2.0)
                return server
            except (RuntimeError, subprocess.TimeoutExpired):
                pass  # socket there, not answering yet
        time.sleep(0.05)
    if server is not None:
        server.stop()  # up but not answering: don't leave it behind
    raise PulseStartError(f"pulseaudio did not come up within {timeout_s:g} s\n{_tail(log_path)}")


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


@contextlib.contextmanager
def pulse_for_this_process(prefix: str) -> Iterator[PulseServer]:
    """A headless PulseAudio that this process and its children talk to (PULSE_SERVER and
    friends set, put back after). Fails the test, never skips, when it cannot start: these
    tests are the proof that sound works through real PortAudio."""
    import pytest

    # A short path of our own: unix socket paths are limited to 107 bytes.
    root = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        server = start_pulse(root)
    except PulseStartError as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"could not start a headless PulseAudio: {exc}", pytrace=False)
    saved = {key: os.environ.get(key) for key in server.client_env()}
    os.environ.update(server.client_env())
    try:
        yield server
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
