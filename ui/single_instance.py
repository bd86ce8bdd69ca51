"""One console per data folder: a second launch hands over to the first and quits.

Two consoles on one data folder would fight over its embedded relay (the second took over the
first's port and rooms). Instead, the first console listens on a local socket named after its
data folder; a second launch connects, says what it was asked to do ("show", or "open LINK"
for `roomcast --room LINK`), and exits. The first brings its window to the front or opens the
link, as if the person had used its tray.

A socket left behind by a console that crashed answers nobody; it is removed and taken over.
Consoles on different data folders (`--data-dir`) are independent and run side by side.

Runs on: the Qt main thread. The hand-over waits at most `CONNECT_MS` for the first console,
before the event loop runs anything else.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

logger = logging.getLogger(__name__)

CONNECT_MS = 1000
SHOW = "show"
OPEN = "open "
_MAX_MESSAGE = 4096  # a link and a word; anything longer is not from a console


def server_name(data_dir: Path) -> str:
    """The socket's name: per user (the socket is the user's only) and per data folder."""
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]
    return f"roomcast-console-{digest}"


class SingleInstance(QObject):
    """`claim()` once at start: True if this console is the first on its data folder.
    Then `showWanted` / `openWanted(link)` say what a later launch asked for."""

    showWanted = Signal()
    openWanted = Signal(str)

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(data_dir)
        self._server: QLocalServer | None = None
        self._buffers: dict[QLocalSocket, bytes] = {}

    def claim(self, link: str | None = None) -> bool:
        """Listen, or hand `link` (or a plain "show") to the console already listening and
        return False: then this process should quit."""
        if self._hand_over(f"{OPEN}{link}" if link else SHOW):
            return False
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            QLocalServer.removeServer(self.name)  # left by a console that crashed
            if not server.listen(self.name):
                # not fatal: this console runs, only a second launch cannot find it
                logger.warning("cannot listen for a second launch: %s", server.errorString())
                return True
        server.newConnection.connect(self._accept)
        self._server = server
        return True

    def close(self) -> None:
        for socket in list(self._buffers):
            self._drop(socket)
        if self._server is not None:
            self._server.close()
            self._server = None

    def _hand_over(self, message: str) -> bool:
        socket = QLocalSocket(self)
        socket.connectToServer(self.name)
        if not socket.waitForConnected(CONNECT_MS):
            socket.deleteLater()
            return False
        socket.write((message + "\n").encode())
        delivered = socket.waitForBytesWritten(CONNECT_MS)
        socket.disconnectFromServer()
        if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
            socket.waitForDisconnected(CONNECT_MS)
        socket.deleteLater()
        return delivered

    def _accept(self) -> None:
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._drop(s))
            if socket.bytesAvailable():
                self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        if socket not in self._buffers:
            return
        data = self._buffers[socket] + bytes(socket.readAll().data())
        if b"\n" not in data:
            if len(data) > _MAX_MESSAGE:
                self._drop(socket)
            else:
                self._buffers[socket] = data
            return
        line = data.split(b"\n", 1)[0][:_MAX_MESSAGE].decode("utf-8", "replace").strip()
        self._drop(socket)
        if line == SHOW:
            self.showWanted.emit()
        elif line.startswith(OPEN) and len(line) > len(OPEN):
            self.openWanted.emit(line[len(OPEN) :])
        else:
            logger.info("ignored a hand-over message: %r", line[:80])

    def _drop(self, socket: QLocalSocket) -> None:
        if self._buffers.pop(socket, None) is not None:
            socket.readyRead.disconnect()
            socket.disconnected.disconnect()
            socket.abort()
            socket.deleteLater()
