"""Builds Roomcast for Linux: the one-folder bundle, a .tar.gz of it and a .deb.

    .venv/bin/python installer/build.py [--no-deb] [--no-tar]       (make installer)

Outputs, in dist/:
    roomcast/                               the bundle: roomcast (executable) + _internal/
    roomcast-VERSION-linux-ARCH.tar.gz      the bundle, to unpack anywhere
    roomcast_VERSION_ARCH.deb               /usr/lib/roomcast, /usr/bin/roomcast, menu entry, icons

Steps: check the prerequisites (each missing one is named with what installs it), run
PyInstaller on installer/roomcast.spec, strip debug information from the bundle's libraries,
pack the tarball, then stage the .deb and pack it with dpkg-deb (zstd). The .deb's Depends
are the spec's fixed ones (PortAudio, fonts) plus the packages owning every system library the
bundle links outside itself, found with ldd and dpkg -S (what dpkg-shlibdeps does, without
needing a debian/ tree). Prints each step's time and the sizes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTALLER = ROOT / "installer"
DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"
STAGE = ROOT / "build" / "deb"
BUNDLE = DIST / "roomcast"
PREFIX = "usr/lib/roomcast"  # where the .deb puts the bundle

# Always in Depends: what the bundle loads by name or reads from the system, which no ELF
# file of it names. PortAudio: see bundle_contents.DROP_BINARIES. Fonts: Qt's bundled
# fontconfig reads the system's configuration and fonts.
FIXED_DEPENDS = ("libportaudio2", "fontconfig-config", "fonts-dejavu-core | fonts-freefont-ttf")

_LDD_LINE = re.compile(r"^\s*(\S+)\s+=>\s+(/\S+)")
_GLIBC_VERSION = re.compile(r"GLIBC_(\d+)\.(\d+)")


class BuildError(Exception):
    """A prerequisite is missing or a step failed; the message says what to do."""


def say(text: str) -> None:
    print(f"installer: {text}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build Roomcast's Linux bundle, .tar.gz and .deb")
    parser.add_argument("--no-deb", action="store_true", help="skip the .deb")
    parser.add_argument("--no-tar", action="store_true", help="skip the .tar.gz")
    args = parser.parse_args(argv)
    try:
        build(deb=not args.no_deb, tar=not args.no_tar)
    except BuildError as exc:
        print(f"installer: {exc}", file=sys.stderr)
        return 1
    return 0


def build(*, deb: bool, tar: bool) -> None:
    check_prerequisites(deb=deb)
    version = project_version()
    arch = machine_arch()
    started = time.monotonic()

    step = time.monotonic()
    run_pyinstaller()
    say(f"bundle built in {time.monotonic() - step:.1f} s")
    step = time.monotonic()
    saved = strip_debug_info(BUNDLE)
    say(f"debug information stripped ({saved / 2**20:.0f} MB) in {time.monotonic() - step:.1f} s")
    say(f"bundle: {BUNDLE.relative_to(ROOT)}/ {tree_size(BUNDLE) / 2**20:.0f} MB")

    if tar:
        step = time.monotonic()
        archive = pack_tarball(version)
        say(
            f"{archive.relative_to(ROOT)}: {archive.stat().st_size / 2**20:.0f} MB "
            f"in {time.monotonic() - step:.1f} s"
        )
    if deb:
        step = time.monotonic()
        package = pack_deb(version, arch)
        say(
            f"{package.relative_to(ROOT)}: {package.stat().st_size / 2**20:.0f} MB "
            f"in {time.monotonic() - step:.1f} s"
        )
    say(f"done in {time.monotonic() - started:.1f} s; check it with: make installer-test")


# -- prerequisites ------------------------------------------------------------------------------


def check_prerequisites(*, deb: bool) -> None:
    if not sys.platform.startswith("linux"):
        raise BuildError(
            "this script builds the Linux bundle and .deb only; for macOS and Windows see "
            "installer/BUILDING.md"
        )
    problems: list[str] = []
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        problems.append(
            f"PyInstaller is not installed in {sys.prefix}: run `make installer` (which installs "
            "it), or `.venv/bin/pip install -e '.[installer]'`"
        )
    tools = {"ldd": "libc-bin"}
    if deb:
        tools |= {"dpkg-deb": "dpkg", "dpkg-query": "dpkg", "dpkg": "dpkg"}
    for tool, package in tools.items():
        if shutil.which(tool) is None:
            problems.append(
                f"`{tool}` is missing (Debian package {package}); build on Debian or Ubuntu, "
                "or pass --no-deb for the bundle and tarball only"
                if package == "dpkg"
                else f"`{tool}` is missing (Debian package {package})"
            )
    for needed in (
        INSTALLER / "roomcast.spec",
        ROOT / "server" / "web" / "index.html",
        INSTALLER / "icons" / "roomcast.svg",
        INSTALLER / "roomcast.desktop",
    ):
        if not needed.is_file():
            problems.append(f"{needed.relative_to(ROOT)} is missing: is this a whole checkout?")
    if problems:
        raise BuildError("cannot build:\n  - " + "\n  - ".join(problems))
    if shutil.which("strip") is None or shutil.which("readelf") is None:
        say("note: binutils (strip, readelf) is missing; the bundle keeps its debug information")


def project_version() -> str:
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def machine_arch() -> str:
    """Debian's name for this machine's architecture (amd64, arm64), else uname's."""
    if shutil.which("dpkg"):
        return run(["dpkg", "--print-architecture"]).strip()
    return os.uname().machine


