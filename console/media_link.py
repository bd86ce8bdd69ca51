"""A client's WebRTC link to the relay: one peer connection, renewed on a role change.

Listeners receive only; on stage the link also sends its source track. The
relay answers each offer; a new offer from the same person replaces their
old connection there, so a role change is a fresh offer.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription

from console.client import RoomClient
from console.tracks import Recorder
from server.media.aiortc_internals import negotiated_codecs
from server.media.ice import IceConfig, gathering_on, rtc_configuration

logger = logging.getLogger(__name__)


def asking_dtx(offer_sdp: str) -> str:
    """`offer_sdp` with `usedtx=1` added to every Opus format line (one is added when the
    codec has none): the relay then sends nothing while the room is digital silence."""
    lines = offer_sdp.split("\r\n")
    out: list[str] = []
    opus_types: list[str] = []
    for line in lines:
        if line.startswith("a=rtpmap:") and "opus/" in line.lower():
            opus_types.append(line[len("a=rtpmap:") :].split(" ", 1)[0])
    with_fmtp = {
        line[len("a=fmtp:") :].split(" ", 1)[0] for line in lines if line.startswith("a=fmtp:")
    }
    for line in lines:
        if line.startswith("a=fmtp:"):
            payload_type, _, params = line[len("a=fmtp:") :].partition(" ")
            if payload_type in opus_types and "usedtx" not in params:
                line = f"a=fmtp:{payload_type} {params};usedtx=1" if params else line + " usedtx=1"
        out.append(line)
        if line.startswith("a=rtpmap:"):
            payload_type = line[len("a=rtpmap:") :].split(" ", 1)[0]
            if payload_type in opus_types and payload_type not in with_fmtp:
                out.append(f"a=fmtp:{payload_type} usedtx=1")
    return "\r\n".join(out)


class MediaLink:
    def __init__(
        self,
        client: RoomClient,
        *,
        source: MediaStreamTrack | Callable[[], MediaStreamTrack] | None = None,
        ice: IceConfig | None = None,
        recorder: Recorder | None = None,
        dtx: bool = False,
    ) -> None:
        """`source` is what to send on stage: preferably a factory, because aiortc stops a
        track when its connection closes, so every new connection needs a fresh one.
        `dtx`: ask the relay to send nothing while the room is silent (the host's console:
        an empty room then costs it no packets at all)."""
        self.client = client
        self.source = source
        self.ice = ice or IceConfig()
        self.recorder = recorder or Recorder()
        self.pc: RTCPeerConnection | None = None
        self.sending = False
        self.dtx = dtx

    async def start(self, send: bool) -> None:
        """(Re)connect media; `send` adds the source track (when on stage)."""
        await self.close()
        pc = RTCPeerConnection(rtc_configuration(self.ice))
        self.pc = pc
        track = self._fresh_track() if send else None
        self.sending = track is not None
        if track is not None:
            pc.addTransceiver(track, direction="sendrecv")
        else:
            pc.addTransceiver("audio", direction="recvonly")

        with gathering_on(self.ice):  # candidates on the configured addresses only
            await pc.setLocalDescription(await pc.createOffer())
        offer = pc.localDescription.sdp
        answer = await self.client.offer(asking_dtx(offer) if self.dtx else offer)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        # The room's sound: its packets are decoded as they arrive (see Recorder.listen).
        # No packet can come before this: the transports connect after this call returns.
        for transceiver in pc.getTransceivers():
            codecs = negotiated_codecs(transceiver)
            if transceiver.currentDirection in ("sendrecv", "recvonly") and codecs:
                opus = codecs[0]
                if opus.mimeType.lower() == "audio/opus" and opus.payloadType is not None:
                    self.recorder.listen(transceiver.receiver, opus.payloadType)

    def _fresh_track(self) -> MediaStreamTrack | None:
        if self.source is None:
            return None
        if isinstance(self.source, MediaStreamTrack):
            if self.source.readyState == "ended":
                logger.warning("the source track has ended; pass a factory to send again")
                return None
            return self.source
        return self.source()

    async def close(self) -> None:
        await self.recorder.stop()
        if self.pc is not None:
            pc, self.pc = self.pc, None
            with contextlib.suppress(Exception):
                await pc.close()
