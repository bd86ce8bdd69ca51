"""Which addresses the relay gathers and announces, and which STUN servers (if any) it asks.

Why a patch: aiortc asks Google's public STUN server when `iceServers` is not set, and
aioice gathers host candidates from every interface but skips 127.0.0.1
(`aioice.ice.get_host_addresses`). A relay must announce exactly the addresses it is told to
(loopback for tests and local use; a LAN or public address when deployed, as mediasoup's
`announcedIp` and LiveKit's `node_ip` do) and ask no STUN server unless configured.

`install()` replaces `aioice.ice.get_host_addresses` once per process with a wrapper that
answers from a context variable, set only around the relay's own gathering
(`gathering_on(config)`). Outside that context, aioice behaves as stock, so any other
peer in the same process (a test's client, a bot) is unaffected unless it opts in.

`install()` also hardens and fixes aioice's datagram path.

Demultiplexing (DESIGN §9): aioice decides whether a datagram is STUN by trying to parse it,
and an SRTP packet whose bytes 2-3 happen to equal its length minus 20 (about 1 in 65,536)
parses as STUN and is lost (or raises). RFC 7983 says the first byte decides: 0-3 is STUN,
20-63 DTLS, 128-191 RTP/RTCP. The fix passes anything whose first byte is above 3 straight to
the connection, which also skips a failed STUN parse per media packet.

Hardening: aioice queues every non-STUN datagram from any address without limit, so a flood
at a port whose peer never connected grew the relay by 126 MB in 25 s. Now only datagrams
from an address that passed an ICE check on that socket are taken, and at most
`MAX_QUEUED_DATAGRAMS` wait per connection.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import aioice.ice
from aiortc import RTCConfiguration, RTCIceServer

logger = logging.getLogger(__name__)

_ANNOUNCE: ContextVar[tuple[str, ...] | None] = ContextVar("roomcast_ice_announce", default=None)
_INSTALLED_MARK = "_roomcast_media_installed"
_STUN_FIRST_BYTE_MAX = 3  # RFC 7983 §7: 0-3 STUN, 20-63 DTLS, 128-191 RTP/RTCP


@dataclass(frozen=True)
class IceConfig:
    """Addresses the relay binds and announces as host candidates, and optional STUN URLs.

    `announce_addresses` must be addresses of this machine (each gets its own UDP socket per
    peer). `stun_urls` like "stun:stun.example.org:3478"; empty means no STUN at all.
    """

    announce_addresses: tuple[str, ...] = ("127.0.0.1",)
    stun_urls: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.announce_addresses:
            raise ValueError("IceConfig needs at least one address to announce")
        for address in self.announce_addresses:
            try:
                parsed = ipaddress.ip_address(address)
            except ValueError:
                raise ValueError(
                    f"announce address {address!r} is not an IP address (use e.g. 127.0.0.1)"
                ) from None
            if parsed.is_unspecified:
                raise ValueError(f"announce address {address!r} is unspecified; name a real one")
        for url in self.stun_urls:
            if not url.startswith(("stun:", "stuns:")):
                raise ValueError(f"STUN URL {url!r} must start with 'stun:'")


def rtc_configuration(config: IceConfig) -> RTCConfiguration:
    """An RTCConfiguration with exactly the configured STUN servers (none by default).

    `iceServers=[]` matters: aiortc falls back to stun.l.google.com only when it is None.
    """
    servers = [RTCIceServer(urls=url) for url in config.stun_urls]
    return RTCConfiguration(iceServers=servers)


def install() -> None:
    """Patch aioice once per process (idempotent): scoped host addresses, RFC 7983 demux."""
    if getattr(aioice.ice, _INSTALLED_MARK, False):
        return
    stock_get_host_addresses = aioice.ice.get_host_addresses

    def get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        configured = _ANNOUNCE.get()
        if configured is None:
            return stock_get_host_addresses(use_ipv4, use_ipv6)
        return [a for a in configured if _family_allowed(a, use_ipv4, use_ipv6)]

    aioice.ice.get_host_addresses = get_host_addresses
    _install_first_byte_demux()
    setattr(aioice.ice, _INSTALLED_MARK, True)


def installed() -> bool:
    return bool(getattr(aioice.ice, _INSTALLED_MARK, False))


@contextmanager
def gathering_on(config: IceConfig) -> Iterator[None]:
    """Within this context (and tasks created in it), aioice gathers only `config`'s addresses.

    Wrap the `setLocalDescription()` call: that is where aiortc gathers candidates.
    """
    install()
    token = _ANNOUNCE.set(tuple(config.announce_addresses))
    try:
        yield
    finally:
        _ANNOUNCE.reset(token)


def _family_allowed(address: str, use_ipv4: bool, use_ipv6: bool) -> bool:
    version = ipaddress.ip_address(address).version
    return (version == 4 and use_ipv4) or (version == 6 and use_ipv6)


MAX_QUEUED_DATAGRAMS = 256
"""Per connection: DTLS and SRTP datagrams waiting for aiortc to read them. The reader keeps
up in normal operation (a speaker sends 50 a second); past this, newer datagrams are dropped
rather than queued without limit (aioice's own queue has none)."""


def dropped_datagrams(connection: Any) -> int:
    """Datagrams a connection refused: from an address no ICE check validated, or over the
    queue's bound."""
    return int(getattr(connection, "_roomcast_dropped", 0))


def _validated(protocol: Any, addr: tuple[Any, ...]) -> bool:
    """Whether `addr` is the remote end of a pair on this socket that passed an ICE check."""
    remote = (addr[0], addr[1])
    valid: set[tuple[Any, Any]] | None = getattr(protocol, "_roomcast_valid", None)
    if valid is not None and remote in valid:
        return True
    succeeded = aioice.ice.CandidatePair.State.SUCCEEDED
    found = {
        pair.remote_addr
        for pair in protocol.receiver._check_list
        if pair.protocol is protocol and pair.state is succeeded
    }
    protocol._roomcast_valid = found
    return remote in found


_SRTP_FIRST_BYTES = tuple(127 < b < 192 for b in range(256))
"""RFC 7983: a first byte of 128-191 is RTP or RTCP."""


def _install_first_byte_demux() -> None:
    protocol_class: Any = aioice.ice.StunProtocol
    stock: Callable[[Any, bytes | str, tuple[Any, ...]], None] = protocol_class.datagram_received

    def datagram_received(self: Any, data: bytes | str, addr: tuple[Any, ...]) -> None:
        if isinstance(data, bytes) and data and data[0] > _STUN_FIRST_BYTE_MAX:
            # DTLS or SRTP: never STUN, whatever its length field says. Only from the far end
            # of a checked pair (anyone can send to an open port, spoofing any address but one
            # that answered our checks), and only as many as the reader can take.
            connection = self.receiver
            sink = getattr(connection, "_roomcast_rtp_sink", None)
            if sink is not None and _validated(self, addr) and _SRTP_FIRST_BYTES[data[0]]:
                try:
                    if sink(data):  # taken here (aiortc_internals.receive_rtp_at_socket)
                        return
                except Exception:
                    logger.exception("an RTP packet could not be handled")
                    return
            if not _validated(self, addr) or connection._queue.qsize() >= MAX_QUEUED_DATAGRAMS:
                connection._roomcast_dropped = dropped_datagrams(connection) + 1
                return
            connection.data_received(data, self.local_candidate.component)
            return
        stock(self, data, addr)

    protocol_class.datagram_received = datagram_received
