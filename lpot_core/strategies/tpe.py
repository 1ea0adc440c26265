"""``tpe``: hyperopt's Tree-structured Parzen Estimator over per-op choices, ask/tell.

hyperopt normally owns the loop (``fmin``); here the tuner does, so we keep a
``hyperopt.Trials`` ourselves: ``propose`` calls ``tpe.suggest`` for one new point and
``observe`` inserts the evaluated point as a finished trial doc with its loss.

Encoding: each tunable op gets two independent parameters, ``op|fp32`` (fall back or not,
``hp.pchoice`` with prior ``fallback_prior``, default 0.5) and ``op|q`` (index of its
quantized choice, preferred = 0), plus the calibration sampling size when there are
several. A flat ``hp.choice`` over an op's ~50 choices would give fallback a 2% prior and
TPE would rarely try it; this way "which ops to keep in FP32" is learnt directly.

Loss (lower is better): a config meeting the goal scores its cost ``c`` in [0, 1] (latency
over FP32 latency, halved and capped, or the fraction of FP32 ops when the objective is
unknown); one that misses scores ``1 + 10 * shortfall / |baseline| + c``, so any config
that meets the goal beats any that does not. Failed trials have status ``fail``.

Deterministic under ``context.seed``: each suggestion is seeded from (seed, number of
observed points, attempt). Trials in ``context.history`` warm-start the model.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

import numpy as np
from hyperopt import STATUS_FAIL, STATUS_OK, Trials, hp, tpe
from hyperopt.base import JOB_STATE_DONE, Domain

from lpot_core.result import Trial
from lpot_core.space import FP32, TuneConfig, TuningSpace
from lpot_core.strategy import Strategy, StrategyContext, count, fraction, positive

log = logging.getLogger(__name__)

SIZE_LABEL = "__sampling_size__"
RETRIES = 5  # fresh suggestions before perturbing a repeated one
#: hyperopt's suggestion cost grows with the number of dimensions (about 9 s a trial with
#: 500 ops each on its own here); beyond this many ops, neighbouring ops share a dimension.
MAX_DIMS = 48
NEIGHBOUR_TRIES = 200


class TPEStrategy(Strategy):
    """hyperopt TPE in ask/tell form; the default config is proposed first.

    Params: ``max_dims`` (ops beyond this count are tuned in contiguous groups of
    neighbouring ops; default 48), ``n_startup_jobs`` (random points before TPE models
    the loss; default
    ``min(10, max(2, max_trials // 5))``), ``n_ei_candidates`` (default 24),
    ``gamma`` (default 0.25), ``fallback_prior`` (default 0.5).
    """

    param_types = {
        "max_dims": positive,
        "n_startup_jobs": count,
        "n_ei_candidates": positive,
        "gamma": fraction,
        "fallback_prior": fraction,
    }

    def __init__(self, space: TuningSpace, context: StrategyContext) -> None:
        super().__init__(space, context)
        params = context.params
        self.n_startup = int(params.get("n_startup_jobs", min(10, max(2, context.max_trials // 5))))
        self.n_ei = int(params.get("n_ei_candidates", 24))
        self.gamma = float(params.get("gamma", 0.25))
        prior = float(params.get("fallback_prior", 0.5))
        self.sizes = list(space.sampling_sizes)
        self.quantized = {op: [c for c in cs if not c.is_fp32] for op, cs in space.choices.items()}
        self.groups = _groups(space.tunable_ops, int(params.get("max_dims", MAX_DIMS)))
        expr: dict[str, Any] = {}
        for group, ops in self.groups.items():
            if any(space.can_fallback(op) and self.quantized[op] for op in ops):
                expr[f"{group}|fp32"] = hp.pchoice(f"{group}|fp32", [(1 - prior, 0), (prior, 1)])
            n_q = max(len(self.quantized[op]) for op in ops)
            if n_q > 1:
                expr[f"{group}|q"] = hp.choice(f"{group}|q", list(range(n_q)))
        if len(self.sizes) > 1:
            expr[SIZE_LABEL] = hp.choice(SIZE_LABEL, list(range(len(self.sizes))))
        self.labels = list(expr)
        self.group_of = {op: group for group, ops in self.groups.items() for op in ops}
        self.n_opts = {
            label: (
                len(self.sizes)
                if label == SIZE_LABEL
                else 2
                if label.endswith("|fp32")
                else max(len(self.quantized[op]) for op in self.groups[label.rpartition("|")[0]])
            )
            for label in self.labels
        }
        self.domain = Domain(lambda _point: 0.0, expr)
        self.hp_trials = Trials()
        self.seen: set[str] = set()  # configs proposed, observed, or in the history
        self.inserted: set[str] = set()  # configs hyperopt knows the loss of
        self.proposals = 0
        for trial in context.history:
            if trial.config is not None and self._in_space(trial.config):
                self.seen.add(trial.config.key)
                self._tell(trial.config, trial)

    # -- encoding ------------------------------------------------------------------
    def n_options(self, label: str) -> int:
        return self.n_opts[label]

    def encode(self, cfg: TuneConfig) -> dict[str, int]:
        """hyperopt values of ``cfg`` (an FP32 op keeps its preferred quantized index)."""
        vals: dict[str, int] = {}
        for label in self.labels:
            if label == SIZE_LABEL:
                vals[label] = self.sizes.index(cfg.sampling_size)
                continue
            group, _, kind = label.rpartition("|")
            ops = self.groups[group]
            if kind == "fp32":  # a group is FP32 when most of its ops are
                vals[label] = int(2 * sum(cfg.ops[op].is_fp32 for op in ops) > len(ops))
            else:
                quantized = [op for op in ops if not cfg.ops[op].is_fp32]
                first = quantized[0] if quantized else None
                vals[label] = self.quantized[first].index(cfg.ops[first]) if first else 0
        return vals

    def decode(self, vals: dict[str, int]) -> TuneConfig:
        """The config for hyperopt values; ops with one choice take it."""
        ops = {}
        for op, choices in self.space.choices.items():
            group = self.group_of.get(op, op)
            if vals.get(f"{group}|fp32", 0) or not self.quantized[op]:
                ops[op] = FP32 if self.space.can_fallback(op) else choices[0]
            else:
                index = min(int(vals.get(f"{group}|q", 0)), len(self.quantized[op]) - 1)
                ops[op] = self.quantized[op][index]
        size = self.sizes[int(vals.get(SIZE_LABEL, 0))]
        return TuneConfig(ops, size, self.space.approach)

    def _in_space(self, cfg: TuneConfig) -> bool:
        if set(cfg.ops) != set(self.space.choices) or cfg.sampling_size not in self.sizes:
            return False
        try:
            self.space.validate(cfg)
        except ValueError:
            return False
        return True

    # -- loss --------------------------------------------------------------------------
    def loss(self, cfg: TuneConfig, trial: Trial) -> float | None:
        """See the module docs; ``None`` for a failed trial."""
        if not trial.ok:
            return None
        base = self.context.baseline
        if trial.objective is not None and base.objective:
            cost = min(max(trial.objective / base.objective, 0.0), 2.0) / 2.0
        else:
            cost = len(cfg.fp32_ops) / max(1, len(cfg.ops))
        if trial.met_goal:
            return cost
        scale = abs(base.accuracy) if base.accuracy else 1.0
        return 1.0 + 10.0 * self.context.shortfall(trial.accuracy) / scale + cost

    def _tell(self, cfg: TuneConfig, trial: Trial) -> None:
        """Insert ``cfg`` as a finished hyperopt trial (once per config)."""
        if cfg.key in self.inserted or not self.labels:
            return
        self.inserted.add(cfg.key)
        (tid,) = self.hp_trials.new_trial_ids(1)
        vals = self.encode(cfg)
        misc = {
            "tid": tid,
            "cmd": self.domain.cmd,
            "workdir": self.domain.workdir,
            "idxs": {label: [tid] for label in self.labels},
            "vals": {label: [vals[label]] for label in self.labels},
        }
        loss = self.loss(cfg, trial)
        result: dict[str, Any] = (
            {"status": STATUS_FAIL} if loss is None else {"status": STATUS_OK, "loss": loss}
        )
        docs = self.hp_trials.new_trial_docs([tid], [None], [result], [misc])
        docs[0]["state"] = JOB_STATE_DONE
        self.hp_trials.insert_trial_docs(docs)
        self.hp_trials.refresh()

    # -- ask/tell ------------------------------------------------------------------------
    def propose(self) -> TuneConfig | None:
        self.proposals += 1
        if self.proposals == 1:
            cfg: TuneConfig | None = self.space.default()
        elif len(self.seen) >= self.space.size():
            cfg = None
        else:
            cfg = self._suggest()
        if cfg is not None:
            self.seen.add(cfg.key)
        return cfg

    def observe(self, cfg: TuneConfig, trial: Trial) -> None:
        self.seen.add(cfg.key)
        self._tell(cfg, trial)

    def _seed(self, attempt: int) -> int:
        seq = [self.context.seed % 2**32, len(self.hp_trials.trials), attempt]
        return int(np.random.default_rng(seq).integers(2**31 - 1))

    def _suggest(self) -> TuneConfig | None:
        vals: dict[str, int] = {}
        for attempt in range(RETRIES):
            new_ids = [len(self.hp_trials.trials) + 10_000 + attempt]  # never inserted
            docs = tpe.suggest(
                new_ids,
                self.domain,
                self.hp_trials,
                self._seed(attempt),
                n_startup_jobs=self.n_startup,
                n_EI_candidates=self.n_ei,
                gamma=self.gamma,
                verbose=False,
            )
            vals = {label: int(v[0]) for label, v in docs[0]["misc"]["vals"].items()}
            cfg = self.decode(vals)
            if cfg.key not in self.seen:
                return cfg
        # TPE keeps proposing seen points: perturb the last one, more ops as tries go on
        rng = np.random.default_rng(self._seed(RETRIES))
        for tries in range(NEIGHBOUR_TRIES):
            changed = dict(vals)
            for _ in range(1 + tries // 20):
                label = self.labels[int(rng.integers(len(self.labels)))]
                changed[label] = int(rng.integers(self.n_options(label)))
            cfg = self.decode(changed)
            if cfg.key not in self.seen:
                return cfg
        log.debug("tpe: no unseen config found after %d perturbations", NEIGHBOUR_TRIES)
        return None


def _groups(ops: list[str], max_dims: int) -> dict[str, list[str]]:
    """Each op its own dimension, or ``max_dims`` contiguous groups of ops in graph order."""
    if len(ops) <= max_dims:
        return {op: [op] for op in ops}
    bounds = np.linspace(0, len(ops), max_dims + 1).astype(int)
    return {f"ops[{a}:{b}]": ops[a:b] for a, b in itertools.pairwise(bounds) if b > a}
