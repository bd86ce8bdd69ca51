"""The device layer's error handling, through its seams (fake PortAudio streams and a fake clock).

The real-PortAudio behaviour is in test_audio_devices_pulse.py; here are the failure paths a
headless server cannot produce on demand: a stream PortAudio ends by itself, a device that
stalls, one that never delivers, a missing PortAudio library.
"""

from __future__ import annotations

import importlib.abc
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from audio.device_error import DeviceError, DeviceProblem
from audio.devices import AudioDevice, DeviceCatalog, import_sounddevice
from audio.pulse_server import PulseNode
from audio.streams import StreamRequest, StreamState


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 100.0

    def __call__(self) -> float:
        return self.now_s


@dataclass
class FakeStream:
    request: StreamRequest
    calls: list[str] = field(default_factory=list)
    active: bool = False

    def start(self) -> None:
        self.calls.append("start")
        self.active = True

    def stop(self) -> None:
        self.calls.append("stop")
        self.active = False

    def close(self) -> None:
        self.calls.append("close")

    def deliver(self, blocks: int = 1) -> None:
        """What the PortAudio thread would do: call back with one block each time."""
        data = np.full((self.request.block_frames, 1), 0.25, dtype=np.float32)
        for _ in range(blocks):
            self.request.callback(data, self.request.block_frames, None, 0)


def alsa(name: str, index: int, direction: str = "input", default: bool = False) -> AudioDevice:
    return AudioDevice(name, direction, "ALSA", 2, 44100.0, default, index)  # type: ignore[arg-type]


class Fakes:
    def __init__(
        self, nodes: list[PulseNode] | None = None, fail_open: Exception | None = None
    ) -> None:
        self.clock = FakeClock()
        self.streams: list[FakeStream] = []
        self.rescans: list[bool] = []
        self.nodes = nodes
        self.fail_open = fail_open
        self.env_at_open: list[str | None] = []
        self.catalogs: list[DeviceCatalog] = []

    def factory(self, request: StreamRequest) -> FakeStream:
        self.env_at_open.append(os.environ.get("PULSE_SOURCE"))
        if self.fail_open is not None:
            raise self.fail_open
        stream = FakeStream(request)
        self.streams.append(stream)
        return stream

    def scan(self, rescan: bool) -> list[AudioDevice]:
        self.rescans.append(rescan)
        return [
            alsa("pulse", 0),
            alsa("USB Audio: Mic (hw:1,0)", 1, default=True),
            alsa("USB Audio: Mic (hw:1,0)", 1, "output"),
        ]

    def catalog(self) -> DeviceCatalog:
        catalog = DeviceCatalog(
            self.factory, self.scan, lambda: self.nodes, watch_pulse=False, now=self.clock
        )
        self.catalogs.append(catalog)
        return catalog


MakeFakes = Callable[..., Fakes]


@pytest.fixture
def make_fakes() -> Iterator[MakeFakes]:
    """Fakes whose catalogs are closed after the test (PortAudio is process-wide)."""
    made: list[Fakes] = []

    def make(**kwargs: Any) -> Fakes:
        fakes = Fakes(**kwargs)
        made.append(fakes)
        return fakes

    yield make
    for fakes in made:
        for catalog in fakes.catalogs:
            catalog.close()


def test_the_callback_only_fills_the_ring_and_counts(make_fakes: MakeFakes) -> None:
    fakes = make_fakes()
    mic = fakes.catalog().open_capture("USB Audio")
    fakes.streams[0].deliver(3)
    assert mic.callbacks == 3
    assert mic.ring.available_frames == 3 * 480
    block = mic.read_block()
    assert block is not None and block.shape == (480,) and np.all(block == 0.25)
    assert fakes.streams[0].request.channels == 1
    assert fakes.streams[0].request.sample_rate_hz == 48_000


def test_a_stream_portaudio_ends_by_itself_is_a_lost_device(make_fakes: MakeFakes) -> None:
    fakes = make_fakes()
    mic = fakes.catalog().open_capture("USB Audio")
    fakes.streams[0].deliver()
    assert mic.check() is None
    fakes.streams[0].request.finished_callback()  # the PortAudio thread gives up
    error = mic.check()
    assert error is not None and error.problem is DeviceProblem.DISAPPEARED
    assert str(error) == "Microphone 'USB Audio: Mic (hw:1,0)' disappeared — pick another input"
    assert fakes.streams[0].calls == ["start", "stop", "close"]
    assert mic.state is StreamState.LOST


def test_a_stall_is_noticed_after_stall_after_s_and_not_before(make_fakes: MakeFakes) -> None:
    fakes = make_fakes()
    mic = fakes.catalog().open_capture("USB Audio", stall_after_s=2.0)
    fakes.streams[0].deliver()
    assert mic.check() is None
    fakes.clock.now_s += 1.9
    assert mic.check() is None
    fakes.streams[0].deliver()  # still alive: the stall clock restarts
    assert mic.check() is None
    fakes.clock.now_s += 1.9
    assert mic.check() is None
    fakes.clock.now_s += 0.2
    error = mic.check()
    assert error is not None and error.problem is DeviceProblem.STALLED
    assert "stopped responding" in str(error) and "pick another input" in str(error)


