#!/usr/bin/env bash
# Installs the Debian packages Roomcast needs to run ("run") or to run its test
# suite ("test"), when they are missing. Idempotent and silent when everything
# is present. As root it uses apt-get; otherwise it names what is missing and
# the command that installs it, and fails.
#
# Usage: installer/system-deps.sh run|test|bench
set -euo pipefail

purpose="${1:-run}"

# What the console needs at run time: PortAudio (sounddevice raises OSError
# without it) reaching PulseAudio through ALSA, the libraries Qt's xcb
# platform loads, fonts for text and emoji.
run_packages=(
  libportaudio2 libasound2-plugins pulseaudio pulseaudio-utils
  libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-image0 libxcb-randr0
  libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxkbcommon-x11-0
  libegl1 libgl1 libfontconfig1 libdbus-1-3
  fonts-dejavu-core fonts-noto-color-emoji
)
# What the suite adds: a virtual screen, speech fixtures, ffprobe/ffmpeg for
# exported files, the browser the web-client tests drive, nginx as the HLS edge
# (tests/hls; started by the tests themselves, never as a system service), and zbarimg to
# read back the QR code the page shows; a window manager, a tray and xdotool for the console's
# journeys on a real desktop (tests/ui/desktop.py).
test_packages=(xvfb xauth espeak-ng sox ffmpeg chromium desktop-file-utils nginx zbar-tools
  openbox trayer xdotool wmctrl x11-utils)

packages=("${run_packages[@]}")
case "$purpose" in
  run) ;;
  test|bench) packages+=("${test_packages[@]}") ;;
  *) echo "usage: $0 run|test|bench" >&2; exit 2 ;;
esac

# Node.js runs the page's rule tests (tests/web_unit, `node --test`, no npm packages); any node
# already on PATH will do.
if [[ "$purpose" != run ]] && ! command -v node >/dev/null 2>&1; then
  packages+=(nodejs)
fi

# Debian's own python3 makes virtual environments only with python3-venv.
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  packages+=(python3-venv)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  [[ "$status" == ii* ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "Roomcast needs these Debian packages, and this machine has no apt-get:" >&2
  echo "  ${missing[*]}" >&2
  echo "Install their equivalents with your system's package manager, then run make again." >&2
  exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "Roomcast needs these Debian packages, which are not installed:" >&2
  echo "  ${missing[*]}" >&2
  echo "Install them with:" >&2
  echo "  sudo apt-get install --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "apt-get could not install: ${missing[*]}" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
