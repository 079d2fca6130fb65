#!/usr/bin/env bash
# Packs the plugin SDK for vendors into OUTDIR (docs/plugins.md, "Shipping a plugin"):
#   CameraService.Abstractions.<v>.nupkg (+ .snupkg symbols)   the SDK: contracts, XML docs, README, SourceLink
#   CameraService.Plugin.Templates.<v>.nupkg                    dotnet new camera-service-plugin
# <v> is the SDK version, major.minor.patch from abstractions/Version.props.
# Builds in a temporary folder (never touches the repository's bin/obj). SourceLink points the symbols at the commit
# on the git remote named by SDK_GIT_REMOTE (default origin); without such a remote the package has no source link.
set -euo pipefail
if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: scripts/pack-sdk.sh OUTDIR" >&2
  exit 2
fi
out=$(realpath -m "$1")
cd "$(dirname "$0")/.."
if [ -e "$out" ] && [ ! -d "$out" ]; then
  echo "pack-sdk: OUTDIR '$1' exists and is not a folder" >&2
  exit 2
fi
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

common=(-c Release -o "$out" -nologo -clp:ErrorsOnly --artifacts-path "$work")
dotnet pack abstractions/CameraService.Abstractions.csproj "${common[@]}" \
  -p:ContinuousIntegrationBuild=true -p:GitRepositoryRemoteName="${SDK_GIT_REMOTE:-origin}"
dotnet pack templates/CameraService.Plugin.Templates.csproj "${common[@]}"
echo "SDK packages in $out:"
ls -1 "$out" | grep -E '^CameraService\.(Abstractions|Plugin\.Templates)\.' | sed 's/^/  /'
