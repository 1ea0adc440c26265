"""Dataloader semantics, datasets, transforms and YAML-driven building."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lpot_core.data import (
    ArrayDataset,
    Cast,
    CenterCrop,
    Compose,
    DataLoader,
    Dummy,
    DummyV2,
    ImageFolder,
    Normalize,
    NumpyFile,
    Rescale,
    Reshape,
    Resize,
    Transpose,
    build_dataloader,
    fingerprint,
)
from lpot_core.errors import ConfigError, DataError
from lpot_core.hookspecs import hookimpl
from lpot_core.plugins import get_plugin_manager


def ids(loader: DataLoader) -> list[list[int]]:
    """One epoch as lists of sample ids (the inputs are the ids)."""
    return [batch[0].tolist() for batch in loader]


def flat(loader: DataLoader) -> list[int]:
    """One epoch's sample ids in order."""
    return [i for batch in ids(loader) for i in batch]


def counting(n: int = 10, **kwargs: Any) -> DataLoader:
    return DataLoader.from_arrays(np.arange(n), np.arange(n) * 10, **kwargs)


def test_keep_discard_rollover_orders() -> None:
    keep = counting(batch_size=4)
    assert len(keep) == 3
    assert ids(keep) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    discard = counting(batch_size=4, last_batch="discard")
    assert len(discard) == 2
    assert ids(discard) == ids(discard) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    roll = counting(batch_size=4, last_batch="rollover")
    assert (len(roll), ids(roll)) == (2, [[0, 1, 2, 3], [4, 5, 6, 7]])
    assert len(roll) == 3  # 8 and 9 wait for the next epoch
    assert ids(roll) == [[8, 9, 0, 1], [2, 3, 4, 5], [6, 7, 8, 9]]
    assert (len(roll), ids(roll)) == (2, [[0, 1, 2, 3], [4, 5, 6, 7]])


def test_labels_follow_inputs_and_early_stop_rolls_nothing_over() -> None:
    roll = counting(batch_size=4, last_batch="rollover")
    inputs, labels = next(iter(roll))
    np.testing.assert_array_equal(labels, inputs * 10)
    assert ids(roll)[0] == [0, 1, 2, 3]  # the abandoned epoch left nothing behind


def test_shuffle_is_deterministic_under_seed() -> None:
    a = counting(batch_size=3, shuffle=True, seed=7)
    b = counting(batch_size=3, shuffle=True, seed=7)
    epochs_a = [flat(a) for _ in range(2)]
    assert epochs_a == [flat(b) for _ in range(2)]
    assert all(sorted(e) == list(range(10)) for e in epochs_a)
    assert epochs_a[0] != epochs_a[1]  # a new permutation each epoch
    assert epochs_a[0] != flat(counting(batch_size=3, shuffle=True, seed=8))


def test_dict_and_tuple_inputs_collate_per_element() -> None:
    ids_ = np.arange(12).reshape(6, 2)
    loader = DataLoader.from_arrays(
        {"input_ids": ids_, "mask": ids_ > 3}, np.arange(6), batch_size=4
    )
    (first, labels), (second, _) = list(loader)
    assert set(first) == {"input_ids", "mask"}
    np.testing.assert_array_equal(first["input_ids"], ids_[:4])
    assert second["mask"].shape == (2, 2) and second["mask"].dtype == bool
    np.testing.assert_array_equal(labels, [0, 1, 2, 3])
    tup = DataLoader.from_arrays((np.zeros((5, 3)), np.ones((5, 2, 2))), batch_size=5)
    inputs, labels = next(iter(tup))
    assert isinstance(inputs, tuple) and [x.shape for x in inputs] == [(5, 3), (5, 2, 2)]
    assert labels is None


def test_non_numeric_labels_stay_a_list() -> None:
    data = [(np.zeros(2), "cat"), (np.ones(2), "dog")]
    inputs, labels = next(iter(DataLoader(data, batch_size=2)))
    assert inputs.shape == (2, 2) and labels == ["cat", "dog"]


