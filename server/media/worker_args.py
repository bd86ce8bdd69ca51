"""A media worker's command line (kept apart from the worker, which loads aiortc and PyAV, so
that `roomcast --help` and the relay's control process stay light)."""

from __future__ import annotations

import argparse


def worker_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--fd", type=int, required=True, help="the control socket's descriptor")
    parser.add_argument("--index", type=int, required=True)
    parser.add_argument("--runtime-dir", required=True)
    parser.add_argument("--announce-address", action="append", default=None)
    parser.add_argument("--stun", action="append", default=None)
    parser.add_argument("--connect-timeout-s", type=float, default=30.0)
    parser.add_argument("--log-level", default="WARNING")
    return parser
