"""A room's LL-HLS media playlist (RFC 8216bis), from the segmenter's state: pure text.

Names in the room's folder: `init.mp4` (EXT-X-MAP), `s<msn>.m4s` (a whole segment), and
`p<msn>.<part>.m4s` (its partial segments); a segment's bytes are its parts' bytes in order.
Parts are listed for the last few segments only (the spec lets them go once they are more
than three target durations from the end); a preload hint names the next part, so a player
asks for it before it exists and the relay answers as soon as it is written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

PARTS_LISTED_FOR_SEGMENTS = 2
"""Complete segments, counted back from the newest, whose parts are still listed."""


@dataclass(slots=True)
class Segment:
    msn: int
    parts_s: list[float] = field(default_factory=list)
    """Each part's duration (s), in order."""
    started_at: float = 0.0
    """Wall-clock time (Unix s) of its first sample: EXT-X-PROGRAM-DATE-TIME."""
    discontinuity: bool = False
    complete: bool = False

    @property
    def duration_s(self) -> float:
        return sum(self.parts_s)


def segment_name(msn: int) -> str:
    return f"s{msn}.m4s"


def part_name(msn: int, part: int) -> str:
    return f"p{msn}.{part}.m4s"


def render(
    segments: list[Segment],
    *,
    part_target_s: float,
    segment_target_s: float,
    discontinuity_sequence: int,
    ended: bool,
) -> str:
    """The playlist: every complete segment in `segments`, then the open one's parts."""
    target = max(
        [math.ceil(segment_target_s), *(round(s.duration_s) for s in segments if s.complete)]
    )
    first = segments[0].msn if segments else 0
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:9",
        f"#EXT-X-TARGETDURATION:{target}",
        f"#EXT-X-PART-INF:PART-TARGET={part_target_s:.3f}",
        # A player starts this far from the live end: three parts (LL-HLS), three segments.
        "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,"
        f"PART-HOLD-BACK={3 * part_target_s:.3f},HOLD-BACK={3 * target:.3f}",
        f"#EXT-X-MEDIA-SEQUENCE:{first}",
        f"#EXT-X-DISCONTINUITY-SEQUENCE:{discontinuity_sequence}",
        '#EXT-X-MAP:URI="init.mp4"',
    ]
    complete = [s for s in segments if s.complete]
    with_parts = {s.msn for s in complete[-PARTS_LISTED_FOR_SEGMENTS:]}
    for segment in segments:
        if segment.discontinuity:
            lines.append("#EXT-X-DISCONTINUITY")
        if segment.parts_s:
            stamp = datetime.fromtimestamp(segment.started_at, UTC).isoformat(
                timespec="milliseconds"
            )
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{stamp.replace('+00:00', 'Z')}")
        if segment.msn in with_parts or not segment.complete:
            for index, duration in enumerate(segment.parts_s):
                lines.append(
                    f'#EXT-X-PART:DURATION={duration:.3f},URI="{part_name(segment.msn, index)}",'
                    "INDEPENDENT=YES"
                )
        if segment.complete:
            lines.append(f"#EXTINF:{segment.duration_s:.3f},")
            lines.append(segment_name(segment.msn))
    if ended:
        lines.append("#EXT-X-ENDLIST")
    elif segments:
        last = segments[-1]
        msn, part = (last.msn + 1, 0) if last.complete else (last.msn, len(last.parts_s))
        lines.append(f'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="{part_name(msn, part)}"')
    return "\n".join(lines) + "\n"
