"""The other side of the relay benchmark: peer processes that load the relay.

Run by bench/bench_relay.py as `python -m bench.relay_peers --role R`:
- `speaker`: one aiortc peer sending a 440 Hz tone, stamping each RTP packet's send time;
- `listeners`: N aiortc listener peers counting SRTP datagrams at their sockets;
- `baseline`: stock aiortc, one Opus encoder per listener's sender, measured by itself.
Each reads JSON commands on stdin and answers on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import json
import os
import resource
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np

PACKETS_PER_S = 50
VERIFY_EVERY = 50  # 1 packet in this many goes through aiortc's full receive path


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- child side --------------------------------------------------------------------------


def _tone_track() -> Any:
    from aiortc.mediastreams import MediaStreamTrack
    from av import AudioFrame

    class Tone(MediaStreamTrack):
        kind = "audio"

        def __init__(self) -> None:
            super().__init__()
            self._start = 0.0
            self._pts = 0

        async def recv(self) -> AudioFrame:
            if self._pts == 0:
                self._start = time.perf_counter()
            wait = self._start + self._pts / 48_000 - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            t = (self._pts + np.arange(960)) / 48_000
            pcm = (3000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
            frame = AudioFrame.from_ndarray(np.repeat(pcm, 2).reshape(1, -1), "s16", "stereo")
            frame.sample_rate, frame.pts = 48_000, self._pts
            frame.time_base = fractions.Fraction(1, 48_000)
            self._pts += 960
            return frame

    return Tone()


async def _offer_pc(track: Any | None) -> tuple[Any, str]:
    from aiortc import RTCConfiguration, RTCPeerConnection

    from server.media.ice import IceConfig, gathering_on

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    if track is None:
        pc.addTransceiver("audio", direction="recvonly")
    else:
        pc.addTransceiver(track, direction="sendrecv")
    with gathering_on(IceConfig()):
        await pc.setLocalDescription(await pc.createOffer())
    return pc, pc.localDescription.sdp


class _Listeners:
    def __init__(self) -> None:
        self.pcs: dict[str, Any] = {}
        self.counts: dict[str, list[int]] = {}
        self.verified = 0

    async def offer(self, ids: list[str]) -> dict[str, Any]:
        made = await asyncio.gather(*(_offer_pc(None) for _ in ids))
        offers = {}
        for user, (pc, sdp) in zip(ids, made, strict=True):
            self.pcs[user] = pc
            offers[user] = sdp
        return {"offers": offers}

    async def answer(self, answers: dict[str, str]) -> dict[str, Any]:
        from aiortc import RTCSessionDescription

        for user, sdp in answers.items():
            pc = self.pcs[user]
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
            self._count_at_socket(user, pc.getTransceivers()[0])
        return {}

    def _count_at_socket(self, user: str, transceiver: Any) -> None:
        from aiortc.rtcrtpreceiver import StreamStatistics
        from aiortc.rtp import RtpPacket

        count = self.counts.setdefault(user, [0])
        receiver = transceiver.receiver
        streams = receiver._RTCRtpReceiver__remote_streams
        connection = receiver.transport.transport._connection
        full_path = connection.data_received

        def data_received(data: bytes, component: int) -> None:
            if 127 < data[0] < 192 and not 191 < data[1] < 209:  # SRTP, not SRTCP
                count[0] += 1
                ssrc = int.from_bytes(data[8:12], "big")
                stats = streams.get(ssrc)
                if stats is None:
                    stats = streams[ssrc] = StreamStatistics(48_000)
                packet = RtpPacket(
                    sequence_number=int.from_bytes(data[2:4], "big"),
                    timestamp=int.from_bytes(data[4:8], "big"),
                )
                stats.add(packet)
                if count[0] % VERIFY_EVERY:
                    return
            full_path(data, component)

        async def verified(packet: Any, arrival_time_ms: int) -> None:
            self.verified += 1

        connection.data_received = data_received
        receiver._handle_rtp_packet = verified

    async def close(self, ids: list[str]) -> dict[str, Any]:
        pcs = [self.pcs.pop(u) for u in ids if u in self.pcs]
        await asyncio.gather(*(pc.close() for pc in pcs))
        return {}

    def status(self) -> dict[str, Any]:
        counts = {u: c[0] for u, c in self.counts.items() if u in self.pcs}
        return {
            "counts": counts,
            "verified": self.verified,
            "cpu": _cpu_s(),
            "t": time.perf_counter(),
        }


async def _child(role: str) -> None:
    from server.media import ice

    ice.install()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    listeners = _Listeners()
    stamps: deque[tuple[int, float]] = deque(maxlen=5_000)  # the last 100 s
    speaker_pc: Any = None
    baseline: Any = None
    handlers: dict[str, Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]] = {}

    async def speaker_offer(msg: dict[str, Any]) -> dict[str, Any]:
        nonlocal speaker_pc
        speaker_pc, sdp = await _offer_pc(_tone_track())
        dtls = speaker_pc.getTransceivers()[0].sender.transport
        send_rtp = dtls._send_rtp

        async def stamped(data: bytes) -> None:
            if not 191 < data[1] < 209:
                stamps.append((int.from_bytes(data[4:8], "big"), time.perf_counter()))
            await send_rtp(data)

        dtls._send_rtp = stamped
        return {"offer": sdp}

    async def speaker_answer(msg: dict[str, Any]) -> dict[str, Any]:
        from aiortc import RTCSessionDescription

        await speaker_pc.setRemoteDescription(RTCSessionDescription(msg["sdp"], "answer"))
        return {}

    async def get_stamps(msg: dict[str, Any]) -> dict[str, Any]:
        return {"stamps": [s for s in stamps if s[1] >= msg["since"]]}

    async def baseline_connect(msg: dict[str, Any]) -> dict[str, Any]:
        nonlocal baseline
        if baseline is None:
            baseline = _Baseline()
        return {"answers": {u: await baseline.connect(sdp) for u, sdp in msg["offers"].items()}}

    async def usage(msg: dict[str, Any]) -> dict[str, Any]:
        return {"cpu": _cpu_s(), "rss_mb": _rss_mb(), "t": time.perf_counter()}

    async def listeners_status(msg: dict[str, Any]) -> dict[str, Any]:
        return listeners.status()

    handlers.update(
        offer=lambda m: listeners.offer(m["ids"]),
        answer=lambda m: listeners.answer(m["answers"]),
        close=lambda m: listeners.close(m["ids"]),
        status=listeners_status,
        speaker_offer=speaker_offer,
        speaker_answer=speaker_answer,
        stamps=get_stamps,
        baseline_connect=baseline_connect,
        usage=usage,
    )
    while line := await reader.readline():
        msg = json.loads(line)
        if msg["cmd"] == "exit":
            break
        reply = await handlers[msg["cmd"]](msg)
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
    if baseline is not None:
        await baseline.close()
    await listeners.close(list(listeners.pcs))
    if speaker_pc is not None:
        await speaker_pc.close()


class _Baseline:
    """Stock aiortc: the mix as AudioFrames, one encoder per listener's sender."""

    def __init__(self) -> None:
        from aiortc.contrib.media import MediaRelay

        self.relay = MediaRelay()
        self.source = _tone_track()
        self.pcs: list[Any] = []

    async def connect(self, offer: str) -> str:
        from aiortc import RTCPeerConnection, RTCSessionDescription

        from server.media.ice import IceConfig, gathering_on, rtc_configuration

        pc = RTCPeerConnection(rtc_configuration(IceConfig()))
        self.pcs.append(pc)
        await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        pc.addTrack(self.relay.subscribe(self.source, buffered=False))
        with gathering_on(IceConfig()):
            await pc.setLocalDescription(await pc.createAnswer())
        return str(pc.localDescription.sdp)

    async def close(self) -> None:
        await asyncio.gather(*(pc.close() for pc in self.pcs))


