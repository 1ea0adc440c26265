"""In-memory, file and generated datasets. Each item is an ``(inputs, label)`` pair."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lpot_core.errors import DataError
from lpot_core.paths import expand

Transform = Callable[[tuple[Any, Any]], tuple[Any, Any]]


class Dataset:
    """Base of the built-in datasets: ``len()``, indexing, and an optional per-sample
    ``transform`` applied to each ``(inputs, label)`` pair (LPOT's ``transform=``)."""

    def __init__(self, transform: Transform | None = None) -> None:
        self.transform = transform

    def __len__(self) -> int:
        raise NotImplementedError

    def _load(self, index: int) -> tuple[Any, Any]:
        raise NotImplementedError

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        size = len(self)
        if not -size <= index < size:
            raise IndexError(f"{type(self).__name__} index {index} out of range ({size} items)")
        sample = self._load(index % size)
        return self.transform(sample) if self.transform is not None else sample


class TransformedDataset(Dataset):
    """Any sized, indexable dataset with a transform applied to every item."""

    def __init__(self, dataset: Any, transform: Transform) -> None:
        super().__init__(transform)
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def _load(self, index: int) -> tuple[Any, Any]:
        from lpot_core.data.collate import split_sample

        return split_sample(self.dataset[index], index)


def _first_dims(inputs: Any, what: str) -> dict[str, int]:
    """First dimension of every array in an array / tuple / dict structure."""
    if isinstance(inputs, Mapping):
        items = [(f"{what}[{k!r}]", v) for k, v in inputs.items()]
    elif isinstance(inputs, (tuple, list)):
        items = [(f"{what}[{i}]", v) for i, v in enumerate(inputs)]
    else:
        items = [(what, inputs)]
    if not items:
        raise DataError(f"{what} is an empty {type(inputs).__name__}; give at least one array")
    dims = {}
    for name, value in items:
        shape = np.shape(value)
        if not shape:
            raise DataError(f"{name} is a scalar; arrays need a first (sample) dimension")
        dims[name] = shape[0]
    return dims


class ArrayDataset(Dataset):
    """Samples from in-memory arrays: ``inputs`` is an array, a tuple/list of arrays
    (multi-input models) or a dict of named arrays, all with the same first
    dimension; ``labels`` an array of that length or ``None`` (unlabeled)."""

    def __init__(self, inputs: Any, labels: Any = None, transform: Transform | None = None) -> None:
        super().__init__(transform)
        dims = _first_dims(inputs, "inputs")
        if labels is not None:
            if not np.ndim(labels):
                raise DataError("labels is a scalar; give one label per sample")
            dims["labels"] = len(labels)
        if len(set(dims.values())) > 1:
            listing = ", ".join(f"{k}: {v}" for k, v in dims.items())
            raise DataError(
                f"ArrayDataset arrays differ in their number of samples ({listing}); "
                "every array's first dimension must be the sample count"
            )
        self.inputs = inputs
        self.labels = labels
        self._size = next(iter(dims.values()))

    def __len__(self) -> int:
        return self._size

    def _load(self, index: int) -> tuple[Any, Any]:
        x = self.inputs
        if isinstance(x, Mapping):
            sample: Any = {k: v[index] for k, v in x.items()}
        elif isinstance(x, (tuple, list)):
            sample = tuple(v[index] for v in x)
        else:
            sample = x[index]
        return sample, None if self.labels is None else self.labels[index]


class NumpyFile(ArrayDataset):
    """Samples from a ``.npz`` archive (``inputs``: a key, or a list of keys giving a
    dict of named inputs; ``labels``: a key or ``None``) or a ``.npy`` array (whole
    file = inputs; ``labels`` may name another ``.npy`` file, relative paths resolved
    next to the inputs). ``.npy`` files are memory-mapped, not read into memory."""

    def __init__(
        self,
        path: str | Path,
        inputs: str | Sequence[str] = "x",
        labels: str | None = "y",
        transform: Transform | None = None,
    ) -> None:
        path = Path(expand(path, "NumpyFile.path"))
        if not path.is_file():
            raise DataError(f"NumpyFile: {path} does not exist or is not a file")
        if path.suffix == ".npy":
            x: Any = _np_load(path, mmap_mode="r")
            y = None
            if labels is not None and str(labels).endswith(".npy"):
                lpath = Path(labels).expanduser()
                lpath = lpath if lpath.is_absolute() else path.parent / lpath
                if not lpath.is_file():
                    raise DataError(f"NumpyFile: labels file {lpath} does not exist")
                y = _np_load(lpath, mmap_mode="r")
        elif path.suffix == ".npz":
            with _np_load(path) as archive:
                keys = list(archive.files)

                def get(key: str, what: str) -> np.ndarray:
                    if key not in keys:
                        alt = " or to null" if what == "labels" else ""
                        raise DataError(
                            f"NumpyFile: {path.name} has no array {key!r} for "
                            f"{what}; it holds {', '.join(keys)}. Set {what}= "
                            f"to one of them{alt}"
                        )
                    return archive[key]

                x = (
                    get(inputs, "inputs")
                    if isinstance(inputs, str)
                    else {k: get(k, "inputs") for k in inputs}
                )
                y = get(labels, "labels") if labels is not None else None
        else:
            raise DataError(f"NumpyFile: {path.name} is neither .npz nor .npy")
        self.path = path
        super().__init__(x, y, transform)


def _np_load(path: Path, **kwargs: Any) -> Any:
    """``np.load`` without pickles; a file that is not a numpy array or archive is a
    DataError (numpy's own message suggests enabling ``allow_pickle``, which is unsafe)."""
    with path.open("rb") as f:
        magic = f.read(6)
    if magic[:2] != b"PK" and magic != b"\x93NUMPY":
        reason = "no .npy or .npz signature at its start"
    else:
        try:
            return np.load(path, allow_pickle=False, **kwargs)
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
            reason = str(exc).split(".")[0] or type(exc).__name__
    raise DataError(
        f"NumpyFile: {path} is not a readable numpy {path.suffix} file ({reason}); "
        "write it with numpy.save / numpy.savez"
    )


IMAGE_EXTENSIONS = (
    ".jpg",
    ".jpeg",
    ".png",
    ".bmp",
    ".ppm",
    ".pgm",
    ".gif",
    ".tif",
    ".tiff",
    ".webp",
)


class ImageFolder(Dataset):
    """Images in class subfolders (LPOT ``ImageFolder``): ``root/<class>/<image>``.

    Class folders sorted by name give label indices 0, 1, ...; ``classes`` lists them.
    Items are ``(HWC uint8 array, label)``; ``mode`` converts every image (``"RGB"``
    by default so grayscale and palette images batch with colour ones; ``None``
    keeps each file's own mode). Decoding needs Pillow (``pip install pillow``).
    """

    def __init__(
        self,
        root: str | Path,
        transform: Transform | None = None,
        mode: str | None = "RGB",
        extensions: Sequence[str] = IMAGE_EXTENSIONS,
    ) -> None:
        super().__init__(transform)
        root = Path(expand(root, "ImageFolder.root"))
        if not root.is_dir():
            raise DataError(f"ImageFolder: root {root} is not a directory")
        _pillow()  # fail at construction, not at the first batch
        exts = tuple(e.lower() for e in extensions)
        self.classes = sorted(p.name for p in root.iterdir() if p.is_dir())
        self.samples: list[tuple[Path, int]] = []
        for label, name in enumerate(self.classes):
            files = sorted(
                p for p in (root / name).rglob("*") if p.is_file() and p.suffix.lower() in exts
            )
            self.samples.extend((f, label) for f in files)
        if not self.samples:
            raise DataError(
                f"ImageFolder: no images ({', '.join(exts)}) in class subfolders "
                f"of {root}; expected root/<class name>/<image file>"
            )
        self.root = root
        self.mode = mode

    def __len__(self) -> int:
        return len(self.samples)

    def _load(self, index: int) -> tuple[Any, Any]:
        path, label = self.samples[index]
        try:
            with _pillow().open(path) as image:
                if self.mode is not None and image.mode != self.mode:
                    image = image.convert(self.mode)
                return np.asarray(image), label
        except OSError as exc:
            raise DataError(f"ImageFolder: cannot decode {path}: {exc}") from exc


def _pillow() -> Any:
    try:
        from PIL import Image
    except ImportError as exc:
        raise DataError("ImageFolder needs Pillow to decode images: pip install pillow") from exc
    return Image
