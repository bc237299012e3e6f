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
#   BEFORE=6f5db09 bash bench/onnx/run.sh   # goras at that commit too, in the same turns
#   IDLE=90 bash bench/onnx/run.sh          # each measurement waits for 3 s at >= 90 % idle
#
# On a machine shared with other work, IDLE makes each measurement wait
# (at most IDLE_WAIT seconds, default 120) until the CPUs have been idle
# that share of 3 s; BEFORE builds bench/onnx from that commit (git
# archive, the working tree untouched) and measures it in the same
# rounds, so that the table of before and after compares like with like.
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
before=${BEFORE:-}
if [ -n "$before" ]; then
	mkdir "$work/before"
	git archive "$before" | tar -x -C "$work/before"
	(cd "$work/before" && go build -o "$work/bench-onnx-before" ./bench/onnx)
fi

# idle waits until the CPUs have spent IDLE % of 3 s idle (/proc/stat),
# or IDLE_WAIT seconds have passed.
idle() {
	[ -n "${IDLE:-}" ] || return 0
	local start=$SECONDS a b i total quiet
	while [ $((SECONDS - start)) -lt "${IDLE_WAIT:-120}" ]; do
		a=($(head -1 /proc/stat))
		sleep 3
		b=($(head -1 /proc/stat))
		total=0
		for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
		quiet=$((b[4] - a[4] + b[5] - a[5]))
		[ $((100 * quiet)) -ge $((IDLE * total)) ] && return 0
	done
	echo "== still busy after ${IDLE_WAIT:-120} s; measuring anyway" >&2
}
goras() { idle; "$work/bench-onnx" -dir "$work" -seconds "$secs" >>"$raw"; }
goras_before() {
	[ -n "$before" ] || return 0
	idle
	"$work/bench-onnx-before" -dir "$work" -seconds "$secs" | sed 's/"framework":"goras"/"framework":"goras-before"/' >>"$raw"
}
ortjs() { idle; NODE_PATH="$ort/node_modules" node bench/onnx/bench.js "$work" "$secs" >>"$raw"; }
for r in $(seq 1 "$rounds"); do
	echo "== round $r of $rounds" >&2
	if [ $((r % 2)) -eq 1 ]; then goras; ortjs; goras_before; else goras_before; ortjs; goras; fi
done
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores; onnxruntime-node $ort_version; $(go version | cut -d' ' -f3)"
"$work/bench-onnx" -table "$raw"
