"""Debian's nginx as an HLS edge in front of a real relay: `deploy/nginx/roomcast-hls.conf`,
rendered with this run's ports and folders into a temporary directory and started as a
foreground child (`daemon off`), on loopback. Its log says which requests reached the relay.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SITE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "roomcast-hls.conf"

_MAIN = """
{user}daemon off;
master_process on;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/roomcast-hls.conf;
    access_log {dir}/access.log roomcast_edge;
}}
"""


def nginx_available() -> bool:
    return Path(NGINX).exists()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class LogLine:
    uri: str
    status: int
    cache: str
    upstream: str
    version: str

    @property
    def reached_relay(self) -> bool:
        return self.upstream not in ("-", "")


@dataclass
class Edge:
    folder: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> list[LogLine]:
        lines = []
        for raw in (self.folder / "access.log").read_text(encoding="utf-8").splitlines():
            parts = raw.split()
            if len(parts) < 7:
                continue
            lines.append(
                LogLine(
                    parts[1].strip('"'),
                    int(parts[2]),
                    parts[3],
                    parts[4].strip('"'),
                    parts[5].strip('"'),
                )
            )
        return lines

    def upstream_counts(self) -> Counter[str]:
        """Answers the relay gave through the edge, by what they carried: a media file or a
        blocking playlist by its URL (both name one version), the plain playlist by the version
        the relay answered with. A 404 (asked before the room's stream began) carries none."""
        counts: Counter[str] = Counter()
        for line in self.log():
            if not line.reached_relay or "/hls/" not in line.uri or line.status != 200:
                continue
            if line.uri.endswith("/index.m3u8"):
                counts[f"{line.uri}@{line.version}"] += 1
            else:
                counts[line.uri] += 1
        return counts


def render(folder: Path, *, port: int, relay_port: int) -> Path:
    site = SITE.read_text(encoding="utf-8")
    for old, new in (
        ("127.0.0.1:8470", f"127.0.0.1:{relay_port}"),
        ("listen 8080", f"listen 127.0.0.1:{port}"),
        ("/var/cache/nginx/roomcast-hls", str(folder / "cache")),
    ):
        assert old in site, f"deploy/nginx/roomcast-hls.conf no longer says {old!r}"
        site = site.replace(old, new)
    (folder / "roomcast-hls.conf").write_text(site, encoding="utf-8")
    main = folder / "nginx.conf"
    # As root (CI), nginx's workers would become `nobody` and could not reach a private
    # temporary folder: they stay who we are.
    user = "user root;\n" if os.geteuid() == 0 else ""
    main.write_text(_MAIN.format(dir=folder, user=user), encoding="utf-8")
    return main


@contextlib.contextmanager
def running_edge(folder: Path, relay_port: int) -> Iterator[Edge]:
    """nginx caching /hls/ of the relay on `relay_port`; stopped (and waited for) on exit."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    main = render(folder, port=port, relay_port=relay_port)
    check = subprocess.run(
        [NGINX, "-t", "-q", "-c", str(main), "-p", str(folder)], capture_output=True, text=True
    )
    assert check.returncode == 0, f"nginx rejects the rendered configuration:\n{check.stderr}"
    process = subprocess.Popen(
        [NGINX, "-c", str(main), "-p", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10.0
        while True:  # until it accepts connections
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            assert time.monotonic() < deadline, "nginx did not start listening in 10 s"
            time.sleep(0.05)
        yield Edge(folder, port, process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
