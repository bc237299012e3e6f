#!/usr/bin/env python3
"""The PyTorch side of goras's benchmark: the same three MNIST workloads as
`go run ./bench`, timed the same way, printed as one JSON line per model with
the same field names.

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/pytorch/bench.py --model mlp --epochs 2
    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/pytorch/bench.py --model bounty --mode infer --batch 1000

--mode infer runs only the inference at one batch size (1: the latency loop;
more: the throughput loop) on the model with its initial weights and the test
images alone, so that its peak RSS is that workload's own, as goras's
`-mode infer`.

Run it with Debian's python3-torch (1.13) and OpenBLAS selected as libblas.so.3
(update-alternatives, or LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread);
the "blas" field says which BLAS library the process actually mapped.
MNIST is read from the IDX files goras caches (~/.cache/goras/mnist, or
$GORAS_MNIST_DIR); nothing is downloaded.
"""
import argparse
import gzip
import json
import os
import resource
import statistics
import sys
import time

# The thread settings must be in the environment before torch (and with it
# libgomp and OpenBLAS) is loaded.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402
from blas import blas_in_use, openblas_core  # noqa: E402


def mnist_dir():
    """Where goras keeps MNIST: $GORAS_MNIST_DIR, $GORAS_CACHE/mnist, or the
    user cache dir (~/.cache/goras/mnist), as datasets/mnist looks."""
    if os.environ.get("GORAS_MNIST_DIR"):
        return os.environ["GORAS_MNIST_DIR"]
    if os.environ.get("GORAS_CACHE"):
        return os.path.join(os.environ["GORAS_CACHE"], "mnist")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "goras", "mnist")


