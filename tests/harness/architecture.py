"""Reads every module's imports and checks them against DESIGN §2.

Layers, top to bottom: ui → console → server → audio. A module may import
its own layer and layers below it, never above. On top of the direction:
- `server/room/` imports the standard library and itself only (it is the
  pure rule core that both the relay and the console run);
- `audio/` imports none of the project's other layers;
- `console/` reaches into `server` only for `server.room` and `server.protocol`
  (it talks to the relay over the wire, never by importing it);
- `ui/` reaches `server` only from the command-line composition root;
- Qt (PySide6, qasync) is imported inside `ui/` only.
Imports inside functions count: a lazy import is still an arrow.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

LAYERS = ("audio", "server", "console", "ui")
RANK = {name: i for i, name in enumerate(LAYERS)}
QT_MODULES = {"PySide6", "shiboken6", "qasync"}
# console may use these parts of server: the shared rules, the wire format, the ICE address
# policy (a client on this machine must gather the same loopback candidates as the relay, or
# its traffic would go to another interface's address), and the media plumbing a client shares
# with the relay's speaker ingress: the one place that touches aiortc's private receiver API
# (pinned and tested there) and the Opus decoder with FEC and concealment. Never the relay's
# own parts (hub, session, store, workers, fan-out).
CONSOLE_MAY_USE_SERVER = (
    "server.room",
    "server.protocol",
    "server.media.ice",
    "server.media.aiortc_internals",
    "server.media.opus_codec",
    "server.media.libopus",
)
# the command-line composition root dispatches to every subcommand
COMPOSITION_ROOTS = {"ui.cli"}


@dataclass(frozen=True)
class Violation:
    module: str
    line: int
    imported: str
    why: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.imported}: {self.why}"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """Yields (line, absolute module name) for every import in the source."""
    tree = ast.parse(source)
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                if node.level > 1:
                    base_parts = base_parts[: -(node.level - 1)]
                base = ".".join(base_parts)
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            yield node.lineno, target
            if node.module is None or node.level:
                # `from . import x` / `from .pkg import x` may name submodules
                for alias in node.names:
                    yield node.lineno, f"{target}.{alias.name}"


def check_module(source: str, module: str, is_package: bool = False) -> list[Violation]:
    layer = module.split(".")[0]
    found: list[Violation] = []
    for line, imported in imports_of(source, module, is_package):
        top = imported.split(".")[0]

        def bad(why: str, imported: str = imported, line: int = line) -> None:
            found.append(Violation(module, line, imported, why))

        if top in QT_MODULES and layer != "ui":
            bad("Qt is for ui/ only")
        if module == "server.room" or module.startswith("server.room."):
            if top == "server" and (
                imported == "server.room" or imported.startswith("server.room.")
            ):
                continue
            if top not in sys.stdlib_module_names:
                bad("server/room must use the standard library only")
            continue
        if top not in RANK or layer not in RANK:
            continue
        if RANK[top] > RANK[layer]:
            bad(f"{layer} is below {top}: arrows point ui → console → server → audio")
        elif layer == "console" and top == "server":
            if not any(
                imported == p or imported.startswith(p + ".") for p in CONSOLE_MAY_USE_SERVER
            ):
                bad(
                    "console may use only server.room, server.protocol, server.media.ice and the"
                    " shared media plumbing (aiortc_internals, opus_codec, libopus)"
                )
        elif layer == "ui" and top == "server" and module not in COMPOSITION_ROOTS:
            bad("ui talks to the relay through console/, never by importing server")
    return found


def check_tree(root: Path) -> list[Violation]:
    found: list[Violation] = []
    for layer in LAYERS:
        for path in sorted((root / layer).rglob("*.py")):
            module = module_name(path, root)
            source = path.read_text(encoding="utf-8")
            found.extend(check_module(source, module, path.name == "__init__.py"))
    return found
