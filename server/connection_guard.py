"""Connections the relay will hold: per address, in all, and not forever while headers trickle.

Slowloris holds a server's connections by sending a request's headers a byte at a time; a
flood of half-open requests uses up the process's file descriptors until nothing, not even
`/healthz`, is accepted. The guard sits between the listening socket and aiohttp's protocol:

- a connection from an address already holding `per_address` connections is closed at once;
- when `total` connections are open, the oldest one still waiting for its first request's
  headers is closed to make room (a real client has sent its headers within milliseconds),
  or, if there is none, the new one is closed;
- a connection whose first request's headers have not all arrived `header_timeout_s` after it
  opened is closed. Later requests on a kept-alive connection fall under aiohttp's
  `keepalive_timeout` (the relay's idle timeout), which closes a connection waiting for a
  request that long, trickled headers or not.

Runs on: the relay's event loop (asyncio protocol callbacks).
"""

from __future__ import annotations

import asyncio
import logging
import resource
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from aiohttp import web

from server.room_creation import address_key

logger = logging.getLogger(__name__)

HEADERS_END = b"\r\n\r\n"
DESCRIPTOR_RESERVE = 64  # the database, worker sockets, logs, the listening socket…
# asyncio accepts up to `backlog` connections in one go before any closed one's descriptor is
# released (a transport closes its socket on the next loop turn), so that many more may be
# open for a moment than the guard counts.
ACCEPT_BATCH = 128


def raise_descriptor_limit() -> tuple[int, int]:
    """Raise this process's RLIMIT_NOFILE soft limit to its hard limit (or, where the hard
    limit is "unlimited" and the system caps lower, as macOS does, the highest that takes);
    returns (soft, hard)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = [hard] if hard != resource.RLIM_INFINITY else [1 << 20, 65536, 10240]
    for target in wanted:
        if soft >= target:
            break
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError) as exc:
            logger.info("cannot raise the open-file limit from %d to %d: %s", soft, target, exc)
            continue
        soft = target
        break
    return soft, hard


def default_total(backlog: int = ACCEPT_BATCH) -> int:
    """As many connections as the descriptor limit allows, less a reserve for the rest and
    for one accept batch."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1 << 16
    return max(16, soft - DESCRIPTOR_RESERVE - backlog)


class ConnectionGuard:
    def __init__(self, *, per_address: int, total: int, header_timeout_s: float) -> None:
        self.per_address = per_address
        self.total = total
        self.header_timeout_s = header_timeout_s
        self.open: dict[str, int] = {}
        self.waiting: OrderedDict[GuardedProtocol, None] = OrderedDict()  # oldest first
        self.count = 0
        self.refused = 0  # over a cap, closed at once
        self.evicted = 0  # half-open, closed to make room
        self.timed_out = 0  # headers not in within header_timeout_s

    def protocol_factory(self, inner: Callable[[], asyncio.Protocol]) -> Callable[[], Any]:
        return lambda: GuardedProtocol(self, inner)

    def admit(self, protocol: GuardedProtocol, address: str) -> bool:
        if self.open.get(address, 0) >= self.per_address:
            self.refused += 1
            return False
        if self.count >= self.total:
            if not self.waiting:
                self.refused += 1
                return False
            oldest, _ = self.waiting.popitem(last=False)
            self.evicted += 1
            oldest.drop()
        self.open[address] = self.open.get(address, 0) + 1
        self.count += 1
        self.waiting[protocol] = None
        return True

    def headers_in(self, protocol: GuardedProtocol) -> None:
        self.waiting.pop(protocol, None)

    def release(self, protocol: GuardedProtocol, address: str) -> None:
        self.waiting.pop(protocol, None)
        left = self.open.get(address, 0) - 1
        if left > 0:
            self.open[address] = left
        else:
            self.open.pop(address, None)
        self.count -= 1


class GuardedProtocol(asyncio.Protocol):
    """Forwards every callback to aiohttp's protocol once the guard has admitted the peer."""

    def __init__(self, guard: ConnectionGuard, inner: Callable[[], asyncio.Protocol]) -> None:
        self._guard = guard
        self._make_inner = inner
        self._inner: asyncio.Protocol | None = None
        self._transport: asyncio.Transport | None = None
        self._address = "?"
        self._waiting = True
        self._tail = b""
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        peer = transport.get_extra_info("peername")
        self._address = address_key(peer[0] if peer else None)
        if not self._guard.admit(self, self._address):
            transport.abort()  # frees the descriptor now; no bytes are read or answered
            return
        self._deadline = asyncio.get_running_loop().call_later(
            self._guard.header_timeout_s, self._too_slow
        )
        self._inner = self._make_inner()
        self._inner.connection_made(transport)

    def _too_slow(self) -> None:
        self._deadline = None
        if self._waiting:
            self._guard.timed_out += 1
            self.drop()

    def drop(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def data_received(self, data: bytes) -> None:
        if self._inner is None:
            return
        if self._waiting:
            seen = self._tail + data
            if HEADERS_END in seen:
                self._waiting = False
                self._guard.headers_in(self)
                if self._deadline is not None:
                    self._deadline.cancel()
                    self._deadline = None
            else:
                self._tail = seen[-3:]
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if self._inner is None:
            return
        self._guard.release(self, self._address)
        inner, self._inner = self._inner, None
        inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()


class GuardedSockSite(web.SockSite):
    """aiohttp's SockSite, with every connection passing through a ConnectionGuard."""

    __slots__ = ("guard",)

    def __init__(self, runner: web.BaseRunner, sock: Any, guard: ConnectionGuard) -> None:
        super().__init__(runner, sock)
        self.guard = guard

    async def start(self) -> None:
        await web.BaseSite.start(self)
        server = self._runner.server
        assert server is not None
        self._server = await asyncio.get_running_loop().create_server(
            self.guard.protocol_factory(server), sock=self._sock, backlog=self._backlog
        )
