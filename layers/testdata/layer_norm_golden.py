#!/usr/bin/env python3
"""Writes layers/testdata/layer_norm_golden.json, the reference numbers of
layers/layer_normalization_test.go's TestLayerNormalizationAgainstPyTorch:
torch.nn.functional.layer_norm (eps=1e-3, Keras's default) in float64 on
fixed inputs, with its output and, for the loss sum(y * dy), the gradients
of x, weight (Keras's gamma) and bias (beta).

    /usr/bin/python3 layers/testdata/layer_norm_golden.py

Inputs, dy, gamma and beta are multiples of 1/64 of at most a few units, so
they are exact in float32 and both sides start from the same numbers. The
script is seeded: running it again writes the same file (on the same
PyTorch).
"""
import json
import os

import torch

EPS = 1e-3
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layer_norm_golden.json")


def grid(gen, *shape, scale=1.0, mean=0.0):
    """Normal values rounded to multiples of 1/64."""
    v = mean + scale * torch.randn(*shape, generator=gen, dtype=torch.float64)
    return torch.round(v * 64) / 64


def case(gen, name, shape, axes, affine):
    """One case: x of shape (batch, ...) normalized over its last axes."""
    norm = shape[len(shape) - axes:]
    x = grid(gen, *shape, scale=1.5, mean=0.5).requires_grad_()
    dy = grid(gen, *shape)
    w = b = None
    if affine:
        w = grid(gen, *norm, scale=0.5, mean=1.0).requires_grad_()
        b = grid(gen, *norm, scale=0.5).requires_grad_()
    y = torch.nn.functional.layer_norm(x, norm, w, b, eps=EPS)
    (y * dy).sum().backward()
    out = {
        "name": name, "shape": list(shape), "axes": axes, "epsilon": EPS,
        "x": x.detach().flatten().tolist(), "dy": dy.flatten().tolist(),
        "y": y.detach().flatten().tolist(), "dx": x.grad.flatten().tolist(),
    }
    if affine:
        out.update({
            "gamma": w.detach().flatten().tolist(), "beta": b.detach().flatten().tolist(),
            "dgamma": w.grad.flatten().tolist(), "dbeta": b.grad.flatten().tolist(),
        })
    return out


def main():
    gen = torch.Generator().manual_seed(2016)
    cases = [
        case(gen, "last_axis", (4, 6), 1, True),
        case(gen, "last_two_axes", (2, 3, 4), 2, True),
        case(gen, "last_axis_of_images", (2, 2, 2, 3), 1, True),
        case(gen, "no_gamma_beta", (3, 5), 1, False),
    ]
    with open(OUT, "w") as f:  # one case a line
        f.write('{"torch": %s, "cases": [\n' % json.dumps(torch.__version__))
        f.write(",\n".join(json.dumps(c) for c in cases))
        f.write("\n]}\n")


if __name__ == "__main__":
    main()