# --- relay side --------------------------------------------------------------------------


def _pin(role: str | None) -> str:
    """With ROOMCAST_BENCH_PIN=1: the relay on the first CPU, every peer process on the others
    (as if the listeners were elsewhere). Off by default: when other jobs share the box,
    a pinned relay cannot move away from them."""
    if os.environ.get("ROOMCAST_BENCH_PIN") != "1":
        return "not pinned (ROOMCAST_BENCH_PIN=1 pins the relay to one CPU, peers to the rest)"
    inherited = os.environ.get("ROOMCAST_BENCH_CPUS")
    cpus = [int(c) for c in inherited.split(",")] if inherited else sorted(os.sched_getaffinity(0))
    os.environ["ROOMCAST_BENCH_CPUS"] = ",".join(map(str, cpus))  # for the children
    if len(cpus) < 2:
        return "not pinned (one CPU)"
    os.sched_setaffinity(0, {cpus[0]} if role is None else set(cpus[1:]))
    return f"relay pinned to CPU {cpus[0]}, peers to CPU {','.join(map(str, cpus[1:]))}"


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=("listeners", "speaker", "baseline"), required=True)
    arguments = parser.parse_args()
    if arguments.role != "baseline":
        _pin(arguments.role)
    asyncio.run(_child(arguments.role))
