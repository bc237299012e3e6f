#!/usr/bin/python3
"""Reference numbers for Resizing (layers/resizing_test.go reads them).

Each case gives a Keras-style Resizing config, an input x (N, H, W, C), an
upstream gradient r, and what PyTorch computes in float64: the output y and
the gradient of sum(y * r) with respect to x. Inputs are float32 values
(drawn in float32, then widened), so goras sees exactly the same numbers.

Keras's Resizing calls its backend's resize with antialias=False, which for
"bilinear" is PyTorch's interpolate(mode="bilinear", align_corners=False,
antialias=False) and for "nearest" PyTorch's "nearest-exact" (half-pixel
centres, as TensorFlow and JAX). crop_to_aspect_ratio and
pad_to_aspect_ratio are spelled out here with Keras's integer arithmetic:
a slice of the largest centred window, or F.pad with fill_value.

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 layers/testdata/resizing_torch.py > layers/testdata/resizing_torch.json
"""
import json

import torch
import torch.nn.functional as F

gen = torch.Generator().manual_seed(17)


def draw(*shape):
    return (torch.rand(*shape, generator=gen, dtype=torch.float32) * 2 - 1).double()


def case(name, shape, height, width, interpolation="bilinear", crop=False, pad=False, fill=0.0):
    x = draw(*shape).requires_grad_()
    n, h, w, c = shape
    img = x.permute(0, 3, 1, 2)  # (N, C, H, W)
    if crop:
        rows = max(min(h, w * height // width), 1)
        cols = max(min(w, h * width // height), 1)
        top, left = (h - rows) // 2, (w - cols) // 2
        img = img[:, :, top:top + rows, left:left + cols]
    elif pad:
        top = (max(h, w * height // width) - h) // 2
        left = (max(w, h * width // height) - w) // 2
        if top > 0:
            img = F.pad(img, (0, 0, top, top), value=fill)
        elif left > 0:
            img = F.pad(img, (left, left, 0, 0), value=fill)
    if interpolation == "bilinear":
        y = F.interpolate(img, size=(height, width), mode="bilinear", align_corners=False, antialias=False)
    else:
        y = F.interpolate(img, size=(height, width), mode="nearest-exact")
    y = y.permute(0, 2, 3, 1)
    r = draw(*y.shape)
    (y * r).sum().backward()
    config = {"name": name, "height": height, "width": width, "interpolation": interpolation,
              "crop_to_aspect_ratio": crop, "pad_to_aspect_ratio": pad, "fill_mode": "constant",
              "fill_value": fill, "data_format": "channels_last"}
    flat = lambda t: [float(v) for v in t.detach().reshape(-1)]
    return {"name": name, "config": config, "x_shape": list(shape), "x": flat(x), "r": flat(r),
            "y_shape": list(y.shape), "y": flat(y), "dx": flat(x.grad)}


cases = [
    case("up", (2, 3, 4, 2), 5, 7),
    case("down", (2, 9, 7, 1), 4, 3),
    case("mnist_down", (1, 12, 12, 1), 5, 5),
    case("mixed", (1, 5, 3, 3), 2, 8),
    case("nearest_up", (1, 3, 4, 2), 7, 9, "nearest"),
    case("nearest_down", (2, 9, 8, 1), 4, 3, "nearest"),
    case("crop_aspect", (1, 6, 9, 2), 4, 4, crop=True),
    case("pad_aspect_rows", (1, 4, 6, 1), 6, 6, pad=True, fill=0.5),
    case("pad_aspect_cols", (1, 7, 3, 1), 4, 4, pad=True, fill=-1.0),
]
print(json.dumps({"torch": torch.__version__, "cases": cases}, indent=None))
