"""Shared fixtures: the shipped synthetic sample, the real file when present, small inline files."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Tests never touch the user's tracking store: every run, registered model and artifact of the
# session (notebook kernels and CLI subprocesses inherit the variable) goes to a scratch store,
# removed at the end. A test that needs its own store sets the variable itself.
SCRATCH = Path(tempfile.mkdtemp(prefix="datajobs-tests-"))
os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{SCRATCH / 'mlflow.db'}"

from datajobs import config  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def scratch_store_and_outputs():
    """Remove the scratch store and the ``outputs/test-*`` folders the book tests build into."""
    before = set(config.OUTPUTS_DIR.glob("test-*")) if config.OUTPUTS_DIR.is_dir() else set()
    yield SCRATCH
    shutil.rmtree(SCRATCH, ignore_errors=True)
    if config.OUTPUTS_DIR.is_dir():
        for folder in set(config.OUTPUTS_DIR.glob("test-*")) - before:
            shutil.rmtree(folder, ignore_errors=True)
        if not any(config.OUTPUTS_DIR.iterdir()):
            config.OUTPUTS_DIR.rmdir()


@pytest.fixture(scope="session")
def sample_path() -> Path:
    assert config.SAMPLE_DATA_PATH.is_file(), "the synthetic sample ships with the repository"
    return config.SAMPLE_DATA_PATH


@pytest.fixture(scope="session")
def profiles(sample_path):
    """The sample as the loader returns it (canonical frame); tests must not modify it."""
    from datajobs.data.loading import load_profiles

    return load_profiles(sample_path).frame


@pytest.fixture(scope="session")
def real_path() -> Path:
    if not config.REAL_DATA_PATH.is_file():
        pytest.skip("real data ../shared/data/dataset_train_test.csv is absent")
    return config.REAL_DATA_PATH


def build_quick_book(name: str, data_path, environment: dict[str, str]):
    """Execute every notebook (quick profile) and build the HTML into outputs/test-<name>/."""
    from datajobs.publishing.run import run_book

    outputs = config.OUTPUTS_DIR / f"test-{name}"
    shutil.rmtree(outputs, ignore_errors=True)
    with pytest.MonkeyPatch.context() as patch:
        for key, value in environment.items():
            patch.setenv(key, value)  # papermill's kernels inherit the environment
        html = run_book(data_path, profile="quick", outputs_dir=outputs, build_parent=outputs, log=lambda _: None)
    return outputs, html


@pytest.fixture(scope="session")
def tracking_store(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('book-mlflow') / 'mlflow.db'}"


@pytest.fixture(scope="session")
def sample_book(sample_path, tracking_store):
    """The book built once per session on the sample: (outputs folder, HTML folder). Slow."""
    return build_quick_book("sample", sample_path, {"MLFLOW_TRACKING_URI": tracking_store, "DATAJOBS_TRACKING": "on"})


@pytest.fixture
def write_csv(tmp_path):
    """Write text (or bytes) to a file and return its path."""

    def write(content: str | bytes, name: str = "profiles.csv") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
        return path

    return write


FAST_PARAMS = {"iterations": 60, "depth": 4, "learning_rate": 0.2}


@pytest.fixture(scope="session")
def fast_model(sample_path):
    """A small CatBoost profile model trained on the sample (seconds, not a minute)."""
    from datajobs.data.loading import load_profiles
    from datajobs.model.train import fit_profile_model

    return fit_profile_model(load_profiles(sample_path).frame, params=FAST_PARAMS, seed=7)
