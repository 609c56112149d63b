#!/usr/bin/env bash
# Runs the same .cfg under haproxy and under Sluice, alternately, and prints Sluice/haproxy.
#
#   bench/e2e/run.sh [--rounds N] [--duration S] [--no-build] [--self-test] [scenario...]
#
# For each scenario (bench/e2e/scenarios/NAME.cfg; all of them when none is named) the harness
# starts nginx on loopback as the backend, then for each round runs haproxy and Sluice on the
# cfg one after the other (the order alternates between rounds), each pinned to CPU 0, and
# drives it with wrk pinned to CPU 1 (nginx shares CPU 1 with wrk). It prints, per scenario,
# the median of haproxy's figures, the median of Sluice's and the median of the per-round
# ratios Sluice/haproxy, and writes everything under bench/e2e/results/<time>/.
#
# A scenario's "# bench:" line sets: path (URL path on the backend), conns (wrk connections),
# close (yes: "Connection: close" on every request) and metric (MB/s or conn/s).
# Placeholders in the cfg: @FRONT_PORT@ (the proxy's port), @BACKEND@ (nginx's address:port).
#
# --self-test runs haproxy in both slots (no Sluice needed) to check the mechanics: the
# ratios should sit around 1.0, spread by the machine's noise.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
rounds=5 duration=6 warmup=1 build=yes self_test=no scenarios=()

usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { echo "error: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=${2:-}; shift 2 ;;
    --duration) duration=${2:-}; shift 2 ;;
    --no-build) build=no; shift ;;
    --self-test) self_test=yes; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) scenarios+=("$1"); shift ;;
  esac
