"""One participant's peer connection: check the offer, answer it, wire the relay's hooks.

The answer: one audio transceiver, Opus only (mono-friendly fmtp: `stereo=0`,
`sprop-stereo=0`, `useinbandfec=1`), `sendrecv` for someone allowed to send (the stage) and
`sendonly` for a listener, so a listener's browser never even starts sending. Any other
m-line (a second audio, video) is answered `inactive`. The relay's sender is parked (the
fan-out sends for it); a speaker's receiver is hooked into a `SpeakerIngress`. Every remote
track aiortc creates is drained, so nothing can pile up in aiortc's unbounded queue (#554).
An offer whose Opus format says `usedtx=1` gets discontinuous transmission (see fanout.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from aiortc import (
    RTCPeerConnection,
    RTCRtpCodecCapability,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc import sdp as aiortc_sdp
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from server.media import aiortc_internals as internals
from server.media.fanout import Outlet, ParkedTrack
from server.media.ice import IceConfig, gathering_on, rtc_configuration
from server.media.ingress import SpeakerIngress
from server.media.values import MediaError

logger = logging.getLogger(__name__)

MAX_OFFER_CHARS = 64_000
OPUS_ANSWER_FMTP: dict[str, int | str | None] = {
    "minptime": 10,
    "useinbandfec": 1,
    "stereo": 0,
    "sprop-stereo": 0,
}
SENDING_DIRECTIONS = ("sendonly", "sendrecv")


@dataclass
class Peer:
    """A negotiated participant: their connection, what we send them, what we take from them."""

    user_id: str
    pc: RTCPeerConnection
    transceiver: RTCRtpTransceiver
    outlet: Outlet | None
    ingress: SpeakerIngress | None
    drains: list[asyncio.Task[None]] = field(default_factory=list)
    closed: bool = False

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for task in self.drains:
            task.cancel()
        await self.pc.close()
        for task in self.drains:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def check_offer(offer_sdp: object) -> aiortc_sdp.SessionDescription:
    """Parse and sanity-check an offer; raise MediaError saying what is wrong with it."""
    if not isinstance(offer_sdp, str) or not offer_sdp.strip():
        raise MediaError("The offer is empty: send the SDP from createOffer().")
    if len(offer_sdp) > MAX_OFFER_CHARS:
        raise MediaError(f"The offer is too long ({len(offer_sdp)} characters).")
    try:
        description = aiortc_sdp.SessionDescription.parse(offer_sdp)
    except Exception as exc:
        raise MediaError(f"The offer is not valid SDP ({type(exc).__name__}).") from exc
    if not description.media:
        raise MediaError("The offer is not valid SDP: it has no media section.")
    if not any(m.kind == "audio" for m in description.media):
        raise MediaError("The offer has no audio section: add an audio transceiver.")
    for media in description.media:
        if media.ice is None or not media.ice.usernameFragment or not media.ice.password:
            raise MediaError("The offer has no ICE credentials (a=ice-ufrag / a=ice-pwd).")
        if media.dtls is None or not media.dtls.fingerprints:
            raise MediaError("The offer has no DTLS fingerprint (a=fingerprint).")
    audio = next(m for m in description.media if m.kind == "audio")
    if not any(c.mimeType.lower() == "audio/opus" for c in audio.rtp.codecs):
        raise MediaError("The offer's audio does not include Opus, which the room uses.")
    return description


def offer_asks_dtx(description: aiortc_sdp.SessionDescription, mid: str | None) -> bool:
    """Whether the offer's audio section `mid` says `usedtx=1` for Opus (RFC 7587: the
    receiver prefers that nothing is sent while there is nothing to hear)."""
    for media in description.media:
        if media.kind != "audio" or (mid is not None and media.rtp.muxId != mid):
            continue
        for codec in media.rtp.codecs:
            if codec.mimeType.lower() == "audio/opus":
                return str(codec.parameters.get("usedtx", "0")) == "1"
    return False


def opus_capability() -> RTCRtpCodecCapability:
    for codec in RTCRtpSender.getCapabilities("audio").codecs:
        if codec.mimeType.lower() == "audio/opus":
            return codec
    raise RuntimeError("aiortc has no Opus codec")  # pragma: no cover


async def negotiate(
    user_id: str, offer_sdp: str, *, send_allowed: bool, ice: IceConfig
) -> tuple[Peer, str]:
    """Answer `offer_sdp`; returns the peer (not yet connected) and the answer SDP.

    Raises MediaError, after closing anything it opened, when the offer cannot be used.
    """
    description = check_offer(offer_sdp)
    pc = RTCPeerConnection(rtc_configuration(ice))
    drains: list[asyncio.Task[None]] = []
    peer: Peer | None = None
    try:
        transceiver = pc.addTransceiver(
            ParkedTrack(), direction="sendrecv" if send_allowed else "sendonly"
        )
        transceiver.setCodecPreferences([opus_capability()])

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            drains.append(asyncio.ensure_future(_drain(track)))

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        except MediaError:
            raise
        except Exception as exc:
            raise MediaError(f"The offer could not be applied: {exc}") from exc
        if transceiver.mid is None:
            raise MediaError("The offer has no usable audio section.")
        for other in pc.getTransceivers():
            if other is not transceiver:
                other.direction = "inactive"
        codecs = internals.negotiated_codecs(transceiver)
        if not codecs or codecs[0].mimeType.lower() != "audio/opus":
            raise MediaError("The offer's audio does not include Opus, which the room uses.")
        opus = codecs[0]
        if opus.payloadType is None:
            raise MediaError("The offer's Opus codec has no payload type.")
        opus.parameters = {**opus.parameters, **OPUS_ANSWER_FMTP}
        internals.set_negotiated_codecs(transceiver, [opus])

        offer_direction = transceiver._offerDirection or "inactive"
        ingress: SpeakerIngress | None = None
        if send_allowed and offer_direction in ("recvonly", "sendrecv"):
            # Our side receives: they are sending audio. Take it before aiortc's buffer.
            ingress = SpeakerIngress(opus.payloadType)
            internals.hook_receiver(transceiver.receiver, ingress.handle_rtp_packet)

        answer = await pc.createAnswer()
        with gathering_on(ice):
            await pc.setLocalDescription(answer)
        local = pc.localDescription
        outlet = (
            Outlet(user_id, transceiver, dtx=offer_asks_dtx(description, transceiver.mid))
            if transceiver.currentDirection in SENDING_DIRECTIONS
            else None
        )
        peer = Peer(user_id, pc, transceiver, outlet, ingress, drains)
        return peer, local.sdp
    finally:
        if peer is None:
            for task in drains:
                task.cancel()
            await pc.close()


async def _drain(track: MediaStreamTrack) -> None:
    """Consume a remote track until it ends (aiortc queues its frames without bound)."""
    with contextlib.suppress(MediaStreamError):
        while True:
            await track.recv()
