"""CPU detection that picks ``reduce_range`` for backends."""

from __future__ import annotations

import pytest

from lpot_core import cpu


@pytest.fixture(autouse=True)
def _fresh_cache():
    cpu.cpu_info.cache_clear()
    yield
    cpu.cpu_info.cache_clear()


def _fake(monkeypatch, machine: str, flags: str | None) -> None:
    monkeypatch.setattr(cpu.platform, "machine", lambda: machine)
    text = None if flags is None else f"model name\t: Test CPU\nflags\t\t: {flags}\n"

    def read_text(self, *args, **kwargs):
        if text is None:
            raise OSError("no /proc here")
        return text

    monkeypatch.setattr(cpu.Path, "read_text", read_text)


@pytest.mark.parametrize(
    ("machine", "flags", "vnni"),
    [
        ("x86_64", "fpu sse avx2 fma", False),
        ("x86_64", "avx2 avx512f avx512_vnni", True),
        ("x86_64", "avx2 avx_vnni", True),
        ("x86_64", None, False),  # unknown x86: assume the worst
        ("aarch64", "fp asimd", True),  # ARM dot products accumulate in 32 bits
    ],
)
def test_reduce_range_only_where_int8_products_can_saturate(monkeypatch, machine, flags, vnni):
    _fake(monkeypatch, machine, flags)
    assert cpu.has_vnni() is vnni
    assert cpu.default_reduce_range() is (not vnni)


def test_cpu_info_reads_model_and_flags(monkeypatch):
    _fake(monkeypatch, "x86_64", "avx2 fma")
    assert cpu.cpu_info() == ("Test CPU", frozenset({"avx2", "fma"}))