done
[[ "$rounds" =~ ^[0-9]+$ ]] && [ "$rounds" -ge 1 ] && [ "$rounds" -le 20 ] || die "--rounds takes 1..20"
[[ "$duration" =~ ^[0-9]+$ ]] && [ "$duration" -ge 1 ] && [ "$duration" -le 30 ] || die "--duration takes 1..30 seconds"
if [ ${#scenarios[@]} -eq 0 ]; then
  for f in "$here"/scenarios/*.cfg; do scenarios+=("$(basename "$f" .cfg)"); done
fi
for s in "${scenarios[@]}"; do [ -f "$here/scenarios/$s.cfg" ] || die "no scenario $s (bench/e2e/scenarios/$s.cfg)"; done

. "$root/scripts/lib/packages.sh"
ensure_packages haproxy 'nginx-light|nginx' wrk curl iproute2 || die "cannot install the tools"
command -v taskset >/dev/null || die "taskset (util-linux) is missing"

if [ "$(nproc --all)" -ge 2 ]; then
  pin_proxy=(taskset -c 0) pin_load=(taskset -c 1)
else
  echo "warning: fewer than 2 CPUs, nothing is pinned" >&2
  pin_proxy=() pin_load=()
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
[ "$self_test" = yes ] && stamp+="-self-test"
results="$here/results/$stamp"
mkdir -p "$results/logs"
tmp=$(mktemp -d /tmp/sluice-bench.XXXXXX)
chmod 755 "$tmp"   # nginx's worker may run as another user and must read the files

# Every process this script starts is recorded in pids until it has been reaped, and stopped
# on exit, by PID only (a reaped PID is dropped so that a reused number is never signalled).
pids=()
forget_pid() {
  local p keep=()
  for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  pids=("${keep[@]}")
}
reap_pid() { wait "$1" 2>/dev/null; forget_pid "$1"; }
stop_pid() {
  local pid=$1 i
  if kill -TERM "$pid" 2>/dev/null; then
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  fi
  reap_pid "$pid"
}
cleanup() {
  local pid
  for pid in "${pids[@]}"; do stop_pid "$pid"; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port VAR: sets VAR to a loopback port that nobody uses and this run has not used yet, chosen
# outside the kernel's ephemeral range (ip_local_port_range): ports in that range are handed out to
# outgoing connections (the load's own, the proxy's to nginx) at any moment, so a listener placed
# there fails to bind now and then. "Uses" means any TCP socket in any state with that local port.
# (No command substitution here or in run_one: the PIDs and ports they record must stay visible.)
used_ports=" "
read -r eph_lo eph_hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || { eph_lo=32768 eph_hi=60999; }
free_port() {
  local p busy tries=0
  busy=" $(ss -Htan | awk '{print $4}' | sed 's/.*://' | sort -u | tr '\n' ' ') "
  while :; do
    tries=$((tries + 1))
    [ "$tries" -le 10000 ] || die "no free port outside the ephemeral range $eph_lo-$eph_hi"
    p=$((10000 + (RANDOM * 32768 + RANDOM) % 55536))
    [ "$p" -ge "$eph_lo" ] && [ "$p" -le "$eph_hi" ] && continue
    case "$busy$used_ports" in *" $p "*) continue ;; esac
    used_ports+="$p "
    printf -v "$1" '%s' "$p"; return
  done
}
wait_port() { # port seconds pid
  local i
  for i in $(seq $(($2 * 10))); do
    kill -0 "$3" 2>/dev/null || return 1
    ss -Htln "sport = :$1" | grep -q . && return 0
    sleep 0.1
  done
  return 1
}

# --- Build ------------------------------------------------------------------------------------
sluice_dll="$root/src/Sluice/bin/Release/net10.0/sluice.dll"
if [ "$self_test" = no ] && [ "$build" = yes ]; then
  echo "== Building Sluice (Release)"
  dotnet build "$root/src/Sluice/Sluice.csproj" -c Release --nologo -v quiet >"$results/logs/build.log" 2>&1 ||
    { tail -n 20 "$results/logs/build.log" >&2; die "build failed (see $results/logs/build.log)"; }
fi
[ "$self_test" = yes ] || [ -f "$sluice_dll" ] || die "$sluice_dll is missing (build it or drop --no-build)"

# --- Backend: nginx on loopback with its own config, files and pid file -----------------------
mkdir -p "$tmp/www" "$tmp/nginx"
head -c 1048576 /dev/urandom >"$tmp/www/1m"
head -c 100 /dev/zero | tr '\0' 'x' >"$tmp/www/small"
chmod 644 "$tmp/www/"*; chmod 755 "$tmp/www" "$tmp/nginx"
free_port backend_port
cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:$backend_port backlog=4096;
        root $tmp/www;
    }
}
EOF
"${pin_load[@]}" nginx -e "$tmp/nginx/error.log" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" \
  >"$results/logs/nginx.log" 2>&1 </dev/null &
nginx_pid=$!; pids+=("$nginx_pid")
wait_port "$backend_port" 10 "$nginx_pid" || { cat "$results/logs/nginx.log" "$tmp/nginx/error.log" >&2; die "nginx did not start"; }
[ "$(curl -sS --max-time 10 -o /dev/null -w '%{size_download}' "http://127.0.0.1:$backend_port/1m")" = 1048576 ] ||
  die "nginx does not serve the 1 MiB file"

cat >"$tmp/summary.lua" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("SUMMARY %d %d %d %d\n", summary.requests, summary.bytes, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout))
end
EOF

# --- One measurement --------------------------------------------------------------------------
# run_one SCENARIO ROUND PROGRAM: sets $value to the figure, or to nothing when the run failed.
run_one() {
  local scenario=$1 round=$2 program=$3 port cfg log pid cmd size line requests bytes us errors
  local -a wrk_args
  value=
  free_port port
  cfg="$tmp/$scenario.$program.cfg"
  log="$results/logs/$scenario.r$round.$program.log"
  sed "s/@FRONT_PORT@/$port/g; s/@BACKEND@/127.0.0.1:$backend_port/g" "$here/scenarios/$scenario.cfg" >"$cfg"
  case "$program" in
    haproxy|haproxy2) cmd=(haproxy -db -f "$cfg") ;;
    sluice) cmd=(dotnet "$sluice_dll" -f "$cfg") ;;
  esac
  "${pin_proxy[@]}" "${cmd[@]}" >"$log" 2>&1 </dev/null &
  pid=$!; pids+=("$pid")
  if ! wait_port "$port" 15 "$pid"; then
    echo "$program did not listen on 127.0.0.1:$port" >>"$log"; stop_pid "$pid"; return
  fi
  size=$(curl -sS --max-time 10 -o /dev/null -w '%{size_download}' "http://127.0.0.1:$port$path" 2>>"$log")
  if [ "$size" != "$expected_size" ]; then
    echo "check: got $size bytes for $path through $program, expected $expected_size" >>"$log"
    stop_pid "$pid"; return
  fi
  wrk_args=(-t1 -c"$conns" --timeout 5s -s "$tmp/summary.lua")
  [ "$close" = yes ] && wrk_args+=(-H 'Connection: close')
  # wrk runs in the background so that a signal reaches the trap at once (which stops wrk too).
  "${pin_load[@]}" wrk "${wrk_args[@]}" -d"${warmup}s" "http://127.0.0.1:$port$path" >>"$log" 2>&1 </dev/null &
  pids+=("$!"); reap_pid "$!"
  "${pin_load[@]}" wrk "${wrk_args[@]}" -d"${duration}s" "http://127.0.0.1:$port$path" >"$tmp/wrk.out" 2>&1 </dev/null &
  pids+=("$!"); reap_pid "$!"
  cat "$tmp/wrk.out" >>"$log"
  stop_pid "$pid"
  line=$(grep '^SUMMARY ' "$tmp/wrk.out" | tail -n 1)
  [ -n "$line" ] || return
  read -r _ requests bytes us errors <<<"$line"
  if [ "$requests" -eq 0 ] || [ "$us" -eq 0 ] || [ $((errors * 100)) -gt "$requests" ]; then
    echo "rejected: $requests requests, $errors errors" >>"$log"; return
  fi
  case "$metric" in
    MB/s) value=$(awk -v b="$bytes" -v us="$us" 'BEGIN { printf "%.1f", b / us }') ;;
    conn/s) value=$(awk -v r="$requests" -v us="$us" 'BEGIN { printf "%.0f", r * 1e6 / us }') ;;
  esac
  echo "$scenario,$round,$program,$value,$metric,$requests,$bytes,$us,$errors" >>"$results/runs.csv"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# --- Rounds -----------------------------------------------------------------------------------
first=haproxy second=sluice any_failed=no
[ "$self_test" = yes ] && second=haproxy2
echo "scenario,round,program,value,unit,requests,bytes,duration_us,errors" >"$results/runs.csv"
{
  echo "date: $stamp"
  echo "commit: $(git -C "$root" describe --always --dirty 2>/dev/null)"
  echo "cpus: $(nproc --all); proxy pinned to: ${pin_proxy[*]:-none}; load and nginx pinned to: ${pin_load[*]:-none}"
  echo "haproxy: $(haproxy -v | head -n 1)"
  echo "nginx: $(nginx -v 2>&1)"
  echo "wrk: $(wrk -v 2>&1 | head -n 1)"
  echo "dotnet: $(dotnet --version 2>/dev/null)"
  echo "rounds: $rounds x ${duration}s (after ${warmup}s warm-up each)"
  [ "$self_test" = yes ] && echo "SELF-TEST: haproxy in both columns"
  echo
} >"$results/summary.txt"

table="$results/table.txt"
printf '%-14s %-7s %12s %12s %10s %7s\n' scenario unit haproxy \
  "$([ "$self_test" = yes ] && echo haproxy#2 || echo sluice)" ratio rounds >"$table"

for scenario in "${scenarios[@]}"; do
  spec=$(sed -n 's/^# bench: //p' "$here/scenarios/$scenario.cfg" | head -n 1)
  path=/ conns=8 close=no metric=MB/s
  for kv in $spec; do
    case "$kv" in
      path=*) path=${kv#path=} ;; conns=*) conns=${kv#conns=} ;;
      close=*) close=${kv#close=} ;; metric=*) metric=${kv#metric=} ;;
    esac
  done
  case "$path" in /1m) expected_size=1048576 ;; /small) expected_size=100 ;; *) die "$scenario: unknown path $path" ;; esac
  case "$metric" in MB/s|conn/s) ;; *) die "$scenario: unknown metric $metric" ;; esac

  # Both programs must accept the cfg (with placeholders filled); say so once, before the rounds.
  sed "s/@FRONT_PORT@/1/g; s/@BACKEND@/127.0.0.1:$backend_port/g" "$here/scenarios/$scenario.cfg" >"$tmp/check.cfg"
  haproxy -c -q -f "$tmp/check.cfg" >"$results/logs/$scenario.check.haproxy.log" 2>&1 ||
    { cat "$results/logs/$scenario.check.haproxy.log" >&2; die "$scenario: haproxy -c rejects the cfg"; }
  if [ "$self_test" = no ] && ! dotnet "$sluice_dll" -c -f "$tmp/check.cfg" >"$results/logs/$scenario.check.sluice.log" 2>&1; then
    echo "warning: $scenario: sluice -c rejects the cfg (see logs/$scenario.check.sluice.log)" >&2
  fi

  a_vals=() b_vals=() ratios=()
  for round in $(seq "$rounds"); do
    if [ $((round % 2)) -eq 1 ]; then order=("$first" "$second"); else order=("$second" "$first"); fi
    a= b=
    for program in "${order[@]}"; do
      run_one "$scenario" "$round" "$program"
      if [ "$program" = "$first" ]; then a=$value; else b=$value; fi
    done
    printf '%-14s round %d/%d  %s %s  %s %s\n' "$scenario" "$round" "$rounds" \
      "$first" "${a:-FAILED}" "$second" "${b:-FAILED} ${metric}"
    [ -n "$a" ] && [ -n "$b" ] || any_failed=yes
    [ -n "$a" ] && a_vals+=("$a")
    [ -n "$b" ] && b_vals+=("$b")
    [ -n "$a" ] && [ -n "$b" ] && ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }')")
  done
  a_med=$(printf '%s\n' "${a_vals[@]}" | grep . | median)
  b_med=$(printf '%s\n' "${b_vals[@]}" | grep . | median)
  r_med=$(printf '%s\n' "${ratios[@]}" | grep . | median)
  [ "$r_med" = - ] || r_med=$(printf '%.2f' "$r_med")
  fmt='%.1f'; [ "$metric" = conn/s ] && fmt='%.0f'
  [ "$a_med" = - ] || a_med=$(printf "$fmt" "$a_med")
  [ "$b_med" = - ] || b_med=$(printf "$fmt" "$b_med")
  printf '%-14s %-7s %12s %12s %10s %3d/%-3d\n' "$scenario" "$metric" "$a_med" "$b_med" "$r_med" \
    "${#ratios[@]}" "$rounds" >>"$table"
done

cat "$table" >>"$results/summary.txt"
echo
cat "$table"
echo
echo "ratio = median over rounds of ($second / $first); rounds = rounds where both ran."
[ "$any_failed" = yes ] && echo "FAILED runs: the reason is at the end of logs/SCENARIO.rROUND.PROGRAM.log"
echo "Results: ${results#"$root/"}/ (summary.txt, runs.csv, logs/)"
