#!/usr/bin/env bash
# The test command: installs what the tests need, builds Sluice.slnx in Release, runs every
# test project (one TRX file each, under .test-out/), and ends with the line
#   N passed, N failed
# counted from the TRX files (a line before it counts tests that did not run, if any). Exits non-zero when a test fails, the build fails, a test run
# crashes or no test ran; a failed install or build, and a test run that crashed, hung or left
# no results, each count as one failed. Extra arguments go to every 'dotnet test' call (e.g. --filter ...).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
out="$root/.test-out"
trx_dir="$out/trx"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# With the code analyzers and style rules (warnings are errors), which a plain build leaves out for speed.
build_flags=(-c Release --nologo -p:SluiceAnalyze=true)
if [ "${CI:-}" = true ]; then
  # No build servers left behind on CI: they would outlive the run and hold its output open.
  export MSBUILDDISABLENODEREUSE=1
  build_flags+=(-p:UseSharedCompilation=false)
fi

passed=0 failed=0 total=0 executed=0 problems=() failure_details=()

summary() {
  [ "$total" -gt "$executed" ] && echo "$((total - executed)) not run (skipped)"
  echo "$passed passed, $failed failed"
}

finish() {
  echo
  for trx in "${failure_details[@]}"; do
    /usr/bin/python3 "$root/scripts/lib/trx_failures.py" "$trx" || echo "(could not read $trx)"
  done
  if [ ${#problems[@]} -gt 0 ]; then
    printf 'FAILED: %s\n' "${problems[@]}"
  fi
  summary
  [ ${#problems[@]} -eq 0 ] && exit 0 || exit 1
}

# 1. Tools the tests use (real peers, clients and load generators).
. "$root/scripts/lib/packages.sh"
echo "== Checking packages"
if ! ensure_packages curl haproxy 'nginx-light|nginx' socat nghttp2-client wrk python3-h2 python3-hpack \
    python3-grpcio python3-websockets openssl redis-server redis-tools postgresql util-linux iproute2 netcat-openbsd procps python3-prometheus-client chromium whois \
    freerdp2-x11 xvfb dante-server dnsmasq-base nftables; then
  problems+=("installing packages"); failed=$((failed + 1))
  finish
fi

# 2. Build once; the test runs below use this build.
rm -rf "$trx_dir" && mkdir -p "$trx_dir"
echo "== Building Sluice.slnx (Release)"
dotnet build Sluice.slnx "${build_flags[@]}" -v minimal 2>&1 | tee "$out/build.log"
if [ "${PIPESTATUS[0]}" -ne 0 ]; then
  problems+=("build (see .test-out/build.log)"); failed=$((failed + 1))
  finish
fi

# 3. The test projects of the solution, each with its own TRX file.
mapfile -t projects < <(grep -o 'Path="[^"]*\.csproj"' Sluice.slnx | sed 's/^Path="//; s/"$//')
tests=()
for p in "${projects[@]}"; do
  is_test=$(dotnet msbuild "$p" -nologo -getProperty:IsTestProject -p:Configuration=Release 2>/dev/null | tr -d '[:space:]')
  [ "$is_test" = true ] && tests+=("$p")
done
if [ ${#tests[@]} -eq 0 ]; then
  problems+=("no test project in Sluice.slnx")
  finish
fi

for p in "${tests[@]}"; do
  name=$(basename "$p" .csproj)
  trx="$trx_dir/$name.trx"
  echo
  echo "== $name"
  dotnet test "$p" --no-build -c Release --nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
    --results-directory "$trx_dir" \
    --blame-hang-timeout "${SLUICE_TEST_HANG_TIMEOUT:-15m}" --blame-hang-dump-type none \
    "$@" </dev/null
  rc=$?
  if [ ! -f "$trx" ]; then
    problems+=("$name: no results (dotnet test exited $rc)"); failed=$((failed + 1))
    continue
  fi
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { local v; v=$(sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"); echo "${v:-0}"; }
  t=$(get total) e=$(get executed) ok=$(get passed)
  bad=$(( $(get failed) + $(get error) + $(get timeout) + $(get aborted) ))
  total=$((total + t)) executed=$((executed + e)) passed=$((passed + ok)) failed=$((failed + bad))
  if [ "$bad" -gt 0 ]; then
    problems+=("$name: $bad failed")
    failure_details+=("$trx")
    while IFS= read -r test_name; do
      problems+=("  $test_name")
    done < <(grep -o '<UnitTestResult [^>]*outcome="\(Failed\|Error\|Timeout\|Aborted\)"[^>]*>' "$trx" \
               | sed -n 's/.* testName="\([^"]*\)".*/\1/p' | head -n 20)
  elif [ "$rc" -ne 0 ]; then
    problems+=("$name: dotnet test exited $rc without a failed test (crash or hang), counted as 1 failed")
    failed=$((failed + 1))
  fi
done

[ "$executed" -eq 0 ] && problems+=("no test ran")
finish