def test_mismatched_samples_name_index_and_shapes() -> None:
    data = [(np.zeros(3), 0), (np.zeros(3), 0), (np.zeros(4), 1)]
    with pytest.raises(
        DataError,
        match=r"sample 2 does not match sample 0 at inputs: "
        r"shape \(4,\) vs shape \(3,\)",
    ):
        list(DataLoader(data, batch_size=3))
    keyed = [({"a": np.zeros(1)}, 0), ({"b": np.zeros(1)}, 0)]
    with pytest.raises(DataError, match=r"sample 1 .*\['b'\] vs .*\['a'\]"):
        list(DataLoader(keyed, batch_size=2))
    nested = [((np.zeros(2), np.zeros(2)), 0), ((np.zeros(2), np.zeros(5)), 0)]
    with pytest.raises(DataError, match=r"inputs\[1\]: shape \(5,\)"):
        list(DataLoader(nested, batch_size=2))


def test_argument_validation() -> None:
    with pytest.raises(DataError, match="empty"):
        DataLoader([], batch_size=1)
    with pytest.raises(DataError, match="empty"):
        DataLoader.from_arrays(np.zeros((0, 3)))
    for bad in (0, -1, "2", 1.5, True):
        with pytest.raises(ConfigError, match="batch_size must be a positive integer"):
            DataLoader([(1, 1)], batch_size=bad)
    with pytest.raises(ConfigError, match="keep, rollover, discard"):
        DataLoader([(1, 1)], last_batch="drop")
    with pytest.raises(ConfigError, match="larger than the dataset"):
        DataLoader([(1, 1)], batch_size=2, last_batch="discard")
    with pytest.raises(DataError, match="differ in their number of samples"):
        ArrayDataset({"a": np.zeros((3, 1)), "b": np.zeros((4, 1))})
    with pytest.raises(DataError, match="must support len"):
        DataLoader(iter([(1, 1)]))


def test_numpy_file(tmp_path: Path) -> None:
    x, y = np.arange(12.0).reshape(6, 2), np.arange(6)
    np.savez(tmp_path / "d.npz", x=x, y=y, z=x * 2)
    ds = NumpyFile(tmp_path / "d.npz")
    assert len(ds) == 6
    np.testing.assert_array_equal(ds[4][0], x[4])
    assert ds[4][1] == 4
    multi = NumpyFile(tmp_path / "d.npz", inputs=["x", "z"], labels=None)
    sample, label = multi[1]
    assert label is None and sample["z"].tolist() == [4.0, 6.0]
    with pytest.raises(DataError, match=r"no array 'label'.*x, y, z"):
        NumpyFile(tmp_path / "d.npz", labels="label")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    npy = NumpyFile(tmp_path / "x.npy", labels="y.npy")
    assert len(npy) == 6 and npy[-1][1] == 5

    # not numpy at all, or cut short: one line, no invitation to unpickle
    (tmp_path / "text.npz").write_text("not numpy")
    with pytest.raises(DataError, match=r"text.npz is not a readable numpy .npz file \(no .npy"):
        NumpyFile(tmp_path / "text.npz")
    (tmp_path / "cut.npz").write_bytes((tmp_path / "d.npz").read_bytes()[:60])
    with pytest.raises(DataError, match=r"cut.npz is not a readable numpy .npz file"):
        NumpyFile(tmp_path / "cut.npz")


def test_dummy_is_deterministic_and_in_range() -> None:
    ds = Dummy(shape=[5, 2, 3], low=-1.0, high=1.0)
    assert len(ds) == 5
    x, label = ds[3]
    assert x.shape == (2, 3) and x.dtype == np.float32 and label == 0
    assert np.all((x >= -1) & (x < 1))
    np.testing.assert_array_equal(x, Dummy(shape=[5, 2, 3], low=-1.0, high=1.0)[3][0])
    assert not np.array_equal(ds[2][0], x)
    multi = Dummy(shape=[[4, 3], [4, 2, 2]], dtype=["float32", "uint8"], label=False)
    (a, b), label = multi[0]
    assert a.shape == (3,) and b.shape == (2, 2) and b.dtype == np.uint8 and label is None
    assert b.max() <= 127  # [-128, 127] clipped to uint8's range is [0, 127]
    with pytest.raises(ConfigError, match="first dimension"):
        Dummy(shape=[[4, 3], [5, 3]])
    with pytest.raises(ConfigError, match="2 values for 1 tensors"):
        Dummy(shape=[4, 3], low=[0.0, 1.0])


