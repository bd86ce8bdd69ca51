"""The relay as an aiohttp application, and how to run it.

`make_app` wires the store, the hub, the HTTP routes and the WebSocket; the
media plane is a pool of worker processes (server/media/coordinator.py), started with the
app, where each room's media is placed on its first offer. `serve` runs it until
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

from aiohttp import web

from server.admin_key import load_or_create
from server.config import RelayConfig
from server.connection_guard import ConnectionGuard, GuardedSockSite, default_total
from server.hls_audience import HeartbeatCounter, HlsAudience
from server.hls_http import hls_routes
from server.hls_origin import HlsOrigin
from server.http_api import routes, security_headers
from server.http_guard import host_guard, own_hosts, plain_headers
from server.hub import Hub
from server.media.coordinator import MediaWorkers
from server.protocol.ephemeral import HlsListeners
from server.rate_limits import RateLimits
from server.recorder import RoomRecorders
from server.room_creation import CreationRights
from server.session import websocket_route
from server.snapshot_writer import SnapshotWriter
from server.store import Store

logger = logging.getLogger(__name__)

HUB = web.AppKey("hub", Hub)
CONFIG = web.AppKey("config", RelayConfig)
MEDIA = web.AppKey("media", MediaWorkers)
RIGHTS = web.AppKey("rights", CreationRights)
OWN_HOSTS = web.AppKey("own_hosts", frozenset[str])
GUARD = web.AppKey("guard", ConnectionGuard)
HLS = web.AppKey("hls", HlsOrigin)


def _media_workers(
    hub: Hub, recorders: RoomRecorders, config: RelayConfig, hls: HlsOrigin | None
) -> MediaWorkers:
    """The media plane: worker processes, wired to the hub's broadcasts and the recorders."""
    from server.media.coordinator import MediaWorkers, default_worker_count
    from server.media.ice import IceConfig
    from server.media.values import LevelSample
    from server.protocol import Levels, MediaRestart, SourceLevel

    def on_levels(room_id: str, levels: dict[str, LevelSample]) -> None:
        body = {
            uid: SourceLevel(round(s.peak_db, 1), round(s.rms_db, 1), s.speaking)
            for uid, s in levels.items()
        }
        hub.broadcaster.broadcast(room_id, Levels(body), moderators_only=True)

    def on_speaking(room_id: str, user_id: str, speaking: bool) -> None:
        hub.note_speaking(room_id, user_id, speaking)

    def on_media_lost(room_id: str, user_ids: list[str]) -> None:
        # Their audio ran in a worker that died: their page or bot offers again.
        restart = MediaRestart("The audio server restarted; reconnecting your audio.")
        hub.broadcaster.send_to(room_id, user_ids, restart)

    def hls_for(room_id: str) -> bool:
        # A ticketed room never goes out over HLS: its link alone would let anyone listen.
        room = hub.find(room_id)
        return room is not None and not room.is_ticketed

    ice = IceConfig(announce_addresses=config.announce_addresses, stun_urls=config.stun_urls)
    return MediaWorkers(
        config.media_workers or default_worker_count(),
        ice,
        on_levels=on_levels,
        on_speaking=on_speaking,
        on_recording_failed=recorders.failed,
        on_media_lost=on_media_lost,
        on_mixer_restart=hub.forget_speaking,
        connect_timeout_s=config.media_connect_timeout_s,
        hls_root=hls.root if hls is not None else None,
        on_hls=hls.published if hls is not None else lambda progress: None,
        on_room_closed=hls.room_closed if hls is not None else lambda room_id: None,
        webrtc_seats=config.webrtc_seats,
        hls_for=hls_for,
        broadcast_of=lambda room_id: (room := hub.find(room_id)) is not None and room.broadcast,
    )


RETENTION_EVERY_S = 3600.0
HLS_LISTENERS_EVERY_S = 2.0


async def _tell_hls_listeners(hub: Hub, origin: HlsOrigin) -> None:
    """Every 2 s, each streaming room whose HLS-only listener count changed hears the new one
    (`hls_listeners`): the console and the pages add it to the listeners they see."""
    told: dict[str, HlsAudience] = {}
    while True:
        await asyncio.sleep(HLS_LISTENERS_EVERY_S)
        if hub.hls_audience is None:
            continue
        for room_id in list(told):
            if room_id not in origin.streams:
                del told[room_id]
        for room_id in list(origin.streams):
            audience = hub.hls_audience(room_id)
            last = told.get(room_id)
            if last is None and audience.extra == 0:
                told[room_id] = audience
                continue
            if last is None or (last.extra, last.estimated) != (
                audience.extra,
                audience.estimated,
            ):
                told[room_id] = audience
                hub.broadcaster.broadcast(room_id, HlsListeners(audience.extra, audience.estimated))


async def _keep_recordings(config: RelayConfig) -> None:
    """Delete finished recordings older than `keep_recordings_days`: at start (after crashed
    takes were repaired), then every hour, off the event loop. Never a take being written."""
    days = config.keep_recordings_days
    if days is None:
        return
    from audio.recording_library import apply_retention

    loop = asyncio.get_running_loop()
    while True:
        try:
            deleted = await loop.run_in_executor(
                None, apply_retention, config.recordings_root, days
            )
        except OSError as exc:
            logger.error("recordings past %g days could not be deleted: %s", days, exc)
        else:
            if deleted:
                logger.info("deleted %d recordings older than %g days", len(deleted), days)
        await asyncio.sleep(RETENTION_EVERY_S)


