#!/usr/bin/env bash
# run.sh compares goras and onnxruntime on the same ONNX files: the course
# MLP, LeNet-5 and the best recipe's network, exported by goras channels
# first; goras imports each file (onnx.Load) and runs it with 2 cores,
# onnxruntime-node with 2 intra-op threads; batch 1 and batch 1000 over the
# MNIST test images. The two sides take turns (ROUNDS rounds, default 10,
# alternating which goes first, each measurement SECONDS_PER_RUN, default
# 0.5 s, after a warm-up); the table shows each side's best round and the
# ratio of the medians too.
#
#   bash bench/onnx/run.sh            # ROUNDS=10 SECONDS_PER_RUN=0.5 RAW=file (keep the JSON lines)
#
# It installs onnxruntime-node as onnx/check/check.sh does (npm install
# --ignore-scripts, cached in $GORAS_ONNX_CHECK_CACHE).
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=${ROUNDS:-10}
secs=${SECONDS_PER_RUN:-0.5}
ort_version=${ORT_VERSION:-1.30.0}
cache=${GORAS_ONNX_CHECK_CACHE:-${HOME:-/tmp}/.cache/goras/onnx-check}
ort="$cache/ort-$ort_version"
if [ ! -f "$ort/node_modules/onnxruntime-node/package.json" ]; then
	echo "== installing onnxruntime-node $ort_version" >&2
	mkdir -p "$ort"
	(cd "$ort" && npm init -y >/dev/null && npm install --ignore-scripts --no-audit --no-fund "onnxruntime-node@$ort_version" >/dev/null)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
raw=${RAW:-$work/raw.jsonl}
: >"$raw"
go build -o "$work/bench-onnx" ./bench/onnx
"$work/bench-onnx" -prepare -dir "$work"
goras() { "$work/bench-onnx" -dir "$work" -seconds "$secs" >>"$raw"; }
ortjs() { NODE_PATH="$ort/node_modules" node bench/onnx/bench.js "$work" "$secs" >>"$raw"; }
for r in $(seq 1 "$rounds"); do
	echo "== round $r of $rounds" >&2
	if [ $((r % 2)) -eq 1 ]; then goras; ortjs; else ortjs; goras; fi
done
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores; onnxruntime-node $ort_version; $(go version | cut -d' ' -f3)"
"$work/bench-onnx" -table "$raw"
