#!/usr/bin/env bash
# Fetches the web client's vendored files into server/web/vendor/ (not kept in git):
# hls.js, which plays a room over HLS in browsers without native HLS (through Media Source
# Extensions). It comes from the npm registry with npm, once; the relay serves it from
# /static/vendor/, so no page ever loads a script from a CDN.
#
# Usage: installer/vendor-web.sh HLSJS_VERSION
set -euo pipefail

version="${1:?usage: $0 HLSJS_VERSION}"
here="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$here/server/web/vendor"
[[ -f "$vendor/hls.min.js" && "$(cat "$vendor/hls.js.version" 2>/dev/null)" == "$version" ]] && exit 0

if ! command -v npm >/dev/null 2>&1; then
  echo "The web client's HLS player (hls.js $version) comes from the npm registry, and npm is" >&2
  echo "not installed. Install Node.js and npm (apt-get install npm), then run make again." >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "Fetching hls.js $version for the web client"
(cd "$work" && npm pack --silent "hls.js@$version" >/dev/null)
tar -xzf "$work"/hls.js-"$version".tgz -C "$work" package/dist/hls.min.js package/LICENSE
mkdir -p "$vendor"
cp "$work/package/dist/hls.min.js" "$vendor/hls.min.js"
cp "$work/package/LICENSE" "$vendor/hls.js.LICENSE"
echo "$version" > "$vendor/hls.js.version"
