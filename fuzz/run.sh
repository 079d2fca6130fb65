#!/usr/bin/env bash
# Runs each SharpFuzz target under AFL++ for a bounded time and keeps crashing inputs as regression tests
# (fuzz/regressions/<target>/, replayed by the property tests in CI). Not run by CI (issue 17).
# Needs: afl++ (Debian package `afl++`), the SharpFuzz instrumentation tool (installed here on first use).
# Usage: fuzz/run.sh [--seconds N] [target ...]     targets: rpc filename token mp4 (default: all), N default 120
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
seconds=120
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    rpc|filename|token|mp4) targets+=("$1"); shift ;;
    *) echo "unknown argument: $1 (targets: rpc filename token mp4; --seconds N)" >&2; exit 2 ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(rpc filename token mp4)

command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install afl++" >&2; exit 1; }
tools="$repo/.fuzz-tools"
if [ ! -x "$tools/sharpfuzz" ]; then
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$tools" >/dev/null
fi

work=$(mktemp -d /tmp/camera-service-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
out="$work/bin"
dotnet publish "$here/CameraService.Fuzz/CameraService.Fuzz.csproj" -c Release -o "$out" -nologo -clp:ErrorsOnly >/dev/null
# Instrument the code under test (not the harness, not the framework).
for dll in CameraService.Core.dll CameraService.Plugins.Storage.dll; do
  "$tools/sharpfuzz" "$out/$dll" >/dev/null
done

# AFL_NO_AFFINITY: a shared machine has no core to spare for binding; AFL_FORKSRV_INIT_TMOUT: the .NET runtime needs
# seconds (not AFL's default ~1 s) before the SharpFuzz fork server answers.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 \
  AFL_FORKSRV_INIT_TMOUT=60000
status=0
for target in "${targets[@]}"; do
  echo "== $target: ${seconds}s"
  findings="$work/findings-$target"
  # -V: stop after N seconds; -t: per-input timeout (a hang is a finding too); -m none: .NET needs its address space.
  afl-fuzz -V "$seconds" -t 10000 -m none -i "$here/seeds/$target" -o "$findings" -- dotnet "$out/CameraService.Fuzz.dll" "$target" >"$work/afl-$target.log" 2>&1 || {
    echo "afl-fuzz failed for $target; last lines:" >&2; tail -20 "$work/afl-$target.log" >&2; status=1; continue; }
  kept=0
  for kind in crashes hangs; do
    for input in "$findings"/default/$kind/id:*; do
      [ -f "$input" ] || continue
      name="$kind-$(sha256sum "$input" | cut -c1-16)"
      dest="$here/regressions/$target/$name"
      if [ ! -f "$dest" ]; then
        cp "$input" "$dest"
        kept=$((kept + 1))
      fi
    done
  done
  stats="$findings/default/fuzzer_stats"
  stat() { sed -n "s/^$1 *: *//p" "$stats" 2>/dev/null | head -1; }
  echo "   execs $(stat execs_done), paths $(stat corpus_count), crashes $(stat saved_crashes), hangs $(stat saved_hangs), $(stat run_time) s"
  echo "   kept $kept new input(s) in fuzz/regressions/$target/ (replay: dotnet run --project fuzz/CameraService.Fuzz -c Release -- $target <file>)"
  [ "$kept" -eq 0 ] || status=3
done
# Exit 3 when new crashes were found: fix them, keep the inputs (they are regression tests now).
exit $status
