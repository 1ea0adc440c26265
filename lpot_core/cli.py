"""The ``lpot`` command: quantize, benchmark, plugins."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from lpot_core.errors import LpotError, TuningInterrupted
from lpot_core.paths import expand

log = logging.getLogger(__name__)

EXIT_OK, EXIT_MISSED, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    from lpot_core import __version__

    p = argparse.ArgumentParser(
        prog="lpot",
        description="Accuracy-driven INT8 quantization. Exit codes: 0 goal met, 1 goal "
        "missed (the best model is saved anyway), 2 bad input, 130 interrupted.",
    )
    p.add_argument("--version", action="version", version=f"lpot {__version__}")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-v: debug)")
    p.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    # the same flags after the subcommand (`lpot quantize conf.yaml -q`)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS)
    common.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command")

    q = sub.add_parser(
        "quantize", parents=[common], help="tune a model to INT8 within the accuracy criterion"
    )
    q.add_argument("config", help="LPOT-style YAML config")
    q.add_argument("--model", help="model path (overrides model.path)")
    q.add_argument("--workspace", help="workspace folder (overrides tuning.workspace.path)")
    q.add_argument("--strategy", help="tuning strategy (overrides tuning.strategy.name)")
    q.add_argument("--max-trials", type=int, help="overrides tuning.exit_policy.max_trials")
    q.add_argument("--timeout", type=float, help="seconds; overrides tuning.exit_policy.timeout")

    b = sub.add_parser(
        "benchmark", parents=[common], help="FP32 vs INT8 latency and throughput, side by side"
    )
    b.add_argument("config", help="the YAML config used to quantize")
    b.add_argument("--model", help="FP32 model path (overrides model.path)")
    b.add_argument("--int8", help="INT8 model path (default: the one in the workspace report)")
    b.add_argument(
        "--workspace", help="workspace quantize wrote to (overrides tuning.workspace.path)"
    )
    b.add_argument("--iterations", type=_positive, help="timed forwards per model")
    b.add_argument("--warmup", type=_positive, help="untimed forwards per model")

    pl = sub.add_parser(
        "plugins", parents=[common], help="list installed plugins and the hooks they provide"
    )
    pl.add_argument("--json", action="store_true", help="machine-readable output")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``lpot`` console script; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_ERROR
    _logging(args.verbose, args.quiet)
    _terminate_like_ctrl_c()
    try:
        return {"quantize": _quantize, "benchmark": _benchmark, "plugins": _plugins}[args.command](
            args
        )
    except LpotError as exc:
        print(f"lpot: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("lpot: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _terminate_like_ctrl_c() -> None:
    """SIGTERM (``kill``, ``timeout``, a batch scheduler) stops a run the way Ctrl-C does:
    the best model so far is saved, the table printed, the history left to resume."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():  # signals: main thread only
        signal.signal(signal.SIGTERM, interrupt)


