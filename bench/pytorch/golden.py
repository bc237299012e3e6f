#!/usr/bin/env python3
"""Writes the reference numbers of goras's golden tests (layers/golden_test.go):
the course's MLP and LeNet-5, as bench/pytorch/models.py defines them, run by
PyTorch in float64 from fixed weights on a few synthetic images.

    /usr/bin/python3 bench/pytorch/golden.py     # rewrites layers/testdata/golden/*.safetensors

For each model and loss the file holds, under these names:

    x, y                   the inputs (goras's layout, NHWC) and one-hot targets
    <layer>/kernel, /bias  the starting weights, in goras's layouts (Keras's
                           layer names: conv2d, conv2d_1, dense, dense_1, ...)
    <loss>/output          the model's output (probabilities) for x
    <loss>/loss            the loss, shape (1,)
    <loss>/grad/<weight>   d loss / d weight, in goras's layout
    <loss>/step_loss       the loss before each of the optimizer steps, (steps,)
    <loss>/final/<weight>  the weights after the steps (absent when steps is 0)

as little-endian float32 in a safetensors file (goras reads it with
internal/safetensors). The starting weights and inputs are float32 values, so
both sides start from the same numbers; everything else is computed in
float64 and rounded to float32 only when written (a relative error of 6e-8,
far below the tests' tolerances). Everything is seeded: running the script
again writes the same bytes, on the same PyTorch.
"""
import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402

GRID = 4096  # starting weights are multiples of 1/GRID
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "layers", "testdata", "golden")


def images(n, gen):
    """n synthetic 28×28 images of MNIST's pixel values k/255: random inside
    the central 20×20 box and blank around it, as MNIST frames its digits, so
    that the weights of always-blank pixels get exactly zero gradients, as on
    real data."""
    x = torch.zeros(n, 28, 28, dtype=torch.float64)
    x[:, 4:24, 4:24] = torch.randint(0, 256, (n, 20, 20), generator=gen).double() / 255
    return x.float().double()  # float32 values, exactly what goras reads


def one_hot(n, gen):
    return torch.nn.functional.one_hot(torch.randint(0, 10, (n,), generator=gen), 10).double()


def set_weights(model, gen):
    """Glorot-uniform kernels, as Keras starts them, and small non-zero
    biases (zero biases would leave the bias path of the forward pass
    untested), all on a grid of 2^-12: exact in float32, and a few hundred
    distinct values, which compress well in git."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d)):
                w = m.weight
                field = w[0, 0].numel()  # kernel area for a convolution, 1 for a Linear
                limit = (6 / (w.shape[1] * field + w.shape[0] * field)) ** 0.5
                w.copy_((torch.rand(w.shape, generator=gen, dtype=torch.float64) * 2 - 1) * limit)
                m.bias.copy_((torch.rand(m.bias.shape, generator=gen, dtype=torch.float64) * 2 - 1) * 0.1)
                w.copy_(torch.round(w * GRID) / GRID)
                m.bias.copy_(torch.round(m.bias * GRID) / GRID)


def goras_weights(model, values):
    """Maps each weight of a PyTorch model (or a gradient per weight, from
    values(param)) to goras's name and layout, as copies (the optimizer
    updates the parameters in place): Conv2D kernels (Cout, Cin, KH,
    KW) → (KH, KW, Cin, Cout), Linear weights (out, in) → Dense kernels
    (in, out). The first Linear after a convolution also has its rows
    reordered, since goras flattens (H, W, C) where PyTorch flattens (C, H, W)."""
    out, conv, dense, last_conv = {}, 0, 0, None
    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d):
            name = "conv2d" + (f"_{conv}" if conv else "")
            conv += 1
            out[name + "/kernel"] = values(m.weight).permute(2, 3, 1, 0)
            last_conv = m
        elif isinstance(m, torch.nn.Linear):
            name = "dense" + (f"_{dense}" if dense else "")
            dense += 1
            k = values(m.weight)
            if dense == 1 and last_conv is not None:
                c = last_conv.out_channels
                hw = int(round((k.shape[1] // c) ** 0.5))
                k = k.reshape(k.shape[0], c, hw, hw).permute(2, 3, 1, 0).reshape(c * hw * hw, k.shape[0])
            else:
                k = k.t()
            out[name + "/kernel"] = k
        else:
            continue
        out[name + "/bias"] = values(m.bias)
    return {k: v.detach().clone() for k, v in out.items()}


def crossentropy(probs_or_logits, y, logits):
    """Keras's categorical cross-entropy, mean over the batch. goras, like
    Keras, differentiates a softmax output through its logits, so the log is
    taken as log_softmax whenever the logits are at hand."""
    if logits:
        return -(y * torch.log_softmax(probs_or_logits, 1)).sum(1).mean()
    return -(y * torch.log(probs_or_logits)).sum(1).mean()


def keras_adam_eps(opt, eps, step):
    """torch.optim.Adam adds eps to sqrt(v̂) (v bias-corrected), Keras adds
    it to sqrt(v) (not corrected): the same update when PyTorch's eps is
    Keras's divided by sqrt(1-β2^t). Set before each step t (1-based)."""
    for g in opt.param_groups:
        g["eps"] = eps / (1 - g["betas"][1] ** step) ** 0.5


