"""Audio devices: list inputs and outputs, pick one by name, open capture and playback.

`import sounddevice` happens lazily (in audio.portaudio): without libportaudio2 it raises
OSError, and the rest of the program (and the relay, which never opens a device) must still start.

Two kinds of device are listed:
- PortAudio's own (host API "ALSA" on Linux, "Core Audio", "Windows WASAPI", ...);
- on a PulseAudio / PipeWire desktop, the server's sources and sinks (host API "PulseAudio").
  Debian's PortAudio reaches the server only through ALSA's "pulse" device, so these open that
  device with PULSE_SOURCE / PULSE_SINK set for the moment the stream connects.

PortAudio reads its device list once, when it starts. `DeviceCatalog.refresh()` restarts it so a
newly plugged device shows up without restarting the program, but only while none of our
streams is open (restarting PortAudio would close them).
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import replace

from audio.device_error import DeviceError, DeviceProblem, Direction, device_noun, pick_another
from audio.portaudio import (
    AudioDevice,
    import_sounddevice,
    pulse_route,
    scan_portaudio,
    sounddevice_stream_factory,
)
from audio.pulse_server import PulseNode, PulseWatcher, list_pulse_nodes
from audio.ring import AudioRing
from audio.streams import (
    CaptureStream,
    DeviceStream,
    PlaybackStream,
    StreamFactory,
    StreamRequest,
    StreamState,
)

__all__ = [
    "BLOCK_FRAMES",
    "PULSE_HOST_API",
    "SAMPLE_RATE_HZ",
    "AudioDevice",
    "DeviceCatalog",
    "DeviceError",
    "DeviceProblem",
    "import_sounddevice",
    "portaudio_in_use",
]

logger = logging.getLogger(__name__)

SAMPLE_RATE_HZ = 48_000
BLOCK_FRAMES = 480  # 10 ms at 48 kHz
PULSE_HOST_API = "PulseAudio"

# PortAudio is process-wide too: restarting it closes every stream, whichever catalog opened it.
_OPENED: weakref.WeakSet[DeviceStream] = weakref.WeakSet()


def portaudio_in_use() -> bool:
    """True while any stream opened here is running (PortAudio must not restart then)."""
    return any(stream.state is StreamState.RUNNING for stream in list(_OPENED))


PortAudioScanner = Callable[[bool], list[AudioDevice]]
PulseLister = Callable[[], list[PulseNode] | None]


class DeviceCatalog:
    """The devices of this machine, and the streams opened on them.

    Seams for tests: `stream_factory` (opens a PortAudio stream), `scan` (lists PortAudio's
    devices), `pulse_nodes` (lists the sound server's), `watch_pulse` (follow removals with
    `pactl subscribe`), `now` (the clock the health checks use).
    """

    def __init__(
        self,
        stream_factory: StreamFactory = sounddevice_stream_factory,
        scan: PortAudioScanner = scan_portaudio,
        pulse_nodes: PulseLister = list_pulse_nodes,
        watch_pulse: bool = True,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream_factory = stream_factory
        self._scan = scan
        self._pulse_nodes = pulse_nodes
        self._watch_pulse = watch_pulse
        self._now = now
        self._watcher: PulseWatcher | None = None
        self._devices: list[AudioDevice] = []
        self._streams: list[DeviceStream] = []
        self._scanned = False

    # Listing ------------------------------------------------------------------------------

    def refresh(self) -> list[AudioDevice]:
        """Re-read every device (PortAudio restarts only when none of our streams is open)."""
        self._streams = [s for s in self._streams if s.state is StreamState.RUNNING]
        portaudio = self._scan(not portaudio_in_use())
        self._scanned = True
        devices = list(portaudio)
        pulse_device = next(
            (d for d in portaudio if d.name == "pulse" and d.host_api == "ALSA"), None
        )
        nodes = self._pulse_nodes() if pulse_device is not None else None
        for node in nodes or []:
            assert pulse_device is not None
            devices.append(
                AudioDevice(
                    name=node.description,
                    direction=node.direction,
                    host_api=PULSE_HOST_API,
                    channels=node.channels,
                    default_sample_rate_hz=float(node.sample_rate_hz),
                    is_default=node.is_default,
                    portaudio_index=pulse_device.portaudio_index,
                    pulse_name=node.name,
                    pulse_index=node.index,
                    is_monitor=node.is_monitor,
                )
            )
        if nodes:
            # The server's default is the one people mean; ALSA's "default" goes there anyway.
            devices = [
                d if d.host_api == PULSE_HOST_API else replace(d, is_default=False) for d in devices
            ]
        self._devices = devices
        return list(devices)

    def devices(self, direction: Direction | None = None) -> list[AudioDevice]:
        if not self._scanned:
            self.refresh()
        return [d for d in self._devices if direction is None or d.direction == direction]

    def inputs(self) -> list[AudioDevice]:
        return self.devices("input")

    def outputs(self) -> list[AudioDevice]:
        return self.devices("output")

    def find(self, name: str | None, direction: Direction) -> AudioDevice:
        """The device called `name` (the default when None). Exact names win over the server's
        node names, which win over a unique case-insensitive part of a name."""
        candidates = self.devices(direction)
        if name is None:
            default = next((d for d in candidates if d.is_default), None)
            if default is None and candidates:
                default = candidates[0]
            if default is None:
                raise DeviceError(
                    f"No {'microphone' if direction == 'input' else 'output'} found — plug "
                    "one in, then refresh the device list",
                    problem=DeviceProblem.NOT_FOUND,
                    direction=direction,
                )
            return default
        exact = [d for d in candidates if d.name == name]
        exact += [d for d in candidates if d.pulse_name == name]
        if exact:
            return exact[0]
        partial = [d for d in candidates if name.casefold() in d.name.casefold()]
        if len(partial) == 1:
            return partial[0]
        names = ", ".join(f"'{d.name}'" for d in (partial or candidates)) or "none"
        if len(partial) > 1:
            raise DeviceError(
                f"'{name}' could be any of {names} — pick one by its full name",
                problem=DeviceProblem.NOT_FOUND,
                direction=direction,
                device_name=name,
            )
        raise DeviceError(
            f"{device_noun(direction)} '{name}' is not connected — {pick_another(direction)} "
            f"(available: {names})",
            problem=DeviceProblem.NOT_FOUND,
            direction=direction,
            device_name=name,
        )

    # Opening ------------------------------------------------------------------------------

    def open_capture(
        self,
        name: str | None = None,
        *,
        sample_rate_hz: int = SAMPLE_RATE_HZ,
        block_frames: int = BLOCK_FRAMES,
        ring_s: float = 2.0,
        stall_after_s: float = 2.0,
        first_block_timeout_s: float = 5.0,
    ) -> CaptureStream:
        """Open and start mono capture; raise DeviceError when the device cannot open."""
        device = self._fresh(self.find(name, "input"))
        ring = AudioRing(max(block_frames * 2, round(ring_s * sample_rate_hz)), channels=1)
        stream = CaptureStream(
            "input",
            device.name,
            ring,
            sample_rate_hz,
            block_frames,
            stall_after_s,
            first_block_timeout_s,
            self._now,
        )
        self._open(device, stream, sample_rate_hz, block_frames)
        return stream

    def open_playback(
        self,
        name: str | None = None,
        *,
        sample_rate_hz: int = SAMPLE_RATE_HZ,
        block_frames: int = BLOCK_FRAMES,
        ring_s: float = 1.0,
        stall_after_s: float = 2.0,
        first_block_timeout_s: float = 5.0,
    ) -> PlaybackStream:
        """Open and start mono playback; write blocks to the returned stream."""
        device = self._fresh(self.find(name, "output"))
        ring = AudioRing(max(block_frames * 2, round(ring_s * sample_rate_hz)), channels=1)
        stream = PlaybackStream(
            "output",
            device.name,
            ring,
            sample_rate_hz,
            block_frames,
            stall_after_s,
            first_block_timeout_s,
            self._now,
        )
        self._open(device, stream, sample_rate_hz, block_frames)
        return stream

    def _fresh(self, device: AudioDevice) -> AudioDevice:
        """A server node's current index (it changes when the node is re-created)."""
        if device.pulse_name is None:
            return device
        nodes = self._pulse_nodes() or []
        node = next(
            (n for n in nodes if n.name == device.pulse_name and n.direction == device.direction),
            None,
        )
        if node is None:
            raise DeviceError(
                f"{device_noun(device.direction)} '{device.name}' is not connected any more — "
                f"{pick_another(device.direction)}",
                problem=DeviceProblem.NOT_FOUND,
                direction=device.direction,
                device_name=device.name,
            )
        return replace(device, pulse_index=node.index)

    def _open(
        self, device: AudioDevice, stream: DeviceStream, sample_rate_hz: int, block_frames: int
    ) -> None:
        watcher = self._ensure_watcher() if device.pulse_name is not None else None
        request = StreamRequest(
            direction=device.direction,
            portaudio_device=device.portaudio_index,
            sample_rate_hz=sample_rate_hz,
            channels=1,
            block_frames=block_frames,
            callback=stream._on_audio,
            finished_callback=stream._on_finished,
        )
        try:
            with pulse_route(device.direction, device.pulse_name):
                portaudio_stream = self._stream_factory(request)
        except DeviceError:
            raise
        except Exception as exc:  # sounddevice.PortAudioError, ValueError for bad settings
            raise DeviceError(
                f"{device_noun(device.direction)} '{device.name}' could not be opened at "
                f"{sample_rate_hz / 1000:g} kHz mono ({_first_line(exc)}) — "
                f"{pick_another(device.direction)}",
                problem=DeviceProblem.OPEN_FAILED,
                direction=device.direction,
                device_name=device.name,
            ) from exc
        try:
            stream.attach(portaudio_stream, watcher, device.pulse_index)
        except Exception as exc:
            stream.close()
            raise DeviceError(
                f"{device_noun(device.direction)} '{device.name}' could not start "
                f"({_first_line(exc)}) — {pick_another(device.direction)}",
                problem=DeviceProblem.OPEN_FAILED,
                direction=device.direction,
                device_name=device.name,
            ) from exc
        logger.info(
            "%s stream on %r (%s): %s -> %s",
            device.direction,
            device.name,
            device.host_api,
            "closed",
            "running",
        )
        self._streams.append(stream)
        _OPENED.add(stream)

    def _ensure_watcher(self) -> PulseWatcher | None:
        if not self._watch_pulse:
            return None
        if self._watcher is not None and not self._watcher.server_lost:
            return self._watcher
        if self._watcher is not None:
            self._watcher.close()
        watcher = PulseWatcher()
        self._watcher = watcher if watcher.start() else None
        return self._watcher

    @property
    def device_changes(self) -> int:
        """Grows whenever the sound server adds or removes a device: refresh lists then."""
        return self._watcher.changes if self._watcher is not None else 0

    def close(self) -> None:
        """Close every stream opened here and stop following the server."""
        for stream in self._streams:
            stream.close()
        self._streams = []
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