def read_idx(path):
    """Reads a gzipped IDX file (magic 0x0000TTDD, DD dimensions as big-endian
    int32, then unsigned bytes) into a uint8 array."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = np.frombuffer(raw, dtype=">i4", count=ndim, offset=4)
    if raw[2] != 0x08:
        raise ValueError(f"{path}: element type 0x{raw[2]:02x}, want unsigned byte 0x08")
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(tuple(int(d) for d in dims))


def load_mnist():
    d = mnist_dir()
    names = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    missing = [n for n in names if not os.path.exists(os.path.join(d, n))]
    if missing:
        sys.exit(f"bench.py: {', '.join(missing)} not in {d}; run `go run ./bench` once, "
                 "which fetches and caches MNIST, or set GORAS_MNIST_DIR")
    xtr, ytr, xte, yte = (read_idx(os.path.join(d, n)) for n in names)
    return xtr, ytr, xte, yte


def peak_rss_mb():
    # ru_maxrss is in kB on Linux; MB here are 10^6 bytes, as goras reports.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="mlp", choices=list(models.WORKLOADS) + ["all"])
    ap.add_argument("--mode", default="train", choices=["train", "infer"],
                    help="train: train, evaluate, then time inference; infer: only the inference at --batch")
    ap.add_argument("--batch", type=int, default=None,
                    help="inference batch size of --mode infer (default 1000): 1 runs the latency loop")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--latency-runs", type=int, default=2000)
    ap.add_argument("--infer-rounds", type=int, default=3)
    a = ap.parse_args()
    if a.epochs < 1:
        ap.error(f"--epochs must be at least 1, got {a.epochs}")
    torch.set_num_threads(a.threads)
    if a.mode == "infer":
        if a.model == "all":
            ap.error("--mode infer measures one model's peak RSS per process; give one --model, not all")
        if a.batch is None:
            a.batch = 1000
        if not 1 <= a.batch <= 10000:
            ap.error(f"--batch must be 1 to 10000 (the test set's size), got {a.batch}")
        xte = read_idx(os.path.join(mnist_dir(), "t10k-images-idx3-ubyte.gz"))
        print(json.dumps(run_infer(a.model, models.WORKLOADS[a.model], xte, a)), flush=True)
        return
    if a.batch is not None:
        ap.error(f"--batch {a.batch} applies to --mode infer only; training uses each model's batch")

    xtr, ytr, xte, yte = load_mnist()
    names = list(models.WORKLOADS) if a.model == "all" else [a.model]
    for name in names:
        print(json.dumps(run(name, models.WORKLOADS[name], xtr, ytr, xte, yte, a)), flush=True)


def run(name, w, xtr, ytr, xte, yte, a):
    torch.manual_seed(a.seed)
    g = torch.Generator().manual_seed(a.seed)
    shape = (-1,) + w.input  # (N, 28, 28) or (N, 1, 28, 28)
    # The images stay uint8 and each batch is scaled to [0, 1] as it is
    # gathered, as goras's bench reads mnist.Images: the same pipeline, and a
    # quarter of the memory of a float32 copy.
    x_train = torch.from_numpy(xtr.copy()).reshape(shape)
    x_test_u8 = torch.from_numpy(xte.copy()).reshape(shape)
    y_train = torch.from_numpy(ytr.astype(np.int64))
    y_test = torch.from_numpy(yte.astype(np.int64))
    model, loss_fn, opt, onehot = w.build()
    if onehot:  # mean squared error wants one-hot targets, as in the course
        t_train = torch.nn.functional.one_hot(y_train, 10).float()
    else:
        t_train = y_train

    n, batch = x_train.shape[0], w.batch
    epoch_s = []
    for _ in range(a.epochs):
        start = time.perf_counter()
        model.train()
        perm = torch.randperm(n, generator=g)
        loss_sum, correct = 0.0, 0
        for lo in range(0, n, batch):
            idx = perm[lo:lo + batch]
            xb, tb = x_train[idx].float().div_(255), t_train[idx]
            opt.zero_grad(set_to_none=True)
            out = model(xb)
            loss = loss_fn(out, tb)
            loss.backward()
            opt.step()
            # The running loss and accuracy that Keras's fit (and goras's)
            # keeps for its logs.
            loss_sum += loss.item() * len(idx)
            correct += int((out.argmax(1) == y_train[idx]).sum())
        epoch_s.append(time.perf_counter() - start)
    fit_rss = peak_rss_mb()

    model.eval()
    with torch.inference_mode():
        # Inference gets the test images already scaled (a 31 MB copy), so
        # its throughput and latency leave out the scaling that goras's
        # Predict does as it gathers: a head start for PyTorch.
        x_test = x_test_u8.float().div_(255)
        correct = sum(int((w.predict(model, x_test[lo:lo + 1000]).argmax(1) == y_test[lo:lo + 1000]).sum())
                      for lo in range(0, x_test.shape[0], 1000))
        acc = correct / x_test.shape[0]

        w.predict(model, x_test[:1000])  # warm-up
        start = time.perf_counter()
        for _ in range(a.infer_rounds):
            for lo in range(0, x_test.shape[0], 1000):
                w.predict(model, x_test[lo:lo + 1000])
        infer = a.infer_rounds * x_test.shape[0] / (time.perf_counter() - start)

        ones = [x_test[i:i + 1] for i in range(100)]
        for i in range(50):
            w.predict(model, ones[i % 100])
        times = []
        for i in range(a.latency_runs):
            t0 = time.perf_counter_ns()
            w.predict(model, ones[i % 100])
            times.append((time.perf_counter_ns() - t0) / 1e3)

    return {
        "framework": "pytorch", "model": name, "status": "ok", "mode": "train", "epochs": a.epochs, "batch": batch,
        "epoch_s": epoch_s, "epoch_s_median": statistics.median(epoch_s), "test_accuracy": acc,
        "infer_img_s": infer, "latency_us": statistics.median(times), "allocs_per_step": None,
        "peak_rss_mb": peak_rss_mb(), "fit_rss_mb": fit_rss, "threads": torch.get_num_threads(),
        "torch": torch.__version__, "blas": blas_in_use(), "openblas_core": openblas_core(),
    }


def run_infer(name, w, xte, a):
    """Only the inference that run() times at a.batch, on the model with its
    initial weights: the latency loop over the first 100 test images for
    batch 1, else the throughput loop over all 10,000 in batches of
    a.batch. The images are scaled to float32 beforehand, as in run() (a
    31 MB copy for the throughput loop; the latency loop scales only the 100
    it uses)."""
    torch.manual_seed(a.seed)
    model = w.build()[0]
    model.eval()
    line = {"framework": "pytorch", "model": name, "status": "ok", "mode": "infer", "batch": a.batch}
    x_u8 = torch.from_numpy(xte.copy()).reshape((-1,) + w.input)
    with torch.inference_mode():
        if a.batch == 1:
            ones = [x_u8[i:i + 1].float().div_(255) for i in range(100)]
            for i in range(50):
                w.predict(model, ones[i % 100])
            times = []
            for i in range(a.latency_runs):
                t0 = time.perf_counter_ns()
                w.predict(model, ones[i % 100])
                times.append((time.perf_counter_ns() - t0) / 1e3)
            line["latency_us"] = statistics.median(times)
        else:
            x = x_u8.float().div_(255)
            w.predict(model, x[:a.batch])  # warm-up
            start = time.perf_counter()
            for _ in range(a.infer_rounds):
                for lo in range(0, x.shape[0], a.batch):
                    w.predict(model, x[lo:lo + a.batch])
            line["infer_img_s"] = a.infer_rounds * x.shape[0] / (time.perf_counter() - start)
    line.update(peak_rss_mb=peak_rss_mb(), threads=torch.get_num_threads(), torch=torch.__version__,
                blas=blas_in_use(), openblas_core=openblas_core())
    return line


if __name__ == "__main__":
    main()
