# Sourced by scripts/test.sh and bench/e2e/run.sh: installs missing Debian packages.
#
#   ensure_packages curl 'nginx-light|nginx' wrk
#
# Each argument is a package, or alternatives separated by '|' (any one installed is enough;
# the first is installed when none is). Packages are checked one by one with dpkg; when some
# are missing, 'apt-get update' runs once and one 'apt-get install' installs them all.

_pkg_installed() {
  dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'
}

ensure_packages() {
  local spec alt found missing=()
  for spec in "$@"; do
    found=
    IFS='|' read -r -a alts <<<"$spec"
    for alt in "${alts[@]}"; do
      if _pkg_installed "$alt"; then found=1; break; fi
    done
    [ -n "$found" ] || missing+=("${alts[0]}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0

  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: missing packages (${missing[*]}) and no apt-get on this machine" >&2
    return 1
  fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo -n)
    else
      echo "error: missing packages (${missing[*]}); install them as root: apt-get install ${missing[*]}" >&2
      return 1
    fi
  fi
  echo "Installing missing packages: ${missing[*]}"
  local log rc=0
  log=$(mktemp)
  { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      "${missing[@]}"; } </dev/null >"$log" 2>&1 || rc=$?
  if [ $rc -ne 0 ]; then
    tail -n 30 "$log" >&2
    echo "error: apt-get failed ($rc) installing: ${missing[*]}" >&2
  fi
  rm -f "$log"
  return $rc
}
