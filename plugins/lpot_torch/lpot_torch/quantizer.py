"""The per-op quantizer: torchao's x86 inductor recipe, with each op's config chosen by lpot.

``X86InductorQuantizer.set_module_name_qconfig(name, None)`` only skips a fused pattern
(conv + relu) when *every* node of it comes from that module, so a conv whose ReLU is a
sibling module would stay quantized. This quantizer instead filters patterns by lpot op
names (:mod:`lpot_torch.ops`): a pattern gets a config when all the ops in it share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch.fx import GraphModule, Node
from torchao.quantization.pt2e.quantizer.x86_inductor_quantizer import X86InductorQuantizer

from lpot_core.space import FP32, OpChoice
from lpot_torch.observers import quantization_config
from lpot_torch.ops import name_ops, normalize_source_types

ANNOTATION = "quantization_annotation"


class LpotX86Quantizer(X86InductorQuantizer):
    """Annotates ops by lpot name. ``choices`` maps op name -> OpChoice (FP32 choices keep
    the op float); ``choices=None`` quantizes every op the recipe supports with ``default``.

    After ``annotate``, ``ops`` holds {op name: (op type, node name)} for every op the
    recipe quantized (inputs observed), in graph order.
    """

    def __init__(
        self,
        choices: Mapping[str, OpChoice] | None,
        default: OpChoice,
        reduce_range: bool,
        dynamic: bool = False,
        percentile: float = 99.999,
    ) -> None:
        super().__init__()
        self.choices = dict(choices) if choices is not None else None
        self.default = default
        self.reduce_range = reduce_range
        self.dynamic = dynamic
        self.percentile = percentile
        self.ops: dict[str, tuple[str, str]] = {}

    def _config(self, choice: OpChoice) -> Any:
        if choice.is_fp32:
            return None
        return quantization_config(choice, self.reduce_range, self.dynamic, self.percentile)

    def transform_for_annotation(self, model: GraphModule) -> GraphModule:
        model = super().transform_for_annotation(model)
        # Outputs nobody reads (a BERT pooler when only the hidden states are used) form
        # partitions without output nodes, which the recipe's pattern matcher rejects.
        model.graph.eliminate_dead_code()
        model.recompile()
        normalize_source_types(model.graph)
        return model

    def annotate(self, model: GraphModule) -> GraphModule:
        named = name_ops(model.graph)

        def ops_in(nodes: list[Node]) -> list[str]:
            return [named[n][0] for n in nodes if n in named]

        if self.choices is None:
            groups: dict[OpChoice, set[str]] = {self.default: {n for n, _ in named.values()}}
        else:
            groups = {}
            for name, _ in named.values():
                # ops the config does not list stay FP32: never quantize what was not asked for
                choice = self.choices.get(name)
                groups.setdefault(choice if choice is not None else FP32, set()).add(name)
        choice_of = {name: c for c, members in groups.items() for name in members}
        filters = {}
        for choice in groups:

            def in_group(nodes: list[Node], choice: OpChoice = choice) -> bool:
                # a fused pattern (conv + add) takes this config if every op in it agrees;
                # weightless ops (add, maxpool) agree with any weight setting
                names = ops_in(nodes)
                return bool(names) and all(_compatible(choice_of[n], choice) for n in names)

            filters[choice] = in_group
        # Step 1 of the recipe (`_annotate_with_config`), group by group, FP32 first so a
        # fused pattern holding a float op is claimed as float.
        order = sorted(groups, key=lambda c: not c.is_fp32)
        for choice in order:
            config, keep = self._config(choice), filters[choice]
            self._annotate_conv2d_fusion_pattern(model, config, keep)
            self._annotate_linear_fusion_pattern(model, config, keep)
            self._annotate_matmul(model, config, keep)
            self._annotate_mul_tensor(model, config, keep)
        # Step 2 (propagation to maxpool/cat/flatten...) must walk the graph in order across
        # groups: a maxpool is quantized only if its producer already is.
        for node in model.graph.nodes:
            if node in named:
                choice = choice_of[named[node][0]]
                self._annotate_propagation_quantizable_pattern(
                    node, self._config(choice), filters[choice]
                )
        self._annotate_output_for_int8_in_int8_out_pattern_entry(model)
        self.ops = {}
        for node, (name, op_type) in named.items():
            ann = node.meta.get(ANNOTATION)
            if ann is not None and ann.input_qspec_map:
                self.ops[name] = (op_type, node.name)
        return model

    def validate(self, model: torch.fx.GraphModule) -> None:
        """Nothing to check beyond what annotate guarantees."""


def _compatible(op: OpChoice, config: OpChoice) -> bool:
    """Can an op whose own choice is ``op`` be annotated with ``config``?"""
    if op.is_fp32 or config.is_fp32:
        return op.is_fp32 and config.is_fp32
    return op.activation == config.activation and (op.weight is None or op.weight == config.weight)