def test_dummy_v2() -> None:
    ds = DummyV2(
        input_shape=[4, 4],
        label_shape=[1],
        low=[0.0, 0.0],
        high=[1.0, 10.0],
        dtype=["float32", "int64"],
        length=6,
    )
    assert len(ds) == 6
    x, y = ds[5]
    assert x.shape == (4, 4) and y.shape == (1,) and y.dtype == np.int64
    assert 0 <= y[0] <= 10
    batch = next(iter(DataLoader(ds, batch_size=6)))
    assert batch[0].shape == (6, 4, 4) and batch[1].shape == (6, 1)


def test_image_folder(tmp_path: Path) -> None:
    image = pytest.importorskip("PIL.Image")
    for cls, value in (("dog", 200), ("cat", 10)):
        (tmp_path / cls).mkdir()
        image.fromarray(np.full((4, 6, 3), value, np.uint8)).save(tmp_path / cls / "a.png")
    image.fromarray(np.full((4, 6), 77, np.uint8), mode="L").save(tmp_path / "cat" / "b.png")
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    ds = ImageFolder(tmp_path)
    assert ds.classes == ["cat", "dog"] and len(ds) == 3
    samples = [ds[i] for i in range(3)]
    assert [label for _, label in samples] == [0, 0, 1]
    assert all(x.shape == (4, 6, 3) and x.dtype == np.uint8 for x, _ in samples)
    assert [int(x[0, 0, 0]) for x, _ in samples] == [10, 77, 200]
    with pytest.raises(DataError, match="no images"):
        ImageFolder(tmp_path / "cat")


def test_resize_bilinear_and_nearest() -> None:
    img = np.array([[0.0, 10.0], [20.0, 30.0]], np.float32)
    # half-pixel centres sample the source at 0, .25, .75, 1 (clipped); the image is
    # linear, so bilinear interpolation reproduces it exactly there
    s = np.array([0.0, 0.25, 0.75, 1.0])
    up, _ = Resize(4)((img, None))
    np.testing.assert_allclose(up, 20 * s[:, None] + 10 * s[None, :], atol=1e-5)
    down, _ = Resize([1, 2])((np.arange(8.0).reshape(2, 4)[..., None], None))
    np.testing.assert_allclose(down[..., 0], [[2.5, 4.5]])  # means of 2x2 blocks
    near, _ = Resize(4, interpolation="nearest")((img, None))
    np.testing.assert_array_equal(near, img.repeat(2, 0).repeat(2, 1))
    u8, _ = Resize(3)((np.array([[0, 255]], np.uint8), None))
    assert u8.dtype == np.uint8 and u8.shape == (3, 3)
    wide, _ = Resize(2, keep_ratio=True)((np.zeros((4, 8, 3)), None))
    assert wide.shape == (2, 4, 3)
    with pytest.raises(ConfigError, match="interpolation"):
        Resize(4, interpolation="bicubic")


def test_crop_normalize_and_friends() -> None:
    grid = np.arange(25).reshape(5, 5)
    crop, label = CenterCrop(3)((grid, 7))
    assert label == 7
    np.testing.assert_array_equal(crop, grid[1:4, 1:4])
    with pytest.raises(DataError, match="larger than the image"):
        CenterCrop(6)((grid, 0))
    hwc = np.stack([np.full((2, 2), v, np.float32) for v in (3.0, 4.0, 5.0)], axis=-1)
    norm, _ = Normalize(mean=[1, 2, 3], std=[2, 2, 4])((hwc, None))
    np.testing.assert_allclose(norm[0, 0], [1.0, 1.0, 0.5])
    with pytest.raises(ConfigError, match="non-zero"):
        Normalize(std=[0.0])
    pipeline = Compose([Rescale(), Normalize(mean=[0.5], std=[0.5]), Transpose([2, 0, 1])])
    out, _ = pipeline((np.full((2, 3, 3), 255, np.uint8), None))
    assert out.shape == (3, 2, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out, 1.0)
    multi, _ = Cast("float16")(({"a": np.arange(3)}, None))
    assert multi["a"].dtype == np.float16
    flat, _ = Reshape([-1])((np.zeros((2, 3)), None))
    assert flat.shape == (6,)


