#!/usr/bin/env bash
# Fleet perf: gateway overhead per routed call (docs/fleet.md, perf/README.md "Fleet").
# Starts a real nats-server, one node (test-pattern cameras, ffmpeg backend) and one gateway on loopback ports,
# then runs the same closed-loop workload against the node directly and through the gateway; the difference of the
# latency percentiles is the gateway's cost (WebSocket hop + NATS request/reply + id rewriting + node session).
# Usage: perf/fleet.sh [--duration 15] [--clients 1]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=15; clients=1
while [ $# -gt 0 ]; do case "$1" in --duration) duration=$2; shift 2;; --clients) clients=$2; shift 2;; *) echo "unknown option $1" >&2; exit 1;; esac; done
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || { echo "nats-server is missing: apt-get install -y nats-server" >&2; exit 1; }
NATS=$(command -v nats-server || echo /usr/sbin/nats-server)
dll=host/bin/Release/net10.0/camera-service.dll
[ -f "$dll" ] || { echo "build first: dotnet build -c Release" >&2; exit 1; }
tmp=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
np=$(port); node=$(port); gw=$(port); secret=perf-fleet-credential-0123456789abcdef
"$NATS" -js -a 127.0.0.1 -p "$np" -sd "$tmp/js" >"$tmp/nats.log" 2>&1 & pids+=($!)
common=(--Api:BindAddress=127.0.0.1 --Api:RateLimit:RequestsPerSecond=1000000 --Api:RateLimit:Burst=1000000
        --CameraService:StreamBackend=ffmpeg --Fleet:Nats:Url=nats://127.0.0.1:$np --Fleet:Secret=$secret)
dotnet "$dll" run "${common[@]}" --Api:Port=$node --Api:PublicBaseUrl=http://127.0.0.1:$node --State:Directory="$tmp/node/state" \
  --Storage:Root="$tmp/node/media" --Plugins:Ffmpeg:HlsDirectory="$tmp/node/hls" --Plugins:TestPattern:Enabled=true \
  --Plugins:TestPattern:Count=4 --Plugins:TestPattern:Width=320 --Plugins:TestPattern:Height=240 --Plugins:TestPattern:Fps=5 \
  --CameraService:CameraSources:0=testpattern --Fleet:Role=node --Fleet:NodeId=perf1 >"$tmp/node.log" 2>&1 & pids+=($!)
dotnet "$dll" run "${common[@]}" --Api:Port=$gw --Api:PublicBaseUrl=http://127.0.0.1:$gw --State:Directory="$tmp/gw/state" \
  --Storage:Root="$tmp/gw/media" --Plugins:Ffmpeg:HlsDirectory="$tmp/gw/hls" --CameraService:CameraSources:0=none \
  --Fleet:Role=gateway >"$tmp/gw.log" 2>&1 & pids+=($!)
for u in $node $gw; do
  for i in $(seq 1 120); do curl -sf "http://127.0.0.1:$u/health/ready" >/dev/null && break; sleep 1; done
done
ntoken=$(dotnet "$dll" token create --role admin --ttl 1h --State:Directory="$tmp/node/state" | grep -E '^[^ ]+\.[^ ]+\.[^ ]+$' | tail -1)
gtoken=$(dotnet "$dll" token create --role admin --ttl 1h --State:Directory="$tmp/gw/state" | grep -E '^[^ ]+\.[^ ]+\.[^ ]+$' | tail -1)
# A fresh fleet binds the node's cameras in announcement order, so the node's camera0 is the gateway's camera0;
# give the gateway a few heartbeats to hear the node.
sleep 5
mix='get_camera_status={"device":"camera0"}'
echo "== node (direct)"; perf/run.sh throughput --url "ws://127.0.0.1:$node/ws" --token "$ntoken" --clients "$clients" --duration "$duration" --mix "$mix"
echo "== gateway (routed through NATS to the node)"
perf/run.sh throughput --url "ws://127.0.0.1:$gw/ws" --token "$gtoken" --clients "$clients" --duration "$duration" --mix "$mix"
