"""Train the zoo's Fashion-MNIST CNN and write ``weights/fashion_cnn.npz``.

``python -m zoo.train_fashion_cnn [--epochs 2]`` (from ``examples/``). Fixed seed,
Adam, batch 64, on the official 60k training split; takes a few minutes on 2 CPU cores.
No pretrained Fashion-MNIST model exists on any package registry, hence this script.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn

from ._torch_nets import FashionCNN
from .fashion import WEIGHTS, fashion_inputs, fashion_mnist

SEED = 0


def train(epochs: int = 2, batch: int = 64, lr: float = 1e-3) -> FashionCNN:
    """Train from a fixed seed and return the model in eval mode."""
    torch.manual_seed(SEED)
    x, y = fashion_mnist("train")
    xt, yt = torch.from_numpy(fashion_inputs(x)), torch.from_numpy(y)
    model = FashionCNN()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(SEED)
    for epoch in range(epochs):
        model.train()
        start, total = time.perf_counter(), 0.0
        for idx in torch.randperm(len(xt), generator=gen).split(batch):
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        acc = evaluate(model)
        print(f"epoch {epoch + 1}: loss {total / len(xt):.4f}, test acc {acc:.4f}, "
              f"{time.perf_counter() - start:.0f}s", flush=True)  # fmt: skip
    return model.eval()


def evaluate(model: nn.Module) -> float:
    """Top-1 accuracy on the official 10k test split."""
    x, y = fashion_mnist("test")
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(fashion_inputs(x))).argmax(1).numpy()
    return float((pred == y).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    model = train(args.epochs)
    WEIGHTS.parent.mkdir(exist_ok=True)
    np.savez(WEIGHTS, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    print(f"wrote {WEIGHTS} ({WEIGHTS.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
