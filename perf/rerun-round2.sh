#!/usr/bin/env bash
# Issue 26: every round-1 scenario and the round-2 rows re-run on a quiet machine, each with --record, then the extra
# runs of perf/README.md "Round 2 re-measured on a quiet machine": warm fan-outs, limit with and without the thread
# pool's spin, and system-wide profiles of the 1,000-session fan-out (needs `perf`; not run by CI; ~40 minutes).
# Usage: perf/rerun-round2.sh [log]   (build first: dotnet build CameraService.slnx -c Release)
set -uo pipefail
cd "$(dirname "$0")/.."; log="${1:-/tmp/perf-rerun-round2.log}"; : >"$log"
run() { echo "=== $(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg): perf/run.sh $*" >>"$log"; perf/run.sh "$@" >>"$log" 2>&1; echo "=== rc=$? $(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)" >>"$log"; }
emu='--api-address 127.0.0.1:{emuport} --rtsp-address 127.0.0.1:{rtspport} --recordings-root {storage} --media --rtsp-server'
# round-2 rows first (the headline of the issue)
run limit --start-service --record
run connections --start-service --sessions 5000 --rate 2500 --hold 20 --record
run connections --echo --sessions 5000 --rate 2500 --hold 20 --record
run connections --start-service --sessions 5000 --rate 1 --hold 15 --record
run fanout --start-service --trigger v4l2 --sessions 1000 --record
run fanout --echo --sessions 1000 --record
run fanout --start-service --trigger v4l2 --sessions 10000 --service-arg=--Api:MaxConnections=20000 --record
run fanout --echo --sessions 10000 --record
run control --start-service --emulator on --emulator-args "$emu" --record
run control --start-service --emulator on --emulator-args "$emu" --service-arg=--Plugins:MediaMtx:SnapshotReaderIdle=00:00:00 --record
run control --start-service --emulator off --service-arg=--CameraService:StreamBackend=ffmpeg --record
run control --start-service --emulator off --service-arg=--CameraService:StreamBackend=ffmpeg --service-arg=--Plugins:Ffmpeg:PreEventBuffer=00:00:05 --record
run rtsp --start-service --cameras 10 --iterations 10 --duration 30 --warmup 60 --emulator off --service-arg=--CameraService:StreamBackend=ffmpeg --record
DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 run rtsp --start-service --cameras 10 --iterations 10 --duration 30 --warmup 60 --emulator off --service-arg=--CameraService:StreamBackend=ffmpeg --record
DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 run limit --start-service --record
# round-1 scenarios
run throughput --start-service --record
run load --start-service --record
run load --echo --record
run connections --start-service --record
run connections --echo --record
run stress --start-service --step 5 --record
run stress --echo --step 5 --record
run endurance --start-service --minutes 2 --window 15 --record
run baseline --start-service --record
run baseline --echo --record
run discovery --start-service --record
run hotplug --start-service --record
run files --start-service --duration 10 --record
run fanout --start-service --trigger v4l2 --sessions 1000 --warmup-events 10 --record
run fanout --echo --sessions 1000 --warmup-events 10 --record
run fanout --start-service --trigger v4l2 --sessions 10000 --service-arg=--Api:MaxConnections=20000 --warmup-events 5 --record
run fanout --echo --sessions 10000 --warmup-events 5 --record
for i in 1 2; do
  run limit --start-service --record
  DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 run limit --start-service --record
done
echo "=== done $(date -u +%H:%M:%S)" >>"$log"
# RSS after start: the built service idle 15 s after start (test pattern, ffmpeg backend, no client), VmRSS and smaps.
t=$(mktemp -d); port=18470
dotnet host/bin/Release/net10.0/camera-service.dll run --Api:BindAddress=127.0.0.1 --Api:Port=$port --State:Directory=$t/state --Storage:Root=$t/storage --Plugins:TestPattern:Enabled=true --CameraService:StreamBackend=ffmpeg >"$t/service.log" 2>&1 &
pid=$!; sleep 15
echo "=== RSS after start (15 s idle): $(grep VmRSS /proc/$pid/status) commit $(git rev-parse --short HEAD) load $(cut -d' ' -f1 /proc/loadavg)" >>"$log"
awk '/^Rss:/{r+=$2} /^Shared_Clean:/{s+=$2} /^Anonymous:/{a+=$2} END{printf "=== smaps: Rss %d KiB, Shared_Clean %d KiB, Anonymous %d KiB\n", r, s, a}' /proc/$pid/smaps >>"$log"
kill $pid; wait $pid 2>/dev/null; rm -rf "$t"
# profiles of the fan-out (system-wide: the service, the harness's 1,000 receiving sockets, the kernel), ours and the echo's
prof() { local name=$1; shift; echo "=== $(date -u +%H:%M:%S) profile $name: perf/run.sh $*" >>"$log"; DOTNET_PerfMapEnabled=1 perf/run.sh "$@" >"/tmp/$name.log" 2>&1 & local p=$!; perf record -a -g -F 499 -o "/tmp/$name.data" -- bash -c "while kill -0 $p 2>/dev/null; do sleep 0.5; done" >>"$log" 2>&1; echo "=== profile $name done $(date -u +%H:%M:%S)" >>"$log"; }
prof fanout-prof fanout --start-service --trigger v4l2 --sessions 1000
prof fanout-echo-prof fanout --echo --sessions 1000
# Reading a profile: the phase is the last ~13 s before the harness ends (first/last sample: perf script -F time), then
#   perf script -i /tmp/fanout-prof.data --time <start>,<end> -F comm,pid,tid \
#     | awk '{split($NF,a,"/"); k[a[1]]++; t++} END{for (p in k) printf "%5.1f%% pid %s\n", 100*k[p]/t, p}' | sort -rn
#   perf report -i /tmp/fanout-prof.data --time <start>,<end> --no-children -g none --sort comm,dso --stdio
echo "=== all done $(date -u +%H:%M:%S)" >>"$log"
