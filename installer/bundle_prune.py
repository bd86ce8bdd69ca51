"""Drops what the bundle must not carry from PyInstaller's list of binaries, with the libraries
only those needed.

PyInstaller collects every Qt plugin of the modules used and every library they link, and the
system's PortAudio (its sounddevice hook). Some of that is dead weight (platforms for embedded
boards, GTK's theme and all of GTK behind it) and some is harmful: a bundled PortAudio brings
the build machine's libasound, which then loads the *user's* ALSA plugins (PulseAudio,
PipeWire) against a libasound they were not built with. So: the plugins and libraries named in
`bundle_contents` go, and then every plain library that no remaining extension module, plugin
or dlopen()ed library still needs (by `ldd`, transitively) goes too.

Used by roomcast.spec at build time; Linux only (elsewhere the list is returned unchanged).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath

# (destination in the bundle, source path, PyInstaller's type code)
Entry = tuple[str, str, str]

_LDD_LINE = re.compile(r"^\s*(\S+)\s+=>\s+(\S+)")


def is_root(dest: str, dlopened: Iterable[str] = ()) -> bool:
    """Loaded by something other than the dynamic linker's NEEDED list: a Python extension,
    a Qt plugin, Python itself, or a library the code loads by name."""
    path = PurePosixPath(dest)
    name = path.name
    return (
        ".cpython-" in name
        or name.endswith(".abi3.so")
        or name.startswith("libpython")
        or "/plugins/" in f"/{dest}"
        or any(dest.startswith(prefix) for prefix in dlopened)
    )


def needed_by(path: str) -> set[str]:
    """File names of every library `path` needs, transitively, as the system's ldd finds them."""
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    done = subprocess.run(
        ["ldd", path], capture_output=True, text=True, env=env, check=False, timeout=60
    )
    names: set[str] = set()
    for line in done.stdout.splitlines():
        match = _LDD_LINE.match(line)
        if match:
            names.add(match.group(1))
            names.add(PurePosixPath(match.group(2)).name)
    return names


def prune(
    binaries: Sequence[Entry],
    drop: Sequence[str],
    dlopened: Sequence[str] = (),
) -> tuple[list[Entry], list[str]]:
    """(the binaries to keep, the destinations dropped). `drop` holds destination paths or
    file names (a trailing "/" drops a whole folder); `dlopened` destination prefixes of
    libraries loaded by name at run time (kept, and what they need)."""
    if not sys.platform.startswith("linux"):
        return list(binaries), []

    def dropped_by_name(dest: str) -> bool:
        name = PurePosixPath(dest).name
        return any(dest == d or name == d or (d.endswith("/") and dest.startswith(d)) for d in drop)

    wanted = [entry for entry in binaries if not dropped_by_name(entry[0])]
    reachable: set[str] = set()
    for dest, source, _kind in wanted:
        if is_root(dest, dlopened):
            reachable |= needed_by(source)
    kept = [
        entry
        for entry in wanted
        if is_root(entry[0], dlopened) or PurePosixPath(entry[0]).name in reachable
    ]
    kept_dests = {entry[0] for entry in kept}
    return kept, sorted(entry[0] for entry in binaries if entry[0] not in kept_dests)
