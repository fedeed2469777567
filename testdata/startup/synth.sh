#!/usr/bin/env bash
# Synthesises alu.v with Yosys (fetch.sh downloads it and its share/
# directory) through `wazero run`, and prints the wall time and peak memory
# of two runs: `synth -noabc` (about 3-5 s) and `synth_ice40` (15-30 s, ABC
# included). The runs of docs/benchmarks.md, "Hot functions first for large
# modules".
#
# usage: synth.sh [WAZERO [FLAGS...]]   (default: target/release/wazero)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
wazero=${1:-$here/../../target/release/wazero}
shift || true
[ -f "$here/yosys.wasm" ] && [ -d "$here/share" ] || bash "$here/fetch.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/alu.v" "$work/"
mkdir "$work/tmp"
run() {
  local label=$1
  shift
  /usr/bin/time -f "$label: %e s, %M KiB peak" "$wazero" run "$@" \
    --mount "$work:/w" --mount "$work/tmp:/tmp" --mount "$here/share:/share" \
    "$here/yosys.wasm" -- -q -p "$SCRIPT" >/dev/null
}
SCRIPT="read_verilog /w/alu.v; synth -top alu -noabc; stat" run "synth -noabc" "$@"
SCRIPT="read_verilog /w/alu.v; synth_ice40 -top alu -json /w/alu.json" run "synth_ice40" "$@"
