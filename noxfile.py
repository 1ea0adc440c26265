"""One session per environment. `nox` runs the test suite; `nox -s demo` the main job.

torch sessions install with pip (virtualenv backend): pip finds the CPU build of
torch 2.13.0 on this machine's disk, while other resolvers would fetch a CUDA build.
"""

from __future__ import annotations

import os

import nox

nox.options.sessions = ["lint", "core", "core_numpy1", "onnx", "torch"]
nox.options.reuse_existing_virtualenvs = False
nox.options.error_on_missing_interpreters = True

PYTHON = "3.11"
TORCH = "torch==2.13.0"
TORCHAO = "torchao==0.18.*"
PLUGIN_FIXTURE = "tests/fixtures/lpot_example_plugin"
ENV = {"LPOT_CACHE": os.environ.get("LPOT_CACHE", os.path.expanduser("~/.cache/lpot"))}


ZOO_ENV = {**ENV, "PYTHONPATH": "examples"}
#: what the zoo's text model needs besides torch (the tokenizer of MiniLM)
TEXT = ("transformers==5.*", "tokenizers")


def _pytest(session: nox.Session, *paths: str) -> None:
    session.run("pytest", "-q", "-p", "no:cacheprovider", *paths, *session.posargs, env=ENV)


def _fashion_mnist(session: nox.Session) -> None:
    """The official Fashion-MNIST split is a Debian package; install it when we can."""
    if os.path.isdir("/usr/share/datasets/fashion-mnist") or os.environ.get(
        "LPOT_FASHION_MNIST_DIR"
    ):
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        session.run("apt-get", "update", "-qq", external=True)
        session.run("apt-get", "install", "-y", "-qq", "dataset-fashion-mnist", external=True)
    else:
        session.warn("Fashion-MNIST missing: `apt-get install dataset-fashion-mnist` as root")


def _prepare(session: nox.Session, *groups: str) -> None:
    """Fetch and build the zoo assets the tests use (cached in $LPOT_CACHE)."""
    if "fashion" in groups:
        _fashion_mnist(session)
    session.run("python", "-m", "zoo.prepare", *groups, env=ZOO_ENV)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and format check over the whole repo."""
    session.install("ruff==0.17.*")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def core(session: nox.Session) -> None:
    """lpot-core alone (numpy 2.x, no deep-learning framework) + a third-party plugin."""
    session.install(".", "pytest", "pillow")
    session.install(PLUGIN_FIXTURE)
    _pytest(session, "tests/core")


@nox.session(python=PYTHON)
def core_numpy1(session: nox.Session) -> None:
    """lpot-core with numpy 1.23.5, the version the MXNet backend is stuck on."""
    session.install(".", "pytest", "pillow", "numpy==1.23.5")
    session.install(PLUGIN_FIXTURE)
    session.run("python", "-c", "import numpy; assert numpy.__version__ == '1.23.5'")
    _pytest(session, "tests/core")


@nox.session(python=PYTHON)
def onnx(session: nox.Session) -> None:
    """The ONNX Runtime backend on real models (torch only exports the zoo models)."""
    session.install(TORCH)
    session.install(".", "./plugins/lpot_onnx", "pytest", "pillow", *TEXT)
    _prepare(session, "mnist", "imagenet", "fashion", "spam")
    _pytest(session, "tests/zoo", "tests/onnx")


@nox.session(python=PYTHON)
def torch(session: nox.Session) -> None:
    """The PyTorch (PT2E/torchao) backend on real models."""
    session.install(TORCH)
    session.install(TORCHAO, ".", "./plugins/lpot_torch", "pytest", "pillow", *TEXT)
    _prepare(session, "mnist", "imagenet", "fashion", "spam")
    _pytest(session, "tests/torch")


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """The README's main job: tune the pretrained MNIST CNN (ONNX) on real digits."""
    session.install(TORCH)
    session.install(".", "./plugins/lpot_onnx")
    session.run("python", "examples/prepare.py", "mnist", env=ENV)
    session.run("lpot", "quantize", "examples/onnx/mnist/conf.yaml", env=ENV)
    session.run("lpot", "benchmark", "examples/onnx/mnist/conf.yaml", env=ENV)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks: tuner overhead, and the model-zoo table (benchmarks/RESULTS.md)."""
    session.install(TORCH)
    session.install(TORCHAO, ".", "./plugins/lpot_onnx", "./plugins/lpot_torch", "pillow", *TEXT)
    _prepare(session, "mnist", "imagenet", "fashion", "spam")
    session.run("python", "benchmarks/tuner_overhead.py", env=ENV)
    session.run("python", "benchmarks/model_zoo.py", *session.posargs, env=ZOO_ENV)
