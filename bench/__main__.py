"""Run the benchmarks: `python -m bench [NAME ...]` (NAME as in bench/bench_NAME.py).

Each benchmark prints its own figures and the ratio to a baseline it measures
in the same run. Benchmarks never fail on a timing; they fail only if the
thing they measure breaks.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path


def available() -> list[str]:
    here = Path(__file__).parent
    return sorted(p.stem.removeprefix("bench_") for p in here.glob("bench_*.py"))


def main(argv: list[str]) -> int:
    names = argv or available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; have: {', '.join(available())}")
        return 2
    for name in names:
        print(f"\n=== bench {name} ===", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"bench.bench_{name}")
        sys.argv = [f"bench.bench_{name}"]  # each benchmark parses its own (default) options
        module.main()
        print(f"--- {name}: {time.perf_counter() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
