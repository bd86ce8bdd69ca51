"""Screenshots of the console for the README, with a real relay and real participants.

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python -m tests.ui.screenshots

Writes docs/screenshots/console-{main,queue,moderator,settings,recording,export,recordings}.png,
and from the whole console app console-{tickets,people,directory,mic-check}.png.
Not a test: run by hand and look at the pictures.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QApplication

from console.client import JoinLink
from console.host_session import HostSession
from console.identity import Identity
from console.room_view import ApproveRequest, PinLink, RemoveParticipant, Report
from console.rooms_api import RelayApi
from console.settings import Settings
from console.supervisor import RelaySupervisor
from console.tracks import ToneTrack
from server.room import AddMarker, React, RequestToSpeak, SetConsent, StopRecording
from tests.fixtures_audio import SENTENCES, speech
from tests.ui.botkit import ToneBot, until
from tests.ui.consolekit import open_console, relay_api
from ui.console_app import ConsoleApp
from ui.event_loop import ConsoleLoop
from ui.export_dialog import ExportDialog
from ui.moderator_view import ModeratorView
from ui.recordings_library import RecordingsLibrary
from ui.recordings_model import recordings_root
from ui.room_controller import RoomController
from ui.settings_dialog import SettingsDialog
from ui.start_dialog import NewRoom
from ui.theme import apply_theme

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SPEAKERS = [("Ana Ortiz", 330), ("Ben Okafor", 523), ("Chloé Martin", 392), ("Dev Patel", 587)]
LISTENERS = [
    "Ada L.",
    "Bruno",
    "Carmen Ruiz",
    "Dmitri",
    "Elif Kaya",
    "Femi A.",
    "Grace Ho",
    "Hiro Tanaka",
    "Ines",
    "Jonas Berg",
    "Kavya",
    "Liam O'Neil",
    "Mara",
    "Nadia Haddad",
    "Omar",
    "Priya S.",
    "Quinn",
    "Rosa Lima",
    "Sven",
    "Tomás",
    "Uma",
    "Viktor",
    "Wen Li",
    "Xavi",
    "Yara",
    "Zoe K.",
]
ASKERS = ["Sam Rivera", "Noor Hassan", "Leo Fischer"]


def speech_wav(text: str, folder: Path, name: str) -> Path:
    """Speech from espeak-ng (a speaking glow needs a voice, not a tone)."""
    import soundfile

    samples = speech(text, folder, name)
    pause = np.zeros(24_000, dtype=np.float32)
    path = folder / f"{name}-loop.wav"
    soundfile.write(str(path), np.concatenate([samples, pause]) * 0.8, 48_000)
    return path


async def listener(url: str, name: str) -> HostSession:
    session = HostSession(JoinLink.parse(url), Identity.new("l"), name)
    await session.client.connect()
    return session


async def scene() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp(prefix="rc-shots-"))
    relay = RelaySupervisor(data, port=0)
    url = await relay.start()
    console = await open_console(
        relay, "Open-source audio, live", description="How we built a Spaces-style host console",
        topics=("audio", "python", "qt"),
    )  # fmt: skip
    window = console.window
    window.resize(1360, 820)
    await console.controller.session.set_muted(False)
    window.strip.set_devices(["USB Podcast Mic", "Built-in Microphone"], "USB Podcast Mic")
    people: list[object] = []
    voices = [
        None,
        speech_wav(SENTENCES[0], data, "s0"),
        None,
        speech_wav(SENTENCES[2], data, "s2"),
    ]
    for (name, tone), voice in zip(SPEAKERS, voices, strict=True):
        bot = ToneBot(console.hosted.join_url, name, tone, voice)
        await bot.start()
        people.append(bot)
        await until(lambda b=bot: window.request_model.row_of(b.user_id) >= 0)
        await console.session.send(ApproveRequest(bot.user_id))
    for name in LISTENERS:
        people.append(await listener(console.hosted.join_url, name))
    for name in ASKERS:
        session = await listener(console.hosted.join_url, name)
        await session.client.send(RequestToSpeak())
        people.append(session)
        await asyncio.sleep(0.6)
    await console.session.send(PinLink("https://example.org/show-notes", "Show notes"))
    for emoji, who in (("🙌", 3), ("❤️", 5), ("😂", 8), ("💯", 9), ("🔥", 11), ("🙌", 12)):
        await people[who].client.send(React(emoji))
    troll = people[10]
    await people[6].client.send(Report("Spamming links in their name", troll.client.user_id))
    await asyncio.sleep(4.0)  # meters settle, waiting times grow
    window.stage.select(people[1].user_id)
    window.side.setCurrentIndex(2)
    await asyncio.sleep(0.5)
    window.grab().save(str(OUT / "console-main.png"))

    window.requests.view.setCurrentIndex(window.request_model.index(0))
    window.side.setCurrentIndex(4)
    await asyncio.sleep(1.5)
    window.grab().save(str(OUT / "console-queue.png"))

    # moderator view: this room and a second one watched through a co-host link
    second = await relay_api(relay).create_room(Identity.new(), "Mo Host", "Late-night radio")
    token = second[0].host_url.split("#token=", 1)[1]
    cohost_url = await RelayApi(url).cohost_link(second[0].room_id, token)
    host2 = HostSession(
        JoinLink.parse(second[0].host_url), Identity.new(), "Mo Host", mic=ToneTrack(262)
    )
    await host2.start()
    await host2.set_muted(False)
    watch = HostSession(JoinLink.parse(cohost_url), Identity.new(), "Hana (co-host)")
    await watch.start()
    for name in LISTENERS[:9]:
        people.append(await listener(second[0].join_url, name + " "))
    moderator = ModeratorView()
    moderator.resize(700, 300)
    moderator.add_room(console.controller)
    moderator.add_room(RoomController(watch, moderator))
    moderator.show()
    await asyncio.sleep(2.5)
    moderator.grab().save(str(OUT / "console-moderator.png"))

    dialog = SettingsDialog(Settings(display_name="Hana Host", push_to_talk_key="F8"), str(data))
    dialog.settings = dialog.settings.with_changes(input_device="USB Podcast Mic")
    dialog.set_devices(
        ["Built-in Microphone", "USB Podcast Mic"], ["Built-in Speakers", "Headphones"]
    )
    dialog.data_dir.setText("/home/hana/.local/share/roomcast")
    dialog.recordings.setText("/home/hana/Podcasts/Roomcast")
    dialog.resize(560, dialog.sizeHint().height())
    dialog.show()
    await asyncio.sleep(0.5)
    dialog.grab().save(str(OUT / "console-settings.png"))
    await recording_shots(console, people[:4], recordings_root(relay.relay_dir))
    print("wrote", *sorted(p.name for p in OUT.glob("console-*.png")))
    for person in people:
        await person.close()  # type: ignore[attr-defined]
    for session in (watch, host2):
        await session.close()
    await console.close()
    await relay.stop()


async def recording_shots(console, speakers, root: Path) -> None:
    """Recording (two said yes, one no, one has not answered), the export, the library."""
    window = console.window
    window.recording_bar.ask_to_record().yes.click()
    await until(lambda: console.session.room.is_recording)
    for bot, yes in zip(speakers[:3], (True, True, False), strict=True):
        await bot.client.send(SetConsent(yes))
    await asyncio.sleep(4.0)
    await console.session.send(AddMarker("Introductions"))
    await asyncio.sleep(8.0)
    window.recording_bar.marker_label.setText("Q&A")
    window.side.setCurrentIndex(0)
    await asyncio.sleep(0.5)
    window.grab().save(str(OUT / "console-recording.png"))

    await console.session.send(AddMarker("Q&A"))
    await asyncio.sleep(3.0)
    await console.session.send(StopRecording())
    library = RecordingsLibrary(root, retention_days=90)
    library.resize(980, 360)
    library.show()
    await until(
        lambda: library.model.rowCount() == 1 and library.model.row_at(0).state == "stopped"
    )
    library.select(0)
    await asyncio.sleep(0.5)
    library.grab().save(str(OUT / "console-recordings.png"))

    dialog = ExportDialog(library.model.row_at(0))
    dialog.show()
    dialog.start.click()
    await until(lambda: dialog.report is not None or dialog.job is None, 120)
    await asyncio.sleep(0.3)
    dialog.grab().save(str(OUT / "console-export.png"))
    dialog.close()
    library.close()


async def app_scene() -> None:
    """The paths a host reaches from the console app itself: the ticket desk with issued codes,
    the People tab with a blocked listener (Unblock), the rooms directory, the mic check."""
    data = Path(tempfile.mkdtemp(prefix="rc-shots-app-"))
    app = ConsoleApp(data)
    app.settings = app.settings.with_changes(relay_port=0, display_name="Hana Host")
    people: list[HostSession] = []
    try:
        await app.start()
        dialog = app.start_dialog
        assert dialog is not None
        await until(lambda: "running" in dialog.status.text(), 30)
        tickets = {"price_cents": 500, "currency": "USD", "quantity": 50}
        await app._chosen(NewRoom("Paid workshop: mixing speech", tickets=tickets))
        await until(lambda: app.window is not None and app.window.isVisible(), 30)
        window = app.window
        assert window is not None and app.relay_url is not None
        window.resize(1360, 820)
        desk = window.show_tickets()
        desk.issue.click()
        await until(lambda: desk.model.rowCount() == 5)
        desk.issue.click()
        await until(lambda: desk.model.rowCount() == 10)
        desk.view.setCurrentIndex(desk.model.index(2))
        await asyncio.sleep(0.5)
        desk.grab().save(str(OUT / "console-tickets.png"))
        desk.close()

        codes = [desk.model.item(row).code for row in range(3)]
        join_url = app.book.rooms()[0].join_url
        for name, code in zip(("Iris Novak", "Omar Aziz", "Troll Account"), codes, strict=True):
            session = HostSession(JoinLink.parse(join_url), Identity.new("l"), name)
            session.client.ticket_code = code
            await session.client.connect()
            people.append(session)
        troll = people[-1].client.user_id
        await until(lambda: window.audience_model.row_of(troll) >= 0)
        await window.session.send(RemoveParticipant(troll, block=True))
        await until(lambda: window.side.people.blocked.rowCount() == 1)
        window.show_people()
        window.side.people.blocked_view.setCurrentIndex(window.side.people.blocked.index(0))
        await asyncio.sleep(1.0)
        window.grab().save(str(OUT / "console-people.png"))

        api = RelayApi(app.relay_url, admin_key=app.supervisor.admin_key())  # type: ignore[union-attr]
        for title, who in (
            ("Friday jazz listening club", "Rosa Jazz"),
            ("City council Q&A", "Mo Host"),
        ):
            await api.create_room(Identity.new(), who, title)
        directory = app.show_directory()
        await until(lambda: directory.model.rowCount() >= 3, 30)
        await asyncio.sleep(0.5)
        directory.grab().save(str(OUT / "console-directory.png"))
        directory.close()

        check = app.show_mic_check()
        await until(lambda: check.status.text() != "", 30)
        await asyncio.sleep(2.0)
        check.grab().save(str(OUT / "console-mic-check.png"))
        check.reject()
    finally:
        for session in people:
            await session.close()
        if app.window is not None:
            app.window.close()
            if app.window.pending_question is not None:
                app.window.pending_question.yes.click()
        await app.quit()
    print("wrote", *sorted(p.name for p in OUT.glob("console-*.png")))


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setQuitOnLastWindowClosed(False)
    apply_theme(app, sys.argv[1] if len(sys.argv) > 1 else "dark")
    loop = ConsoleLoop(app)
    asyncio.set_event_loop(loop)
    loop.run_until_complete(scene())
    loop.run_until_complete(app_scene())
    loop.close()


if __name__ == "__main__":
    main()
