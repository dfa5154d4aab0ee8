#!/usr/bin/env bash
# Makes sure a Prometheus server and promtool are on the machine and prints the server binary's path on stdout
# (progress and errors go to stderr). The observability tests scrape fake /metrics endpoints with it and check the
# alert rules (observability/prometheus) with promtool, which sits beside it:
#   prometheus="$(bash scripts/prometheus.sh)" && "$(dirname "$prometheus")/promtool" --version
# Uses a `prometheus` already on PATH (or /usr/bin/prometheus) when promtool is beside it; otherwise installs Debian's
# `prometheus` package with apt (root, or passwordless sudo), once; later runs return at once.
# The package's postinst would start a system Prometheus on 0.0.0.0:9090 (invoke-rc.d / deb-systemd-invoke): the
# install runs under a policy-rc.d that forbids starting services, and a service that still came up is stopped.
set -euo pipefail
topiq_home="${TOPIQ_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/topiq}"
say() { echo "prometheus: $*" >&2; }
fail() { say "$*"; exit 1; }

# A usable install: the server binary with promtool in the same directory.
found() {
  local candidate
  for candidate in "$(command -v prometheus 2>/dev/null || true)" /usr/bin/prometheus; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] && [ -x "$(dirname "$candidate")/promtool" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if bin="$(found)"; then
  echo "$bin"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  fail "no prometheus on PATH and cannot install it: installing Debian's prometheus package needs root or passwordless sudo. Install it yourself (apt-get install --no-install-recommends prometheus) or put a prometheus binary with promtool beside it on PATH"
fi
command -v apt-get >/dev/null 2>&1 \
  || fail "no prometheus on PATH and no apt-get to install it with: put a Prometheus 2.x binary with promtool beside it on PATH (https://prometheus.io/download/)"

mkdir -p "$topiq_home"
# Two test runs starting at once must not both run apt (dpkg would refuse the second one).
exec 9>"$topiq_home/prometheus-install.lock"
flock 9
if bin="$(found)"; then
  echo "$bin"
  exit 0
fi

started=$SECONDS
log="$topiq_home/prometheus-install.log"
policy=/usr/sbin/policy-rc.d
marker='# topiq scripts/prometheus.sh: no service starts during its apt-get install (removed right after)'
remove_policy() {
  if [ -f "$policy" ] && grep -qF "$marker" "$policy"; then "${as_root[@]}" rm -f "$policy"; fi
}
if [ -e "$policy" ]; then
  # Someone else's (Docker images ship one that answers 101, "forbidden"): leave it as it is.
  say "keeping the existing $policy"
else
  printf '#!/bin/sh\n%s\nexit 101\n' "$marker" | "${as_root[@]}" tee "$policy" >/dev/null
  "${as_root[@]}" chmod 755 "$policy"
  # Never left behind, even when the install is interrupted: it would keep every service on the machine from starting.
  trap remove_policy EXIT
  trap 'remove_policy; exit 130' INT TERM HUP
fi

say "installing Debian's prometheus package with apt-get (server + promtool, about 25 MB with its dependencies; log: $log)"
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-q -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0)
if ! { "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update \
      && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y --no-install-recommends prometheus; } >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  fail "apt-get install prometheus failed (full log: $log). Check that the Debian mirror is reachable (apt-get update)"
fi
remove_policy
trap - EXIT INT TERM HUP

# Whatever the policy said, no system Prometheus may keep 9090: the tests start their own on free ports.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  if systemctl is-active --quiet prometheus.service || systemctl is-enabled --quiet prometheus.service 2>/dev/null; then
    say "stopping and disabling the prometheus.service the package enabled"
    "${as_root[@]}" systemctl disable --now prometheus.service >>"$log" 2>&1 || say "could not stop prometheus.service (see $log)"
  fi
elif [ -x /etc/init.d/prometheus ] && "${as_root[@]}" /etc/init.d/prometheus status >/dev/null 2>&1; then
  say "stopping the system prometheus service the package started"
  "${as_root[@]}" /etc/init.d/prometheus stop >>"$log" 2>&1 || say "could not stop the prometheus service (see $log)"
fi

bin="$(found)" || fail "apt-get installed prometheus but no prometheus with promtool beside it was found (see $log)"
say "$("$bin" --version 2>&1 | head -n 1) installed in $((SECONDS - started)) s"
echo "$bin"
