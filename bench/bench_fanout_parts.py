"""Where a listener-packet's CPU goes: the parts of the fan-out's per-listener step, timed alone.

The per-listener step (server/media/fanout.py) packs a 12-byte RTP header, copies the shared
body after it, SRTP-protects it with libsrtp (through aiortc's session, one C call) and sends it
with one `sendto` on that listener's own ICE socket. This measures each part over 1,000
listeners (each with its own SRTP session and socket, sending to 50 loopback receivers), so the
relay benchmark's per-packet figure can be read against its floor: on loopback the kernel's
`sendto` also pays for delivering the datagram to the receiver.

Baseline (same run): the same 1,000 packets with pylibsrtp's high-level `Session.protect`
(a new bytes object per packet), as aiortc's own sender does.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import time

N = 1_000
ROUNDS = 7
BODY_BYTES = 90  # a 32 kbit/s Opus frame plus the header extensions
HEADER = struct.Struct("!BBHII")


def main() -> None:
    from pylibsrtp import Policy, Session

    from server.media.aiortc_internals import SrtpWriter

    key = os.urandom(30)
    sessions = [
        Session(policy=Policy(key=key, ssrc_type=Policy.SSRC_ANY_OUTBOUND)) for _ in range(N)
    ]
    writers = [SrtpWriter(s) for s in sessions]
    receivers = []
    for _ in range(50):
        receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        receiver.bind(("127.0.0.1", 0))
        receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        receiver.setblocking(False)
        receivers.append(receiver)
    addresses = [r.getsockname() for r in receivers]
    senders = []
    for _ in range(N):
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sender.setblocking(False)
        senders.append(sender)
    body = os.urandom(BODY_BYTES)
    seq = [0]

    def drain() -> None:
        for receiver in receivers:
            try:
                while True:
                    receiver.recv(2048)
            except BlockingIOError:
                pass

    def step(protect: str, send: bool) -> float:
        seq[0] += 1
        number = seq[0] & 0xFFFF
        start = time.perf_counter()
        for i in range(N):
            if protect == "writer":
                writer = writers[i]
                buffer = writer.buffer
                HEADER.pack_into(buffer, 0, 0x80, 111, number, number * 960, 1000 + i)
                end = HEADER.size + BODY_BYTES
                buffer[HEADER.size : end] = body
                length = writer.protect(end)
                packet = buffer[0:length]
            elif protect == "session":
                packet = sessions[i].protect(
                    HEADER.pack(0x80, 111, number, number * 960, 1000 + i) + body
                )
            else:
                packet = HEADER.pack(0x80, 111, number, number * 960, 1000 + i) + body
            if send:
                with contextlib.suppress(OSError):
                    senders[i].sendto(packet, addresses[i % 50])
        elapsed = time.perf_counter() - start
        drain()
        return elapsed / N * 1e6

    def best(protect: str, send: bool) -> float:
        step(protect, send)  # warm
        return min(step(protect, send) for _ in range(ROUNDS))

    pack = best("none", False)
    writer = best("writer", False)
    writer_send = best("writer", True)
    session = best("session", False)
    print(f"per listener-packet, best of {ROUNDS} rounds over {N} listeners:")
    print(f"  header + body into a new packet:            {pack:5.2f} µs")
    print(f"  + SRTP in the session's buffer (the relay): {writer:5.2f} µs")
    print(f"  + sendto on loopback (the relay's step):    {writer_send:5.2f} µs "
          f"(sendto alone {writer_send - writer:.2f} µs)")  # fmt: skip
    print(f"  baseline, pylibsrtp Session.protect:        {session:5.2f} µs "
          f"(the relay's SRTP step is {session / writer:.1f}x cheaper)")  # fmt: skip


if __name__ == "__main__":
    main()
