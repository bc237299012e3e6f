#!/usr/bin/python3
"""make_torch.py writes the PyTorch reference files onnx's import tests read.

    /usr/bin/python3 onnx/testdata/make_torch.py      # Debian's python3-torch (1.13), python3-onnx

For each network (an MLP, LeNet-5, a small residual CNN with batch norm, a
network made of the other operators the importer knows, one of PReLU,
LayerNorm and interpolate, Upsample at opset 9, and a 1-D CNN) and each opset it
writes NAME.onnx (torch.onnx.export, batch dimension dynamic), and once per
network NAME.out.f32, PyTorch's outputs for the fixed inputs digits.in.f32
(4 × 1×28×28), image.in.f32 (3 × 2×10×10) or sequence.in.f32 (3 × 4×16), NCHW (NCL),
little-endian float32. torch.json lists the cases. The
weights are PyTorch's seeded initial ones, with batch-norm statistics and a
few scales drawn so that every operator changes the numbers. Run it again
only to change the cases: the Go test needs no Python.
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


class MLP(nn.Module):
    """The course's MLP, smaller: 784 → 32 (relu) → 10 (softmax)."""

    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(784, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        return torch.softmax(self.fc2(torch.relu(self.fc1(self.flatten(x)))), dim=1)


class LeNet5(nn.Module):
    """LeNet-5 as the course draws it; view flattens as PyTorch code often does."""

    def __init__(self, view):
        super().__init__()
        self.view = view
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = F.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = x.view(x.size(0), -1) if self.view else torch.flatten(x, 1)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return torch.softmax(self.fc3(x), dim=1)


class ResNet(nn.Module):
    """A small residual CNN: a stem, one residual block, batch norm after the
    sum (which the exporter cannot fold into a convolution), a ResNet-style
    3×3 max pool with padding 1, global average pooling and a classifier."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1, bias=False)
        self.bn0 = nn.BatchNorm2d(8)
        self.conv1 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.bn3 = nn.BatchNorm2d(8)
        self.down = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = torch.relu(self.bn0(self.stem(x)))
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        x = self.bn3(torch.relu(x + y))
        x = self.pool(torch.relu(self.down(x)))
        x = F.adaptive_avg_pool2d(x, 1)
        return self.fc(x.view(x.size(0), -1))


class Ops(nn.Module):
    """Every other operator the importer maps, on a 2-channel 10×10 image."""

    def __init__(self):
        super().__init__()
        self.dilated = nn.Conv2d(2, 4, 3, padding=2, dilation=2)
        self.depthwise = nn.Conv2d(4, 8, 3, padding=1, groups=4)
        self.up = nn.ConvTranspose2d(8, 3, 3, stride=2, padding=1, output_padding=1)
        self.strided = nn.Conv2d(3, 4, 3, stride=2)
        self.bn = nn.BatchNorm1d(6)
        self.fc = nn.Linear(19, 6)
        self.w = nn.Parameter(torch.randn(6, 5) * 0.5)
        self.b = nn.Parameter(torch.randn(5) * 0.1)
        self.register_buffer("scale", torch.tensor([[[0.5]], [[2.0]], [[-1.0]]]))

    def forward(self, x):
        a = F.leaky_relu(self.dilated(x), 0.1)                   # 4×10×10
        a = F.elu(self.depthwise(a), alpha=0.5)                   # 8×10×10
        a = F.hardsigmoid(self.up(a))                             # 3×20×20
        a = a * self.scale - 0.25                                 # a per-channel constant
        p = F.pad(a, (1, 2, 0, 1))                                # 3×21×23
        p = F.avg_pool2d(p, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=True)  # 3×11×12
        q = F.avg_pool2d(a, 3, stride=2, ceil_mode=True, count_include_pad=False)           # 3×10×10
        q = torch.clamp(q, -0.2, 0.6) + F.relu6(q * 8)
        q = q.permute(0, 1, 3, 2)                                 # a real transpose: H and W swap
        r = torch.cat([torch.sigmoid(q), torch.tanh(q * 3)], dim=1)   # 6×10×10
        g = F.max_pool2d(r, 3, stride=2, ceil_mode=True)          # 6×5×5
        g = F.adaptive_max_pool2d(F.gelu(g), 1).flatten(1)        # 6
        s = F.selu(self.strided(a)).mean(dim=(2, 3))              # 4
        u = g.unsqueeze(2).squeeze(2) / 3.0                       # 6
        h = torch.cat([g, s, p.mean(dim=(2, 3)), torch.erf(u)], dim=1)  # 6 + 4 + 3 + 6 = 19
        h = self.bn(self.fc(h))
        h = torch.matmul(h, self.w) + self.b
        return F.log_softmax(h, dim=1)


class NewOps(nn.Module):
    """PReLU, LayerNorm and interpolate on a 2-channel 10×10 image: the
    operators the importer maps to goras's PReLU, LayerNormalization,
    UpSampling2D and Resizing (LayerNorm is a formula before opset 17)."""

    def __init__(self):
        super().__init__()
        self.prelu = nn.PReLU(2)                  # a slope per channel, (2, 1, 1) in the file
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.ln_w = nn.LayerNorm(10)              # over the rows' pixels (W)
        self.prelu1 = nn.PReLU()                  # one slope
        self.ln_chw = nn.LayerNorm([4, 10, 10])   # over the whole sample
        self.fc_c = nn.Linear(4 * 7 * 13, 5)
        self.fc_u = nn.Linear(4 * 5 * 5, 5)
        self.fc_b = nn.Linear(4 * 4 * 4, 5)
        with torch.no_grad():
            for m in (self.prelu, self.prelu1):
                m.weight.copy_(torch.rand(m.weight.shape) * 0.5)
            for m in (self.ln_w, self.ln_chw):
                m.weight.copy_(torch.rand(m.weight.shape) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape) * 0.2)

    def forward(self, x):
        a = self.ln_w(self.conv(self.prelu(x)))
        a = self.ln_chw(self.prelu1(a))
        c = F.interpolate(a, size=(7, 13), mode="bilinear", align_corners=False)  # Resizing
        u = F.interpolate(a, scale_factor=2, mode="nearest")                      # UpSampling2D
        b = F.interpolate(a, scale_factor=2, mode="bilinear", align_corners=False)  # UpSampling2D bilinear
        return (self.fc_c(c.flatten(1)) + self.fc_u(F.max_pool2d(u, 4).flatten(1))
                + self.fc_b(F.avg_pool2d(b, 5).flatten(1)))


class Upsample9(nn.Module):
    """Nearest upsampling at opset 9, which PyTorch writes as Upsample."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3)

    def forward(self, x):
        u = F.interpolate(self.conv(x), scale_factor=(2, 3), mode="nearest")  # 3×16×24
        return F.max_pool2d(u, 4).flatten(1)


class Seq(nn.Module):
    """Conv1d, 1-D pooling and BatchNorm1d on sequences of 4 channels × 16
    steps, which goras holds (16, 4)."""

    def __init__(self):
        super().__init__()
        self.dilated = nn.Conv1d(4, 6, 3, padding=2, dilation=2)  # Keras's "same"
        self.strided = nn.Conv1d(6, 5, 3, stride=2)
        self.bn = nn.BatchNorm1d(5)
        self.fc = nn.Linear(10, 3)

    def forward(self, x):
        x = F.max_pool1d(torch.relu(self.dilated(x)), 2)            # 6×8
        x = F.avg_pool1d(self.bn(self.strided(x)), 2, stride=1)      # 5×2
        return self.fc(x.flatten(1))


def randomize(model, gen):
    """Draws batch-norm statistics and affine weights, so that they matter."""
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=gen) * 0.2)
            m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=gen) + 0.5)
            m.bias.data.copy_(torch.randn(n, generator=gen) * 0.2)


