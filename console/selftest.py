"""`roomcast self-test`: does this installation work, end to end?

    roomcast self-test [--gui] [--timeout S]

Checks, in order, printing one line each and stopping at the first failure:
- the native libraries the program loads (numpy, PyAV and its Opus encoder, webrtcvad,
  libsndfile, PortAudio) answer a real call;
- every module of `audio`, `server` and `console` imports (a frozen bundle that lost one
  fails here, not in front of a host);
- the embedded relay starts as the console starts it (`RelaySupervisor`: `roomcast relay`
  as a child of this very executable, frozen or not) on a free loopback port;
- a room is created over HTTP and its web page and every ES module it loads are served;
- a host joins with a 440 Hz tone on stage, a listener joins, and the listener hears the tone
  (the spectrum's peak, numpy's FFT) through the relay's mixer, Opus, SRTP and DTLS;
- with `--gui` (wired by `ui/`, which owns Qt), Qt starts offscreen and draws a window.

Exit 0 when all pass, 1 on the first failure, with a line saying what failed and what to do.
Everything happens in a temporary data folder on 127.0.0.1, and the relay is stopped after.

This is the frozen build's smoke test (`make installer-test`) and a user's first aid. Importing
every module by name is a completeness probe of the installed product, not a dependency.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import importlib
import inspect
import io
import os
import pkgutil
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

TONE_HZ = 440.0
HEARD_DB = -40.0  # a -12 dBFS tone reads about -15 dB after Opus and the mix
LISTEN_S = 1.0  # the stretch of audio analysed
HEARING_TIMEOUT_S = 20.0  # from joining until the tone must have been heard
PROJECT_PACKAGES = ("audio", "server", "console")
SAMPLE_RATE_HZ = 48_000
PAGE_ASSET = re.compile(r'(?:src|href)="/static/([\w./-]+)"')
JS_IMPORT = re.compile(r"""(?:from|import)\s*['"]\./([\w./-]+)['"]""")  # relative ES modules

# A check returns the line to print after "ok"; it raises CheckFailed (or anything) to fail.
GuiCheck = Callable[[], str]


class CheckFailed(Exception):
    """A check found a problem; the message says what and what to do."""


def register(subparsers: Any, gui_check: GuiCheck | None = None) -> None:
    """Adds `self-test`. `gui_check` is the Qt check, passed in by `ui/` (Qt lives there)."""
    parser = subparsers.add_parser(
        "self-test",
        help="check this installation: libraries, the relay, a room with real audio",
        description="Check that this installation of Roomcast works: its libraries load, the "
        "embedded relay starts, and a listener hears a speaker through it. Runs on 127.0.0.1 "
        "in a temporary folder; exits 0 when everything works.",
    )
    if gui_check is not None:
        parser.add_argument(
            "--gui",
            action="store_true",
            help="also start Qt offscreen and draw the console's widgets",
        )
    parser.add_argument(
        "--timeout",
        type=float,
        default=90.0,
        metavar="S",
        help="give up after S seconds (default 90)",
    )
    parser.set_defaults(handler=functools.partial(run, gui_check=gui_check))


def run(args: argparse.Namespace, gui_check: GuiCheck | None = None) -> int:
    gui = gui_check if getattr(args, "gui", False) else None
    return asyncio.run(SelfTest(timeout_s=float(args.timeout), gui_check=gui).run())


def say(text: str) -> None:
    print(text, flush=True)


