"""Framework-neutral datasets, dataloader and transforms.

This module is lpot-core's ``core-data`` plugin: it registers the built-in datasets
and transforms under the names LPOT users write in YAML.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lpot_core.data.build import build_dataloader
from lpot_core.data.collate import default_collate
from lpot_core.data.dataloader import LAST_BATCH, DataLoader
from lpot_core.data.datasets import (
    ArrayDataset,
    Dataset,
    ImageFolder,
    NumpyFile,
    TransformedDataset,
)
from lpot_core.data.dummy import Dummy, DummyV2
from lpot_core.data.fingerprint import fingerprint
from lpot_core.data.transforms import (
    BUILTIN_TRANSFORMS,
    Cast,
    CenterCrop,
    Compose,
    Normalize,
    Rescale,
    Reshape,
    Resize,
    ToArray,
    Transpose,
)
from lpot_core.hookspecs import Register, hookimpl

#: LPOT dataset name -> factory, as registered by this plugin.
BUILTIN_DATASETS: dict[str, Callable[..., Any]] = {
    "dummy": Dummy,
    "dummy_v2": DummyV2,
    "ImageFolder": ImageFolder,
    "NumpyFile": NumpyFile,
}


@hookimpl
def lpot_register_dataloaders(register: Register) -> None:
    """Register the built-in datasets."""
    for name, factory in BUILTIN_DATASETS.items():
        register(name, factory)


@hookimpl
def lpot_register_transforms(register: Register) -> None:
    """Register the built-in transforms."""
    for name, factory in BUILTIN_TRANSFORMS.items():
        register(name, factory)


__all__ = [
    "BUILTIN_DATASETS",
    "BUILTIN_TRANSFORMS",
    "LAST_BATCH",
    "ArrayDataset",
    "Cast",
    "CenterCrop",
    "Compose",
    "DataLoader",
    "Dataset",
    "Dummy",
    "DummyV2",
    "ImageFolder",
    "Normalize",
    "NumpyFile",
    "Rescale",
    "Reshape",
    "Resize",
    "ToArray",
    "TransformedDataset",
    "Transpose",
    "build_dataloader",
    "default_collate",
    "fingerprint",
    "lpot_register_dataloaders",
    "lpot_register_transforms",
]