def run(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BuildError(
            f"`{' '.join(command)}` failed (exit {done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return str(done.stdout)


# -- the bundle ---------------------------------------------------------------------------------


def run_pyinstaller() -> None:
    command = [
        sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
        "--distpath", str(DIST), "--workpath", str(WORK), str(INSTALLER / "roomcast.spec"),
    ]  # fmt: skip
    say("running PyInstaller (installer/roomcast.spec)")
    done = subprocess.run(command, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise BuildError(f"PyInstaller failed (exit {done.returncode}); its messages are above")
    if not (BUNDLE / "roomcast").is_file():
        raise BuildError(f"PyInstaller made no {BUNDLE.relative_to(ROOT)}/roomcast")


def elf_files(folder: Path) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with open(path, "rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def strip_debug_info(folder: Path) -> int:
    """Removes DWARF sections (never symbols) from libraries that carry them; bytes saved.
    libpython alone goes from 22 MB to 6 MB; the wheels' own libraries are mostly stripped."""
    if shutil.which("strip") is None or shutil.which("readelf") is None:
        return 0
    saved = 0
    for path in elf_files(folder):
        sections = subprocess.run(
            ["readelf", "-S", "-W", str(path)], capture_output=True, text=True, check=False
        ).stdout
        if ".debug_info" not in sections:
            continue
        before = path.stat().st_size
        mode = path.stat().st_mode
        run(["strip", "--strip-debug", str(path)])
        path.chmod(mode)
        saved += before - path.stat().st_size
    return saved


def tree_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def pack_tarball(version: str) -> Path:
    archive = DIST / f"roomcast-{version}-linux-{os.uname().machine}.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
        tar.add(BUNDLE, arcname="roomcast", filter=_normalised)
    return archive


def _normalised(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


# -- the .deb -----------------------------------------------------------------------------------


def pack_deb(version: str, arch: str) -> Path:
    if STAGE.exists():
        shutil.rmtree(STAGE)
    root = STAGE / f"roomcast_{version}_{arch}"
    _copy_tree(BUNDLE, root / PREFIX)
    _install(INSTALLER / "deb" / "roomcast.sh", root / "usr/bin/roomcast", 0o755)
    _install(INSTALLER / "roomcast.desktop", root / "usr/share/applications/roomcast.desktop")
    icons = root / "usr/share/icons/hicolor"
    _install(INSTALLER / "icons" / "roomcast.svg", icons / "scalable/apps/roomcast.svg")
    for png in sorted((INSTALLER / "icons").glob("roomcast-*.png")):
        size = png.stem.removeprefix("roomcast-")
        _install(png, icons / f"{size}x{size}/apps/roomcast.png")
    _install(INSTALLER / "deb" / "copyright", root / "usr/share/doc/roomcast/copyright")

    depends = [*FIXED_DEPENDS, *system_depends(root / PREFIX)]
    control = (INSTALLER / "deb" / "control.in").read_text(encoding="utf-8")
    fields = {
        "VERSION": version,
        "ARCH": arch,
        "INSTALLED_SIZE": str(tree_size(root) // 1024),
        "DEPENDS": ", ".join(dict.fromkeys(depends)),
    }
    for key, value in fields.items():
        control = control.replace(f"@{key}@", value)
    if re.search(r"@[A-Z_]+@", control):
        raise BuildError("installer/deb/control.in has a placeholder this script does not fill")
    (root / "DEBIAN").mkdir(mode=0o755)
    (root / "DEBIAN" / "control").write_text(control, encoding="utf-8")
    say("Depends: " + fields["DEPENDS"])

    package = DIST / f"roomcast_{version}_{arch}.deb"
    package.unlink(missing_ok=True)
    run(["dpkg-deb", "--root-owner-group", "-Zzstd", "--build", str(root), str(package)])
    return package


def _copy_tree(source: Path, target: Path) -> None:
    """Hard links where possible (same file system, instant), copies otherwise; modes kept."""

    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, symlinks=True, copy_function=link_or_copy)
    for folder in [target, *(p for p in target.rglob("*") if p.is_dir() and not p.is_symlink())]:
        folder.chmod(0o755)
    for path in target.rglob("*"):
        if path.is_file() and not path.is_symlink():
            path.chmod(0o755 if path.stat().st_mode & 0o111 else 0o644)


def _install(source: Path, target: Path, mode: int = 0o644) -> None:
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    shutil.copyfile(source, target)
    target.chmod(mode)
    for parent in target.relative_to(STAGE).parents:
        if parent != Path("."):
            (STAGE / parent).chmod(0o755)


def system_depends(bundle: Path) -> list[str]:
    """Debian packages owning the libraries the bundle links outside itself, glibc with the
    newest symbol version any of its files needs."""
    env = {**os.environ, "LD_LIBRARY_PATH": str(bundle / "_internal")}
    outside: set[str] = set()
    missing: set[str] = set()
    newest_glibc = (2, 17)
    files = elf_files(bundle)
    for start in range(0, len(files), 40):
        chunk = [str(p) for p in files[start : start + 40]]
        listing = subprocess.run(
            ["ldd", *chunk], capture_output=True, text=True, env=env, check=False
        ).stdout
        for line in listing.splitlines():
            match = _LDD_LINE.match(line)
            if match and not match.group(2).startswith(str(bundle)):
                outside.add(match.group(2))
            elif "=> not found" in line:
                missing.add(line.split()[0])
        versions = subprocess.run(
            ["readelf", "-V", "-W", *chunk], capture_output=True, text=True, check=False
        ).stdout
        for major, minor in _GLIBC_VERSION.findall(versions):
            newest_glibc = max(newest_glibc, (int(major), int(minor)))
    if missing:  # on this machine; a user's may have them (plugins for other set-ups)
        names = " ".join(sorted(missing))
        say(f"warning: not on this machine, needed by some bundled files: {names}")
    packages: dict[str, str] = {}
    for path in sorted(outside):
        owner = _owner(path)
        if owner is None:
            raise BuildError(
                f"no Debian package owns {path}, which the bundle needs; build on a Debian or "
                "Ubuntu system with the libraries installed from packages"
            )
        if owner == "libc6":
            packages[owner] = f"libc6 (>= {newest_glibc[0]}.{newest_glibc[1]})"
        else:
            packages.setdefault(owner, owner)
    return sorted(packages.values())


def _owner(path: str) -> str | None:
    """The package that installed `path` (tried as given, resolved, and across merged /usr)."""
    real = os.path.realpath(path)
    candidates = [path, real]
    for candidate in (path, real):
        if candidate.startswith("/usr/lib/"):
            candidates.append(candidate.removeprefix("/usr"))
        elif candidate.startswith("/lib/"):
            candidates.append("/usr" + candidate)
    for candidate in dict.fromkeys(candidates):
        done = subprocess.run(
            ["dpkg-query", "-S", candidate], capture_output=True, text=True, check=False
        )
        if done.returncode == 0 and ":" in done.stdout:
            return done.stdout.split(":")[0].strip()
    return None


if __name__ == "__main__":
    sys.exit(main())
