"""Train the linear spam head on FP32 MiniLM embeddings; writes ``weights/spam_head.npz``.

``python -m zoo.train_spam_head`` (from ``examples/``): embeds the train split once
(a few minutes on 2 CPU cores), fits a logistic-regression head with a fixed seed,
and reports test accuracy. No spam classifier exists on any registry, hence this script.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

from .minilm import DIM, minilm_encoder, minilm_inputs
from .spam import HEAD_WEIGHTS, spam_emails

SEED = 0


def embed(texts: list[str], batch: int = 64) -> torch.Tensor:
    """FP32 sentence embeddings ``[N,384]`` of ``texts``."""
    encoder = minilm_encoder()
    ids, mask = minilm_inputs(texts)
    out = []
    with torch.no_grad():
        for i in range(0, len(texts), batch):
            sl = slice(i, i + batch)
            out.append(encoder(torch.from_numpy(ids[sl]), torch.from_numpy(mask[sl])))
    return torch.cat(out)


def fit_head(emb: torch.Tensor, y: torch.Tensor, epochs: int = 500) -> nn.Linear:
    """Full-batch logistic regression (Adam, light weight decay) on fixed embeddings."""
    torch.manual_seed(SEED)
    head = nn.Linear(DIM, 2)
    opt = torch.optim.Adam(head.parameters(), lr=0.05, weight_decay=1e-4)
    for _ in range(epochs):
        opt.zero_grad()
        nn.functional.cross_entropy(head(emb), y).backward()
        opt.step()
    return head.eval()


def main() -> None:
    start = time.perf_counter()
    texts, y = spam_emails("train")
    head = fit_head(embed(texts), torch.from_numpy(y))
    print(
        f"embedded and fitted on {len(texts)} train emails in {time.perf_counter() - start:.0f}s",
        flush=True,
    )
    texts, y = spam_emails("test")
    with torch.no_grad():
        acc = (head(embed(texts)).argmax(1).numpy() == y).mean()
    print(f"test accuracy ({len(texts)} emails): {acc:.4f}", flush=True)
    np.savez(HEAD_WEIGHTS, **{k: v.detach().numpy() for k, v in head.state_dict().items()})
    print(f"wrote {HEAD_WEIGHTS} ({HEAD_WEIGHTS.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
