#!/usr/bin/env bash
# Runs the unit-test projects again under a clock shifted far ahead and in another time zone, so a test that only
# passes on today's date, in UTC, cannot come back (issue #25). Prints "N passed, N failed[, N skipped]" and exits
# non-zero when a test failed. Needs a Release build (./test.sh or
# `dotnet build CameraService.slnx -c Release` first); extra arguments go to `dotnet test` (e.g. --filter).
#
#   SHIFT (default +400d)            faketime offset of the wall clock (libfaketime, Debian package `faketime`)
#   SHIFT_TZ (default Pacific/Auckland)  time zone of the run (UTC+12/+13 with DST, on the other side of the date line)
#   COUNTS_FILE                      when set, "PASSED FAILED SKIPPED" is also written there (used by .ci/run)
#
# File times follow the shifted clock both ways: libfaketime shifts the times stat() reports, and FAKE_UTIME=1 shifts
# the times a process sets (File.SetLastWriteTimeUtc) back, so a file stamped "2 h ago" reads as 2 h ago.
# CLOCK_MONOTONIC gets the same constant offset (DONT_FAKE_MONOTONIC=0): durations, Stopwatch, Task.Delay and
# timeouts stay exact. Leaving it real (DONT_FAKE_MONOTONIC=1) breaks them: libfaketime 0.9.10's
# pthread_cond_timedwait hook then makes every timed wait of the .NET runtime (WaitHandle.WaitOne(ms),
# Monitor.Wait(ms)) return at once, and vstest gives up on its test host. The end-to-end, deploy, perf and ffmpeg projects are left out: they run real processes
# for long and are covered by the normal run.
set -uo pipefail
cd "$(dirname "$0")/.."

shift_by=${SHIFT:-+400d}
zone=${SHIFT_TZ:-Pacific/Auckland}
# SHIFT_PROJECTS (space-separated) runs only those projects.
# shellcheck disable=SC2206
projects=(${SHIFT_PROJECTS:-
  tests/CameraService.Architecture.Tests
  tests/CameraService.Client.Tests
  tests/CameraService.Core.Tests
  tests/CameraService.Host.Tests
  tests/CameraService.Observability.Tests
  tests/CameraService.Plugins.MediaMtx.Tests
  tests/CameraService.Plugins.Storage.Tests
  tests/CameraService.Plugins.TestPattern.Tests
  tests/CameraService.Plugins.V4l2.Tests
  tests/CameraService.Plugins.WebSocket.Tests
  tests/MediaMtxEmulator.Tests
})

fail() {
  echo "shifted clock: $1" >&2
  [ -n "${COUNTS_FILE:-}" ] && echo "0 1 0" >"$COUNTS_FILE"
  echo "0 passed, 1 failed"
  exit 1
}

if ! command -v faketime >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing test dependencies: faketime"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null
  fi
  command -v faketime >/dev/null 2>&1 || fail "faketime is missing (install as root: apt-get install -y faketime)"
fi
[ -f "/usr/share/zoneinfo/$zone" ] || fail "time zone $zone is missing (install as root: apt-get install -y tzdata)"

# The shifted environment. faketime -f takes "+400d"; libfaketime is preloaded into every process started below
# (dotnet, the test hosts and their children), TZ makes the local zone Auckland for .NET and libc alike.
shifted() { TZ="$zone" DONT_FAKE_MONOTONIC=0 FAKE_UTIME=1 faketime -f "$shift_by" "$@"; }

# libfaketime must really shift the clock the processes see, or this run proves nothing.
real_day=$(date -u +%s)
fake_day=$(shifted date -u +%s)
[ $((fake_day - real_day)) -gt $((300 * 86400)) ] || fail "faketime did not shift the clock ($(date -u) vs $(shifted date -u))"

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
echo "Unit tests under a shifted clock: faketime $shift_by ($(shifted date -u +%Y-%m-%dT%H:%MZ)), TZ=$zone"
rc=0
for project in "${projects[@]}"; do
  shifted dotnet test "$project" -c Release --no-build --nologo --logger "trx" --results-directory "$results" "$@" || rc=1
done

# The .NET runtime itself must have seen the shift and the zone: the trx logger stamps its files with
# DateTime.Now (local time with offset), e.g. start="2028-01-10T07:46:28.15+13:00".
want_year=$(shifted date -u +%Y)
stamp=$(grep -ho '<Times [^>]*start="[^"]*"' "$results"/*.trx 2>/dev/null | head -1 | sed 's/.*start="\([^"]*\)".*/\1/')
want_offset=$(shifted date +%:z)
case "$stamp" in
  "$want_year"-*"$want_offset") ;;
  *) echo "shifted clock: .NET did not see the shifted clock/zone (trx start=\"$stamp\", expected $want_year-… $want_offset)" >&2; rc=1 ;;
esac

read -r passed failed skipped < <(scripts/trx-counts.sh "$results")
if [ $rc -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
[ -n "${COUNTS_FILE:-}" ] && echo "$passed $failed $skipped" >"$COUNTS_FILE"
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit $rc
