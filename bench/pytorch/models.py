"""The three workloads of goras's benchmark, written as a PyTorch user would,
with Keras's initializers and hyper-parameters so that accuracies compare:
glorot-uniform kernels and zero biases, Adam's epsilon 1e-7,
BatchNormalization's epsilon 1e-3 and moving-average momentum 0.99 (PyTorch's
momentum 0.01)."""
from collections import namedtuple

import torch
from torch import nn

# build() returns (model, loss_fn, optimizer, one_hot_targets);
# predict(model, x) is the inference output (probabilities, or logits for the
# bounty CNN, whose last Dense has no activation).
Workload = namedtuple("Workload", "build predict input batch")


def keras_init(model):
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def build_mlp():
    """Flatten → Dense(50, relu) → Dense(10, softmax); MSE; SGD 0.1; batch 100."""
    model = keras_init(nn.Sequential(
        nn.Flatten(), nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 10), nn.Softmax(dim=1)))
    return model, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.1), True


def build_lenet5():
    """Conv(6, 5×5, same, relu) → MaxPool 2 → Conv(16, 5×5, valid, relu) →
    MaxPool 2 → Flatten → Dense(120, relu) → Dense(84, relu) → Dense(10,
    softmax); cross-entropy; Adam 1e-3; batch 128. The softmax is folded into
    the loss for training (CrossEntropyLoss on logits) and applied for
    inference."""
    model = keras_init(nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10)))
    return model, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7), False


def bn(c):
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)


def build_bounty():
    """Conv 32 3×3 same + BN + ReLU, again, MaxPool 2, Conv 64 3×3 same + BN +
    ReLU, again, MaxPool 2, Flatten, Dense 256 + BN + ReLU, Dropout 0.4,
    Dense 10 (logits); cross-entropy; Adam 1e-3; batch 128; no augmentation."""
    model = keras_init(nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), bn(32), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1), bn(32), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), bn(64), nn.ReLU(),
        nn.Conv2d(64, 64, 3, padding=1), bn(64), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 256), nn.BatchNorm1d(256, eps=1e-3, momentum=0.01), nn.ReLU(),
        nn.Dropout(0.4), nn.Linear(256, 10)))
    return model, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7), False


WORKLOADS = {
    "mlp": Workload(build_mlp, lambda m, x: m(x), (28, 28), 100),
    "lenet5": Workload(build_lenet5, lambda m, x: torch.softmax(m(x), 1), (1, 28, 28), 128),
    "bounty": Workload(build_bounty, lambda m, x: m(x), (1, 28, 28), 128),
}
