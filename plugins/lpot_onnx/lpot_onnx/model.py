"""The ONNX model lpot-onnx works on, and how it is loaded, checked, pre-processed and saved.

:class:`OnnxModel` wraps an ``onnx.ModelProto`` (never the user's object: always a copy)
with what the adaptor needs to remember about it: its kind (FP32 or the quantization
format), the FP32 output tensor of every op (so quantized models can be inspected by op
name), and cached ONNX Runtime sessions.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import onnx
from onnx import external_data_helper

from lpot_core.errors import ModelError

log = logging.getLogger(__name__)

#: ModelProto.ByteSize() above which protobuf cannot serialize in one piece (2 GiB).
_PROTO_LIMIT = 2**31 - 1
_PREPROCESS_CACHE: OrderedDict[str, bytes] = OrderedDict()
_PREPROCESS_CACHE_SIZE = 8


class OnnxModel:
    """An ONNX model plus lpot-onnx bookkeeping. Treat as immutable.

    ``kind`` is ``"fp32"``, ``"qdq"``, ``"qoperator"`` or ``"integerops"``.
    ``op_outputs`` maps each op name of the FP32 graph to the tensors that show its output.
    """

    def __init__(
        self,
        proto: onnx.ModelProto,
        kind: str = "fp32",
        op_outputs: dict[str, tuple[str, ...]] | None = None,
        declined: tuple[str, ...] = (),
    ) -> None:
        self.proto = proto
        self.kind = kind
        #: ops the config quantized that ORT left in FP32
        self.declined = tuple(declined)
        self.op_outputs = dict(op_outputs) if op_outputs is not None else op_output_tensors(proto)
        self._sessions: dict[int, Any] = {}
        self._bytes: bytes | None = None

    @property
    def is_quantized(self) -> bool:
        return self.kind != "fp32"

    def serialized(self) -> bytes:
        """The model as bytes (cached; sessions and fingerprints are built from it)."""
        if self._bytes is None:
            self._bytes = self.proto.SerializeToString()
        return self._bytes

    def session(self, threads: int = 0) -> Any:
        """A cached ``onnxruntime.InferenceSession`` using ``threads`` intra-op threads
        (0 = ONNX Runtime's default: all physical cores)."""
        if threads not in self._sessions:
            from lpot_onnx.runtime import make_session

            self._sessions[threads] = make_session(self.serialized(), threads)
        return self._sessions[threads]

    def __repr__(self) -> str:
        return (
            f"OnnxModel({self.proto.graph.name or 'graph'!r}, kind={self.kind}, "
            f"nodes={len(self.proto.graph.node)})"
        )


#: activations ORT folds into the op before them when quantizing (QDQ removes them).
_FOLDED_ACTIVATIONS = ("Relu", "Clip")


def op_output_tensors(proto: onnx.ModelProto) -> dict[str, tuple[str, ...]]:
    """Op name -> tensors showing its output, preferred first.

    An op whose output only feeds a Relu/Clip is observed after that activation, and the
    activation before it as a fallback: quantized models fold the two (QDQ keeps the
    activation's output name, QOperator the op's), and comparing FP32 and INT8 values
    after the activation is what matters for accuracy.
    """
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in proto.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    graph_outputs = {o.name for o in proto.graph.output}
    result: dict[str, tuple[str, ...]] = {}
    for node in proto.graph.node:
        if not node.output:
            continue
        tensor = node.output[0]
        users = consumers.get(tensor, [])
        if (
            len(users) == 1
            and users[0].op_type in _FOLDED_ACTIVATIONS
            and tensor not in graph_outputs
        ):
            result[node.name] = (users[0].output[0], tensor)
        elif node.op_type in _FOLDED_ACTIVATIONS and node.input:
            result[node.name] = (tensor, node.input[0])
        else:
            result[node.name] = (tensor,)
    return result


def load_model(model: Any, *, preprocess: bool = True) -> OnnxModel:
    """A checked, named, shape-inferred working copy of ``model`` (path, ModelProto or
    OnnxModel). Raises :class:`ModelError` with a one-line reason when it cannot."""
    if isinstance(model, OnnxModel):
        return model
    if isinstance(model, onnx.ModelProto):
        proto = onnx.ModelProto()
        proto.CopyFrom(model)  # never mutate the user's object
        _require_loaded_external_data(proto, where="the ModelProto")
        where = f"model {proto.graph.name or '(unnamed graph)'}"
    elif isinstance(model, (str, os.PathLike)):
        proto = _read_file(Path(model))
        where = str(model)
    else:
        raise ModelError(
            f"cannot load a {type(model).__name__} as an ONNX model; pass a .onnx "
            "path or an onnx.ModelProto"
        )
    _check(proto, where)
    name_nodes(proto)
    kind = quantized_kind(proto)
    if preprocess and kind == "fp32":  # pre-processing prepares FP32 models for quantization
        proto = _preprocess(proto, where)
        name_nodes(proto)
    return OnnxModel(proto, kind=kind)


_QOPERATOR_OPS = {
    "QLinearConv",
    "QLinearMatMul",
    "QGemm",
    "QLinearAdd",
    "QLinearMul",
    "QLinearConcat",
    "QLinearGlobalAveragePool",
    "QLinearAveragePool",
    "QLinearSigmoid",
    "QLinearLeakyRelu",
    "QLinearSoftmax",
    "QLinearWhere",
}
_INTEGER_OPS = {"DynamicQuantizeLinear", "MatMulInteger", "ConvInteger", "DynamicQuantizeMatMul"}


def quantized_kind(proto: onnx.ModelProto) -> str:
    """``fp32``, or the quantization format a loaded model already uses."""
    types = {n.op_type for n in proto.graph.node}
    if types & _QOPERATOR_OPS:
        return "qoperator"
    if types & _INTEGER_OPS:
        return "integerops"
    if "DequantizeLinear" in types:
        return "qdq"
    return "fp32"


def _read_file(path: Path) -> onnx.ModelProto:
    if path.is_dir():
        raise ModelError(f"model path {path} is a folder; give the .onnx file inside it")
    if not path.is_file():
        raise ModelError(f"ONNX model file {path} does not exist; check the path")
    try:
        proto = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # protobuf DecodeError and friends: corrupt or truncated
        raise ModelError(
            f"{path} is not a valid ONNX file ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else 'cannot parse'}); "
            "the file is corrupt or truncated, re-export or re-download it"
        ) from exc
    if not proto.graph.node and not proto.graph.output:
        raise ModelError(f"{path} holds no ONNX graph (empty or truncated file); re-export it")
    missing = []
    for tensor in external_data_helper._get_all_tensors(proto):
        if external_data_helper.uses_external_data(tensor):
            info = external_data_helper.ExternalDataInfo(tensor)
            if not (path.parent / info.location).is_file():
                missing.append(info.location)
    if missing:
        raise ModelError(
            f"{path} stores weights in external data file(s) "
            f"{sorted(set(missing))} that are missing next to it; copy them to "
            f"{path.parent}"
        )
    try:
        external_data_helper.load_external_data_for_model(proto, str(path.parent))
    except Exception as exc:
        raise ModelError(
            f"{path}: cannot read its external data ({exc}); check the data files next to the model"
        ) from exc
    return proto


def _require_loaded_external_data(proto: onnx.ModelProto, where: str) -> None:
    for tensor in external_data_helper._get_all_tensors(proto):
        if external_data_helper.uses_external_data(tensor):
            raise ModelError(
                f"{where} refers to external data ({tensor.name!r}) that is not "
                "loaded; pass the .onnx path instead so the data files are found"
            )


def _check(proto: onnx.ModelProto, where: str) -> None:
    try:
        if proto.ByteSize() < _PROTO_LIMIT:
            onnx.checker.check_model(proto)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{where} is not a valid ONNX model: {first}") from exc


def name_nodes(proto: onnx.ModelProto) -> None:
    """Give unnamed nodes stable, unique names (``<OpType>_<index>``) in place."""
    taken = {n.name for n in proto.graph.node if n.name}
    for index, node in enumerate(proto.graph.node):
        if node.name:
            continue
        name = f"{node.op_type}_{index}"
        while name in taken:
            name += "_"
        node.name = name
        taken.add(name)


def _preprocess(proto: onnx.ModelProto, where: str) -> onnx.ModelProto:
    """ORT's recommended pre-processing (symbolic + ONNX shape inference, graph optimization),
    cached in memory by model content. Falls back to plain shape inference if it fails."""
    data = proto.SerializeToString() if proto.ByteSize() < _PROTO_LIMIT else None
    key = hashlib.sha256(data).hexdigest() if data is not None else None
    if key is not None and key in _PREPROCESS_CACHE:
        _PREPROCESS_CACHE.move_to_end(key)
        return onnx.load_model_from_string(_PREPROCESS_CACHE[key])
    from onnxruntime.quantization.shape_inference import quant_pre_process

    try:
        with tempfile.TemporaryDirectory(prefix="lpot-onnx-") as tmp, _cwd(tmp):
            out = Path(tmp) / "pre.onnx"
            quant_pre_process(proto, out, save_as_external_data=data is None)
            result = onnx.load(str(out))
    except Exception as exc:  # pre-processing is an optimization, not a requirement
        log.warning(
            "%s: ONNX Runtime pre-processing failed (%s); using shape inference only",
            where,
            str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
        )
        try:
            result = onnx.shape_inference.infer_shapes(proto)
        except Exception:
            result = proto
    if key is not None:
        _PREPROCESS_CACHE[key] = result.SerializeToString()
        if len(_PREPROCESS_CACHE) > _PREPROCESS_CACHE_SIZE:
            _PREPROCESS_CACHE.popitem(last=False)
    return result


_CWD_LOCK = threading.Lock()


@contextlib.contextmanager
def _cwd(path: str) -> Iterator[None]:
    """Run in ``path``: ORT's symbolic shape inference drops a debug model into the current
    directory when it cannot infer every shape, and the user's directory must stay clean."""
    with _CWD_LOCK:
        old = os.getcwd()
        os.chdir(path)
        try:
            yield
        finally:
            os.chdir(old)


def save_model(model: OnnxModel, path: Path) -> Path:
    """Write ``model`` to ``path`` with suffix ``.onnx`` atomically (temp file + rename);
    models over 2 GiB get one external data file next to it."""
    dest = Path(path).with_suffix(".onnx")
    dest.parent.mkdir(parents=True, exist_ok=True)
    big = model.proto.ByteSize() >= _PROTO_LIMIT
    tmp = dest.with_name(f".{dest.name}.tmp{os.getpid()}")
    try:
        if big:
            proto = onnx.ModelProto()
            proto.CopyFrom(model.proto)
            onnx.save_model(
                proto,
                str(tmp),
                save_as_external_data=True,
                all_tensors_to_one_file=True,
                location=dest.name + ".data",
            )
        else:
            tmp.write_bytes(model.serialized())
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()
    return dest
