"""The synthetic sample: deterministic, same schema and quirks, close to the real marginals."""

from __future__ import annotations

import pandas as pd
import pytest

from datajobs.config import PROFILE_LABELS
from datajobs.data.loading import load_profiles
from datajobs.data.synth import generate_profiles, load_frequency_tables, write_profiles_csv


def test_deterministic_per_seed():
    first = generate_profiles(500, seed=7)
    assert first.equals(generate_profiles(500, seed=7))
    assert not first.equals(generate_profiles(500, seed=8))


def test_written_sample_loads_with_the_raw_quirks(tmp_path):
    path = write_profiles_csv(generate_profiles(2000, seed=3), tmp_path / "s.csv")
    assert path.read_bytes().count(b"\r\n") == 2001
    loaded = load_profiles(path)
    steps = loaded.report.steps
    assert loaded.report.rows_lost == 0
    assert steps["experience decimal comma read"] > 0
    assert steps["technologies empty item removed"] > 0
    assert steps["diploma spelling mapped to level"] > 0
    assert steps["company missing"] > 0
    assert len(loaded.report.diploma_spellings) >= 10


def test_shipped_sample_matches_the_generator(sample_path):
    shipped = pd.read_csv(sample_path, sep=";", dtype=str, keep_default_na=False)
    assert shipped.equals(generate_profiles(3000, seed=2024).astype(str)), (
        "data/sample/profiles_sample.csv is stale: run `make sample`")


def _marginals(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return pd.crosstab(frame["profile"], frame[column].fillna("<missing>"), normalize="index")


@pytest.mark.real_data
def test_sample_marginals_close_to_real(real_path, sample_path):
    real = load_profiles(real_path).frame
    sample = load_profiles(sample_path).frame
    balance = (real["profile"].value_counts(normalize=True) - sample["profile"].value_counts(normalize=True)).abs()
    assert balance.max() < 0.01
    for column in ("diploma", "city"):
        difference = (_marginals(real, column) - _marginals(sample, column)).abs()
        assert difference.max().max() < 0.06, column
    for label in PROFILE_LABELS:
        real_years = real.loc[real["profile"] == label, "experience"]
        sample_years = sample.loc[sample["profile"] == label, "experience"]
        assert abs(real_years.mean() - sample_years.mean()) < 0.5
        assert abs(real_years.isna().mean() - sample_years.isna().mean()) < 0.04


@pytest.mark.real_data
def test_tables_are_current(real_path):
    from datajobs.data.loading import file_sha256

    assert load_frequency_tables()["source"]["sha256"] == file_sha256(real_path)
