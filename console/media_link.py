"""A client's WebRTC link to the relay: one peer connection, renewed on a role change.

Listeners receive only; on stage the link also sends its source track. The
relay answers each offer; a new offer from the same person replaces their
old connection there, so a role change is a fresh offer.
"""

from __future__ import annotations

import contextlib
import logging

from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription

from console.client import RoomClient
from console.tracks import Recorder
from server.media.ice import IceConfig, gathering_on, rtc_configuration

logger = logging.getLogger(__name__)


class MediaLink:
    def __init__(
        self,
        client: RoomClient,
        *,
        source: MediaStreamTrack | None = None,
        ice: IceConfig | None = None,
    ) -> None:
        self.client = client
        self.source = source
        self.ice = ice or IceConfig()
        self.recorder = Recorder()
        self.pc: RTCPeerConnection | None = None
        self.sending = False

    async def start(self, send: bool) -> None:
        """(Re)connect media; `send` adds the source track (when on stage)."""
        await self.close()
        pc = RTCPeerConnection(rtc_configuration(self.ice))
        self.pc = pc
        self.sending = send and self.source is not None
        if self.sending and self.source is not None:
            pc.addTransceiver(self.source, direction="sendrecv")
        else:
            pc.addTransceiver("audio", direction="recvonly")

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self.recorder.consume(track)

        with gathering_on(self.ice):  # candidates on the configured addresses only
            await pc.setLocalDescription(await pc.createOffer())
        answer = await self.client.offer(pc.localDescription.sdp)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    async def close(self) -> None:
        await self.recorder.stop()
        if self.pc is not None:
            pc, self.pc = self.pc, None
            with contextlib.suppress(Exception):
                await pc.close()
