#!/usr/bin/env bash
# Creates (once) the Python venv the interop suite runs its foreign Kafka clients in (confluent-kafka, kafka-python)
# and prints its python's path on stdout; progress goes to stderr. Cached outside the repo, keyed by a hash of
# interop/python/requirements.txt, so a changed pin builds a fresh venv and an unchanged one costs nothing:
#   "$(bash scripts/python-env.sh)" interop/python/peer.py --help
# Only PyPI is used (pip with the machine's pip config). TOPIQ_PYTHON picks the interpreter (default python3, >= 3.10).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
requirements="$root/interop/python/requirements.txt"
topiq_home="${TOPIQ_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/topiq}"
python="${TOPIQ_PYTHON:-python3}"
say() { echo "python-env: $*" >&2; }
fail() { say "$*"; exit 1; }

[ -f "$requirements" ] || fail "missing $requirements"
command -v "$python" >/dev/null 2>&1 || fail "no $python on PATH: install Python >= 3.10 (Debian: apt-get install python3 python3-venv) or set TOPIQ_PYTHON"
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
  || fail "$("$python" --version 2>&1) is too old: confluent-kafka's registry client needs Python >= 3.10; set TOPIQ_PYTHON to a newer one"

hash="$( (cat "$requirements"; "$python" -c 'import sys; print(sys.version_info[:2])') | sha256sum | cut -c1-12)"
venv="$topiq_home/py-$hash"
ready="$venv/.topiq-ready" # written last: a venv without it is a half-finished install and is rebuilt

if [ ! -f "$ready" ]; then
  mkdir -p "$topiq_home"
  # Two test runs starting at once must not build into the same directory.
  exec 9>"$venv.lock"
  flock 9
  if [ ! -f "$ready" ]; then
    started=$SECONDS
    rm -rf "$venv"
    say "creating $venv ($("$python" --version 2>&1)) from interop/python/requirements.txt"
    "$python" -m venv "$venv" \
      || fail "python -m venv failed: on Debian/Ubuntu install python3-venv (apt-get install python3-venv), or set TOPIQ_PYTHON"
    say "installing confluent-kafka, kafka-python and codecs from PyPI (about 30 MB, once)"
    if ! "$venv/bin/python" -m pip install --disable-pip-version-check --no-input --progress-bar off \
        -r "$requirements" >"$venv/pip.log" 2>&1; then
      tail -n 25 "$venv/pip.log" >&2
      fail "pip install -r interop/python/requirements.txt failed (full log: $venv/pip.log). Check that PyPI is reachable and the pins exist for $("$python" --version 2>&1)"
    fi
    "$venv/bin/python" -c 'import confluent_kafka, kafka, lz4.frame, zstandard, snappy, jsonschema
from confluent_kafka.schema_registry.json_schema import JSONSerializer' \
      || fail "the venv at $venv installed but cannot import its clients; see $venv/pip.log"
    touch "$ready"
    say "ready in $((SECONDS - started)) s"
  fi
  flock -u 9
fi
echo "$venv/bin/python"
