"""Built-in tuning strategies, registered through the ``lpot`` entry point like any plugin.

``basic`` (LPOT's default), ``mse``, ``exhaustive``, ``random`` and ``tpe`` (hyperopt).
The strategy modules are imported only when the registration hook runs, so loading the
entry point stays cheap (``tpe`` pulls in hyperopt).
"""

from __future__ import annotations

from lpot_core.hookspecs import Register, hookimpl


@hookimpl
def lpot_register_strategies(register: Register) -> None:
    """Register the built-in strategies by name."""
    from lpot_core.strategies.basic import BasicStrategy
    from lpot_core.strategies.exhaustive import ExhaustiveStrategy
    from lpot_core.strategies.mse import MSEStrategy
    from lpot_core.strategies.random_search import RandomStrategy
    from lpot_core.strategies.tpe import TPEStrategy

    register("basic", BasicStrategy)
    register("mse", MSEStrategy)
    register("exhaustive", ExhaustiveStrategy)
    register("random", RandomStrategy)
    register("tpe", TPEStrategy)
