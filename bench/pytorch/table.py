#!/usr/bin/env python3
"""Reads the JSON lines of `go run ./bench` and bench.py (as compare.sh
collects them) and prints the side-by-side table, in Markdown, with the
ratio goras/PyTorch and the targets of goras issues 4 and 19.

    python3 bench/pytorch/table.py raw.jsonl

Per model and framework: seconds per epoch is the median over every epoch
of every round; throughput and latency are medians over rounds; peak RSS is
the largest seen; accuracy is the median of the rounds' test accuracies.

Peak RSS has one row per workload: training (the peak when training ends,
fit_rss_mb of the training process), and inference alone at batch 1000 and
at batch 1 (peak_rss_mb of the `--mode infer` processes, which do nothing
else); the last row is the training process's peak at its end, after it
also evaluated and timed both inference sizes."""
import json
import statistics
import sys

MODELS = ["mlp", "lenet5", "bounty"]

# (metric, model) → (description, check on (goras, pytorch, ratio)).
TARGETS = {
    ("epoch", "mlp"): ("≤ 0.25×", lambda g, p, r: r <= 0.25),
    ("epoch", "lenet5"): ("≤ 0.5×", lambda g, p, r: r <= 0.5),
    ("epoch", "bounty"): ("≤ 0.8×", lambda g, p, r: r <= 0.8),
    ("infer", "mlp"): ("≥ 1.5×", lambda g, p, r: r >= 1.5),
    ("latency", "mlp"): ("≤ 5 µs", lambda g, p, r: g <= 5),
    ("latency", "lenet5"): ("≤ 50 µs", lambda g, p, r: g <= 50),
    ("rss", "mlp"): ("≤ 150 MB", lambda g, p, r: g <= 150),
    # Issue 19: no workload's peak above PyTorch's, the bounty CNN's under 1 GB.
    **{(k, m): ("≤ PyTorch", lambda g, p, r: r <= 1)
       for k in ("fitrss", "rss1000", "rss1") for m in ("mlp", "lenet5")},
    **{(k, "bounty"): ("≤ PyTorch, ≤ 1000 MB", lambda g, p, r: r <= 1 and g <= 1000)
       for k in ("fitrss", "rss1000", "rss1")},
    ("allocs", "mlp"): ("0", lambda g, p, r: g == 0),
    ("allocs", "lenet5"): ("0", lambda g, p, r: g == 0),
    ("allocs", "bounty"): ("0", lambda g, p, r: g == 0),
}


def summarize(runs, infer):
    """The figures of one model and framework: from its training processes,
    and the peak RSS of its inference-only ones (infer: batch → lines)."""
    ok = [r for r in runs if r.get("status") == "ok"]
    if not ok:
        return None
    peaks = {f"rss{b}": max((r["peak_rss_mb"] for r in infer.get(b, []) if r.get("status") == "ok"), default=None)
             for b in (1000, 1)}
    return peaks | {
        "epoch": statistics.median(s for r in ok for s in r["epoch_s"]),
        "epochs": sum(len(r["epoch_s"]) for r in ok),
        "acc": statistics.median(r["test_accuracy"] for r in ok),
        "infer": statistics.median(r["infer_img_s"] for r in ok),
        "latency": statistics.median(r["latency_us"] for r in ok),
        "rss": max(r["peak_rss_mb"] for r in ok),
        "fitrss": max(r.get("fit_rss_mb", 0) for r in ok),
        "allocs": max(r["allocs_per_step"] for r in ok) if ok[0].get("allocs_per_step") is not None else None,
    }


def fmt(v, kind):
    if v is None:
        return "–"
    return {
        "epoch": f"{v:.3g} s",
        "acc": f"{100 * v:.2f} %",
        "infer": f"{v / 1000:,.1f}k img/s",
        "latency": f"{v:,.1f} µs",
        "rss": f"{v:,.0f} MB",
        "fitrss": f"{v:,.0f} MB",
        "rss1000": f"{v:,.0f} MB",
        "rss1": f"{v:,.0f} MB",
        "allocs": f"{v:g}",
    }[kind]


def main():
    runs, infer = {}, {}
    for line in open(sys.argv[1]):
        line = line.strip()
        if line.startswith("{"):
            r = json.loads(line)
            if r.get("mode", "train") == "infer":
                infer.setdefault((r["model"], r["framework"]), {}).setdefault(r.get("batch"), []).append(r)
            else:
                runs.setdefault((r["model"], r["framework"]), []).append(r)
    print("| model | measure | goras | PyTorch | goras/PyTorch | target | met |")
    print("|---|---|---|---|---|---|---|")
    rows = [("epoch", "s/epoch"), ("acc", "test accuracy"), ("infer", "inference, batch 1000"),
            ("latency", "latency, 1 image"),
            ("fitrss", "peak RSS, training (when training ends)"),
            ("rss1000", "peak RSS, inference alone, batch 1000"),
            ("rss1", "peak RSS, inference alone, batch 1"),
            ("rss", "peak RSS, training process at its end (+ evaluate, inference 1000 and 1)"),
            ("allocs", "allocs/step")]
    for model in MODELS:
        if (model, "goras") not in runs and (model, "pytorch") not in runs:
            continue
        g = summarize(runs.get((model, "goras"), []), infer.get((model, "goras"), {}))
        p = summarize(runs.get((model, "pytorch"), []), infer.get((model, "pytorch"), {}))
        if g is None:
            print(f"| {model} | | not available yet | | | | |")
            g = {}
        for key, label in rows:
            gv, pv = g.get(key), (p or {}).get(key)
            ratio = gv / pv if gv is not None and pv else None
            if key == "epoch" and g:
                label += f" (median of {g['epochs']}/{p['epochs'] if p else 0} epochs)"
            target, met = TARGETS.get((key, model), ("", None)), ""
            if target[1] is not None and gv is not None and (ratio is not None or key in ("latency", "rss", "allocs")):
                met = "yes" if target[1](gv, pv, ratio if ratio is not None else 0) else "**no**"
            print(f"| {model} | {label} | {fmt(gv, key)} | {fmt(pv, key) if key != 'allocs' else 'n/a'} | "
                  f"{f'{ratio:.2f}×' if ratio is not None and key not in ('acc', 'allocs') else ''} | {target[0]} | {met} |")
    print_peaks(runs, infer)


def print_peaks(runs, infer):
    """The peak-RSS rows again, one line per model and workload."""
    print()
    print("| model | workload | goras peak RSS | PyTorch peak RSS | goras/PyTorch |")
    print("|---|---|---|---|---|")
    for model in MODELS:
        g = summarize(runs.get((model, "goras"), []), infer.get((model, "goras"), {})) or {}
        p = summarize(runs.get((model, "pytorch"), []), infer.get((model, "pytorch"), {})) or {}
        if not g and not p:
            continue
        for key, label in (("fitrss", "training"), ("rss1000", "inference, batch 1000"), ("rss1", "inference, batch 1")):
            gv, pv = g.get(key), p.get(key)
            ratio = f"{gv / pv:.2f}×" if gv is not None and pv else ""
            print(f"| {model} | {label} | {fmt(gv, key)} | {fmt(pv, key)} | {ratio} |")


if __name__ == "__main__":
    main()
