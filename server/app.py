"""The relay as an aiohttp application, and how to run it.

`make_app` wires the store, the hub, the HTTP routes and the WebSocket; the
media engine is created per room on the first offer. `serve` runs it until
cancelled (used by `roomcast relay` and by tests that want a real relay on a
free loopback port).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from aiohttp import web

from server.config import RelayConfig
from server.http_api import routes, security_headers
from server.hub import Hub, RoomMediaPort
from server.recorder import RoomRecorders
from server.session import websocket_route
from server.snapshot_writer import SnapshotWriter
from server.store import Store

logger = logging.getLogger(__name__)

HUB = web.AppKey("hub", Hub)
CONFIG = web.AppKey("config", RelayConfig)


def _media_factory(hub: Hub, config: RelayConfig) -> Any:
    from server.media import IceConfig, RoomMedia

    ice = IceConfig(announce_addresses=config.announce_addresses, stun_urls=config.stun_urls)

    def make(room_id: str) -> RoomMediaPort:
        def on_levels(levels: dict[str, Any]) -> None:
            body = {
                uid: {
                    "peak_db": round(s.peak_db, 1),
                    "rms_db": round(s.rms_db, 1),
                    "speaking": s.speaking,
                }
                for uid, s in levels.items()
            }
            hub.broadcast_ephemeral(room_id, "levels", {"levels": body}, moderators_only=True)

        def on_speaking(user_id: str, speaking: bool) -> None:
            hub.broadcast_ephemeral(room_id, "speaking", {"user_id": user_id, "speaking": speaking})

        media: RoomMediaPort = RoomMedia(room_id, ice, on_levels=on_levels, on_speaking=on_speaking)
        return media

    return make


def make_app(config: RelayConfig, *, with_media: bool = True) -> web.Application:
    app = web.Application(client_max_size=64 * 1024, middlewares=[security_headers])
    app[CONFIG] = config

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        store = Store.open(config.data_dir)
        snapshots = SnapshotWriter(
            config.data_dir,
            interval_s=config.snapshot_interval_s,
            every_events=config.snapshot_every_events,
        )
        hub = Hub(
            store,
            resume_grace_s=config.resume_grace_s,
            abandon_after_s=config.abandon_after_s,
            snapshots=snapshots,
        )
        hub.recorders = RoomRecorders(config.data_dir, hub.recording_failed)
        reports = await asyncio.get_running_loop().run_in_executor(None, hub.recorders.recover)
        for report in reports:
            if report.recovered:
                logger.warning(
                    "recording %s recovered after a crash: %s", report.folder, report.message
                )
        if with_media:
            hub.media_factory = _media_factory(hub, config)
        app[HUB] = hub
        restored = hub.restore()
        if restored:
            logger.info("restored %d rooms from %s", restored, store.path)
        yield
        await hub.close()
        hub.recorders.close()
        store.close()

    app.cleanup_ctx.append(lifecycle)
    app.add_routes(routes(HUB, CONFIG))
    app.add_routes([websocket_route(HUB, CONFIG)])
    return app


@contextlib.asynccontextmanager
async def running_relay(
    config: RelayConfig, *, with_media: bool = True
) -> AsyncIterator[RelayConfig]:
    """Run a relay inside the current loop; yields its config with the real port.

    The socket is bound first, so with port 0 the links the relay hands out
    already carry the port it got.
    """
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((config.host, config.port))
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    bound = replace(config, port=sock.getsockname()[1])
    runner = web.AppRunner(
        make_app(bound, with_media=with_media), handle_signals=False, shutdown_timeout=2.0
    )
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        yield bound
    finally:
        await runner.cleanup()
        sock.close()
