#!/usr/bin/env bash
# compare.sh runs goras (go run ./bench) and PyTorch (bench/pytorch/bench.py)
# on the same MNIST workloads, alternately, and prints one table with the
# ratios goras/PyTorch. From the repository root:
#
#   bash bench/compare.sh                       # mlp lenet5 bounty, 2 rounds × 2 epochs
#   MODELS="mlp lenet5" ROUNDS=3 EPOCHS=3 bash bench/compare.sh
#
# Each round of each model runs three workloads on both sides: training
# (then evaluation and the timed inference, in one process: its peak RSS
# when training ends is the training row), and inference alone at batch
# 1000 and at batch 1 (`-mode infer -batch N`, `--mode infer --batch N`),
# each in a process that does only that, so that each peak-RSS row is that
# workload's own.
#
# Before anything is timed, the PyTorch side gets OpenBLAS's fastest kernels
# on this CPU: Debian's OpenBLAS 0.3.21 falls back to its slow SSE3 kernels
# on Intel CPUs it does not know, unless OPENBLAS_CORETYPE names a kernel
# set. bench/pytorch/coretype.py times a 512×512 sgemm through torch.mm
# with OPENBLAS_CORETYPE unset and set to each of CORETYPES (and to the
# value inherited from the environment, if any); the fastest is exported to
# the PyTorch runs only (goras does not use OpenBLAS), and the output says
# which, with every candidate's GFLOP/s.
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
# update-alternatives selects) and OMP_WAIT_POLICY=PASSIVE. CORETYPES
# (default "Haswell Zen SkylakeX Cooperlake") lists the forced core types
# to try besides OpenBLAS's own choice.
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
CORETYPES=${CORETYPES:-"Haswell Zen SkylakeX Cooperlake"}
INHERITED_CORETYPE=${OPENBLAS_CORETYPE-}
TORCH_CORETYPE=auto # until chosen below

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

run_goras() { # model train EPOCHS | model infer BATCH
	if [ "$2" = train ]; then
		"$tmp/goras-bench" -model "$1" -epochs "$3" -latency-runs "$LATENCY_RUNS"
	else
		"$tmp/goras-bench" -model "$1" -mode infer -batch "$3" -latency-runs "$LATENCY_RUNS"
	fi | tee -a "$RAW"
}
torch_env() { # command...: runs it with PyTorch's BLAS and OPENBLAS_CORETYPE
	local blas="LD_LIBRARY_PATH=$OPENBLAS_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	if [ "$TORCH_CORETYPE" = auto ]; then
		env -u OPENBLAS_CORETYPE "$blas" "$@"
	else
		env OPENBLAS_CORETYPE="$TORCH_CORETYPE" "$blas" "$@"
	fi
}
run_torch() { # model train EPOCHS | model infer BATCH
	if [ "$2" = train ]; then
		torch_env "$PYTHON" bench/pytorch/bench.py --model "$1" --epochs "$3" --threads "$TORCH_THREADS" \
			--latency-runs "$LATENCY_RUNS"
	else
		torch_env "$PYTHON" bench/pytorch/bench.py --model "$1" --mode infer --batch "$3" \
			--threads "$TORCH_THREADS" --latency-runs "$LATENCY_RUNS"
	fi | tee -a "$RAW"
}
both() { # round model train EPOCHS | round model infer BATCH
	local round=$1
	shift
	# Alternate who goes first, so that a slow phase of the shared machine
	# does not always fall on the same side.
	if [ $((round % 2)) = 1 ]; then
		run_goras "$@" >&2
		run_torch "$@" >&2
	else
		run_torch "$@" >&2
		run_goras "$@" >&2
	fi
}

echo "# OpenBLAS core types for PyTorch: timing sgemm under each" >&2
probe=$tmp/coretype.jsonl
candidates="auto $CORETYPES"
case " $candidates " in
*" ${INHERITED_CORETYPE:-auto} "*) ;;
*) candidates="$candidates $INHERITED_CORETYPE" ;;
esac
for TORCH_CORETYPE in $candidates; do
	if ! torch_env "$PYTHON" bench/pytorch/coretype.py >>"$probe"; then
		# A kernel set the CPU cannot run dies (SIGILL) instead of answering.
		printf '{"coretype": "%s", "core": null, "gflops": null, "usable": false, "why": "it failed"}\n' "$TORCH_CORETYPE" >>"$probe"
	fi
done
TORCH_CORETYPE=$("$PYTHON" bench/pytorch/coretype.py --choose "$probe")
coretypes=$("$PYTHON" bench/pytorch/coretype.py --summary "$probe")
echo "# $coretypes" >&2

echo "# warm-up (not counted)" >&2
"$tmp/goras-bench" -model mlp -epochs 1 -latency-runs 200 >/dev/null
run_torch mlp train 1 >/dev/null
: >"$RAW"

for model in $MODELS; do
	epochs=$EPOCHS
	[ "$model" = bounty ] && epochs=$BOUNTY_EPOCHS
	for round in $(seq 1 "$ROUNDS"); do
		echo "# $model, round $round of $ROUNDS: training ($epochs epoch(s)), inference alone at batch 1000 and 1" >&2
		both "$round" "$model" train "$epochs"
		both "$round" "$model" infer 1000
		both "$round" "$model" infer 1
	done
done

"$PYTHON" bench/pytorch/table.py "$RAW"
echo
echo "$coretypes${INHERITED_CORETYPE:+ (the environment had OPENBLAS_CORETYPE=$INHERITED_CORETYPE)}"
echo
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
