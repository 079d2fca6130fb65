#!/usr/bin/env bash
# Builds camera-service_<version>_<arch>.deb with dpkg-deb (no other Debian tooling needed).
# Usage: deploy/debian/build-deb.sh [--rid linux-x64|linux-arm64] [--out DIR] [--version V] [--from PUBLISHED_DIR] [--no-r2r]
#   --from reuses a folder made by deploy/build.sh instead of publishing again.
set -euo pipefail
cd "$(dirname "$0")/../.."

rid=linux-x64; out=dist; version=""; from=""; extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rid) rid=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    --from) from=$2; shift 2 ;;
    --no-r2r) extra+=(--no-r2r); shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
case "$rid" in linux-x64) arch=amd64 ;; linux-arm64) arch=arm64 ;; *) echo "--rid must be linux-x64 or linux-arm64" >&2; exit 2 ;; esac

if [ -z "$from" ]; then
  from="$out/$rid"
  args=(--rid "$rid" --out "$from" "${extra[@]}")
  [ -n "$version" ] && args+=(--version "$version")
  deploy/build.sh "${args[@]}"
fi
[ -f "$from/camera-service" ] || { echo "$from does not hold a published camera-service (run deploy/build.sh)" >&2; exit 1; }
version=${version:-$(cut -d+ -f1 "$from/VERSION")}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
install -d -m 0755 "$stage/DEBIAN" "$stage/opt/camera-service" "$stage/etc/camera-service" \
  "$stage/lib/systemd/system" "$stage/usr/bin" "$stage/opt/camera-service/docs"
cp -a "$from/." "$stage/opt/camera-service/"
cp docs/*.md "$stage/opt/camera-service/docs/" 2>/dev/null || true
install -m 0640 deploy/config/camera-service.json "$stage/etc/camera-service/camera-service.json"
install -m 0644 deploy/systemd/camera-service.service "$stage/lib/systemd/system/camera-service.service"
ln -s /opt/camera-service/camera-service "$stage/usr/bin/camera-service"
if [ -x "$stage/opt/camera-service/camctl" ]; then
  ln -s /opt/camera-service/camctl "$stage/usr/bin/camctl"
fi
# Files owned by root, not writable by the service.
chmod -R u+rwX,go+rX,go-w "$stage/opt/camera-service"

size=$(du -sk "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" deploy/debian/control.in > "$stage/DEBIAN/control"
install -m 0644 deploy/debian/conffiles "$stage/DEBIAN/conffiles"
install -m 0755 deploy/debian/postinst deploy/debian/prerm deploy/debian/postrm "$stage/DEBIAN/"

mkdir -p "$out"
deb="$out/camera-service_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
