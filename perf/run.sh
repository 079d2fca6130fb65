#!/usr/bin/env bash
# Runs one perf scenario: perf/run.sh <scenario> [--smoke] [options]   (perf/run.sh --help lists them)
# Builds the harness in Release first (quietly). Every scenario is bounded and stops by itself.
# With --start-service the service must be built too: `dotnet build -c Release` in the repository root.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build "$here/CameraService.Perf/CameraService.Perf.csproj" -c Release -nologo -clp:ErrorsOnly -v:q >/dev/null \
  || { echo "building the perf harness failed: run dotnet build $here/CameraService.Perf -c Release to see why" >&2; exit 1; }
cd "$here/.."
exec dotnet "$here/CameraService.Perf/bin/Release/net10.0/CameraService.Perf.dll" "$@"
