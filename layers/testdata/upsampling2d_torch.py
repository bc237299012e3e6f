#!/usr/bin/python3
"""Reference numbers for UpSampling2D (layers/upsampling2d_test.go reads them).

Each case gives an input x in goras's (and Keras's) NHWC layout, the factors
(rows, columns), the interpolation, an upstream gradient r of the output's
shape, and what PyTorch computes in float64: the output y and the gradient
of sum(y * r) with respect to x. Inputs are float32 values (drawn in float32,
then widened), so goras sees exactly the same numbers.

Keras's "nearest" repeats rows and columns; its "bilinear" is resize with
half-pixel centres and no antialiasing, which for enlarging equals
F.interpolate(mode="bilinear", align_corners=False) to an output of
(H*rows, W*columns).

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 layers/testdata/upsampling2d_torch.py > layers/testdata/upsampling2d_torch.json
"""
import json

import torch
import torch.nn.functional as F

# One thread, so that the file comes out byte for byte the same on every run.
torch.set_num_threads(1)
gen = torch.Generator().manual_seed(17)


def draw(*shape):
    return torch.randn(*shape, generator=gen, dtype=torch.float32).double()


def case(name, shape, size, interpolation):
    n, h, w, c = shape
    x = draw(n, h, w, c).requires_grad_(True)
    out = (h * size[0], w * size[1])
    nchw = x.permute(0, 3, 1, 2)
    if interpolation == "bilinear":
        y = F.interpolate(nchw, size=out, mode="bilinear", align_corners=False)
    else:
        y = F.interpolate(nchw, size=out, mode="nearest")
    y = y.permute(0, 2, 3, 1)
    r = draw(*y.shape)
    (y * r).sum().backward()
    flat = lambda t: [float(v) for v in t.detach().reshape(-1)]
    return {
        "name": name,
        "input_shape": list(shape),
        "size": list(size),
        "interpolation": interpolation,
        "x": flat(x),
        "r": flat(r),
        "y": flat(y),
        "dx": flat(x.grad),
    }


cases = [
    case("bilinear/2x2", (1, 3, 4, 2), (2, 2), "bilinear"),
    case("bilinear/3x2", (2, 2, 3, 1), (3, 2), "bilinear"),
    case("bilinear/1x3", (1, 4, 2, 3), (1, 3), "bilinear"),
    case("bilinear/4x4-one-pixel", (1, 1, 1, 2), (4, 4), "bilinear"),
    case("bilinear/2x2-wide", (1, 2, 3, 9), (2, 2), "bilinear"),
    case("nearest/2x3", (2, 2, 3, 2), (2, 3), "nearest"),
    case("nearest/1x2-wide", (1, 2, 2, 9), (1, 2), "nearest"),
]
# One case per line: small enough to commit, still readable in a diff.
print('{"torch": %s, "cases": [' % json.dumps(torch.__version__))
print(",\n".join(json.dumps(c) for c in cases))
print("]}")