def creation_rights(config: RelayConfig) -> CreationRights:
    """The data folder's key (made if missing) and the configured ones."""
    keys = [load_or_create(config.data_dir), *config.admin_keys]
    return CreationRights(
        keys,
        open_rooms=config.open_rooms,
        rooms_per_address_per_hour=config.rooms_per_address_per_hour,
        live_rooms_per_address=config.open_rooms_per_address,
    )


def make_app(config: RelayConfig, *, with_media: bool = True) -> web.Application:
    app = web.Application(
        client_max_size=64 * 1024, middlewares=[host_guard(OWN_HOSTS), security_headers]
    )
    app[CONFIG] = config
    app[RIGHTS] = creation_rights(config)
    # The ICE addresses too: a LAN relay announces the address its listeners reach it at.
    names = (*config.allowed_hosts, *config.announce_addresses)
    app[OWN_HOSTS] = own_hosts(config.host, config.public_url, names)
    app.on_response_prepare.append(plain_headers)

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
            stage_grace_s=config.stage_grace_s,
            abandon_after_s=config.abandon_after_s,
            snapshots=snapshots,
            rate_limits=RateLimits(config.rate_limits),
        )
        hub.bar_removed_addresses = config.bar_removed_addresses
        hub.bar_loopback = config.bar_loopback
        hub.recorders = RoomRecorders(config.recordings_root, hub.recording_failed)
        reports = await asyncio.get_running_loop().run_in_executor(None, hub.recorders.recover)
        for report in reports:
            if report.recovered:
                logger.warning(
                    "recording %s recovered after a crash: %s", report.folder, report.message
                )
        hls = None
        if config.hls_dir is not None:
            heartbeats = HeartbeatCounter(
                every_s=config.hls_heartbeat_s, target_sampled=config.hls_sampled_listeners
            )
            hls = HlsOrigin(config.hls_dir, linger_s=config.hls_linger_s, heartbeats=heartbeats)
            left = await asyncio.get_running_loop().run_in_executor(None, hls.clear_leftovers)
            if left:
                logger.info("removed %d HLS folders left by an earlier run", left)
            app[HLS] = hls
        retention = asyncio.create_task(_keep_recordings(config))
        workers = None
        if with_media:
            workers = _media_workers(hub, hub.recorders, config, hls)
            await workers.start()
            hub.media_factory = workers.port
            app[MEDIA] = workers
        audience_task = None
        if hls is not None:
            hub.hls_enabled = True
            origin, pool = hls, workers
            hub.hls_audience = lambda room_id: origin.audience(
                room_id, pool.joined_on_hls(room_id) if pool is not None else 0
            )
            audience_task = asyncio.create_task(_tell_hls_listeners(hub, hls))
        app[HUB] = hub
        restored = hub.restore()
        if restored:
            logger.info("restored %d rooms from %s", restored, store.path)
        for notice in store.notices:
            logger.error("%s", notice)
        for damaged in store.damaged_rooms():
            logger.error(
                "room %s is set aside, its saved state damaged (%s); every other room runs",
                damaged.room_id,
                damaged.reason,
            )
        yield
        retention.cancel()
        if audience_task is not None:
            audience_task.cancel()
        await hub.close()
        if workers is not None:
            await workers.close()
        if hls is not None:
            await hls.close()
        hub.recorders.close()
        store.close()

    app.cleanup_ctx.append(lifecycle)
    app.add_routes(routes(HUB, CONFIG, RIGHTS))
    app.add_routes([websocket_route(HUB, CONFIG, OWN_HOSTS)])
    if config.hls_dir is not None:
        app.add_routes(hls_routes(HUB, HLS, MEDIA, config.trusted_proxies))
    return app


@contextlib.asynccontextmanager
async def running_relay(
    config: RelayConfig, *, with_media: bool = True
) -> AsyncIterator[RelayConfig]:
    """Run a relay inside the current loop; yields its config with the real port."""
    async with running_app(config, with_media=with_media) as (bound, _):
        yield bound


@contextlib.asynccontextmanager
async def running_app(
    config: RelayConfig, *, with_media: bool = True
) -> AsyncIterator[tuple[RelayConfig, web.Application]]:
    """Run a relay inside the current loop; yields its config with the real port, and the
    application (tests reach its media workers through `app[MEDIA]`).

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
    app = make_app(bound, with_media=with_media)
    runner = web.AppRunner(
        app,
        handle_signals=False,
        shutdown_timeout=2.0,
        keepalive_timeout=config.idle_timeout_s,
        # After an answer sent before its request's body was read (a 408, a 413), aiohttp
        # reads and drops the rest for this long (10 s by default: a trickle's friend).
        lingering_time=1.0,
    )
    guard = ConnectionGuard(
        per_address=config.max_connections_per_address,
        total=config.max_connections or default_total(),
        header_timeout_s=config.header_timeout_s,
    )
    app[GUARD] = guard
    await runner.setup()
    try:
        await GuardedSockSite(runner, sock, guard).start()
        yield bound, app
    finally:
        await runner.cleanup()
        sock.close()