def test_a_device_that_never_delivers_is_reported(make_fakes: MakeFakes) -> None:
    fakes = make_fakes()
    mic = fakes.catalog().open_capture("USB Audio", first_block_timeout_s=5.0)
    fakes.clock.now_s += 4.0  # the first block may take 1.8 s through PulseAudio
    assert mic.check() is None
    fakes.clock.now_s += 1.5
    error = mic.check()
    assert error is not None and error.problem is DeviceProblem.NO_AUDIO


def test_an_open_failure_names_the_device_and_what_to_do(make_fakes: MakeFakes) -> None:
    fakes = make_fakes(
        fail_open=RuntimeError("Error opening InputStream: Device unavailable\nmore")
    )
    with pytest.raises(DeviceError) as caught:
        fakes.catalog().open_capture("USB Audio")
    assert caught.value.problem is DeviceProblem.OPEN_FAILED
    assert str(caught.value) == (
        "Microphone 'USB Audio: Mic (hw:1,0)' could not be opened at 48 kHz mono "
        "(Error opening InputStream: Device unavailable) — pick another input"
    )


def test_an_unknown_name_lists_what_there_is(make_fakes: MakeFakes) -> None:
    with pytest.raises(DeviceError) as caught:
        make_fakes().catalog().open_playback("Headphones")
    assert caught.value.problem is DeviceProblem.NOT_FOUND
    assert str(caught.value) == (
        "Output 'Headphones' is not connected — pick another output "
        "(available: 'USB Audio: Mic (hw:1,0)')"
    )


def test_a_part_of_a_name_must_pick_one_device(make_fakes: MakeFakes) -> None:
    nodes = [
        PulseNode(1, "usb.a", "USB Mic A", "input", 1, 48000, False, False),
        PulseNode(2, "usb.b", "USB Mic B", "input", 1, 48000, False, False),
    ]
    catalog = make_fakes(nodes=nodes).catalog()
    assert catalog.find("mic b", "input").pulse_name == "usb.b"
    assert catalog.find("usb.a", "input").name == "USB Mic A"  # the server's node name
    with pytest.raises(DeviceError, match=r"could be any of 'USB Audio: Mic .*', 'USB Mic A'"):
        catalog.find("Mic", "input")


def test_server_nodes_open_through_alsas_pulse_device_with_the_source_named(
    make_fakes: MakeFakes,
) -> None:
    nodes = [PulseNode(7, "alsa_input.usb", "USB Microphone", "input", 1, 48000, False, True)]
    fakes = make_fakes(nodes=nodes)
    catalog = fakes.catalog()
    assert catalog.find(None, "input").name == "USB Microphone"  # the server's default wins
    catalog.open_capture("USB Microphone")
    assert fakes.env_at_open == ["alsa_input.usb"]
    assert fakes.streams[0].request.portaudio_device == 0  # ALSA's "pulse"
    assert os.environ.get("PULSE_SOURCE") is None  # only while the stream connects


def test_portaudio_is_rescanned_only_while_no_stream_runs(make_fakes: MakeFakes) -> None:
    fakes = make_fakes()
    catalog = fakes.catalog()
    catalog.refresh()
    mic = catalog.open_capture("USB Audio")
    catalog.refresh()
    mic.close()
    catalog.refresh()
    assert fakes.rescans == [True, False, True]


def test_a_removal_reported_by_the_sound_server_loses_the_stream(
    make_fakes: MakeFakes,
) -> None:
    @dataclass
    class Watch:
        server_lost: bool = False
        removed: set[int] = field(default_factory=set)

        def is_removed(self, direction: str, index: int) -> bool:
            return index in self.removed

    fakes = make_fakes()
    mic = fakes.catalog().open_capture("USB Audio")
    watch = Watch()
    mic.attach(FakeStream(fakes.streams[0].request), watch, node_index=4)
    watch.removed.add(3)
    assert mic.check() is None
    watch.removed.add(4)
    error = mic.check()
    assert error is not None and error.problem is DeviceProblem.DISAPPEARED
    watch2 = Watch(server_lost=True)
    speaker = fakes.catalog().open_playback("USB Audio")
    speaker.attach(FakeStream(fakes.streams[-1].request), watch2, node_index=1)
    error = speaker.check()
    assert error is not None and error.problem is DeviceProblem.SERVER_GONE
    assert "sound server stopped" in str(error)


def test_missing_portaudio_is_an_actionable_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """`import sounddevice` raises OSError (not ImportError) without libportaudio2."""

    class NoPortAudio(importlib.abc.MetaPathFinder):
        def find_spec(self, name: str, path: Any, target: Any = None) -> None:
            if name == "sounddevice":
                raise OSError("PortAudio library not found")
            return None

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [NoPortAudio(), *sys.meta_path])
    with pytest.raises(DeviceError) as caught:
        import_sounddevice()
    assert caught.value.problem is DeviceProblem.NO_AUDIO_SYSTEM
    assert "install libportaudio2" in str(caught.value)


def test_importing_the_audio_package_does_not_import_sounddevice() -> None:
    """The relay and a machine without PortAudio must be able to import audio/ modules."""
    code = (
        "import sys, audio.devices, audio.streams, audio.levels, audio.loudness, "
        "audio.voice_gate, audio.mixer, audio.mic_check, audio.ring; "
        "print('sounddevice' in sys.modules, 'pyloudnorm' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["False", "False"]
