#!/usr/bin/env bash
# The pause a reload puts on new connections: wrk opens a new connection for every request (Connection: close)
# against a frontend that answers by itself, first without reloads, then while the proxy is reloaded with SIGUSR2
# once a second: Sluice in its own process, haproxy 2.6 in master-worker mode (-W, the new worker takes the
# listeners from the master). Prints the latency of the requests (p50, p99, max) and the errors of each run, and
# for Sluice how long each reload took (SIGUSR2 to "Reload done"). The proxy runs on CPU 0, wrk on CPU 1.
#   bench/reload/pause.sh [--reloads N] [--no-build]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
reloads=10
build=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --reloads) reloads="$2"; shift 2 ;;
    --no-build) build=no; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in wrk haproxy taskset curl; do
  command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; exit 2; }
done
[ "$build" = no ] || dotnet build "$root/src/Sluice" -c Release -v q >/dev/null
dll="$root/src/Sluice/bin/Release/net10.0/sluice.dll"
tmp="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

port=$(( 20000 + RANDOM % 10000 ))
cat >"$tmp/proxy.cfg" <<CFG
global
    maxconn 4000
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:$port
    http-request return status 200 content-type text/plain string "ok"
CFG

# wrk's latency lines: p50, p99 and max, and its error count.
summarize() {
  local out="$1"
  local p50 p99 max errors
  p50=$(awk '$1=="50%"{print $2}' "$out")
  p99=$(awk '$1=="99%"{print $2}' "$out")
  max=$(awk '$1=="Latency"{print $4; exit}' "$out")
  errors=$(awk '/Socket errors/{gsub(",","");print $4+$6+$8+$10; f=1} END{if(!f)print 0}' "$out")
  local requests
  requests=$(awk '/requests in/{print $1}' "$out")
  printf '%-8s %-10s %8s %8s %8s %9s %7s\n' "$2" "$3" "$p50" "$p99" "$max" "$requests" "$errors"
}

wait_port() { for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0; sleep 0.1; done; echo "proxy did not answer" >&2; exit 1; }

run_load() { taskset -c 1 wrk -t1 -c8 -d"$1"s --latency -H "Connection: close" "http://127.0.0.1:$port/" >"$2" 2>&1; }

printf '%-8s %-10s %8s %8s %8s %9s %7s\n' program reloads p50 p99 max requests errors
durations=()
for program in sluice haproxy; do
  for with in 0 "$reloads"; do
    log="$tmp/$program-$with.log"
    if [ "$program" = sluice ]; then
      taskset -c 0 dotnet "$dll" -db -f "$tmp/proxy.cfg" >"$log" 2>&1 &
    else
      taskset -c 0 haproxy -W -db -f "$tmp/proxy.cfg" >"$log" 2>&1 &
    fi
    pid=$!
    pids+=("$pid")
    wait_port
    taskset -c 1 wrk -t1 -c8 -d2s -H "Connection: close" "http://127.0.0.1:$port/" >/dev/null 2>&1
    run_load $(( reloads + 3 )) "$tmp/wrk.out" &
    load=$!
    if [ "$with" != 0 ]; then
      sleep 1.5
      for i in $(seq "$with"); do
        start=$(date +%s%N)
        kill -USR2 "$pid"
        if [ "$program" = sluice ]; then
          while [ "$(grep -c 'Reload done' "$log")" -lt "$i" ]; do sleep 0.005; done
          durations+=($(( ($(date +%s%N) - start) / 1000000 )))
        fi
        sleep 1
      done
    fi
    wait "$load"
    summarize "$tmp/wrk.out" "$program" "$with"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    sleep 0.5
  done
done
echo "Sluice reload durations (ms, SIGUSR2 to 'Reload done'): ${durations[*]}"
