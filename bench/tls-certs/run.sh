#!/usr/bin/env bash
# Certificates at scale: start-up time and resident memory of Sluice and haproxy for the same `bind ... ssl crt DIR`
# with 10, 1,000 and 3,000 certificates (ECDSA P-256 by default, `--rsa` for RSA 2048), plus one handshake by SNI
# to the last certificate as a check. Everything runs on 127.0.0.1; each program started here is stopped by its PID.
#
#   bench/tls-certs/run.sh [--rsa] [COUNT...]        (default counts: 10 1000 3000)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
kind=ecdsa
counts=()
for arg in "$@"; do
    case "$arg" in
        --rsa) kind=rsa ;;
        *) counts+=("$arg") ;;
    esac
done
[ ${#counts[@]} -eq 0 ] && counts=(10 1000 3000)

missing=()
command -v haproxy >/dev/null || missing+=(haproxy)
command -v curl >/dev/null || missing+=(curl)
python3 -c 'import cryptography' 2>/dev/null || missing+=(python3-cryptography)
if [ ${#missing[@]} -gt 0 ]; then
    sudo apt-get install -y "${missing[@]}" || apt-get install -y "${missing[@]}"
fi

dll="$root/src/Sluice/bin/Release/net10.0/sluice.dll"
[ -f "$dll" ] || dotnet build "$root/src/Sluice" -c Release >/dev/null

work=$(mktemp -d /tmp/sluice-tls-certs.XXXXXX)
pid=""
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Starts "$@", waits until 127.0.0.1:$port accepts; prints "milliseconds RSS-KiB".
measure() {
    local port=$1; shift
    local start end
    start=$(date +%s%N)
    "$@" >"$work/out.log" 2>&1 &
    pid=$!
    until python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$port)))" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then echo "exited: $(tail -5 "$work/out.log")" >&2; return 1; fi
        sleep 0.02
    done
    end=$(date +%s%N)
    # Memory once start-up has settled.
    sleep 1
    local rss
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    echo "$(( (end - start) / 1000000 )) $rss"
}

check_sni() {
    local port=$1 name=$2
    curl -sS --max-time 10 --cacert "$work/ca.crt" --resolve "$name:$port:127.0.0.1" -o /dev/null -w '%{http_code}' "https://$name:$port/" || true
}

stop() {
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
}

echo
printf '%-8s %-6s %12s %12s %12s %12s %s\n' certs key "sluice ms" "sluice RSS" "haproxy ms" "haproxy RSS" "SNI check (sluice/haproxy)"
for count in "${counts[@]}"; do
    dir="$work/certs-$count"
    gen_start=$(date +%s%N)
    python3 "$root/bench/tls-certs/generate.py" "$dir" "$count" "$kind"
    gen_ms=$(( ($(date +%s%N) - gen_start) / 1000000 ))
    port=$(free_port)
    cat >"$work/bench.cfg" <<CFG
defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 5s
frontend fe
    bind 127.0.0.1:$port ssl crt $dir alpn h2,http/1.1
    http-request return status 200 content-type text/plain string "ok"
CFG
    last="site$((count - 1)).bench.test"
    read -r s_ms s_rss < <(measure "$port" dotnet "$dll" -f "$work/bench.cfg")
    s_sni=$(check_sni "$port" "www.$last")
    stop
    read -r h_ms h_rss < <(measure "$port" haproxy -db -f "$work/bench.cfg")
    h_sni=$(check_sni "$port" "www.$last")
    stop
    printf '%-8s %-6s %12s %9s KiB %12s %9s KiB %s (generated in %s ms)\n' "$count" "$kind" "$s_ms" "$s_rss" "$h_ms" "$h_rss" "$s_sni/$h_sni" "$gen_ms"
    rm -rf "$dir"
done
