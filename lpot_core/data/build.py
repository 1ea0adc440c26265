"""Building a dataloader from the ``dataloader`` section of a YAML config."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

from lpot_core import plugins
from lpot_core.data.dataloader import DataLoader
from lpot_core.data.datasets import TransformedDataset
from lpot_core.data.transforms import Compose
from lpot_core.errors import ConfigError, DataError
from lpot_core.registry import instantiate, lookup

if TYPE_CHECKING:  # config.py is only needed for the type; duck typing at run time
    from lpot_core.config import DataLoaderConfig


def build_dataloader(
    cfg: DataLoaderConfig | Any, pm: pluggy.PluginManager, where: str = "dataloader"
) -> DataLoader:
    """A :class:`DataLoader` for a ``DataLoaderConfig`` (fields ``batch_size``,
    ``last_batch``, ``shuffle``, ``dataset: (name, params) | None`` and
    ``transform: ((name, params), ...)``), with datasets and transforms looked up in
    the registries of ``pm`` (built-ins and plugins alike).

    Unknown names and rejected parameters raise :class:`ConfigError` naming the
    nearest registered name or the accepted parameters; every error names the YAML
    section (``where``, e.g. ``quantization.calibration.dataloader``).
    """
    if cfg.dataset is None:
        raise ConfigError(
            f"{where}.dataset is missing; name a dataset, e.g. "
            "dataset: {ImageFolder: {root: /path/to/images}}, or pass a "
            "dataloader from Python"
        )
    name, params = cfg.dataset
    factory = lookup(plugins.datasets(pm), name, kind="dataset", where=f"{where}.dataset")
    try:
        dataset = instantiate(factory, params, kind="dataset", name=name)
    except (ConfigError, DataError) as exc:  # a missing file, a bad parameter
        raise type(exc)(f"{where}.dataset: {exc}") from exc
    steps = list(cfg.transform or ())
    if steps:
        registry = plugins.transforms(pm)
        transforms = [
            instantiate(
                lookup(registry, t_name, kind="transform", where=f"{where}.transform"),
                t_params,
                kind="transform",
                name=t_name,
            )
            for t_name, t_params in steps
        ]
        dataset = TransformedDataset(dataset, Compose(transforms))
    return DataLoader(
        dataset, batch_size=cfg.batch_size, last_batch=cfg.last_batch, shuffle=cfg.shuffle
    )
