#!/usr/bin/python3
"""Reference numbers for Conv1D, MaxPooling1D, AveragePooling1D and
SeparableConv2D (layers/conv1d_test.go reads them).

Each case gives a Keras-style layer config, an input, the layer's weights in
goras's (and Keras's) layouts, an upstream gradient r, and what PyTorch
computes in float64: the output y and the gradients of sum(y * r) with
respect to the input and every weight. Inputs and weights are float32
values (drawn in float32, then widened), so goras sees exactly the same
numbers.

Keras's padding is spelled out with F.pad, since PyTorch's own padding is
symmetric: "same" puts the smaller half before and the extra cell after
(TensorFlow/XLA "SAME"), "causal" puts (K-1)*dilation zeros before only,
max pooling pads with -inf and average pooling divides by the real cells.

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 layers/testdata/conv1d_torch.py > layers/testdata/conv1d_torch.json
"""
import json
import math

import torch
import torch.nn.functional as F

torch.set_num_threads(1)  # sums in one order: the same file byte for byte on every run
gen = torch.Generator().manual_seed(13)


def draw(*shape):
    return (torch.rand(*shape, generator=gen, dtype=torch.float32) * 2 - 1).double()


def same_pad(n, k, s):
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def conv1d_case(name, steps, ch, filters, k, stride=1, padding="valid", dilation=1, bias=True, act="linear"):
    x = draw(2, steps, ch).requires_grad_()
    w = draw(k, ch, filters).requires_grad_()  # Keras's (K, C, F)
    b = draw(filters).requires_grad_() if bias else None
    span = dilation * (k - 1) + 1
    pads = {"valid": (0, 0), "causal": (span - 1, 0), "same": same_pad(steps, span, stride)}[padding]
    xt = F.pad(x.permute(0, 2, 1), pads)  # (N, C, L)
    y = F.conv1d(xt, w.permute(2, 1, 0), b, stride=stride, dilation=dilation).permute(0, 2, 1)
    if act == "relu":
        y = F.relu(y)
    config = {"name": name, "filters": filters, "kernel_size": [k], "strides": [stride], "padding": padding,
              "dilation_rate": [dilation], "use_bias": bias, "activation": act}
    return finish(name, "Conv1D", config, x, [w] + ([b] if bias else []), y)


def pool1d_case(name, mode, steps, ch, k, stride=None, padding="valid"):
    x = draw(2, steps, ch).requires_grad_()
    s = stride or k
    pads = same_pad(steps, k, s) if padding == "same" else (0, 0)
    xt = x.permute(0, 2, 1)
    if mode == "max":
        y = F.max_pool1d(F.pad(xt, pads, value=-math.inf), k, s)
    else:
        ones = torch.ones_like(xt)
        y = F.avg_pool1d(F.pad(xt, pads), k, s) / F.avg_pool1d(F.pad(ones, pads), k, s)
    config = {"name": name, "pool_size": [k], "strides": None if stride is None else [stride], "padding": padding}
    cls = "MaxPooling1D" if mode == "max" else "AveragePooling1D"
    return finish(name, cls, config, x, [], y.permute(0, 2, 1))


def separable_case(name, h, w_, ch, filters, k, mult=1, stride=1, padding="valid", dilation=1, bias=True, act="linear"):
    x = draw(2, h, w_, ch).requires_grad_()
    dw = draw(k, k, ch, mult).requires_grad_()  # Keras's (KH, KW, C, M)
    pw = draw(1, 1, ch * mult, filters).requires_grad_()  # (1, 1, C*M, F)
    b = draw(filters).requires_grad_() if bias else None
    span = dilation * (k - 1) + 1
    ph = same_pad(h, span, stride) if padding == "same" else (0, 0)
    pwd = same_pad(w_, span, stride) if padding == "same" else (0, 0)
    xt = F.pad(x.permute(0, 3, 1, 2), pwd + ph)  # (N, C, H, W), left/right then top/bottom
    # Output channel c*M+m of the depthwise step is filter m of channel c.
    wd = dw.permute(2, 3, 0, 1).reshape(ch * mult, 1, k, k)
    d = F.conv2d(xt, wd, None, stride=stride, dilation=dilation, groups=ch)
    y = F.conv2d(d, pw[0, 0].t().reshape(filters, ch * mult, 1, 1), b).permute(0, 2, 3, 1)
    if act == "relu":
        y = F.relu(y)
    config = {"name": name, "filters": filters, "kernel_size": [k, k], "strides": [stride, stride], "padding": padding,
              "dilation_rate": [dilation, dilation], "depth_multiplier": mult, "use_bias": bias, "activation": act}
    return finish(name, "SeparableConv2D", config, x, [dw, pw] + ([b] if bias else []), y)


def finish(name, cls, config, x, weights, y):
    r = draw(*y.shape)
    (y * r).sum().backward()
    flat = lambda t: [float(v) for v in t.detach().reshape(-1)]
    return {
        "name": name, "class": cls, "config": config,
        "input_shape": list(x.shape[1:]), "x": flat(x),
        "weights": [{"shape": list(w.shape), "value": flat(w), "grad": flat(w.grad)} for w in weights],
        "output_shape": list(y.shape[1:]), "y": flat(y), "r": flat(r), "dx": flat(x.grad),
    }


cases = [
    conv1d_case("conv1d_valid", 7, 2, 3, 3),
    conv1d_case("conv1d_same_stride2", 9, 2, 2, 4, stride=2, padding="same", act="relu"),
    conv1d_case("conv1d_causal", 6, 3, 2, 3, padding="causal", bias=False),
    conv1d_case("conv1d_causal_stride2", 7, 2, 2, 2, stride=2, padding="causal"),
    conv1d_case("conv1d_causal_dilated", 8, 2, 3, 3, padding="causal", dilation=2, act="relu"),
    conv1d_case("conv1d_same_dilated", 10, 2, 2, 3, padding="same", dilation=3),
    conv1d_case("conv1d_valid_dilated", 9, 1, 2, 2, dilation=4, bias=False),
    pool1d_case("max_pooling1d", "max", 7, 3, 2),
    pool1d_case("max_pooling1d_same", "max", 8, 2, 3, stride=2, padding="same"),
    pool1d_case("average_pooling1d", "avg", 7, 2, 3, stride=1),
    pool1d_case("average_pooling1d_same", "avg", 8, 2, 3, stride=2, padding="same"),
    separable_case("separable_conv2d", 5, 6, 2, 3, 3, mult=2),
    separable_case("separable_conv2d_same_stride2", 6, 5, 3, 2, 3, stride=2, padding="same", act="relu"),
    separable_case("separable_conv2d_dilated", 6, 6, 2, 2, 2, mult=3, padding="same", dilation=2, bias=False),
]
# One case a line, so that a change shows as a change of its case.
print('{"torch": %s, "cases": [\n%s\n]}' % (json.dumps(torch.__version__), ",\n".join(json.dumps(c) for c in cases)))
