#!/usr/bin/env bash
# Runs the same .cfg under haproxy and under Sluice, alternately, and prints Sluice/haproxy.
#
#   bench/e2e/run.sh [--rounds N] [--duration S] [--warmup S] [--no-build] [--alloc] [--self-test | --haproxy-only] [scenario...]
#
# For each scenario (bench/e2e/scenarios/NAME.cfg; all of them when none is named) the harness
# starts nginx on loopback as the backend, then for each round runs haproxy and Sluice on the
# cfg one after the other (the order alternates between rounds), each pinned to CPU 0, and
# drives it with wrk pinned to CPU 1 (nginx shares CPU 1 with wrk). It prints, per scenario and
# metric, the median of haproxy's figures, the median of Sluice's and the median of the per-round
# ratios Sluice/haproxy, and writes everything under bench/e2e/results/<time>/. Each run is
# warmed up first (--warmup, 3 s by default: .NET compiles its hot code to the optimised tier
# during the first seconds of load).
#
# A scenario's "# bench:" line sets: path (URL path on the backend: /small, /1m or /1mib),
# conns (client connections), close (yes: "Connection: close" on every request), metric
# (MB/s, conn/s or req/s; several separated by commas, e.g. req/s,MB/s; req/cpu-s divides the requests
# by the CPU time the proxy used meanwhile, which other work on the machine disturbs less), and driver: wrk
# (HTTP/1.1, the default) or h2load (prior-knowledge HTTP/2, with streams=N at once per connection);
# with h2load, body=grpc makes every request a gRPC call: POST, content-type application/grpc, te: trailers and
# a length-prefixed 100-byte message (nginx answers /grpc with 100 bytes and the trailer grpc-status: 0);
# tls=yes makes the clients speak https (wrk: HTTP/1.1, no session resumption, so with close=yes
# every request is a new full handshake; h2load: h2 chosen by ALPN).
# Placeholders in the cfg: @FRONT_PORT@ (the proxy's port), @BACKEND@ (nginx's address:port),
# @BACKEND_H2@ (the same nginx serving cleartext HTTP/2 with prior knowledge), @CERT@ (a PEM file
# with a self-signed ECDSA P-256 certificate and its key, made for the run).
#
# --alloc also measures the bytes Sluice allocates per request during its measured runs (the runtime's
# dotnet.gc.heap.total_allocated counter, read each second by dotnet-counters, which it installs when missing),
# printed below the table as the median over rounds; haproxy has no counterpart, so there is no ratio. The
# counter reader shares the load's CPU during Sluice's runs only: take ratios from runs without --alloc.
#
# --self-test runs haproxy in both slots (no Sluice needed) to check the mechanics: the
# ratios should sit around 1.0, spread by the machine's noise. --haproxy-only runs haproxy
# alone (no Sluice, no ratio). A run that fails is reported at once with the end of its log,
# and the script then exits 1.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
rounds=5 duration=6 warmup=3 build=yes self_test=no haproxy_only=no alloc=no scenarios=()

# The header comment, up to its first non-comment line.
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; }
die() { echo "error: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=${2:-}; shift 2 ;;
    --duration) duration=${2:-}; shift 2 ;;
    --warmup) warmup=${2:-}; shift 2 ;;
    --no-build) build=no; shift ;;
    --alloc) alloc=yes; shift ;;
    --self-test) self_test=yes; shift ;;
    --haproxy-only) haproxy_only=yes; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) scenarios+=("$1"); shift ;;
  esac
