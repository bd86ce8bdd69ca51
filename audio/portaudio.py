"""PortAudio, reached lazily: import, device scan, stream factory, and routing to PulseAudio.

`import sounddevice` happens only inside these functions: without libportaudio2 it raises
OSError (not ImportError), and the rest of the program (and the relay, which never opens a
device) must still start.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from audio.device_error import DeviceError, DeviceProblem, Direction
from audio.streams import StreamLike, StreamRequest

# PULSE_SOURCE / PULSE_SINK are process-wide; two threads opening streams must take turns.
_ROUTE_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class AudioDevice:
    """One input or one output, as listed to a person."""

    name: str
    direction: Direction
    host_api: str
    channels: int
    default_sample_rate_hz: float
    is_default: bool
    portaudio_index: int  # the PortAudio device a stream opens
    pulse_name: str | None = None  # set: routed to this server node through ALSA's pulse device
    pulse_index: int = -1
    is_monitor: bool = False  # "Monitor of ...": what an output plays, not a microphone


def import_sounddevice() -> ModuleType:
    """Import sounddevice, turning a missing PortAudio into an actionable DeviceError."""
    try:
        import sounddevice
    except OSError as exc:  # raised (not ImportError) when libportaudio2 is missing
        raise DeviceError(
            "Sound is unavailable: the PortAudio library is missing — install libportaudio2 "
            f"(or your system's PortAudio package) and restart Roomcast ({exc})",
            problem=DeviceProblem.NO_AUDIO_SYSTEM,
        ) from exc
    module: ModuleType = sounddevice
    return module


def scan_portaudio(rescan: bool) -> list[AudioDevice]:
    """PortAudio's devices, restarting PortAudio first when `rescan` (no stream may be open)."""
    sd = import_sounddevice()
    if rescan:
        sd._terminate()
        sd._initialize()
    host_apis = [str(api["name"]) for api in sd.query_hostapis()]
    defaults: dict[Direction, int] = {"input": -1, "output": -1}
    for direction in defaults:
        with contextlib.suppress(ValueError, sd.PortAudioError):  # none of that kind
            defaults[direction] = int(sd.query_devices(kind=direction)["index"])
    devices: list[AudioDevice] = []
    for raw in sd.query_devices():
        for direction, key in (("input", "max_input_channels"), ("output", "max_output_channels")):
            channels = int(raw[key])
            if channels <= 0:
                continue
            devices.append(
                AudioDevice(
                    name=str(raw["name"]),
                    direction=direction,
                    host_api=host_apis[int(raw["hostapi"])],
                    channels=channels,
                    default_sample_rate_hz=float(raw["default_samplerate"]),
                    is_default=int(raw["index"]) == defaults[direction],
                    portaudio_index=int(raw["index"]),
                )
            )
    return devices


def sounddevice_stream_factory(request: StreamRequest) -> StreamLike:
    """Open a real PortAudio stream (float32, fixed block size) for `request`."""
    sd = import_sounddevice()
    stream_class: Any = sd.InputStream if request.direction == "input" else sd.OutputStream
    stream: StreamLike = stream_class(
        device=request.portaudio_device,
        samplerate=request.sample_rate_hz,
        channels=request.channels,
        dtype="float32",
        blocksize=request.block_frames,
        callback=request.callback,
        finished_callback=request.finished_callback,
    )
    return stream


@contextmanager
def pulse_route(direction: Direction, pulse_name: str | None) -> Iterator[None]:
    """Point ALSA's pulse plugin at one source or sink while a stream connects."""
    if pulse_name is None:
        yield
        return
    variable = "PULSE_SOURCE" if direction == "input" else "PULSE_SINK"
    with _ROUTE_LOCK:
        previous = os.environ.get(variable)
        os.environ[variable] = pulse_name
        try:
            yield
        finally:
            if previous is None:
                del os.environ[variable]
            else:
                os.environ[variable] = previous
