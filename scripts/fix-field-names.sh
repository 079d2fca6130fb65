#!/usr/bin/env bash
# Applies the field-naming rule of .editorconfig (private instance fields are _camelCase; IDE1006 enforces it in
# the build) to every C# project of the repository: renames each offending field and every reference the compiler
# binds to it (never a parameter or local of the same name). Safe to re-run after merges; it changes nothing when
# every field already follows the rule. `dotnet format style --diagnostics IDE1006` cannot do this (the naming
# code fix has no Fix All).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dotnet run --project "$root/scripts/FixFieldNames" -c Release -- "$root"