done
[ "$self_test$haproxy_only" != yesyes ] || die "--self-test and --haproxy-only exclude each other"
[[ "$rounds" =~ ^[0-9]+$ ]] && [ "$rounds" -ge 1 ] && [ "$rounds" -le 20 ] || die "--rounds takes 1..20"
[[ "$warmup" =~ ^[0-9]+$ ]] && [ "$warmup" -le 30 ] || die "--warmup takes 0..30 seconds"
[[ "$duration" =~ ^[0-9]+$ ]] && [ "$duration" -ge 1 ] && [ "$duration" -le 30 ] || die "--duration takes 1..30 seconds"
if [ ${#scenarios[@]} -eq 0 ]; then
  for f in "$here"/scenarios/*.cfg; do scenarios+=("$(basename "$f" .cfg)"); done
fi
for s in "${scenarios[@]}"; do [ -f "$here/scenarios/$s.cfg" ] || die "no scenario $s (bench/e2e/scenarios/$s.cfg)"; done

. "$root/scripts/lib/packages.sh"
ensure_packages haproxy 'nginx-light|nginx' wrk curl iproute2 nghttp2-client || die "cannot install the tools"
command -v taskset >/dev/null || die "taskset (util-linux) is missing"

if [ "$(nproc --all)" -ge 2 ]; then
  pin_proxy=(taskset -c 0) pin_load=(taskset -c 1)
else
  echo "warning: fewer than 2 CPUs, nothing is pinned" >&2
  pin_proxy=() pin_load=()
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
[ "$self_test" = yes ] && stamp+="-self-test"
[ "$haproxy_only" = yes ] && stamp+="-haproxy-only"
needs_sluice=yes
[ "$self_test" = yes ] || [ "$haproxy_only" = yes ] && needs_sluice=no
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
# cpu_ticks PID: the CPU time (user and system, all threads) the process has used, in clock ticks.
clock_ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
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
counters="${HOME}/.dotnet/tools/dotnet-counters"
if [ "$alloc" = yes ] && ! [ -x "$counters" ]; then
  dotnet tool install -g dotnet-counters >/dev/null || die "--alloc needs dotnet-counters, which could not be installed"
fi
if [ "$needs_sluice" = yes ] && [ "$build" = yes ]; then
  echo "== Building Sluice (Release)"
  dotnet build "$root/src/Sluice/Sluice.csproj" -c Release --nologo -v quiet >"$results/logs/build.log" 2>&1 ||
    { tail -n 20 "$results/logs/build.log" >&2; die "build failed (see $results/logs/build.log)"; }
fi
[ "$needs_sluice" = no ] || [ -f "$sluice_dll" ] || die "$sluice_dll is missing (build it or drop --no-build)"

# --- Backend: nginx on loopback with its own config, files and pid file -----------------------
mkdir -p "$tmp/www" "$tmp/nginx"
head -c 1048576 /dev/urandom >"$tmp/www/1m"
ln "$tmp/www/1m" "$tmp/www/1mib"
small_body=$(head -c 100 /dev/zero | tr '\0' 'x')
chmod 644 "$tmp/www/"*; chmod 755 "$tmp/www" "$tmp/nginx"
free_port backend_port
free_port backend_h2_port
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
        location = /small {
            default_type text/plain;
            return 200 "$small_body";
        }
    }
    server {
        listen 127.0.0.1:$backend_h2_port http2 backlog=4096;
        http2_max_concurrent_streams 128;
        root $tmp/www;
        location = /small {
            default_type text/plain;
            return 200 "$small_body";
        }
        location = /grpc {
            default_type application/grpc;
            add_trailer grpc-status 0;
            return 200 "$small_body";
        }
    }
}
EOF
"${pin_load[@]}" nginx -e "$tmp/nginx/error.log" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" \
  >"$results/logs/nginx.log" 2>&1 </dev/null &
nginx_pid=$!; pids+=("$nginx_pid")
wait_port "$backend_port" 10 "$nginx_pid" || { cat "$results/logs/nginx.log" "$tmp/nginx/error.log" >&2; die "nginx did not start"; }
[ "$(curl -sS --max-time 10 -o /dev/null -w '%{size_download}' "http://127.0.0.1:$backend_port/1m")" = 1048576 ] ||
  die "nginx does not serve the 1 MiB file"

# The certificate of tls=yes scenarios: ECDSA P-256, self-signed.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj /CN=bench.test \
  -keyout "$tmp/bench.key" -out "$tmp/bench.crt" >"$results/logs/openssl.log" 2>&1 || die "openssl could not make a certificate"
cat "$tmp/bench.crt" "$tmp/bench.key" >"$tmp/bench.pem"

# A gRPC request message: the 5-byte prefix (not compressed, length 100) and 100 bytes.
{ printf '\000\000\000\000\144'; head -c 100 /dev/zero | tr '\0' 'g'; } >"$tmp/grpc-request.bin"

cat >"$tmp/summary.lua" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("SUMMARY %d %d %d %d\n", summary.requests, summary.bytes, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout))
end
EOF

# --- One measurement --------------------------------------------------------------------------
# run_one SCENARIO ROUND PROGRAM: sets values[i] to the figure of metrics[i], or leaves values empty
# when the run failed (and then prints the reason and the end of the program's log).
run_one() {
  local scenario=$1 round=$2 program=$3 port cfg log pid cmd size line requests bytes us errors i m v cpu0 cpu1 counters_pid=
  local -a wrk_args h2load_args
  values=()
  free_port port
  cfg="$tmp/$scenario.$program.cfg"
  log="$results/logs/$scenario.r$round.$program.log"
  sed "s/@FRONT_PORT@/$port/g; s/@BACKEND@/127.0.0.1:$backend_port/g; s/@BACKEND_H2@/127.0.0.1:$backend_h2_port/g; s|@CERT@|$tmp/bench.pem|g" "$here/scenarios/$scenario.cfg" >"$cfg"
  case "$program" in
    haproxy|haproxy2) cmd=(haproxy -db -f "$cfg") ;;
    sluice) cmd=(dotnet "$sluice_dll" -f "$cfg") ;;
  esac
  "${pin_proxy[@]}" "${cmd[@]}" >"$log" 2>&1 </dev/null &
  pid=$!; pids+=("$pid")
  if ! wait_port "$port" 15 "$pid"; then
    if kill -0 "$pid" 2>/dev/null; then
      echo "$program did not listen on 127.0.0.1:$port within 15 s" >>"$log"
    else
      wait "$pid"; echo "$program exited with status $? before listening on 127.0.0.1:$port" >>"$log"
    fi
    stop_pid "$pid"; run_failed "$log"; return
  fi
  size=$(curl -sS -k --max-time 10 -o /dev/null -w '%{size_download} %{http_code}' "$scheme://127.0.0.1:$port$path" 2>>"$log")
  if [ "$size" != "$expected_size 200" ]; then
    echo "check: got '${size:-nothing}' (bytes, status) for $path through $program, expected '$expected_size 200'" >>"$log"
    stop_pid "$pid"; run_failed "$log"; return
  fi
  if [ "$driver" = h2load ]; then
    # h2load prints its totals; they are turned into the SUMMARY line that wrk's script writes.
    h2load_args=(-c"$conns" -m"$streams")
    [ "$body" = grpc ] && h2load_args+=(-d "$tmp/grpc-request.bin" -H 'content-type: application/grpc' -H 'te: trailers')
    "${pin_load[@]}" h2load "${h2load_args[@]}" -D"$warmup" "$scheme://127.0.0.1:$port$path" >>"$log" 2>&1 </dev/null &
    pids+=("$!"); reap_pid "$!"
    cpu0=$(cpu_ticks "$pid")
    start_alloc_counters
    "${pin_load[@]}" h2load "${h2load_args[@]}" -D"$duration" "$scheme://127.0.0.1:$port$path" >"$tmp/h2load.out" 2>&1 </dev/null &
    pids+=("$!"); reap_pid "$!"
    cpu1=$(cpu_ticks "$pid")
    awk '/^finished in/ { s = $3; sub(/s,$/, "", s); us = s * 1e6 }
         /^requests:/ { ok = $8; bad = $10 + $12 }
         /^traffic:/ { b = $3; gsub(/[()]/, "", b) }
         END { if (us > 0) printf "SUMMARY %d %d %d %d\n", ok, b, us, bad }' "$tmp/h2load.out" >"$tmp/wrk.out"
    cat "$tmp/h2load.out" >>"$log"
  else
    wrk_args=(-t1 -c"$conns" --timeout 5s -s "$tmp/summary.lua")
    [ "$close" = yes ] && wrk_args+=(-H 'Connection: close')
    # wrk runs in the background so that a signal reaches the trap at once (which stops wrk too).
    "${pin_load[@]}" wrk "${wrk_args[@]}" -d"${warmup}s" "$scheme://127.0.0.1:$port$path" >>"$log" 2>&1 </dev/null &
    pids+=("$!"); reap_pid "$!"
    cpu0=$(cpu_ticks "$pid")
    start_alloc_counters
    "${pin_load[@]}" wrk "${wrk_args[@]}" -d"${duration}s" "$scheme://127.0.0.1:$port$path" >"$tmp/wrk.out" 2>&1 </dev/null &
    pids+=("$!"); reap_pid "$!"
    cpu1=$(cpu_ticks "$pid")
    cat "$tmp/wrk.out" >>"$log"
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid"; echo "$program exited with status $? during the load" >>"$log"
    reap_pid "$pid"; run_failed "$log"; return
  fi
  stop_pid "$pid"
  line=$(grep '^SUMMARY ' "$tmp/wrk.out" | tail -n 1)
  [ -n "$line" ] || { echo "rejected: no summary from wrk" >>"$log"; run_failed "$log"; return; }
  read -r _ requests bytes us errors <<<"$line"
  if [ "$requests" -eq 0 ] || [ "$us" -eq 0 ] || [ $((errors * 100)) -gt "$requests" ]; then
    echo "rejected: $requests requests, $errors errors" >>"$log"; run_failed "$log"; return
  fi
  for i in "${!metrics[@]}"; do
    m=${metrics[$i]}
    case "$m" in
      MB/s) v=$(awk -v b="$bytes" -v us="$us" 'BEGIN { printf "%.1f", b / us }') ;;
      conn/s|req/s) v=$(awk -v r="$requests" -v us="$us" 'BEGIN { printf "%.0f", r * 1e6 / us }') ;;
      req/cpu-s) v=$(awk -v r="$requests" -v t="$((cpu1 - cpu0))" -v hz="$clock_ticks" 'BEGIN { printf "%.0f", (t > 0 ? r * hz / t : 0) }') ;;
    esac
    values[$i]=$v
    echo "$scenario,$round,$program,$v,$m,$requests,$bytes,$us,$errors" >>"$results/runs.csv"
  done
  if [ -n "$counters_pid" ]; then
    reap_pid "$counters_pid"
    # Each sample is the bytes allocated in one second; their mean over the request rate is bytes per request.
    v=$(awk -F, -v r="$requests" -v us="$us" '$3 ~ /^dotnet.gc.heap.total_allocated/ { sum += $5; n++ }
          END { if (n > 0 && r > 0) printf "%.0f", (sum / n) / (r * 1e6 / us) }' "$tmp/counters.csv" 2>/dev/null)
    if [ -n "$v" ]; then
      echo "$v" >>"$tmp/alloc.$scenario"
      echo "$scenario,$round,$program,$v,alloc-B/req,$requests,$bytes,$us,$errors" >>"$results/runs.csv"
    fi
  fi
}

# start_alloc_counters: with --alloc, samples Sluice's allocations (in run_one's $pid) for the measured run.
start_alloc_counters() {
  [ "$alloc" = yes ] && [ "$program" = sluice ] || return 0
  rm -f "$tmp/counters.csv"
  "${pin_load[@]}" "$counters" collect -p "$pid" --refresh-interval 1 --duration "$(printf '00:00:00:%02d' "$duration")" \
    --counters System.Runtime --format csv -o "$tmp/counters.csv" >>"$log" 2>&1 </dev/null &
  counters_pid=$!; pids+=("$counters_pid")
}

# run_failed LOG: says at once that a run failed, and why (the end of its log).
run_failed() {
  echo "  FAILED: ${1#"$root/"}, ending with:" >&2
  tail -n 5 "$1" | sed 's/^/    | /' >&2
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# --- Rounds -----------------------------------------------------------------------------------
first=haproxy second=sluice any_failed=no
[ "$self_test" = yes ] && second=haproxy2
[ "$haproxy_only" = yes ] && second=
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
  [ "$haproxy_only" = yes ] && echo "HAPROXY ONLY: no Sluice column"
  echo
} >"$results/summary.txt"

case "$self_test$haproxy_only" in
  yesno) second_name=haproxy#2 ;; noyes) second_name=- ;; *) second_name=sluice ;;
esac
table="$results/table.txt"
printf '%-14s %-7s %12s %12s %10s %7s\n' scenario unit haproxy "$second_name" ratio rounds >"$table"

for scenario in "${scenarios[@]}"; do
  spec=$(sed -n 's/^# bench: //p' "$here/scenarios/$scenario.cfg" | head -n 1)
  path=/ conns=8 close=no metric=MB/s driver=wrk streams=1 body=none tls=no
  for kv in $spec; do
    case "$kv" in
      path=*) path=${kv#path=} ;; conns=*) conns=${kv#conns=} ;;
      close=*) close=${kv#close=} ;; metric=*) metric=${kv#metric=} ;;
      driver=*) driver=${kv#driver=} ;; streams=*) streams=${kv#streams=} ;;
      body=*) body=${kv#body=} ;; tls=*) tls=${kv#tls=} ;;
    esac
  done
  case "$driver" in wrk|h2load) ;; *) die "$scenario: unknown driver $driver" ;; esac
  case "$path" in /1m|/1mib) expected_size=1048576 ;; /small|/grpc) expected_size=100 ;; *) die "$scenario: unknown path $path" ;; esac
  case "$body" in none) ;; grpc) [ "$driver" = h2load ] || die "$scenario: body=grpc needs driver=h2load" ;; *) die "$scenario: unknown body $body" ;; esac
  case "$tls" in no) scheme=http ;; yes) scheme=https ;; *) die "$scenario: tls takes yes or no" ;; esac
  IFS=, read -r -a metrics <<<"$metric"
  for m in "${metrics[@]}"; do
    case "$m" in MB/s|conn/s|req/s|req/cpu-s) ;; *) die "$scenario: unknown metric $m" ;; esac
  done

  # Both programs must accept the cfg (with placeholders filled); say so once, before the rounds.
  sed "s/@FRONT_PORT@/1/g; s/@BACKEND@/127.0.0.1:$backend_port/g; s/@BACKEND_H2@/127.0.0.1:$backend_h2_port/g; s|@CERT@|$tmp/bench.pem|g" "$here/scenarios/$scenario.cfg" >"$tmp/check.cfg"
  haproxy -c -q -f "$tmp/check.cfg" >"$results/logs/$scenario.check.haproxy.log" 2>&1 ||
    { cat "$results/logs/$scenario.check.haproxy.log" >&2; die "$scenario: haproxy -c rejects the cfg"; }
  if [ "$second" = sluice ] && ! dotnet "$sluice_dll" -c -f "$tmp/check.cfg" >"$results/logs/$scenario.check.sluice.log" 2>&1; then
    echo "warning: $scenario: sluice -c rejects the cfg (logs/$scenario.check.sluice.log):" >&2
    tail -n 5 "$results/logs/$scenario.check.sluice.log" | sed 's/^/    | /' >&2
  fi

  # Per-round figures go to files, one per program and metric: vals.PROGRAM.INDEX and ratios.INDEX.
  rm -f "$tmp"/vals.* "$tmp"/ratios.* "$tmp/alloc.$scenario"
  both=0
  for round in $(seq "$rounds"); do
    if [ -z "$second" ]; then order=("$first")
    elif [ $((round % 2)) -eq 1 ]; then order=("$first" "$second"); else order=("$second" "$first"); fi
    a=() b=()
    for program in "${order[@]}"; do
      run_one "$scenario" "$round" "$program"
      if [ "$program" = "$first" ]; then a=("${values[@]}"); else b=("${values[@]}"); fi
    done
    report=
    for i in "${!metrics[@]}"; do report+="${report:+  }${a[$i]:-FAILED}${second:+/${b[$i]:-FAILED}} ${metrics[$i]}"; done
    printf '%-14s round %d/%d  %s: %s\n' "$scenario" "$round" "$rounds" "$first${second:+/$second}" "$report"
    [ ${#a[@]} -gt 0 ] || any_failed=yes
    [ -z "$second" ] || [ ${#b[@]} -gt 0 ] || any_failed=yes
    [ ${#a[@]} -gt 0 ] && [ ${#b[@]} -gt 0 ] && both=$((both + 1))
    for i in "${!metrics[@]}"; do
      [ -n "${a[$i]:-}" ] && echo "${a[$i]}" >>"$tmp/vals.a.$i"
      [ -n "${b[$i]:-}" ] && echo "${b[$i]}" >>"$tmp/vals.b.$i"
      [ -n "${a[$i]:-}" ] && [ -n "${b[$i]:-}" ] &&
        awk -v a="${a[$i]}" -v b="${b[$i]}" 'BEGIN { printf "%.3f\n", b / a }' >>"$tmp/ratios.$i"
    done
  done
  for i in "${!metrics[@]}"; do
    m=${metrics[$i]}
    a_med=$(cat "$tmp/vals.a.$i" 2>/dev/null | median)
    b_med=$(cat "$tmp/vals.b.$i" 2>/dev/null | median)
    r_med=$(cat "$tmp/ratios.$i" 2>/dev/null | median)
    [ "$r_med" = - ] || r_med=$(printf '%.2f' "$r_med")
    fmt='%.1f'; [ "$m" = MB/s ] || fmt='%.0f'
    [ "$a_med" = - ] || a_med=$(printf "$fmt" "$a_med")
    [ "$b_med" = - ] || b_med=$(printf "$fmt" "$b_med")
    if [ -z "$second" ]; then
      printf '%-14s %-7s %12s %12s %10s %3d/%-3d\n' "$scenario" "$m" "$a_med" - - \
        "$(wc -l <"$tmp/vals.a.$i" 2>/dev/null || echo 0)" "$rounds" >>"$table"
    else
      printf '%-14s %-7s %12s %12s %10s %3d/%-3d\n' "$scenario" "$m" "$a_med" "$b_med" "$r_med" \
        "$both" "$rounds" >>"$table"
    fi
  done
  if [ -s "$tmp/alloc.$scenario" ]; then
    printf '%-14s %-7s %12s %12s %10s %3d/%-3d\n' "$scenario" "B/req" - "$(median <"$tmp/alloc.$scenario")" - \
      "$(wc -l <"$tmp/alloc.$scenario")" "$rounds" >>"$table"
  fi
done

cat "$table" >>"$results/summary.txt"
echo
cat "$table"
echo
if [ -n "$second" ]; then
  echo "ratio = median over rounds of ($second / $first); rounds = rounds where both ran."
else
  echo "rounds = rounds where haproxy ran."
fi
echo "Results: ${results#"$root/"}/ (summary.txt, runs.csv, logs/)"
if [ "$any_failed" = yes ]; then
  echo "FAILED runs: the reason is at the end of logs/SCENARIO.rROUND.PROGRAM.log" >&2
  exit 1
fi
