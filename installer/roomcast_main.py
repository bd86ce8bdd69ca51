"""The frozen build's entry point: the `roomcast` command, exactly as installed from source.

The console starts its relay as `[sys.executable, "relay", ...]` when frozen
(console/supervisor.py), so this one executable is the console, the relay, the bot and the
self-test, chosen by the first argument.
"""

import sys

from ui.cli import main

if __name__ == "__main__":
    sys.exit(main())
