# Source this file: it puts Node 24 and pnpm first on PATH, installing them into a cache outside the repo when the
# machine's own Node is older than the project needs (engines: >=22.12). Idempotent; only the npm registry is used.
#   . scripts/toolchain.sh
TOPIQ_HOME="${TOPIQ_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/topiq}"
# Node trusts only its bundled CA list; also trusting the system store lets npm work behind a TLS-inspecting proxy
# (without it, installs here crawl through timeouts). Verification stays on.
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi
_topiq_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=12)?0:1)'
}
_topiq_pnpm_version="$(sed -n 's/.*"packageManager": *"pnpm@\([^"+]*\).*/\1/p' "$(dirname "${BASH_SOURCE[0]}")/../package.json")"
if ! _topiq_node_ok; then
  _topiq_node_dir="$TOPIQ_HOME/node24"
  if [ ! -x "$_topiq_node_dir/node_modules/node/bin/node" ]; then
    echo "toolchain: Node $(node --version 2>/dev/null || echo none) is older than 22.12; installing node@24 into $_topiq_node_dir" >&2
    mkdir -p "$_topiq_node_dir"
    npm install --silent --no-audit --no-fund --prefix "$_topiq_node_dir" node@24 >&2 || { echo "toolchain: npm install node@24 failed" >&2; return 1; }
  fi
  export PATH="$_topiq_node_dir/node_modules/node/bin:$PATH"
fi
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$_topiq_pnpm_version" ]; then
  _topiq_pnpm_dir="$TOPIQ_HOME/pnpm-$_topiq_pnpm_version"
  if [ ! -x "$_topiq_pnpm_dir/bin/pnpm" ]; then
    echo "toolchain: installing pnpm@$_topiq_pnpm_version into $_topiq_pnpm_dir" >&2
    npm install --silent --no-audit --no-fund -g --prefix "$_topiq_pnpm_dir" "pnpm@$_topiq_pnpm_version" >&2 || { echo "toolchain: npm install pnpm failed" >&2; return 1; }
  fi
  export PATH="$_topiq_pnpm_dir/bin:$PATH"
fi
export TURBO_TELEMETRY_DISABLED=1
unset _topiq_node_dir _topiq_pnpm_dir _topiq_pnpm_version