class SelfTest:
    def __init__(self, timeout_s: float = 90.0, gui_check: GuiCheck | None = None) -> None:
        self.timeout_s = timeout_s
        self.gui_check = gui_check
        self.relay_url: str | None = None
        self.room: Any = None  # console.rooms_api.HostedRoom once created

    async def run(self) -> int:
        started = time.monotonic()
        say(f"roomcast self-test {_version()} ({_where()})")
        with tempfile.TemporaryDirectory(prefix="roomcast-self-test-") as folder:
            try:
                await asyncio.wait_for(self._all(Path(folder)), self.timeout_s)
            except CheckFailed as failed:
                say(f"roomcast self-test: FAILED: {failed}")
                return 1
            except TimeoutError:
                say(f"roomcast self-test: FAILED: not done within {self.timeout_s:g} s")
                return 1
        say(f"roomcast self-test: passed in {time.monotonic() - started:.1f} s")
        return 0

    async def _all(self, folder: Path) -> None:
        from console.supervisor import RelaySupervisor

        await self._step("libraries", _check_libraries)
        await self._step("modules", _check_modules)
        if getattr(sys, "frozen", False):
            await self._step("environment", _check_child_environment)
        supervisor = RelaySupervisor(folder, port=0, ready_timeout_s=30.0)
        try:
            await self._step("relay", lambda: self._start_relay(supervisor))
            await self._step("room", lambda: self._create_room(supervisor.admin_key()))
            await self._step("web client", self._check_web_client)
            await self._step("audio", self._check_audio)
        finally:
            await supervisor.stop()
        if self.gui_check is not None:
            await self._step("qt", self.gui_check)

    async def _step(self, name: str, check: Callable[[], str | Awaitable[str]]) -> None:
        started = time.monotonic()
        try:
            result = check()
            detail = await result if inspect.isawaitable(result) else result
        except CheckFailed as failed:
            say(f"  FAIL  {name}: {failed}")
            raise CheckFailed(f"{name}: {failed}") from None
        except (Exception, SystemExit) as exc:  # an unexpected error is a failure, in words
            say(f"  FAIL  {name}: {type(exc).__name__}: {exc}")
            raise CheckFailed(f"{name}: {type(exc).__name__}: {exc}") from exc
        say(f"  ok    {name}: {detail} ({time.monotonic() - started:.1f} s)")

    # -- the relay and a room ---------------------------------------------------------------------

    async def _start_relay(self, supervisor: Any) -> str:
        from console.supervisor import SupervisorError

        try:
            self.relay_url = await supervisor.start()
        except SupervisorError as exc:
            raise CheckFailed(f"the embedded relay did not start: {exc}") from None
        head = _relay_argv_head()
        command = " ".join([Path(head[0]).name, *head[1:], "relay"])
        return f"`{command}` listening on {self.relay_url} (pid {supervisor.pid})"

    async def _create_room(self, admin_key: str) -> str:
        from console.identity import Identity
        from console.rooms_api import RelayApi

        assert self.relay_url is not None
        api = RelayApi(self.relay_url, admin_key=admin_key)
        health = await api.health()
        if not health.get("ok"):
            raise CheckFailed(f"the relay's /healthz says {health}")
        self.room, _card = await api.create_room(
            Identity.new("selftest"), "Self-test host", "Roomcast self-test"
        )
        return f"created {self.room.room_id}"

    async def _check_web_client(self) -> str:
        import aiohttp

        assert self.relay_url is not None and self.room is not None
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            page = await _fetch(http, f"{self.relay_url}/r/{self.room.room_id}")
            todo = PAGE_ASSET.findall(page)
            if "main.js" not in todo:
                raise CheckFailed("the room page does not load /static/main.js")
            seen: set[str] = set()
            while todo:  # the page's assets, then every ES module they import
                name = todo.pop()
                if name in seen:
                    continue
                seen.add(name)
                text = await _fetch(http, f"{self.relay_url}/static/{name}")
                if name.endswith(".js"):
                    base = name.rpartition("/")[0]
                    for imported in JS_IMPORT.findall(text):
                        todo.append(f"{base}/{imported}" if base else imported)
        return f"the room page and its {len(seen)} files are served"

    # -- audio ------------------------------------------------------------------------------------

    async def _check_audio(self) -> str:
        from console.client import JoinLink, RoomClient
        from console.identity import Identity
        from console.media_link import MediaLink
        from console.tracks import ToneTrack
        from server.room import Unmute

        assert self.room is not None
        host = RoomClient(
            JoinLink.parse(self.room.host_url), Identity.new("selftest"), "Self-test host"
        )
        listener = RoomClient(
            JoinLink.parse(self.room.join_url), Identity.new("selftest"), "Self-test listener"
        )
        host_media = MediaLink(host, source=lambda: ToneTrack(TONE_HZ))
        listener_media = MediaLink(listener)
        try:
            await host.connect()
            await host.send(Unmute())
            await host_media.start(send=True)
            await listener.connect()
            await listener_media.start(send=False)
            return await _hear_tone(listener_media.recorder)
        finally:
            for media in (host_media, listener_media):
                await media.close()
            for client in (host, listener):
                await client.close()


