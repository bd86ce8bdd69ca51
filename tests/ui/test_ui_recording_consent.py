"""The console user's own consent, and the relay's word when a recording fails.

A co-host console is on stage when the host starts recording: it asks its user, non-modally,
with "No" as the default; "No" reaches the relay as DECLINED and the host sees who is left
out; the answer can be changed. Then the relay's writer "fails" (the hub is told the disk is
full, as the recorder would): both consoles show the relay's message, the recording stops,
the room goes on. The relay runs in this test's loop so the test can reach its hub."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from console.client import JoinLink
from console.host_session import HostSession
from console.identity import Identity
from console.room_view import Consent, RoomState
from console.rooms_api import RelayApi
from console.tracks import ToneTrack
from server.app import HUB, make_app
from server.config import RelayConfig
from server.hub import Hub
from tests.ui.botkit import until
from tests.ui.consolekit import open_console
from ui.header import ShareLinks
from ui.main_window import MainWindow
from ui.room_controller import RoomController

pytestmark = pytest.mark.timeout(60)

FULL_DISK = (
    "Recording stopped: the disk is full while writing mix.flac. Its first 00:00:03 are kept "
    "in /tmp/x. Free some space before recording again; the room goes on."
)


@contextlib.asynccontextmanager
async def relay_in_loop(data_dir: Path) -> AsyncIterator[tuple[RelayConfig, Hub]]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    config = RelayConfig(data_dir=data_dir, host="127.0.0.1", port=sock.getsockname()[1])
    app = make_app(config, with_media=True)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=2.0)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        yield config, app[HUB]
    finally:
        await runner.cleanup()
        sock.close()


def test_a_cohost_console_is_asked_no_by_default_and_a_failed_recording_shows_its_reason(
    qapp, aloop, tmp_path
):
    async def scenario():
        async with relay_in_loop(tmp_path / "relay") as (config, hub):
            host = await open_console(config, "Consent room")
            token = host.hosted.host_url.split("#token=", 1)[1]
            link = await RelayApi(config.base_url).cohost_link(host.hosted.room_id, token)
            co_session = HostSession(
                JoinLink.parse(link), Identity.new(), "Cora Cohost", mic=ToneTrack(550)
            )
            await co_session.start()
            co_window = MainWindow(RoomController(co_session), ShareLinks(host.hosted.join_url))
            co_window.show()
            co_bar, bar = co_window.recording_bar, host.window.recording_bar
            room = lambda: host.session.room  # noqa: E731
            cora = co_session.user_id
            try:
                await until(lambda: cora in room().participants, 10, "the co-host")
                assert co_bar.record.isHidden(), "only the host starts a recording"

                bar.record.click()
                bar.pending_question.yes.click()
                await until(lambda: co_bar.consent_question is not None, 10, "the question")
                question = co_bar.consent_question
                assert question.isVisible() and not question.isModal()
                assert question.no.isDefault() and question.focusWidget() is question.no
                assert host.window.recording_bar.consent_question is None, "the host said yes"
                await until(lambda: "Cora Cohost (not answered yet)" in bar.left_out.text(), 5)

                question.no.click()
                await until(
                    lambda: room().recording.consents.get(cora) is Consent.DECLINED, 10, "DECLINED"
                )
                await until(lambda: "Cora Cohost (declined)" in bar.left_out.text(), 5)
                assert co_bar.consent_question is None
                assert "left out" in co_bar.my_consent.text()
                # she changes her mind from her own bar
                co_bar.my_consent.click()
                await until(
                    lambda: room().recording.consents.get(cora) is Consent.GRANTED, 10, "GRANTED"
                )
                await until(lambda: "Everyone on stage agreed" in bar.left_out.text(), 5)

                # the writer fails: the relay says why, stops recording, the room goes on
                hub.recording_failed(host.hosted.room_id, FULL_DISK)
                await until(lambda: not bar.failure.isHidden(), 10, "the failure banner")
                assert bar.failure.text() == FULL_DISK
                await until(lambda: not room().is_recording, 10, "the recording to stop")
                await until(lambda: not co_bar.failure.isHidden(), 10, "the co-host's banner")
                assert room().state is RoomState.LIVE
                await until(lambda: bar.record.text() == "● Record", 5)
                assert not bar.failure.isHidden(), "the message stays until dismissed"
                bar.dismiss.click()
                assert bar.failure.isHidden()
            finally:
                co_window.close_now()
                await co_session.close(leave=False)
                await host.close()

    aloop.run_until_complete(scenario())