def _logging(verbose: int, quiet: bool) -> None:
    """lpot's own progress at INFO, other libraries' chatter only from WARNING up."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    if verbose:
        level = logging.DEBUG
    else:
        level = logging.WARNING if quiet else logging.INFO
        handler.addFilter(
            lambda r: r.levelno >= logging.WARNING or r.name.split(".")[0].startswith("lpot")
        )
    logging.basicConfig(level=level, handlers=[handler])


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    pairs = {
        "model.path": getattr(args, "model", None),
        "tuning.workspace.path": getattr(args, "workspace", None),
        "tuning.strategy.name": getattr(args, "strategy", None),
        "tuning.exit_policy.max_trials": getattr(args, "max_trials", None),
        "tuning.exit_policy.timeout": getattr(args, "timeout", None),
    }
    return {k: v for k, v in pairs.items() if v is not None}


def _load(args: argparse.Namespace) -> Any:
    from lpot_core.config import load_config

    cfg = load_config(args.config)
    changes = _overrides(args)
    new_strategy = changes.pop("tuning.strategy.name", None)
    if new_strategy is not None and new_strategy != cfg.tuning.strategy.name:
        # The YAML's strategy parameters belong to the strategy --strategy replaces.
        dropped = sorted(cfg.tuning.strategy.params)
        if dropped:
            log.warning(
                "--strategy %s replaces %s; its parameters (%s) are not used",
                new_strategy,
                cfg.tuning.strategy.name,
                ", ".join(dropped),
            )
        changes["tuning.strategy"] = {"name": new_strategy}
    cfg = cfg.replace(**changes) if changes else cfg
    if cfg.model.path:  # `${LPOT_CACHE:-~/.cache/lpot}/model.onnx` works in YAML
        cfg = cfg.replace(**{"model.path": expand(cfg.model.path, "model.path")})
    return cfg


def _quantize(args: argparse.Namespace) -> int:
    from lpot_core.api import quantize

    cfg = _load(args)
    try:
        result = quantize(config=cfg)
    except TuningInterrupted as stop:
        print(stop.result)
        print(
            "lpot: interrupted; run the same command again to resume from "
            f"{stop.result.history_path}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    print(result)
    return EXIT_OK if result.met_goal else EXIT_MISSED


def _benchmark(args: argparse.Namespace) -> int:
    from lpot_core import plugins
    from lpot_core.api import _build, _first_inputs
    from lpot_core.benchmark import compare, comparison_table

    cfg = _load(args)
    int8_path = args.int8
    if int8_path is None:
        report = Path(cfg.tuning.workspace.path) / "report.json"
        if not report.is_file():
            raise LpotError(
                f"no INT8 model given and no {report}; run `lpot quantize "
                f"{args.config}` first or pass --int8 PATH"
            )
        int8_path = json.loads(report.read_text())["model_path"]
        if int8_path is None:
            raise LpotError(
                f"the last run in {report.parent} saved no INT8 model (no trial produced "
                "one; see report.md there); fix that and quantize again, or pass --int8 PATH"
            )
        if not Path(int8_path).exists():  # the workspace was moved or copied since
            beside = report.parent / Path(int8_path).name
            if not beside.exists():
                raise LpotError(
                    f"{report} names the INT8 model {int8_path}, which is gone; "
                    "quantize again or pass --int8 PATH"
                )
            int8_path = str(beside)
    if not cfg.model.path:
        raise LpotError("model.path: the FP32 model to compare is not set; pass --model PATH")
    pm = plugins.get_plugin_manager()
    framework, cls = plugins.get_adaptor_class(pm, cfg.model.framework, cfg.model.path)
    adaptor = cls(framework, cfg.model.options)
    perf = cfg.evaluation.performance
    accuracy = cfg.evaluation.accuracy
    loader = (
        _build(perf.dataloader, pm, "evaluation.performance.dataloader")
        or _build(accuracy.dataloader if accuracy else None, pm, "evaluation.accuracy.dataloader")
        or _build(
            cfg.quantization.calibration.dataloader, pm, "quantization.calibration.dataloader"
        )
    )
    if loader is None:
        raise LpotError("evaluation.performance.dataloader: no data to run the models on")
    models = {"FP32": adaptor.load(cfg.model.path), "INT8": adaptor.load(int8_path)}
    results = compare(
        adaptor,
        models,
        _first_inputs(loader),
        warmup=args.warmup if args.warmup is not None else perf.warmup,
        iterations=args.iterations or perf.iteration,
    )
    print(comparison_table(results))
    return EXIT_OK


def _plugins(args: argparse.Namespace) -> int:
    from lpot_core import plugins

    pm = plugins.get_plugin_manager()
    rows = plugins.describe(pm)
    registered = {
        "adaptors": plugins.adaptors(pm),
        "strategies": plugins.strategies(pm),
        "metrics": plugins.metrics(pm),
        "datasets": plugins.datasets(pm),
        "transforms": plugins.transforms(pm),
    }
    if args.json:
        print(
            json.dumps(
                {"plugins": rows, "registered": {k: sorted(v) for k, v in registered.items()}},
                indent=2,
            )
        )
        return EXIT_OK
    dists = [
        f"{r['distribution']} {r['version']}" if r["distribution"] else "(local)" for r in rows
    ]
    name_w = max((len(r["name"]) for r in rows), default=0) + 2
    dist_w = max((len(d) for d in dists), default=0) + 2
    for row, dist in zip(rows, dists, strict=True):
        print(f"{row['name']:<{name_w}}{dist:<{dist_w}}{', '.join(row['hooks'])}")
    for kind, names in registered.items():
        print(f"{kind}: {', '.join(sorted(names)) or '-'}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
