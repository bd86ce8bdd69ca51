"""Finding and opening the host's microphone, off the UI thread.

Device scans and opening a stream can take a while (PortAudio restarts, the sound server
answers); the console calls these from a worker thread. A machine without sound still gets a
working console: `SilenceTrack` stands in (nothing is sent) and the UI says what is wrong.
"""

from __future__ import annotations

from audio.device_error import DeviceProblem
from audio.devices import DeviceCatalog, DeviceError
from audio.streams import CaptureStream
from console.client import JoinLink, RoomClient
from console.identity import Identity
from console.mic_track import CaptureTrack
from console.rooms_api import HostedRoom
from console.tracks import SilenceTrack

__all__ = ["SilenceTrack", "device_names", "open_capture", "open_microphone", "owner_commands"]


def device_names(catalog: DeviceCatalog) -> tuple[list[str], list[str]]:
    """Runs on: a worker thread. (inputs, outputs) by name; monitors of outputs left out."""
    catalog.refresh()
    inputs = [d.name for d in catalog.inputs() if not d.is_monitor]
    outputs = [d.name for d in catalog.outputs()]
    return inputs, outputs


def open_microphone(catalog: DeviceCatalog, name: str | None) -> CaptureTrack:
    """Runs on: a worker thread. Open capture on `name` (None: the default); DeviceError
    carries a sentence the host can act on."""
    return CaptureTrack(open_capture(catalog, name))


def open_capture(catalog: DeviceCatalog, name: str | None) -> CaptureStream:
    """Runs on: a worker thread. The microphone's stream, once it sends sound."""
    capture = catalog.open_capture(name or None)
    if not capture.wait_first_block(timeout_s=5.0):
        error = capture.check()
        capture.close()
        raise error or DeviceError(
            f"Microphone '{capture.device_name}' sends no sound — pick another input",
            problem=DeviceProblem.NO_AUDIO,
            direction="input",
            device_name=capture.device_name,
        )
    return capture


async def owner_commands(
    hosted: HostedRoom, identity: Identity, display_name: str, *commands: object
) -> None:
    """Join a room as its host just long enough to send `commands` (start, edit, cancel)."""
    client = RoomClient(JoinLink.parse(hosted.host_url), identity, display_name, reconnect=False)
    await client.connect()
    try:
        for command in commands:
            await client.send(command)
    finally:
        await client.close(leave=True)
