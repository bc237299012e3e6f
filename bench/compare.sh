#!/usr/bin/env bash
# compare.sh runs goras (go run ./bench) and PyTorch (bench/pytorch/bench.py)
# on the same MNIST workloads, alternately, and prints one table with the
# ratios goras/PyTorch. From the repository root:
#
#   bash bench/compare.sh                       # mlp lenet5 bounty, 2 rounds × 2 epochs
#   MODELS="mlp lenet5" ROUNDS=3 EPOCHS=3 bash bench/compare.sh
#
# Environment: MODELS (default "mlp lenet5 bounty"), ROUNDS (2), EPOCHS (2;
# BOUNTY_EPOCHS overrides it for the slow bounty CNN, default 1), LATENCY_RUNS
# (2000), PYTHON (/usr/bin/python3, Debian's, which has python3-torch),
# TORCH_THREADS (2), OPENBLAS_NUM_THREADS (1: OpenBLAS's own threads only
# slow PyTorch down on the course's small products; see README.md), RAW (file
# for the raw JSON lines; default a temporary file).
#
# Needs: apt-get install python3-torch python3-numpy libopenblas0-pthread.
# PyTorch runs with OpenBLAS (forced through LD_LIBRARY_PATH, whatever
# update-alternatives selects) and OMP_WAIT_POLICY=PASSIVE.
set -euo pipefail

cd "$(dirname "$0")/.."
MODELS=${MODELS:-"mlp lenet5 bounty"}
ROUNDS=${ROUNDS:-2}
EPOCHS=${EPOCHS:-2}
BOUNTY_EPOCHS=${BOUNTY_EPOCHS:-1}
LATENCY_RUNS=${LATENCY_RUNS:-2000}
PYTHON=${PYTHON:-/usr/bin/python3}
TORCH_THREADS=${TORCH_THREADS:-2}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
export OMP_WAIT_POLICY=PASSIVE
OPENBLAS_DIR=/usr/lib/x86_64-linux-gnu/openblas-pthread

if ! "$PYTHON" -c 'import torch, numpy' 2>/dev/null; then
	echo "compare.sh: $PYTHON cannot import torch and numpy; apt-get install python3-torch python3-numpy libopenblas0-pthread" >&2
	exit 1
fi
if [ ! -e "$OPENBLAS_DIR/libblas.so.3" ]; then
	echo "compare.sh: $OPENBLAS_DIR/libblas.so.3 is missing; apt-get install libopenblas0-pthread (without it PyTorch uses the slow reference BLAS)" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
RAW=${RAW:-$tmp/raw.jsonl}
: >"$RAW"
# One binary, built before anything is timed.
go build -o "$tmp/goras-bench" ./bench

run_goras() { # model epochs
	"$tmp/goras-bench" -model "$1" -epochs "$2" -latency-runs "$LATENCY_RUNS" | tee -a "$RAW"
}
run_torch() { # model epochs
	LD_LIBRARY_PATH="$OPENBLAS_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
		"$PYTHON" bench/pytorch/bench.py --model "$1" --epochs "$2" --threads "$TORCH_THREADS" \
		--latency-runs "$LATENCY_RUNS" | tee -a "$RAW"
}

echo "# warm-up (not counted)" >&2
"$tmp/goras-bench" -model mlp -epochs 1 -latency-runs 200 >/dev/null
run_torch mlp 1 >/dev/null
: >"$RAW"

for model in $MODELS; do
	epochs=$EPOCHS
	[ "$model" = bounty ] && epochs=$BOUNTY_EPOCHS
	for round in $(seq 1 "$ROUNDS"); do
		echo "# $model, round $round of $ROUNDS, $epochs epoch(s) each" >&2
		# Alternate who goes first, so that a slow phase of the shared
		# machine does not always fall on the same side.
		if [ $((round % 2)) = 1 ]; then
			run_goras "$model" "$epochs" >&2
			run_torch "$model" "$epochs" >&2
		else
			run_torch "$model" "$epochs" >&2
			run_goras "$model" "$epochs" >&2
		fi
	done
done

"$PYTHON" bench/pytorch/table.py "$RAW"
echo
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
