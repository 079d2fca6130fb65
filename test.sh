#!/usr/bin/env bash
# Runs every test project and prints a closing line "N passed, N failed[, N skipped]" (also written as
# "PASSED FAILED SKIPPED" to $TEST_COUNTS_FILE when set; .ci/run sums it with the shifted-clock run).
# Installs what the tests need (ffmpeg, and the GStreamer RTSP server for the MediaMTX emulator's media mode)
# when it is missing and this runs as root; otherwise the tests that need them say so and fail.
set -uo pipefail
cd "$(dirname "$0")"

need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v faketime >/dev/null 2>&1 || need+=(faketime)          # the chaos smoke's clock-step fault (perf/README.md)
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need+=(nats-server)
command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
[ -x /usr/sbin/mosquitto ] || command -v mosquitto >/dev/null 2>&1 || need+=(mosquitto)
[ -f /usr/include/linux/videodev2.h ] || need+=(linux-libc-dev)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)   # builds the web console (plugins/webui)
[ -x /usr/bin/chromium ] || need+=(chromium)           # the console's browser tests
if [ -f tests/needs-gstreamer ] && ! /usr/bin/python3 -c 'import gi; gi.require_version("GstRtspServer","1.0")' >/dev/null 2>&1; then
  need+=(gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-rtsp)
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing test dependencies: ${need[*]}"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "Missing test dependencies (install as root): apt-get install -y ${need[*]}" >&2
  fi
fi

results=$(mktemp -d)
dotnet build CameraService.slnx -c Release -nologo -clp:ErrorsOnly
build_rc=$?
if [ $build_rc -ne 0 ]; then
  [ -n "${TEST_COUNTS_FILE:-}" ] && echo "0 1 0" >"$TEST_COUNTS_FILE"
  echo "0 passed, 1 failed"
  exit 1
fi
dotnet test CameraService.slnx -c Release --no-build --logger "trx" --results-directory "$results" "$@"
rc=$?

read -r passed failed skipped < <(scripts/trx-counts.sh "$results")
rm -rf "$results"
if [ $rc -ne 0 ] && [ $failed -eq 0 ]; then failed=1; fi
[ -n "${TEST_COUNTS_FILE:-}" ] && echo "$passed $failed $skipped" >"$TEST_COUNTS_FILE"
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit $rc