def main():
    torch.set_num_threads(1)  # sums in one order: a rerun writes the same bytes
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    digits = torch.rand(4, 1, 28, 28, generator=gen)
    digits[digits < 0.6] = 0  # mostly background, as MNIST
    image = torch.randn(3, 2, 10, 10, generator=gen)
    # drawn apart, so that the other networks' numbers stay as they were
    sequence = torch.randn(3, 4, 16, generator=torch.Generator().manual_seed(2))
    inputs = {"digits": digits, "image": image, "sequence": sequence}
    for name, x in inputs.items():
        x.numpy().astype("<f4").tofile(os.path.join(HERE, name + ".in.f32"))
    nets = [
        ("mlp", MLP(), "digits", [13, 17]),
        ("lenet5", LeNet5(view=False), "digits", [17]),
        ("lenet5_view", LeNet5(view=True), "digits", [13]),
        ("resnet", ResNet(), "digits", [13, 17]),
        ("ops", Ops(), "image", [13, 17]),
        ("new_ops", NewOps(), "image", [13, 17]),
        ("upsample9", Upsample9(), "image", [9]),
        ("seq", Seq(), "sequence", [13, 17]),
    ]
    cases = []
    for name, model, input_name, opsets in nets:
        x = inputs[input_name]
        with torch.no_grad():
            randomize(model, gen)
        model.eval()
        with torch.no_grad():
            y = model(x)
        y.numpy().astype("<f4").tofile(os.path.join(HERE, name + ".out.f32"))
        for opset in opsets:
            file = f"{name}_opset{opset}.onnx"
            torch.onnx.export(model, x, os.path.join(HERE, file), opset_version=opset,
                              input_names=["input"], output_names=["output"],
                              dynamic_axes={"input": {0: "N"}, "output": {0: "N"}})
            cases.append({"name": name, "onnx": file, "opset": opset, "x": input_name + ".in.f32", "y": name + ".out.f32",
                          "input": list(x.shape), "output": list(y.shape)})
    with open(os.path.join(HERE, "torch.json"), "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
