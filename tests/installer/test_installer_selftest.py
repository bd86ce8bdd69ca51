"""`roomcast self-test` from the source tree: the same smoke test the frozen build runs
(make installer-test), here with a real relay child, real aiortc peers on loopback and Qt
offscreen; and that it fails in words when something is missing."""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import subprocess
import sys

import numpy as np
import pytest

from console import selftest
from console.supervisor import relay_command
from tests.installer.installerkit import REPO


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_the_self_test_passes_with_a_real_relay_and_real_peers():
    done = subprocess.run(
        [sys.executable, "-m", "ui.cli", "self-test", "--gui", "--timeout", "60"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=80,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    for step in ("libraries", "modules", "relay", "room", "web client", "audio", "qt"):
        assert f"  ok    {step}: " in out, out
    assert "a listener hears the host's 440 Hz tone" in out
    assert out.splitlines()[-1].startswith("roomcast self-test: passed in ")


def test_a_missing_library_fails_the_self_test_with_what_to_install(monkeypatch, capsys):
    def no_portaudio() -> str:
        raise OSError("PortAudio library not found")

    probes = [(name, no_portaudio if name == "PortAudio" else probe) for name, probe in
              selftest.LIBRARY_PROBES]  # fmt: skip
    monkeypatch.setattr(selftest, "LIBRARY_PROBES", tuple(probes))
    # in a thread of its own: a browser test's session may hold this thread's event loop
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        code = pool.submit(asyncio.run, selftest.SelfTest(timeout_s=30).run()).result()
    out = capsys.readouterr().out
    assert code == 1
    assert "  FAIL  libraries: cannot use PortAudio (OSError: PortAudio library not found)" in out
    assert out.splitlines()[-1].startswith("roomcast self-test: FAILED: libraries: ")


def test_a_missing_portaudio_says_which_package_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def without_sounddevice(name, *args, **kwargs):
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_sounddevice)
    with pytest.raises(selftest.CheckFailed, match="install libportaudio2"):
        selftest._probe_portaudio()


def test_the_tone_detector_finds_a_tone_and_its_level():
    n = np.arange(48_000)
    tone = (10 ** (-12 / 20) * np.sin(2 * np.pi * 440 * n / 48_000)).astype(np.float32)
    peak_hz, level_db = selftest._tone_peak(tone)
    assert peak_hz == pytest.approx(440, abs=1)
    assert level_db == pytest.approx(-15.0, abs=0.3)  # a sine's RMS is 3 dB under its peak
    noise = np.random.default_rng(1).normal(0, 0.01, 48_000).astype(np.float32)
    assert selftest._tone_peak(noise)[1] < -40


def test_the_frozen_build_starts_its_relay_as_its_own_child(monkeypatch, tmp_path):
    """console/supervisor.py: frozen, sys.executable is the bundle's `roomcast` itself."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    command = relay_command("127.0.0.1", 0, tmp_path, tmp_path / "console.pid")
    assert command[:2] == [sys.executable, "relay"]
    monkeypatch.delattr(sys, "frozen")
    command = relay_command("127.0.0.1", 0, tmp_path, tmp_path / "console.pid")
    assert command[:4] == [sys.executable, "-m", "ui.cli", "relay"]


def test_the_frozen_build_starts_media_workers_as_its_own_hidden_subcommand(monkeypatch, tmp_path):
    """server/media/coordinator.py: frozen, a worker is `roomcast media-worker …`, which the
    bundle's command line parses (and does not list in --help)."""
    from server.media.coordinator import worker_command
    from server.media.ice import IceConfig
    from ui.cli import build_parser

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    command = worker_command(1, 7, tmp_path, IceConfig(("127.0.0.1",)))
    assert command[:2] == [sys.executable, "media-worker"]
    args = build_parser().parse_args(command[1:])
    assert (args.index, args.fd, args.announce_address) == (1, 7, ["127.0.0.1"])
    assert "media-worker" not in build_parser().format_help()
    monkeypatch.delattr(sys, "frozen")
    command = worker_command(1, 7, tmp_path, IceConfig())
    assert command[:3] == [sys.executable, "-m", "server.media.worker"]


def test_the_command_line_offers_self_test_with_its_gui_check():
    from ui.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["self-test", "--gui", "--timeout", "5"])
    assert args.gui is True and args.timeout == 5.0
    assert "self-test" in parser.format_help()
    sub = argparse.ArgumentParser().add_subparsers()
    selftest.register(sub)  # without ui/, no --gui (Qt lives in ui/)
    with pytest.raises(SystemExit):
        sub.choices["self-test"].parse_args(["--gui"])