async def _hear_tone(recorder: Any) -> str:
    """Waits until the last LISTEN_S of what the listener got holds the tone, or fails."""
    deadline = time.monotonic() + HEARING_TIMEOUT_S
    while recorder.frames_received == 0:
        if time.monotonic() > deadline:
            raise CheckFailed(
                "the listener received no audio from the relay (WebRTC did not connect on "
                "127.0.0.1)"
            )
        await asyncio.sleep(0.05)
    last = "nothing analysed"
    while time.monotonic() < deadline:
        recorder.clear()  # the first packets after connecting may be silence
        await asyncio.sleep(LISTEN_S)
        samples = recorder.samples()
        if samples.size < SAMPLE_RATE_HZ * LISTEN_S * 0.5:
            last = f"only {samples.size / SAMPLE_RATE_HZ:.2f} s of audio arrived in {LISTEN_S:g} s"
            continue
        peak_hz, level_db = _tone_peak(samples)
        last = f"the loudest frequency was {peak_hz:.0f} Hz at {level_db:.1f} dB"
        if abs(peak_hz - TONE_HZ) <= 5 and level_db > HEARD_DB:
            return (
                f"a listener hears the host's {TONE_HZ:.0f} Hz tone through the relay "
                f"(peak {peak_hz:.0f} Hz, {level_db:.1f} dBFS)"
            )
    raise CheckFailed(
        f"the listener did not hear the host's {TONE_HZ:.0f} Hz tone within "
        f"{HEARING_TIMEOUT_S:g} s: {last}"
    )


def _tone_peak(samples: Any) -> tuple[float, float]:
    """(frequency of the spectrum's peak above 50 Hz, the tone's RMS level in dBFS there)."""
    import numpy as np

    window = np.hanning(samples.size)
    spectrum = np.abs(np.fft.rfft(samples * window))
    freqs = np.fft.rfftfreq(samples.size, 1 / SAMPLE_RATE_HZ)
    spectrum[freqs < 50] = 0
    peak = int(np.argmax(spectrum))
    band = np.abs(freqs - freqs[peak]) < 15
    # Parseval with the Hann window's power gain (0.375), one-sided spectrum
    power = 2 * float(np.sum(spectrum[band] ** 2)) / (samples.size**2 * 0.375)
    return float(freqs[peak]), 10 * float(np.log10(max(power, 1e-20)))


async def _fetch(http: Any, url: str) -> str:
    async with http.get(url) as resp:
        if resp.status != 200:
            raise CheckFailed(f"GET {url} answered {resp.status}: the web client is incomplete")
        text: str = await resp.text()
        return text


# -- libraries and modules ----------------------------------------------------------------------


def _check_libraries() -> str:
    found: list[str] = []
    problems: list[str] = []
    for name, probe in LIBRARY_PROBES:
        try:
            found.append(probe())
        except Exception as exc:  # ImportError, OSError from a missing .so, codec errors
            problems.append(f"{name} ({type(exc).__name__}: {exc})")
    if problems:
        raise CheckFailed("cannot use " + "; ".join(problems))
    return ", ".join(found)


def _probe_numpy() -> str:
    import numpy as np

    if abs(complex(np.fft.rfft(np.ones(8))[0]) - 8.0) > 1e-9:
        raise CheckFailed("numpy's FFT gives a wrong answer")
    return f"numpy {np.__version__}"


def _probe_av() -> str:
    import av

    av.CodecContext.create("libopus", "w")  # the relay encodes the audience mix with it
    av.CodecContext.create("libopus", "r")
    return f"PyAV {av.__version__} (libopus)"


def _probe_webrtcvad() -> str:
    import webrtcvad

    webrtcvad.Vad(3).is_speech(b"\0\0" * 960, SAMPLE_RATE_HZ)  # 20 ms of silence
    return "webrtcvad"


