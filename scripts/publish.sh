#!/usr/bin/env bash
# Produces a deployable folder: the host (framework-dependent, needs the .NET 10 ASP.NET Core runtime)
# plus every in-repo plugin under plugins/<id>/, then checks it by running `camera-service plugins`.
#
#   scripts/publish.sh [rid] [outdir]      defaults: this machine's RID, dist/
#
# Run the result with:  <outdir>/camera-service run
set -euo pipefail
cd "$(dirname "$0")/.."

rid="${1:-$(dotnet --info | sed -n 's/^ *RID: *//p' | head -1)}"
out="${2:-dist}"
if [ -z "$rid" ]; then
  echo "Could not detect the runtime identifier; pass it, e.g. scripts/publish.sh linux-x64" >&2
  exit 1
fi

# Start from an empty folder so no stale plugin survives; refuse to wipe a folder that is not a previous publish.
if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ] && [ ! -f "$out/camera-service.dll" ]; then
  echo "$out exists, is not empty and is not a camera-service publish folder; choose another output folder" >&2
  exit 1
fi
rm -rf "$out"
mkdir -p "$out/plugins"
out="$(cd "$out" && pwd)"

common=(-c Release -r "$rid" --self-contained false -nologo -clp:ErrorsOnly -p:PluginDeployDir=none)

echo "Publishing the host for $rid into $out"
dotnet publish host/CameraService.Host.csproj "${common[@]}" -o "$out"

for project in plugins/*/*.csproj; do
  id="$(dotnet msbuild "$project" -nologo -getProperty:PluginId)"
  if [ -z "$id" ]; then
    echo "skipping $project: it sets no PluginId" >&2
    continue
  fi
  echo "Publishing plugin $id ($project)"
  dotnet publish "$project" "${common[@]}" -o "$out/plugins/$id"
  if [ ! -f "$out/plugins/$id/plugin.json" ]; then
    echo "$project: no plugin.json in the published folder" >&2
    exit 1
  fi
done

echo "Checking the published plugins"
empty_config="$(mktemp -d)"
trap 'rm -rf "$empty_config"' EXIT
listing="$("$out/camera-service" plugins --config "$empty_config")"
echo "$listing"
if echo "$listing" | awk 'NR > 2 && $3 != "Loaded" { bad = 1 } END { exit !bad }'; then
  echo "Some plugins are not Loaded (see the table above)" >&2
  exit 1
fi
echo "Published to $out"
