"""Every error lpot raises on purpose. Messages say what is wrong and what to do."""

from __future__ import annotations


class LpotError(Exception):
    """Base class of all deliberate lpot errors; the CLI prints these as one line."""


class ConfigError(LpotError, ValueError):
    """A YAML or Python config is invalid. The message names the field and what it expects."""


class PluginError(LpotError):
    """A plugin is broken, missing, or registers a name another plugin already took."""


class AdaptorNotFoundError(PluginError):
    """No installed adaptor accepts the model, or the named framework is not installed."""


class DataError(LpotError, ValueError):
    """A dataset or dataloader is empty, misshaped, or does not match the model's inputs."""


class ModelError(LpotError, ValueError):
    """A model cannot be loaded or quantized (corrupt file, unsupported op, export failure)."""


class BaselineError(LpotError):
    """The FP32 baseline makes the accuracy criterion meaningless (e.g. zero with `relative`)."""


class HistoryError(LpotError):
    """A tuning history cannot be read or does not belong to this model and config."""


class TuningInterrupted(KeyboardInterrupt):
    """Ctrl-C during tuning. The best model so far, the report and the history are saved;
    ``result`` holds the :class:`~lpot_core.result.TuningResult`, and running the same
    tuning again resumes it. A KeyboardInterrupt, so it still stops the caller's script."""

    def __init__(self, result: object) -> None:
        super().__init__("tuning interrupted; run it again to resume")
        self.result = result
