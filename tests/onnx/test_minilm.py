"""Static INT8 MiniLM (the zoo's spam classifier): a real case where the default all-INT8
config misses the 1% goal and the strategies must reach it by falling ops back to FP32.

Measured on this data (64 test emails, 20 other test emails calibrate), the whole graph
(199 ops, QDQ, one INT8 choice per op): FP32 63/64, all-INT8 61/64 (-3.2%). The residual
Adds hold BERT's outlier channels (|x| ~ 200 after layer 0's FFN): ``basic``'s op-type stage
meets the goal with all 62 Adds in FP32 (trial 2), then trims that set to 8 Adds within
its 16-trial budget (18 trials, ~40 s). ``tpe`` meets it on its second proposal.
Calibration ignores the attention mask's -3.4e38 entries (infinity stand-ins); counting
them, every Softmax input collapsed and all-INT8 scored 0.835 on 200 emails.
"""

from __future__ import annotations

import numpy as np
import pytest
import zoo

from lpot_core.api import quantize
from lpot_core.data import DataLoader

N_CALIB, N_EVAL = 20, 64


@pytest.fixture(scope="module")
def spam() -> tuple[dict[str, np.ndarray], np.ndarray]:
    """84 test emails in a fixed seeded order: 20 to calibrate, then 64 to evaluate."""
    texts, y = zoo.spam_emails("test")
    pick = np.random.default_rng(0).permutation(len(y))
    pick = np.concatenate([pick[:N_CALIB], pick[100 : 100 + N_EVAL]])
    ids, mask = zoo.minilm_inputs([texts[i] for i in pick])
    return {"input_ids": ids, "attention_mask": mask}, y[pick]


def _config(strategy: str, workspace) -> dict:
    one_choice = {"dtype": ["uint8"], "scheme": ["asym"], "algorithm": ["minmax"]}
    return {
        "model": {"framework": "onnxrt_qdq", "name": "minilm_spam"},
        "quantization": {
            "approach": "post_training_static_quant",
            "calibration": {"sampling_size": [N_CALIB]},
            "model_wise": {
                "activation": one_choice,
                "weight": {"dtype": ["int8"], "scheme": ["sym"], "granularity": ["per_tensor"]},
            },
        },
        "evaluation": {"accuracy": {"metric": {"topk": 1}}},
        "tuning": {
            "strategy": {"name": strategy},
            "accuracy_criterion": {"relative": 0.01},
            # model size, not latency: a deterministic objective keeps TPE's path fixed
            "objective": "modelsize",
            "exit_policy": {"timeout": 0, "max_trials": 40},
            "random_seed": 9527,
            "workspace": {"path": str(workspace)},
        },
    }


@pytest.mark.parametrize("strategy", ["basic", "tpe"])
def test_static_minilm_meets_the_goal_by_fallback(strategy, spam, tmp_path):
    x, y = spam
    calib = {k: v[:N_CALIB] for k, v in x.items()}
    evalset = {k: v[N_CALIB:] for k, v in x.items()}
    result = quantize(
        zoo.spam_classifier_onnx(),
        _config(strategy, tmp_path),
        calib_dataloader=DataLoader.from_arrays(calib, y[:N_CALIB], batch_size=10),
        eval_dataloader=DataLoader.from_arrays(evalset, y[N_CALIB:], batch_size=N_EVAL),
    )
    baseline, default = result.baseline, result.trials[0]  # trials: INT8 configs only
    assert baseline.accuracy >= 0.95
    assert len(default.config.quantized_ops) > 150  # every op ORT can quantize
    assert not default.met_goal, f"the all-INT8 default met the goal: {default.accuracy}"
    assert result.met_goal, str(result)
    assert result.best.accuracy >= baseline.accuracy * 0.99
    met = [t for t in result.trials if t.met_goal]
    assert all(t.config.fp32_ops and t.config.quantized_ops for t in met)
    if strategy == "basic":  # the goal-meeting op-type fallback, then trimmed
        first, smallest = len(met[0].config.fp32_ops), min(len(t.config.fp32_ops) for t in met)
        assert smallest <= first // 4, (first, smallest)
    print(
        f"{strategy}: {len(result.trials)} trials, FP32 ops per goal-meeting trial",
        [len(t.config.fp32_ops) for t in met],
    )
