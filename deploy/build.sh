#!/usr/bin/env bash
# Publishes camera-service as a self-contained, ReadyToRun folder for one runtime:
#   <out>/camera-service            the host (self-contained: no .NET install needed on the box)
#   <out>/plugins/<id>/             every in-repo plugin (framework-dependent on the host's runtime)
#   <out>/camctl                    the command-line client, when the repo has it
#   <out>/VERSION                   the version stamped from git
# Usage: deploy/build.sh [--rid linux-x64|linux-arm64] [--out DIR] [--version V] [--no-r2r]
# Not trimmed: plugins are loaded at run time and may use any framework API, which trimming would remove.
set -euo pipefail
cd "$(dirname "$0")/.."

rid=linux-x64
out=""
version=""
r2r=true
while [ $# -gt 0 ]; do
  case "$1" in
    --rid) rid=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    --no-r2r) r2r=false; shift ;;
    *) echo "unknown argument: $1 (usage: deploy/build.sh [--rid RID] [--out DIR] [--version V] [--no-r2r])" >&2; exit 2 ;;
  esac
done
case "$rid" in linux-x64|linux-arm64) ;; *) echo "--rid must be linux-x64 or linux-arm64 (got $rid)" >&2; exit 2 ;; esac

if [ -z "$version" ]; then
  # 1.2.3 from a v1.2.3 tag; otherwise 1.0.0 plus the commit count and hash, so every build is ordered and traceable.
  tag=$(git describe --tags --abbrev=0 --match 'v[0-9]*' 2>/dev/null || true)
  sha=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  if [ -n "$tag" ]; then
    base=${tag#v}; n=$(git rev-list --count "$tag"..HEAD)
  else
    base=1.0.0; n=$(git rev-list --count HEAD 2>/dev/null || echo 0)
  fi
  if [ "$n" = 0 ]; then version=$base; else version="$base.$n"; fi
  info="$version+$sha"
else
  info=$version
fi
out=${out:-dist/$rid}
rm -rf "$out"
mkdir -p "$out/plugins"

common=(-c Release -r "$rid" -p:Version="$version" -p:InformationalVersion="$info" -p:PluginDeployDir=none -nologo -v:q)
echo "Publishing camera-service $info for $rid into $out"
dotnet publish host/CameraService.Host.csproj "${common[@]}" --self-contained true -p:PublishReadyToRun=$r2r -o "$out"
for proj in plugins/*/*.csproj; do
  id=$(sed -n 's:.*<PluginId>\(.*\)</PluginId>.*:\1:p' "$proj")
  [ -n "$id" ] || continue
  dotnet publish "$proj" "${common[@]}" --self-contained false -p:PublishReadyToRun=$r2r -o "$out/plugins/$id"
  # The manifest is written next to the build output; publish does not copy it.
  src=$(dirname "$proj")/bin/Release/net10.0/$rid/plugin.json
  [ -f "$src" ] || src=$(find "$(dirname "$proj")/bin/Release" -name plugin.json | head -1)
  cp "$src" "$out/plugins/$id/plugin.json"
done
if [ -f client/camctl/camctl.csproj ]; then
  # camctl shares the host's self-contained runtime: same folder, its own apphost, deps.json and runtimeconfig.json.
  dotnet publish client/camctl/camctl.csproj "${common[@]}" --self-contained true -p:PublishReadyToRun=$r2r -o "$out"
fi
echo "$info" > "$out/VERSION"
echo "Done: $out"
