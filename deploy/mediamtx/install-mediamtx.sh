#!/usr/bin/env bash
# Installs the official MediaMTX release beside camera-service. Needs internet access to GitHub
# (machines without it: copy the release tarball and its checksums file next to this script and pass --from DIR).
# Usage: sudo deploy/mediamtx/install-mediamtx.sh [--version v1.20.1] [--from DIR]
set -euo pipefail
version=v1.20.1
from=""
while [ $# -gt 0 ]; do
  case "$1" in
    --version) version=$2; shift 2 ;;
    --from) from=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "run as root (sudo)" >&2; exit 1; }
case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64|arm64) arch=arm64 ;;
  armv7l) arch=armv7 ;;
  *) echo "unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
tarball="mediamtx_${version}_linux_${arch}.tar.gz"
sums="checksums.sha256"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -n "$from" ]; then
  cp "$from/$tarball" "$from/$sums" "$work/"
else
  base="https://github.com/bluenviron/mediamtx/releases/download/$version"
  curl -fsSL -o "$work/$tarball" "$base/$tarball"
  curl -fsSL -o "$work/$sums" "$base/$sums"
fi
( cd "$work" && grep " $tarball\$" "$sums" | sha256sum -c - ) || { echo "checksum verification failed for $tarball" >&2; exit 1; }
# MediaMTX runs as its own user: it must not be able to read camera-service's configuration, secrets or state.
getent group camera-media >/dev/null || groupadd --system camera-media
getent passwd mediamtx >/dev/null || useradd --system --user-group --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin --comment "MediaMTX for camera-service" mediamtx
usermod --append --groups video,camera-media mediamtx
if [ -d /var/lib/camera-service/media ]; then
  chgrp camera-media /var/lib/camera-service/media && chmod 2770 /var/lib/camera-service/media
fi
install -d /opt/mediamtx /etc/mediamtx
tar -xzf "$work/$tarball" -C /opt/mediamtx mediamtx
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -f /etc/mediamtx/mediamtx.yml ]; then
  install -m 0640 -o root -g mediamtx "$here/mediamtx.yml" /etc/mediamtx/mediamtx.yml
  echo "MediaMTX asks camera-service about every access (authMethod: http, POST /mediamtx/auth): no password to set."
fi
install -m 0644 "$here/mediamtx.service" /etc/systemd/system/mediamtx.service
systemctl daemon-reload
systemctl enable --now mediamtx.service
echo "MediaMTX $version installed in /opt/mediamtx and started (API on 127.0.0.1:9997)."