def run(model, opt, x, y, loss_fn, predict, steps, adam_eps=None):
    """The reference of one model and loss: output, loss and gradients at the
    starting weights, then steps optimizer steps on the same batch."""
    ref, step_loss = {}, []
    for step in range(max(steps, 1)):
        opt.zero_grad(set_to_none=True)
        out = model(x)
        loss = loss_fn(out, y)
        loss.backward()
        step_loss.append(loss.item())
        if step == 0:
            ref["output"] = predict(out).detach()
            ref["loss"] = loss.detach().reshape(1)
            for k, v in goras_weights(model, lambda p: p.grad).items():
                ref["grad/" + k] = v
        if steps:
            if adam_eps is not None:
                keras_adam_eps(opt, adam_eps, step + 1)
            opt.step()
    if steps:
        ref["step_loss"] = torch.tensor(step_loss, dtype=torch.float64)
        for k, v in goras_weights(model, lambda p: p).items():
            ref["final/" + k] = v
    return ref


def build(build_fn, seed):
    """A bench model and its optimizer, in float64, with the fixed weights."""
    torch.manual_seed(seed)
    model, _, opt, _ = build_fn()
    model.double()  # converts in place: the optimizer keeps the same parameters
    set_weights(model, torch.Generator().manual_seed(seed))
    assert all(p is q for p, q in zip(model.parameters(), opt.param_groups[0]["params"]))
    return model, opt


def write_safetensors(path, tensors, metadata):
    """The safetensors format: an 8-byte little-endian header length, a
    JSON header (padded to 8 bytes with spaces), then every tensor as
    little-endian float32, in order."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        b = t.detach().contiguous().to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def mlp():
    """The course MLP, batch 8: MSE with 3 SGD(0.1) steps, and categorical
    cross-entropy (output, loss and gradients only)."""
    gen = torch.Generator().manual_seed(11)
    x, y = images(8, gen), one_hot(8, gen)
    tensors = {"x": x, "y": y}
    model, opt = build(models.build_mlp, 1)
    tensors.update(goras_weights(model, lambda p: p))
    mse = run(model, opt, x, y, torch.nn.functional.mse_loss, lambda o: o, steps=3)
    model, opt = build(models.build_mlp, 1)
    cce = run(model, opt, x, y, lambda o, t: crossentropy(o, t, False), lambda o: o, steps=0)
    tensors.update({"mse/" + k: v for k, v in mse.items()})
    tensors.update({"cce/" + k: v for k, v in cce.items()})
    return tensors, {"model": "mlp", "mse_steps": "3 SGD(learning_rate=0.1)", "cce_steps": "0"}


def lenet5():
    """LeNet-5, batch 4 of 28×28×1: categorical cross-entropy with 2
    Adam(1e-3, ε 1e-7, Keras's ε) steps."""
    gen = torch.Generator().manual_seed(12)
    x, y = images(4, gen), one_hot(4, gen)
    model, opt = build(models.build_lenet5, 2)
    tensors = {"x": x.reshape(4, 28, 28, 1), "y": y}
    tensors.update(goras_weights(model, lambda p: p))
    cce = run(model, opt, x.reshape(4, 1, 28, 28), y, lambda o, t: crossentropy(o, t, True),
              lambda o: torch.softmax(o, 1), steps=2, adam_eps=1e-7)
    tensors.update({"cce/" + k: v for k, v in cce.items()})
    return tensors, {"model": "lenet5", "cce_steps": "2 Adam(learning_rate=0.001, epsilon=1e-7)"}


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    for name, make in (("mlp", mlp), ("lenet5", lenet5)):
        tensors, meta = make()
        meta.update({"generator": "bench/pytorch/golden.py", "torch": torch.__version__,
                     "precision": "computed in float64, stored as float32"})
        path = os.path.join(OUT, name + ".safetensors")
        write_safetensors(path, tensors, meta)
        print(f"{os.path.relpath(path)}: {len(tensors)} tensors, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
