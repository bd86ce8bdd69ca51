"""The console as a whole: settings, the embedded relay, the start dialog, room windows, the
rooms list, the moderator view, settings and the tray.

Runs on: the Qt main thread with qasync. Slow things (relay start, HTTP, device scans,
opening a microphone) are awaited or sent to worker threads; no dialog is exec()'d.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from PySide6.QtCore import QObject, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from audio.devices import DeviceCatalog, DeviceError
from console import settings as settings_store
from console.client import ClientClosed, CommandRejected, JoinLink
from console.host_session import HostSession
from console.identity import Identity
from console.mic_track import CaptureTrack
from console.microphones import SilenceTrack, device_names, open_capture, open_microphone
from console.room_view import RoomState
from console.rooms_api import RELAY_KEY_ENV, ApiError, HostedRoom, RelayApi, RoomBook
from console.supervisor import RelayState, RelaySupervisor, SupervisorError
from ui.asyncs import spawn
from ui.header import ShareLinks
from ui.host_strip import SELF_MUTE_KEY
from ui.main_window import MainWindow
from ui.mic_check_dialog import MicCheckDialog
from ui.moderator_view import ModeratorView
from ui.recordings_desk import RecordingsDesk
from ui.recordings_model import recordings_folder, relay_args
from ui.room_controller import RoomController
from ui.room_directory import PAGE_SIZE, RoomDirectory
from ui.rooms_list import RoomsList
from ui.scheduled_rooms import ScheduledRooms
from ui.settings_dialog import SettingsDialog
from ui.single_instance import SingleInstance
from ui.start_dialog import JoinLinkChoice, NewRoom, Reopen, StartDialog
from ui.theme import apply_theme
from ui.tray import OnAirTray

logger = logging.getLogger(__name__)
RETENTION_EVERY_MS = 3_600_000  # recordings past the retention are looked for hourly


def port_in_use(host: str, port: int) -> bool:
    """Is `port` held by someone (we cannot listen on it)?"""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def free_port(host: str) -> int:
    """A port nobody holds now, the next one up from the usual if it is free."""
    for port in range(8471, 8491):
        if not port_in_use(host, port):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class ConsoleApp(QObject):
    finished = Signal()

    def __init__(
        self, data_dir: Path, *, relay_url: str | None = None, room_link: str | None = None
    ) -> None:
        super().__init__()
        self.data_dir = data_dir
        self.settings = settings_store.load(data_dir)
        self.identity = Identity.load_or_create(data_dir / "identity.json")
        self.book = RoomBook(data_dir)
        self.relay_url = relay_url
        self.room_link = room_link
        self.supervisor: RelaySupervisor | None = None
        self.catalog = DeviceCatalog()
        self.capture: CaptureTrack | None = None
        self.window: MainWindow | None = None
        self.windows: list[MainWindow] = []
        self.sessions: list[HostSession] = []
        self.start_dialog: StartDialog | None = None
        self.scheduled = ScheduledRooms(self)
        self.moderator: ModeratorView | None = None
        self.directory: RoomDirectory | None = None
        self.mic_check: MicCheckDialog | None = None
        self.directory_page_size = PAGE_SIZE
        self.tray: OnAirTray | None = None
        # a seam: tests without a tray host (offscreen) still get the tray's state
        self.tray_available: Callable[[], bool] = QSystemTrayIcon.isSystemTrayAvailable
        self._device_error_shown = ""
        self._quitting = False
        self.instance = SingleInstance(data_dir, self)
        self.relay_hls = False  # the relay streams HLS (its /healthz says), so broadcasts work
        self.handed_over = False  # another console on this data folder took our launch
        self._retention_timer = QTimer(self)
        self._retention_timer.setInterval(RETENTION_EVERY_MS)
        self._retention_timer.timeout.connect(self._apply_retention)
        self._device_timer = QTimer(self)
        self._device_timer.setInterval(1000)
        self._device_timer.timeout.connect(self._check_device)
        # where the embedded relay (data dir `<ours>/relay`, console/supervisor.py) records
        self.recordings = RecordingsDesk(
            recordings_folder(self.settings, data_dir),
            self.settings.retention_days,
            self._save_retention,
            self.notify,
            self,
        )

    # -- start ------------------------------------------------------------------------------------

    async def start(self) -> None:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        if not self.instance.claim(self.room_link):
            print(
                "Roomcast is already running with this data folder; its window is in front now.",
                file=sys.stderr,
            )
            self.handed_over = True
            self._quitting = True
            self.finished.emit()
            return
        self.instance.showWanted.connect(self.show_front)
        self.instance.openWanted.connect(self._open_handed_link)
        app.setQuitOnLastWindowClosed(False)
        apply_theme(app, self.settings.theme)
        if self.tray is None and self.tray_available():
            self.tray = OnAirTray(self.show_front, self._quit_from_tray)
            self.tray.show()
        self.show_start_dialog()
        assert self.start_dialog is not None
        if not await self._relay_or_offer(self.start_dialog):
            return
        self.scheduled.watch()
        spawn(self._mark_my_rooms(self.start_dialog))
        spawn(self.recordings.apply_retention())  # after the relay repaired crashed takes
        self._retention_timer.start()  # and every hour while the console runs
        if self.room_link:
            await self._chosen(JoinLinkChoice(self.room_link))

    def show_start_dialog(self) -> StartDialog:
        """The start dialog: at launch, and from "New room…" while rooms are open."""
        if self.start_dialog is not None and self.start_dialog.isVisible():
            if self.start_dialog.isMinimized():
                self.start_dialog.showNormal()
            self.start_dialog.raise_()
            self.start_dialog.activateWindow()
            return self.start_dialog
        first_start = self.settings.display_name == settings_store.Settings().display_name
        dialog = StartDialog(self.book.rooms(), ask_name=first_start)
        dialog.form.broadcast.setVisible(self.relay_hls)
        dialog.nameChosen.connect(self._name_chosen)
        dialog.chosen.connect(lambda choice: spawn(self._chosen(choice), self._start_failed))
        dialog.cancelled.connect(self._start_cancelled)
        dialog.portChosen.connect(lambda port: spawn(self._use_port(port), self._start_failed))
        dialog.directoryWanted.connect(self.show_directory)
        dialog.micCheckWanted.connect(self.show_mic_check)
        if self.relay_url is not None:
            dialog.set_status(f"The relay is running at {self.relay_url}.")
            spawn(self._mark_my_rooms(dialog))
        self.start_dialog = dialog
        dialog.show()
        return dialog

    def _name_chosen(self, name: str) -> None:
        """The host's name, asked once: rooms show it on stage and in the card."""
        self.settings = self.settings.with_changes(display_name=name)
        settings_store.save(self.data_dir, self.settings)

    async def _mark_my_rooms(self, dialog: StartDialog) -> None:
        """Ask each room's relay how the room is (ended, live…), for "My rooms"."""

        async def state_of(room: HostedRoom) -> tuple[str, str | None]:
            try:
                card = await RelayApi(self._where(room), timeout_s=3.0).card(room.room_id)
            except ApiError as exc:
                if exc.code == "unreachable":
                    return room.room_id, "its relay is not running"
                return room.room_id, "gone" if exc.code == "room_not_found" else None
            return room.room_id, str(card.get("state") or "") or None

        found = await asyncio.gather(*(state_of(room) for room in self.book.rooms()))
        dialog.set_room_states({room_id: state for room_id, state in found if state})

    def _where(self, room: HostedRoom) -> str:
        """The relay a room of this console lives on: the embedded relay keeps its rooms in
        its data folder, so a room made on an earlier port lives on in today's relay."""
        if self.supervisor is not None and self.relay_url is not None:
            return self.relay_url
        return room.base_url

    def _start_cancelled(self) -> None:
        self.start_dialog = None
        if not self.windows:  # nothing else open: Cancel at launch quits
            spawn(self.quit())

    async def _relay_or_offer(self, dialog: StartDialog) -> bool:
        """Start the relay; if its port is held by another program, offer a free one."""
        try:
            await self._relay()
        except SupervisorError as exc:
            port = self.settings.relay_port
            if port and port_in_use(self.settings.relay_host, port):
                dialog.offer_port(port, free_port(self.settings.relay_host))
            else:
                dialog.show_error(str(exc))
            return False
        return True

    async def _use_port(self, port: int) -> None:
        """The host chose another port for the relay: keep it, and start the relay there."""
        self.settings = self.settings.with_changes(relay_port=port)
        settings_store.save(self.data_dir, self.settings)
        self.supervisor, self.relay_url = None, None
        dialog = self.start_dialog
        if dialog is not None and await self._relay_or_offer(dialog):
            dialog.relay_ready(f"The relay is running at {self.relay_url}.")
            self.scheduled.watch()
            spawn(self._mark_my_rooms(dialog))

    async def _relay(self) -> str:
        if self.relay_url:
            self._relay_ready(await RelayApi(self.relay_url).health())
            self._status(f"Using the relay at {self.relay_url}.")
            return self.relay_url
        self.supervisor = RelaySupervisor(
            self.data_dir,
            host=self.settings.relay_host,
            port=self.settings.relay_port,
            on_change=lambda state, text: self._status(text),
            relay_args=relay_args(self.settings, self.data_dir),
        )
        url = await self.supervisor.start()
        self.relay_url = url
        self._relay_ready(await RelayApi(url).health())
        return url

    def _relay_ready(self, health: dict[str, Any]) -> None:
        """What the relay can do decides what the start dialog offers: broadcast mode only on
        a relay that streams HLS (the embedded one does not), never an option that is refused."""
        self.relay_hls = bool(health.get("hls"))
        if self.start_dialog is not None:
            self.start_dialog.form.broadcast.setVisible(self.relay_hls)

    def _admin_key(self) -> str | None:
        """The key that lets this console create rooms: its own relay's, or for a relay
        elsewhere the one in ROOMCAST_RELAY_KEY (none: that relay must be an open one)."""
        if self.supervisor is not None:
            return self.supervisor.admin_key()
        return os.environ.get(RELAY_KEY_ENV) or None

    def _status(self, text: str) -> None:
        if self.start_dialog is not None:
            self.start_dialog.set_status(text)
        if self.window is not None:
            self.window.statusBar().showMessage(text, 8000)

    def _start_failed(self, error: BaseException) -> None:
        text = getattr(error, "message", None) or str(error)
        if self.start_dialog is not None:
            self.start_dialog.show_error(text)

    async def _chosen(self, choice: object) -> None:
        if self.relay_url is None:
            await self._relay()
        assert self.relay_url is not None
        if isinstance(choice, NewRoom):
            hosted, _card = await RelayApi(self.relay_url, admin_key=self._admin_key()).create_room(
                self.identity,
                self.settings.display_name,
                choice.title,
                description=choice.description,
                topics=choice.topics,
                starts_at=choice.starts_at,
                ask_mode=choice.ask_mode,
                tickets=choice.tickets,
                broadcast=choice.broadcast,
            )
            self.book.add(hosted)
            if choice.starts_at is not None:
                self._close_start_dialog()
                self.show_rooms_list()
                return
            await self.open_room(hosted.host_url, hosted)
        elif isinstance(choice, Reopen):
            room = choice.room
            where = self._where(room)
            if where != room.base_url:  # made on an earlier port of our own relay
                room = HostedRoom(
                    room.room_id,
                    where,
                    room.host_url.replace(room.base_url, where, 1),
                    room.join_url.replace(room.base_url, where, 1),
                    room.title,
                )
                self.book.add(room)
            await self.open_room(room.host_url, room)
        elif isinstance(choice, JoinLinkChoice):
            await self.open_room(choice.url, None)

    def _close_start_dialog(self) -> None:
        if self.start_dialog is not None:
            self.start_dialog.finish()
            self.start_dialog = None

    # -- a room -----------------------------------------------------------------------------------

    async def _microphone(self) -> tuple[Any, str | None]:
        loop = asyncio.get_running_loop()
        try:
            track = await loop.run_in_executor(
                None, open_microphone, self.catalog, self.settings.input_device
            )
        except DeviceError as exc:
            return SilenceTrack(), str(exc)
        self.capture = track
        return track, None

    async def _speakers(self) -> tuple[Any, str | None]:
        """The output the room's sound plays on (None, with the reason, if it cannot open)."""
        loop = asyncio.get_running_loop()
        try:
            stream = await loop.run_in_executor(
                None, lambda: self.catalog.open_playback(self.settings.output_device)
            )
        except DeviceError as exc:
            return None, str(exc)
        return stream, None

    async def open_room(self, link: str, hosted: HostedRoom | None) -> MainWindow:
        mic, problem = await self._microphone()
        playback, speaker_problem = await self._speakers()
        problem = problem or speaker_problem
        session = HostSession(
            JoinLink.parse(link),
            self.identity,
            self.settings.display_name,
            mic=mic,
            playback=playback,
            vad_mode=self.settings.speaking_sensitivity,
        )
        try:
            await session.start()
        except (aiohttp.ClientConnectionError, OSError, TimeoutError) as exc:
            await session.close(leave=False)
            base = session.client.link.base_url
            raise ApiError(
                "unreachable",
                f"No relay is running at {base}, where this room lives. If it ran on "
                "another computer, start it there (roomcast relay); if the address or port "
                "changed, open the room with its new link (Join with a link).",
            ) from exc
        except (CommandRejected, ClientClosed) as exc:
            await session.close(leave=False)
            raise ApiError("refused", getattr(exc, "message", None) or str(exc)) from exc
        self.sessions.append(session)
        controller = RoomController(session)
        token = link.split("#token=", 1)[1] if "#token=" in link else None
        join_url = link.split("#", 1)[0]
        window = MainWindow(controller, ShareLinks(join_url, token if hosted else None))
        self._dress(window, hosted)
        self.window = window
        self.windows.append(window)
        self._on_air()  # on air as soon as the room is live, not when someone first joins
        self._close_start_dialog()
        window.show()
        if problem:
            window.banner.show_message(problem, hold_s=30)
        self._device_timer.start()
        spawn(self._fill_devices(window))
        return window

    def _dress(self, window: MainWindow, hosted: HostedRoom | None) -> None:
        menu = window.menuBar().addMenu("&Roomcast")
        new_room = QAction("New room…", window)
        new_room.setShortcut(QKeySequence.StandardKey.New)
        new_room.triggered.connect(self.show_start_dialog)
        menu.addAction(new_room)
        menu.addSeparator()
        for text, slot, keys in (
            ("Check microphone…", self.show_mic_check, "Ctrl+Shift+K"),
            ("Your rooms…", self.show_rooms_list, "Ctrl+Shift+Y"),
            ("Rooms on this relay…", self.show_directory, "Ctrl+Shift+D"),
            ("Moderator view…", self.show_moderator_view, "Ctrl+Shift+V"),
            ("Recordings…", self.recordings.show_library, "Ctrl+Shift+L"),
            (
                "Export the latest recording…",
                lambda: spawn(self.recordings.export_latest(window)),
                "Ctrl+Shift+E",
            ),
            ("Settings…", self.show_settings, "Ctrl+,"),
        ):
            action = QAction(text, window)
            action.setShortcut(QKeySequence(keys))
            action.triggered.connect(slot)
            menu.addAction(action)
        window.recording_bar.libraryWanted.connect(self.recordings.show_library)
        window.recording_bar.exportWanted.connect(
            lambda: spawn(self.recordings.export_latest(window))
        )
        menu.addSeparator()
        quit_action = QAction("Quit", window)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(window.close)
        menu.addAction(quit_action)
        room_menu = window.menuBar().addMenu("R&oom")
        room_actions: tuple[tuple[str, Callable[[], object], str], ...] = (
            ("Mute or unmute yourself", window.strip.toggle_mute, SELF_MUTE_KEY),
            ("Tickets…", window.show_tickets, "Ctrl+Shift+T"),
            ("People you follow and blocked…", window.show_people, "Ctrl+Shift+P"),
            ("Broadcast mode on or off", window.toggle_broadcast, "Ctrl+Shift+B"),
            ("End room…", window.ask_end_room, "Ctrl+Shift+W"),
        )
        for text, room_slot, room_keys in room_actions:
            action = QAction(text, window)
            action.setShortcut(QKeySequence(room_keys))
            action.triggered.connect(room_slot)
            room_menu.addAction(action)
        window.set_push_to_talk(self.settings.push_to_talk_key)
        window.strip.inputChosen.connect(lambda name: spawn(self._switch_input(window, name)))
        window.header.coHostLinkWanted.connect(lambda: spawn(self._cohost_link(window, hosted)))
        window.header.hostLinkRotateWanted.connect(
            lambda: spawn(self._rotate_host_link(window, hosted))
        )
        window.closedForGood.connect(lambda: spawn(self._window_closed(window)))
        window.controller.roomChanged.connect(lambda room: self._on_air())

    def _on_air(self) -> None:
        """The tray is on air while any open room is live."""
        if self.tray is None:
            return
        rooms = [w.controller.room for w in self.windows if w.controller.room is not None]
        live = [room for room in rooms if room.state is RoomState.LIVE]
        self.tray.set_live(bool(live), live[0].card.title if live else "")

    def show_front(self) -> None:
        """The tray's "Show Roomcast": the room window, else a list or the start dialog."""
        if self.window is not None:
            self.window.showNormal()
            self.window.raise_()
            self.window.activateWindow()
        elif self.rooms_list is not None and self.rooms_list.isVisible():
            self.rooms_list.showNormal()
            self.rooms_list.raise_()
            self.rooms_list.activateWindow()
        else:
            self.show_start_dialog()

    def _open_handed_link(self, link: str) -> None:
        """`roomcast --room LINK` while this console runs: open it here (or bring its window
        to the front when it is open already)."""
        try:
            room_id = JoinLink.parse(link).room_id
        except ValueError as exc:
            self._handed_link_failed(exc)
            return
        for window in self.windows:
            if window.controller.session.client.link.room_id == room_id:
                self._focus(window.controller)
                return
        spawn(self._chosen(JoinLinkChoice(link)), self._handed_link_failed)

    def _handed_link_failed(self, error: BaseException) -> None:
        text = getattr(error, "message", None) or str(error)
        if self.start_dialog is not None:
            self.start_dialog.show_error(text)
        else:
            self.notify(f"Could not open the link: {text}")

    def _quit_from_tray(self) -> None:
        if self.window is not None:
            self.window.close()  # a live room asks first
        else:
            spawn(self.quit())

    def nothing_open(self, but: object = None) -> bool:
        """No window a person could come back through (the tray aside), but the one closing."""
        lists = (self.rooms_list, self.directory, self.moderator, self.start_dialog)
        return not self.windows and not any(
            w is not None and w is not but and w.isVisible() for w in lists
        )

    def last_window_closed(self, closing: object = None) -> None:
        """A list window closed: with a tray the console waits there (to say when a room is
        due); without one nothing could bring it back, so it quits."""
        if self._quitting or not self.nothing_open(but=closing):
            return
        if self.tray is None:
            spawn(self.quit())
        else:
            self.tray.notify("Roomcast keeps running here and will say when a room is due.")

    async def _fill_devices(self, window: MainWindow) -> None:
        loop = asyncio.get_running_loop()
        try:
            inputs, _outputs = await loop.run_in_executor(None, device_names, self.catalog)
        except DeviceError as exc:
            window.banner.show_message(str(exc))
            return
        window.strip.set_devices(inputs, self.settings.input_device)

    async def _switch_input(self, window: MainWindow, name: str) -> None:
        self.settings = self.settings.with_changes(input_device=name or None)
        settings_store.save(self.data_dir, self.settings)
        mic, problem = await self._microphone()
        window.session.switch_microphone(mic)
        self._device_error_shown = ""
        if problem:
            window.banner.show_message(problem)

    def _check_device(self) -> None:
        if self.capture is None or self.window is None:
            return
        error = self.capture.capture.check()
        if error is not None and str(error) != self._device_error_shown:
            self._device_error_shown = str(error)  # one message per loss, not one per tick
            self.window.banner.show_message(str(error), hold_s=60)

    async def _cohost_link(self, window: MainWindow, hosted: HostedRoom | None) -> None:
        if hosted is None or self.relay_url is None:
            return
        hosted = self.book.get(hosted.room_id) or hosted  # the host link may have been changed
        token = hosted.host_url.split("#token=", 1)[1]
        try:
            url = await RelayApi(hosted.base_url).cohost_link(hosted.room_id, token)
        except ApiError as exc:
            window.banner.show_message(exc.message)
            return
        QApplication.clipboard().setText(url)
        window.statusBar().showMessage("A co-host link is on the clipboard.", 6000)

    async def _rotate_host_link(self, window: MainWindow, hosted: HostedRoom | None) -> None:
        """A new host link: the relay kills the old one at once; this window's connection goes
        on, and the room book keeps the new link for reopening the room."""
        try:
            url = await window.session.client.rotate_host_link()
        except (CommandRejected, ClientClosed) as exc:
            window.banner.show_message(f"The host link was not changed: {exc}")
            return
        if hosted is not None:
            current = self.book.get(hosted.room_id) or hosted
            self.book.add(dataclasses.replace(current, host_url=url))
        token = url.split("#token=", 1)[1]
        window.header.share = dataclasses.replace(window.header.share, host_token=token)
        window.statusBar().showMessage(
            "The host link was changed; the old one no longer works.", 8000
        )

    async def _window_closed(self, window: MainWindow) -> None:
        session = window.session
        if window in self.windows:
            self.windows.remove(window)
        if session in self.sessions:
            self.sessions.remove(session)
            await session.close()
        if window is self.window:
            self.window = self.windows[-1] if self.windows else None
        self._on_air()
        if not self.windows and not (self.start_dialog and self.start_dialog.isVisible()):
            await self.quit()

    # -- other windows ----------------------------------------------------------------------------

    def show_rooms_list(self) -> None:
        self.scheduled.show()

    @property
    def rooms_list(self) -> RoomsList | None:
        return self.scheduled.window

    def notify(self, text: str) -> None:
        """A notice that must reach the host wherever they are looking."""
        if self.tray is not None:
            self.tray.notify(text)
        if self.window is not None:
            self.window.banner.show_message(text, hold_s=60)
        elif self.start_dialog is not None:
            self.start_dialog.set_status(text)

    def show_mic_check(self) -> MicCheckDialog:
        """The green room: the chosen microphone's level, a verdict, and a playback."""
        if self.mic_check is None:
            self.mic_check = MicCheckDialog(
                lambda: open_capture(self.catalog, self.settings.input_device),
                lambda: self.catalog.open_playback(self.settings.output_device),
            )
        self.mic_check.show()
        self.mic_check.raise_()
        self.mic_check.start()
        return self.mic_check

    def show_directory(self) -> RoomDirectory:
        """Rooms on this relay: join one in the browser, or open the desk of one of ours."""
        if self.directory is None:
            self.directory = RoomDirectory(
                self._directory_page,
                lambda: {r.room_id for r in self.book.rooms()},
                page_size=self.directory_page_size,
            )
            self.directory.browserWanted.connect(self._open_in_browser)
            self.directory.deskWanted.connect(
                lambda room_id: spawn(self._open_desk(room_id), self._directory_failed)
            )
        self.directory.show()
        self.directory.raise_()
        return self.directory

    async def _directory_page(self, limit: int, cursor: str | None) -> Any:
        if self.relay_url is None:
            raise ApiError("no_relay", "The relay is not running yet.")
        return await RelayApi(self.relay_url, timeout_s=5.0).directory_page(limit, cursor)

    def _open_in_browser(self, room_id: str) -> None:
        if self.relay_url is None:
            return
        url = f"{self.relay_url}/r/{room_id}"
        if not QDesktopServices.openUrl(QUrl(url)) and self.directory is not None:
            self.directory.status.setText(f"No browser opened; the room's link is {url}")

    async def _open_desk(self, room_id: str) -> None:
        for window in self.windows:
            if window.controller.room is not None and window.controller.room.room_id == room_id:
                window.showNormal()
                window.raise_()
                window.activateWindow()
                return
        hosted = self.book.get(room_id)
        if hosted is not None:
            await self._chosen(Reopen(hosted))

    def _directory_failed(self, error: BaseException) -> None:
        if self.directory is not None:
            self.directory.status.setText(getattr(error, "message", None) or str(error))

    def show_moderator_view(self) -> ModeratorView:
        if self.moderator is None:
            self.moderator = ModeratorView()
            self.moderator.addWanted.connect(
                lambda url: spawn(self._watch(url), self._watch_failed)
            )
            self.moderator.focusWanted.connect(self._focus)
            for window in self.windows:
                self.moderator.add_room(window.controller)
        self.moderator.show()
        self.moderator.raise_()
        return self.moderator

    async def _watch(self, url: str) -> None:
        session = HostSession(JoinLink.parse(url), self.identity, self.settings.display_name)
        await session.start()
        self.sessions.append(session)
        assert self.moderator is not None
        self.moderator.add_room(RoomController(session, self.moderator))
        self.moderator.show_error("")

    def _watch_failed(self, error: BaseException) -> None:
        if self.moderator is not None:
            self.moderator.show_error(getattr(error, "message", None) or str(error))

    def _focus(self, controller: RoomController) -> None:
        for window in self.windows:
            if window.controller is controller:
                window.showNormal()
                window.raise_()
                window.activateWindow()
                return
        window = MainWindow(controller, ShareLinks(controller.session.client.link.base_url))
        self.windows.append(window)
        window.show()

    def _apply_retention(self) -> None:
        spawn(self.recordings.apply_retention())

    def _save_retention(self, days: int | None) -> None:
        self.settings = self.settings.with_changes(retention_days=days)
        settings_store.save(self.data_dir, self.settings)

    def show_settings(self) -> None:
        dialog = SettingsDialog(self.settings, str(self.data_dir), self.window)

        async def fill() -> None:
            loop = asyncio.get_running_loop()
            try:
                inputs, outputs = await loop.run_in_executor(None, device_names, self.catalog)
            except DeviceError:
                return
            dialog.set_devices(inputs, outputs)

        def answered(chosen: object) -> None:
            if chosen is None:
                return
            assert isinstance(chosen, settings_store.Settings)
            # retention is set in the recordings library, maybe while this dialog was open
            self.settings = chosen.with_changes(retention_days=self.recordings.retention_days)
            settings_store.save(self.data_dir, self.settings)
            app = QApplication.instance()
            if isinstance(app, QApplication):
                apply_theme(app, self.settings.theme)
            for window in self.windows:
                window.set_push_to_talk(self.settings.push_to_talk_key)
                if window.session.mic is not None:
                    window.session.mic.set_sensitivity(self.settings.speaking_sensitivity)

        dialog.refreshDevices.connect(lambda: spawn(fill()))
        dialog.answered.connect(answered)
        dialog.show()
        spawn(fill())
        self.settings_dialog = dialog

    # -- the end ----------------------------------------------------------------------------------

    async def quit(self) -> None:
        if self._quitting:
            return
        self._quitting = True
        self._device_timer.stop()
        self.scheduled.stop()
        if self.start_dialog is not None:  # a quitting console leaves no dialog behind
            self.start_dialog.finish()
            self.start_dialog = None
        if self.scheduled.window is not None:
            self.scheduled.window.close()
        if self.directory is not None:
            self.directory.close()
        if self.mic_check is not None:
            self.mic_check.reject()
        for session in list(self.sessions):
            await session.close()
        self.sessions.clear()
        for window in list(self.windows):  # nor a room window (ended or not) on screen
            window.close_now()
        if self.moderator is not None:
            self.moderator.close()
        if self.supervisor is not None and self.supervisor.state is not RelayState.STOPPED:
            await self.supervisor.stop()
        self.catalog.close()
        self.recordings.close()
        self.instance.close()
        if self.tray is not None:
            self.tray.hide()
        self.finished.emit()
