#!/usr/bin/env python3
"""Times PyTorch's single-precision matrix product (torch.mm of two 512×512
matrices, which calls the BLAS's sgemm) under the OPENBLAS_CORETYPE in the
environment, and prints one JSON line: the core type asked for, the one
OpenBLAS runs, and GFLOP/s (best of a few short repetitions, so that a
moment of other work on a shared machine does not decide).

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread OPENBLAS_NUM_THREADS=1 \\
        OPENBLAS_CORETYPE=Haswell /usr/bin/python3 bench/pytorch/coretype.py

Debian's OpenBLAS 0.3.21 picks its kernels by CPU model, and on CPUs newer
than it knows (recent Intel Xeons) falls back to the SSE3 "Prescott" ones;
OPENBLAS_CORETYPE overrides that. compare.sh runs this once per candidate
and gives PyTorch the fastest. A core type whose instructions the CPU lacks
is reported unusable without being run (it would die of SIGILL).

    coretype.py --choose FILE    prints the fastest usable candidate of FILE's lines ("auto" for none forced)
    coretype.py --summary FILE   prints them all, one sentence
"""
import json
import os
import sys
import time

# What each candidate's kernels execute, as /proc/cpuinfo names the flags
# (it calls SSE3 "pni").
NEEDS = {
    "Prescott": {"pni"},
    "Nehalem": {"sse4_2"},
    "Sandybridge": {"avx"},
    "Haswell": {"avx2", "fma"},
    "Zen": {"avx2", "fma"},
    "SkylakeX": {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"},
    "Cooperlake": {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16"},
}


def cpu_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


def missing_flags(coretype):
    return sorted(NEEDS.get(coretype, set()) - cpu_flags())


def measure(n=512, reps=5, seconds=0.2):
    import torch  # after the environment is final: OpenBLAS reads it when loaded
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from blas import openblas_core

    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(1)
    a, b = torch.rand(n, n, generator=g), torch.rand(n, n, generator=g)
    c = torch.empty(n, n)
    for _ in range(3):
        torch.mm(a, b, out=c)
    best = 0.0
    for _ in range(reps):
        k, start = 0, time.perf_counter()
        while True:
            torch.mm(a, b, out=c)
            k += 1
            t = time.perf_counter() - start
            if t >= seconds:
                break
        best = max(best, 2 * n ** 3 * k / t / 1e9)
    return openblas_core(), best


def main():
    asked = os.environ.get("OPENBLAS_CORETYPE") or "auto"
    line = {"coretype": asked, "core": None, "gflops": None, "usable": False, "why": ""}
    lacking = missing_flags(asked)
    if lacking:
        line["why"] = "the CPU lacks " + ", ".join(lacking)
    else:
        core, gflops = measure()
        line.update(core=core, gflops=gflops)
        if core is None:
            line["why"] = "no OpenBLAS mapped (PyTorch uses another BLAS)"
        elif asked != "auto" and core.lower() != asked.lower():
            line["why"] = f"OpenBLAS ran {core} instead (it does not know {asked})"
        else:
            line["usable"] = True
    print(json.dumps(line), flush=True)


def read(path):
    with open(path) as f:
        return [json.loads(s) for s in f if s.startswith("{")]


def choose(lines):
    """The fastest usable line; the unforced one when the fastest runs the
    kernels OpenBLAS picks by itself anyway (then the two differ by noise)."""
    usable = [r for r in lines if r["usable"]]
    if not usable:
        return None
    best = max(usable, key=lambda r: r["gflops"])
    auto = [r for r in usable if r["coretype"] == "auto"]
    return auto[0] if auto and auto[0]["core"] == best["core"] else best


def summary(lines):
    best = choose(lines)
    parts = []
    for r in lines:
        name = "unset (OpenBLAS chose " + str(r["core"]) + ")" if r["coretype"] == "auto" else r["coretype"]
        parts.append(f"{name} {r['gflops']:.1f}" if r["usable"] else f"{name} not usable: {r['why']}")
    if best is None:
        head = "OPENBLAS_CORETYPE: no candidate ran; PyTorch runs with OpenBLAS's own choice"
    elif best["coretype"] == "auto":
        head = f"OPENBLAS_CORETYPE: left unset (OpenBLAS's own choice, {best['core']}, is the fastest kernel set)"
    else:
        head = f"OPENBLAS_CORETYPE={best['coretype']} for PyTorch (fastest)"
    return head + "; sgemm 512×512 through torch.mm, 1 thread, best of 5, GFLOP/s: " + "; ".join(parts)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--choose":
        b = choose(read(sys.argv[2]))
        print(b["coretype"] if b else "auto")
    elif len(sys.argv) == 3 and sys.argv[1] == "--summary":
        print(summary(read(sys.argv[2])))
    elif len(sys.argv) == 1:
        main()
    else:
        sys.exit(__doc__)