def _probe_soundfile() -> str:
    import numpy as np
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, np.zeros(480, dtype=np.float32), SAMPLE_RATE_HZ, format="WAV")
    buffer.seek(0)
    data, _rate = soundfile.read(buffer)
    if len(data) != 480:
        raise CheckFailed("libsndfile read back a different length")
    return f"libsndfile {soundfile.__libsndfile_version__}"


def _probe_portaudio() -> str:
    try:
        import sounddevice
    except OSError as exc:  # sounddevice raises OSError, not ImportError, without PortAudio
        raise CheckFailed(
            f"PortAudio is missing ({exc}); install libportaudio2 (Debian/Ubuntu) or your "
            "system's PortAudio package"
        ) from None
    text = str(sounddevice.get_portaudio_version()[1])
    return text.split(",")[0]


def _probe_webrtc() -> str:
    import aiortc
    import cryptography
    import google_crc32c
    import pylibsrtp

    google_crc32c.value(b"roomcast")  # the C extension, not the pure-Python fallback
    return (
        f"aiortc {aiortc.__version__} (pylibsrtp {pylibsrtp.__version__}, "
        f"cryptography {cryptography.__version__})"
    )


def _probe_platformdirs() -> str:
    import platformdirs

    platformdirs.user_data_dir("roomcast", appauthor=False)
    return "platformdirs"


LIBRARY_PROBES: tuple[tuple[str, Callable[[], str]], ...] = (
    ("numpy", _probe_numpy),
    ("PyAV", _probe_av),
    ("webrtcvad", _probe_webrtcvad),
    ("soundfile", _probe_soundfile),
    ("PortAudio", _probe_portaudio),
    ("aiortc", _probe_webrtc),
    ("platformdirs", _probe_platformdirs),
)


def _check_modules() -> str:
    count, problems = import_every_module(PROJECT_PACKAGES)
    if problems:
        raise CheckFailed(
            f"{len(problems)} module(s) cannot be imported: " + "; ".join(problems[:5])
        )
    return f"all {count} modules of {', '.join(PROJECT_PACKAGES)} import"


def import_every_module(packages: tuple[str, ...]) -> tuple[int, list[str]]:
    """(how many modules imported, "name: error" for those that did not)."""
    count = 0
    problems: list[str] = []

    def failed(name: str) -> None:
        problems.append(f"{name}: {sys.exc_info()[1]}")

    for top in packages:
        try:
            package = importlib.import_module(top)
        except Exception as exc:
            problems.append(f"{top}: {type(exc).__name__}: {exc}")
            continue
        count += 1
        for info in pkgutil.walk_packages(package.__path__, f"{top}.", onerror=failed):
            try:
                importlib.import_module(info.name)
            except Exception as exc:
                problems.append(f"{info.name}: {type(exc).__name__}: {exc}")
            else:
                count += 1
    return count, problems


def _check_child_environment() -> str:
    """Frozen: programs started from here (ffmpeg for an export, a browser for a link) must
    load their own libraries, not the bundle's (installer/hooks/rthook_system_env.py)."""
    bundle = str(getattr(sys, "_MEIPASS", ""))
    path = os.environ.get("LD_LIBRARY_PATH", "")
    if bundle and bundle in path.split(os.pathsep):
        raise CheckFailed(
            f"LD_LIBRARY_PATH still names the bundle ({path}): programs started from Roomcast "
            "would load its libraries; the build lost its runtime hook"
        )
    return "programs started from here get the system's library path"


# -- where this runs ----------------------------------------------------------------------------


def _relay_argv_head() -> list[str]:
    from console.supervisor import relay_command

    command = relay_command("127.0.0.1", 0, Path("."), Path("."))
    return command[: command.index("relay")]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    with contextlib.suppress(PackageNotFoundError):
        return version("roomcast")
    return "0+unknown"


def _where() -> str:
    if getattr(sys, "frozen", False):
        return f"frozen bundle at {Path(sys.executable).resolve().parent}"
    return f"Python {sys.version.split()[0]} at {sys.executable}"
