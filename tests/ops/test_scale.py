"""Scale-out on Dask: a LocalCluster of two worker processes on 127.0.0.1, started by the test,
gives the same results as this machine (scoring, model comparison, tuning)."""

from __future__ import annotations

import pytest

distributed = pytest.importorskip("distributed")

from datajobs.cli.main import main  # noqa: E402
from datajobs.data import DataFileError, load_profiles  # noqa: E402
from datajobs.model.candidates import make_model  # noqa: E402
from datajobs.model.evaluate import cross_validate_configurations  # noqa: E402
from datajobs.ops.dask_scoring import expand_inputs, score_files_on_dask  # noqa: E402
from datajobs.ops.scoring import predict_file  # noqa: E402
from tests.ops.test_scoring import messy_batch_text  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as local:
        yield local


@pytest.fixture()
def no_cache(monkeypatch):
    monkeypatch.setenv("DATAJOBS_CACHE_DIR", "off")


def test_dask_scoring_writes_the_same_bytes_in_input_order(cluster, fast_model, tmp_path):
    model_dir = fast_model.save(tmp_path / "model")
    sources = []
    for number in range(2):
        source = tmp_path / f"batch_{number}.csv"
        source.write_text(messy_batch_text(2500, seed=20 + number), encoding="utf-8", newline="")
        sources.append(source)
    expected = [tmp_path / f"local_{number}.csv" for number in range(2)]
    for source, target in zip(sources, expected, strict=True):
        predict_file(fast_model, source, target)
    # One file per input, pieces much smaller than a file so that many run at once.
    folder = tmp_path / "scored"
    folder.mkdir()
    summary = score_files_on_dask(model_dir, expand_inputs(str(tmp_path / "batch_*.csv")), folder,
                                  cluster.scheduler_address, one_file_per_input=True, chunk_bytes=15_000)
    for source, local in zip(sources, expected, strict=True):
        assert (folder / source.name).read_bytes() == local.read_bytes()
    assert summary.rows == 5000 and summary.flagged > 0 and summary.unscored > 0
    # Both inputs into one file: the second file's rows follow the first's, header once.
    combined = tmp_path / "combined.csv"
    score_files_on_dask(model_dir, sources, combined, cluster.scheduler_address, chunk_bytes=15_000)
    first, second = (path.read_text(encoding="utf-8") for path in expected)
    assert combined.read_text(encoding="utf-8") == first + second.split("\n", 1)[1]


def test_cli_predict_dask_names_a_bad_file_and_line(cluster, fast_model, tmp_path, capsys):
    model_dir = fast_model.save(tmp_path / "model")
    lines = messy_batch_text(400, seed=3).split("\r\n")
    source = tmp_path / "bad.csv"
    source.write_bytes("\r\n".join(lines[:300]).encode() + b"\r\nACME;;R\x00;PhD;2;Lyon\r\n"
                       + "\r\n".join(lines[300:]).encode())
    status = main(["predict", "--dask", cluster.scheduler_address, "--model", str(model_dir), str(source),
                   "-o", str(tmp_path / "out.csv")])
    error = capsys.readouterr().err
    with pytest.raises(DataFileError) as whole_file:
        load_profiles(source)
    assert status == 2 and error == f"datajobs predict: error: {whole_file.value}\n"


def test_comparison_through_the_dask_backend_equals_the_local_run(cluster, profiles, monkeypatch, no_cache):
    small = profiles.iloc[:600].reset_index(drop=True)
    configurations = {
        ("logistic_regression", "class_weight"): lambda: make_model("logistic_regression", "class_weight", seed=3),
        ("catboost", "none"): lambda: make_model("catboost", seed=3, fast=True),
    }
    common = dict(n_splits=3, n_repeats=1, seed=3, progress=False)
    local = cross_validate_configurations(small, configurations, n_jobs=1, **common)
    remote = cross_validate_configurations(small, configurations, scheduler=cluster.scheduler_address, **common)
    columns = ["model", "strategy", "repeat", "fold", "macro_f1", "accuracy", "balanced_accuracy"]
    assert remote[columns].equals(local[columns])
    # The environment variable is the notebooks' way to ask for the cluster.
    monkeypatch.setenv("DATAJOBS_DASK_SCHEDULER", cluster.scheduler_address)
    from_env = cross_validate_configurations(small, configurations, **common)
    assert from_env[columns].equals(local[columns])


def test_tuning_on_dask_equals_the_local_tuning(cluster, profiles, monkeypatch, no_cache):
    from datajobs.model.train import DEFAULT_PARAMS, tune_catboost

    small = profiles.iloc[:900].reset_index(drop=True)
    grid = {"depth": (4,), "l2_leaf_reg": (3.0, 10.0)}
    base = {**DEFAULT_PARAMS, "iterations": 40}
    local = tune_catboost(small, grid=grid, base=base, seed=5, progress=False)
    monkeypatch.setenv("DATAJOBS_DASK_SCHEDULER", cluster.scheduler_address)
    remote = tune_catboost(small, grid=grid, base=base, seed=5, progress=False)
    assert remote.drop(columns="seconds").equals(local.drop(columns="seconds"))
