"""Plain HTTP clients that follow a room's LL-HLS playlist the way a player does, many to a
process: read the playlist, take the init segment, then, for each next segment, a blocking
playlist reload (`?_HLS_msn=M`, held by the origin until segment M is out) and the segment.

They keep what a test needs to judge them: which segments each got, a digest of each (all
clients must get the same bytes), and the bytes themselves for one client (to decode).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from dataclasses import dataclass, field

import aiohttp

_SEGMENT = re.compile(r"^s(\d+)\.m4s$", re.MULTILINE)


@dataclass
class Follower:
    index: int
    segments: list[int] = field(default_factory=list)
    digests: dict[int, str] = field(default_factory=dict)
    kept: dict[int, bytes] = field(default_factory=dict)
    init: bytes = b""
    ended: bool = False
    errors: list[str] = field(default_factory=list)
    requests: int = 0


def complete_segments(playlist: str) -> list[int]:
    return [int(m) for m in _SEGMENT.findall(playlist)]


async def follow(
    http: aiohttp.ClientSession,
    playlist_url: str,
    follower: Follower,
    until: float,
    *,
    keep_bytes: bool = False,
    first_msn: int | None = None,
) -> None:
    """Follow until `until` (time.monotonic) or the playlist's ENDLIST; every loop is bounded
    by the deadline, every request by a timeout."""
    base = playlist_url.rsplit("/", 1)[0]

    async def get(url: str) -> tuple[int, bytes]:
        follower.requests += 1
        async with http.get(url, timeout=aiohttp.ClientTimeout(total=20)) as response:
            return response.status, await response.read()

    status, body = await get(playlist_url)
    if status != 200:
        follower.errors.append(f"playlist: {status}")
        return
    listed = complete_segments(body.decode())
    status, follower.init = await get(f"{base}/init.mp4")
    if status != 200 or not listed:
        follower.errors.append(f"init: {status}, listed {listed}")
        return
    next_msn = first_msn if first_msn is not None else listed[-1]
    while time.monotonic() < until:
        if next_msn not in listed:
            status, body = await get(f"{playlist_url}?_HLS_msn={next_msn}")
            text = body.decode(errors="replace")
            if status == 503:
                continue  # held the full time without news: ask again (the deadline bounds it)
            if status != 200:
                follower.errors.append(f"blocking reload {next_msn}: {status}")
                return
            listed = complete_segments(text)
            if next_msn not in listed:
                if "#EXT-X-ENDLIST" in text:
                    follower.ended = True
                    return
                if listed and listed[0] > next_msn:
                    follower.errors.append(f"segment {next_msn} left the playlist unfetched")
                    return
                continue
        status, data = await get(f"{base}/s{next_msn}.m4s")
        if status != 200:
            follower.errors.append(f"segment {next_msn}: {status}")
            return
        follower.segments.append(next_msn)
        follower.digests[next_msn] = hashlib.sha1(data).hexdigest()
        if keep_bytes:
            follower.kept[next_msn] = data
        next_msn += 1


async def follow_many(
    playlist_url: str, count: int, seconds: float, *, connection_limit: int = 500
) -> list[Follower]:
    """`count` followers in this process, all starting from the same segment."""
    followers = [Follower(i) for i in range(count)]
    connector = aiohttp.TCPConnector(limit=connection_limit, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as http:
        async with http.get(playlist_url) as response:
            listed = complete_segments(await response.text())
        first = listed[-1] if listed else None
        until = time.monotonic() + seconds
        await asyncio.gather(
            *(
                follow(http, playlist_url, f, until, keep_bytes=f.index == 0, first_msn=first)
                for f in followers
            )
        )
    return followers
