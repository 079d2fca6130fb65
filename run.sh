#!/usr/bin/env bash
# Runs camera-service from the source tree. Without arguments: the demo (two synthetic test-pattern cameras,
# the ffmpeg backend, data in ./data) — no camera and no MediaMTX needed.
#   ./run.sh                      demo
#   ./run.sh run [--Section:Key=value ...]   the real service with your configuration
# Installs ffmpeg (media) and Node.js/npm (to build the web console) first when they are missing and this runs as
# root (apt-get); otherwise says how.
set -euo pipefail
cd "$(dirname "$0")"
missing=()
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "${missing[*]} missing; installing (apt-get install -y ${missing[*]}) ..."
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "missing: ${missing[*]}; install with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
if [ $# -eq 0 ]; then set -- run --demo; fi
exec dotnet run --project host -c Release -- "$@"
