#!/usr/bin/env bash
# Runs camera-service from the source tree. Without arguments: the demo (two synthetic test-pattern cameras,
# the ffmpeg backend, data in ./data) — no camera and no MediaMTX needed.
#   ./run.sh                      demo
#   ./run.sh run [--Section:Key=value ...]   the real service with your configuration
# Installs ffmpeg first when it is missing and this runs as root (apt-get); otherwise says how.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v ffmpeg >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ffmpeg is missing; installing it (apt-get install -y ffmpeg) ..."
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null
  else
    echo "ffmpeg is missing: install it with: sudo apt-get install -y ffmpeg" >&2
    exit 1
  fi
fi
if [ $# -eq 0 ]; then set -- run --demo; fi
exec dotnet run --project host -c Release -- "$@"
