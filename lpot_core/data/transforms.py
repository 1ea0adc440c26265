"""Per-sample transforms under LPOT's names. Pure numpy (no Pillow, no cv2).

Each transform is called with one ``(inputs, label)`` pair and returns the new pair;
it changes the inputs and passes the label through. Images are HWC (or HW) arrays.
Inputs that are a tuple or dict of arrays are transformed array by array.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from lpot_core.errors import ConfigError, DataError

Sample = tuple[Any, Any]


class ArrayTransform:
    """Base class: subclasses implement ``apply(array) -> array``."""

    def apply(self, array: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, sample: Sample) -> Sample:
        inputs, label = sample
        return _map(inputs, self.apply), label

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


def _map(inputs: Any, fn: Callable[[np.ndarray], np.ndarray]) -> Any:
    if isinstance(inputs, Mapping):
        return {k: _map(v, fn) for k, v in inputs.items()}
    if isinstance(inputs, (tuple, list)):
        return tuple(_map(v, fn) for v in inputs)
    return fn(np.asarray(inputs))


def _pair(size: Any, what: str) -> tuple[int, int]:
    """``size`` as (height, width): an int is square, a 1-list too."""
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size = (int(size), int(size))
    elif isinstance(size, (list, tuple)) and len(size) == 1:
        size = (int(size[0]), int(size[0]))
    if (
        not isinstance(size, (list, tuple))
        or len(size) != 2
        or not all(isinstance(s, (int, np.integer)) and s > 0 for s in size)
    ):
        raise ConfigError(f"{what} size must be a positive int or [height, width], got {size!r}")
    return int(size[0]), int(size[1])


def _image(array: np.ndarray, what: str) -> np.ndarray:
    if array.ndim not in (2, 3):
        raise DataError(
            f"{what} expects an HWC or HW image, got shape {array.shape}; "
            "use Transpose to move channels last first"
        )
    return array


class Resize(ArrayTransform):
    """Resize an HWC/HW image to ``size`` (int: square, or [height, width]).

    ``interpolation`` is ``"bilinear"`` (half-pixel centres, as OpenCV's INTER_LINEAR;
    no antialiasing) or ``"nearest"``. With ``keep_ratio=True`` an int ``size`` sets
    the shorter side and keeps the aspect ratio (torchvision's Resize(int)).
    Integer images are rounded and clipped back to their dtype.
    """

    def __init__(
        self, size: Any, interpolation: str = "bilinear", keep_ratio: bool = False
    ) -> None:
        if interpolation not in ("bilinear", "nearest"):
            raise ConfigError(
                f"Resize interpolation must be 'bilinear' or 'nearest', got {interpolation!r}"
            )
        self.size = _pair(size, "Resize")
        self.interpolation = interpolation
        self.keep_ratio = bool(keep_ratio) and not isinstance(size, (list, tuple))

    def _target(self, h: int, w: int) -> tuple[int, int]:
        if not self.keep_ratio:
            return self.size
        short = self.size[0]
        if h <= w:
            return short, max(1, round(w * short / h))
        return max(1, round(h * short / w)), short

    def apply(self, array: np.ndarray) -> np.ndarray:
        img = _image(array, "Resize")
        h, w = img.shape[:2]
        oh, ow = self._target(h, w)
        if (oh, ow) == (h, w):
            return img
        if self.interpolation == "nearest":
            ys = np.minimum(((np.arange(oh) + 0.5) * h / oh).astype(np.int64), h - 1)
            xs = np.minimum(((np.arange(ow) + 0.5) * w / ow).astype(np.int64), w - 1)
            return img[ys][:, xs]
        y0, y1, wy = _axis_weights(h, oh)
        x0, x1, wx = _axis_weights(w, ow)
        f = img.astype(np.float32)
        if f.ndim == 3:
            wy, wx = wy[:, None, None], wx[None, :, None]
        else:
            wy, wx = wy[:, None], wx[None, :]
        top = f[y0][:, x0] * (1 - wx) + f[y0][:, x1] * wx
        bottom = f[y1][:, x0] * (1 - wx) + f[y1][:, x1] * wx
        out = top * (1 - wy) + bottom * wy
        if img.dtype.kind in "iu":
            info = np.iinfo(img.dtype)
            return np.clip(np.rint(out), info.min, info.max).astype(img.dtype)
        return out.astype(img.dtype) if img.dtype.kind == "f" else out


def _axis_weights(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source indices and weights for linear interpolation along one axis."""
    src = (np.arange(n_out, dtype=np.float64) + 0.5) * n_in / n_out - 0.5
    src = np.clip(src, 0, n_in - 1)
    lo = np.floor(src).astype(np.int64)
    hi = np.minimum(lo + 1, n_in - 1)
    return lo, hi, (src - lo).astype(np.float32)


class CenterCrop(ArrayTransform):
    """Crop the centre ``size`` (int: square, or [height, width]) of an HWC/HW image."""

    def __init__(self, size: Any) -> None:
        self.size = _pair(size, "CenterCrop")

    def apply(self, array: np.ndarray) -> np.ndarray:
        img = _image(array, "CenterCrop")
        h, w = img.shape[:2]
        ch, cw = self.size
        if ch > h or cw > w:
            raise DataError(
                f"CenterCrop size {ch}x{cw} is larger than the image ({h}x{w}); "
                "Resize first or crop smaller"
            )
        top, left = (h - ch) // 2, (w - cw) // 2
        return img[top : top + ch, left : left + cw]


class Normalize(ArrayTransform):
    """``(x - mean) / std`` per channel (last axis), in float32."""

    def __init__(self, mean: Any = (0.0,), std: Any = (1.0,)) -> None:
        self.mean = np.asarray(mean, dtype=np.float32).reshape(-1)
        self.std = np.asarray(std, dtype=np.float32).reshape(-1)
        if not self.std.size or np.any(self.std == 0):
            raise ConfigError(f"Normalize std must be non-zero, got {std!r}")

    def apply(self, array: np.ndarray) -> np.ndarray:
        channels = array.shape[-1] if array.ndim else 1
        for name, v in (("mean", self.mean), ("std", self.std)):
            if v.size not in (1, channels):
                raise DataError(
                    f"Normalize {name} has {v.size} values but the input has "
                    f"{channels} channels on its last axis (shape {array.shape})"
                )
        return ((array.astype(np.float32) - self.mean) / self.std).astype(np.float32)


class Rescale(ArrayTransform):
    """Scale 8-bit pixel values to [0, 1]: ``x / 255`` in float32."""

    def apply(self, array: np.ndarray) -> np.ndarray:
        return array.astype(np.float32) / np.float32(255.0)


class Transpose(ArrayTransform):
    """Permute axes, e.g. ``perm=[2, 0, 1]`` turns HWC into CHW."""

    def __init__(self, perm: Sequence[int]) -> None:
        self.perm = tuple(int(p) for p in perm)
        if sorted(self.perm) != list(range(len(self.perm))):
            raise ConfigError(f"Transpose perm must be a permutation of 0..n-1, got {perm!r}")

    def apply(self, array: np.ndarray) -> np.ndarray:
        if array.ndim != len(self.perm):
            raise DataError(
                f"Transpose perm {list(self.perm)} needs a {len(self.perm)}-d "
                f"input, got shape {array.shape}"
            )
        return np.transpose(array, self.perm)


class Cast(ArrayTransform):
    """Convert to ``dtype`` (default float32)."""

    def __init__(self, dtype: str = "float32") -> None:
        try:
            self.dtype = np.dtype(dtype)
        except TypeError as exc:
            raise ConfigError(f"Cast: unknown dtype {dtype!r}") from exc

    def apply(self, array: np.ndarray) -> np.ndarray:
        return array.astype(self.dtype)


class Reshape(ArrayTransform):
    """Reshape to ``shape`` (one dimension may be -1)."""

    def __init__(self, shape: Sequence[int]) -> None:
        self.shape = tuple(int(s) for s in shape)

    def apply(self, array: np.ndarray) -> np.ndarray:
        try:
            return array.reshape(self.shape)
        except ValueError as exc:
            raise DataError(
                f"Reshape: cannot reshape {array.shape} to {list(self.shape)}: {exc}"
            ) from exc


class ToArray(ArrayTransform):
    """Turn the inputs (a PIL image, a list, a tensor) into numpy arrays."""

    def apply(self, array: np.ndarray) -> np.ndarray:
        return array


class Compose:
    """Apply transforms in order."""

    def __init__(self, transforms: Sequence[Callable[[Sample], Sample]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, sample: Sample) -> Sample:
        for t in self.transforms:
            sample = t(sample)
        return sample

    def __repr__(self) -> str:
        return f"Compose({self.transforms!r})"


#: LPOT name -> factory.
BUILTIN_TRANSFORMS: dict[str, Callable[..., Any]] = {
    "Resize": Resize,
    "CenterCrop": CenterCrop,
    "Normalize": Normalize,
    "Rescale": Rescale,
    "Transpose": Transpose,
    "Cast": Cast,
    "Reshape": Reshape,
    "ToArray": ToArray,
}
