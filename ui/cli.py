"""The `roomcast` command: the console by default, subcommands for the rest.

This is the composition root of the command line. It is the one module in
`ui/` allowed to reach the relay's entry point, and it imports nothing heavy
(no Qt) until a subcommand needs it, so `roomcast relay` runs on a server
without a display.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version

from console import bot, export_cli
from server import relay_cli
from ui import selftest_gui

Handler = Callable[[argparse.Namespace], int]


def _package_version() -> str:
    try:
        return version("roomcast")
    except PackageNotFoundError:  # running from a source tree without install
        return "0+unknown"


def _run_console(args: argparse.Namespace) -> int:
    from ui.app import run_console

    return run_console(data_dir=args.data_dir, relay_url=args.relay_url, room_link=args.room)


# Each entry adds one subcommand's parser (with `set_defaults(handler=...)`).
# Only subcommands that are built are listed, so `--help` shows what works.
SUBCOMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    relay_cli.register,
    bot.register,
    export_cli.register,
    selftest_gui.register,  # `self-test` (console.selftest), with Qt's `--gui` check
]


def build_parser() -> argparse.ArgumentParser:
    """The parser lists only subcommands that are built and work."""
    parser = argparse.ArgumentParser(
        prog="roomcast",
        description="Roomcast: host console for live audio rooms. "
        "Without a subcommand, starts the console.",
    )
    parser.add_argument("--version", action="version", version=f"roomcast {_package_version()}")
    parser.add_argument(
        "--data-dir",
        default=None,
        help="folder for rooms, recordings and settings (default: the platform's user data folder)",
    )
    parser.add_argument(
        "--relay-url",
        default=None,
        metavar="URL",
        help="use the relay at URL instead of starting the embedded one",
    )
    parser.add_argument(
        "--room",
        default=None,
        metavar="LINK",
        help="open this host or co-host link (http://HOST:PORT/r/ROOM#token=…) at once",
    )
    parser.set_defaults(handler=_run_console)
    if SUBCOMMANDS:
        sub = parser.add_subparsers(title="subcommands", metavar="COMMAND")
        for register in SUBCOMMANDS:
            register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