def _cfg(
    dataset: Any, transform: tuple = (), batch_size: int = 4, last_batch: str = "rollover"
) -> Any:
    return types.SimpleNamespace(
        batch_size=batch_size,
        last_batch=last_batch,
        shuffle=False,
        dataset=dataset,
        transform=transform,
    )


def test_build_dataloader_through_the_plugin_manager() -> None:
    pm = get_plugin_manager()
    cfg = _cfg(
        ("dummy", {"shape": [10, 4, 4, 3], "low": 0, "high": 255, "dtype": "uint8"}),
        (("Rescale", {}), ("Transpose", {"perm": [2, 0, 1]})),
    )
    loader = build_dataloader(cfg, pm)
    batches = list(loader)
    assert len(batches) == 2 and loader.last_batch == "rollover"
    x, y = batches[0]
    assert x.shape == (4, 3, 4, 4) and x.dtype == np.float32
    assert x.min() >= 0.0 and x.max() <= 1.0 and y.tolist() == [0, 0, 0, 0]
    raw = Dummy(shape=[10, 4, 4, 3], low=0, high=255, dtype="uint8")[1][0]
    np.testing.assert_allclose(x[1], np.transpose(raw / 255.0, (2, 0, 1)), rtol=1e-6)


def test_build_dataloader_errors() -> None:
    pm = get_plugin_manager()
    with pytest.raises(ConfigError, match="unknown dataset 'dumy'; did you mean 'dummy'"):
        build_dataloader(_cfg(("dumy", {"shape": [4, 2]})), pm)
    with pytest.raises(ConfigError, match=r"dataset 'dummy' cannot be built.*shape \(required\)"):
        build_dataloader(_cfg(("dummy", {"shapes": [4, 2]})), pm)
    with pytest.raises(ConfigError, match="did you mean 'Resize'"):
        build_dataloader(_cfg(("dummy", {"shape": [4, 2]}), (("Resise", {"size": 2}),)), pm)
    with pytest.raises(ConfigError, match="dataset is missing"):
        build_dataloader(_cfg(None), pm)


def test_build_dataloader_uses_plugin_datasets() -> None:
    class Plugin:
        @staticmethod
        @hookimpl
        def lpot_register_dataloaders(register: Any) -> None:
            register("squares", lambda n=3: [(np.array([i * i]), i) for i in range(n)])

    pm = get_plugin_manager()
    pm.register(Plugin(), name="squares-plugin")
    loader = build_dataloader(_cfg(("squares", {"n": 5}), batch_size=2, last_batch="keep"), pm)
    assert ids(loader) == [[[0], [1]], [[4], [9]], [[16]]]


def test_fingerprint() -> None:
    a, b = counting(batch_size=4, last_batch="rollover"), counting(batch_size=4)
    fa = fingerprint(a)
    assert fa == fingerprint(counting(batch_size=4, last_batch="rollover"))
    assert fa.startswith("2-") and fa != fingerprint(b)
    assert (
        fingerprint(DataLoader.from_arrays(np.arange(1, 11), batch_size=4, last_batch="rollover"))
        != fa
    )
    list(a)  # leaves 8, 9 to roll over; fingerprinting must not touch that state
    assert fingerprint(a) == "3-" + fa[2:] and len(a) == 3
    foreign = [(np.zeros((2, 2)), np.array([0, 1])), (np.ones((2, 2)), np.array([1, 0]))]
    assert fingerprint(foreign) == fingerprint(list(foreign))
    assert fingerprint(foreign).startswith("2-")
    assert fingerprint(iter(foreign)) == "unknown"  # never eats a one-shot iterator
    assert fingerprint(object()) == "unknown"
