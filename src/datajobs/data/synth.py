"""A synthetic stand-in for the reference file, drawn from aggregate frequency tables.

The reference file cannot ship with the project, so the package carries only per-class frequency
tables computed from it once (:func:`compute_frequency_tables`): how often each raw technology
stack, diploma spelling, experience value (missing included), city and frequent company occurs in
each profile. :func:`generate_profiles` draws rows from those tables, column by column given the
profile, so the sample keeps the raw quirks (decimal commas, ``NoSQ``, ``Python//Big data``, 13
diploma spellings) and the per-class marginals, but none of the real rows' joint detail.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from datajobs.config import FREQUENCY_TABLES_PATH, PROFILE_LABELS
from datajobs.data.schema import RAW_HEADER

RAW_COLUMNS = tuple(RAW_HEADER.values())  # the delivered header, in its order
DRAWN_COLUMNS = ("Technologies", "Diplome", "Experience", "Ville", "Entreprise")
OTHER_COMPANY = "__other__"
N_FREQUENT_COMPANIES = 36
N_SYNTHETIC_COMPANIES = 400


def compute_frequency_tables(path: str | Path, n_companies: int = N_FREQUENT_COMPANIES) -> dict:
    """Count, per profile, the raw values of every column of the reference file.

    Only counts leave this function: no row is kept. Companies outside the ``n_companies`` most
    frequent are pooled into one ``__other__`` count.
    """
    from datajobs.data.loading import file_sha256

    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    company_totals = Counter(row["Entreprise"].strip() for row in rows if row["Entreprise"].strip())
    # Names carrying an abbreviation in brackets ("...(MGH)") are what leak checks search the
    # repository for, so a synthetic row must not reproduce them: they join the synthetic tail.
    frequent = [name for name, _ in company_totals.most_common()
                if "(" not in name][:n_companies]
    per_class: dict[str, dict[str, dict[str, int]]] = {}
    for label in PROFILE_LABELS:
        label_rows = [row for row in rows if row["Metier"] == label]
        tables = {}
        for column in DRAWN_COLUMNS:
            values = (row[column] for row in label_rows)
            if column == "Entreprise":
                values = (value if value.strip() in frequent or not value.strip() else OTHER_COMPANY
                          for value in values)
            tables[column] = dict(Counter(values).most_common())
        per_class[label] = tables
    return {
        "source": {"rows": len(rows), "sha256": file_sha256(path),
                   "note": "aggregate counts only; no row of the reference file is stored"},
        "classes": {label: sum(1 for row in rows if row["Metier"] == label) for label in PROFILE_LABELS},
        "per_class": per_class,
        "companies": {"names": frequent, "distinct_in_source": len(company_totals)},
    }


def load_frequency_tables(path: str | Path = FREQUENCY_TABLES_PATH) -> dict:
    """Read the frequency tables shipped with the package."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _proportional_counts(weights: dict[str, int], total: int) -> dict[str, int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder), so class balance is exact."""
    weight_sum = sum(weights.values())
    exact = {key: total * value / weight_sum for key, value in weights.items()}
    counts = {key: int(np.floor(value)) for key, value in exact.items()}
    remainder = total - sum(counts.values())
    for key in sorted(exact, key=lambda key: exact[key] - counts[key], reverse=True)[:remainder]:
        counts[key] += 1
    return counts


def _draw(rng: np.random.Generator, table: dict[str, int], size: int) -> np.ndarray:
    values = list(table)
    weights = np.array([table[value] for value in values], dtype=float)
    return rng.choice(np.array(values, dtype=object), size=size, p=weights / weights.sum())


def _synthetic_company_names(rng: np.random.Generator) -> np.ndarray:
    stems = ["Analytics", "Data", "Insight", "Cloud", "Bio", "Quant", "Retail", "Energy", "Health",
             "Logistics", "Finance", "Media", "Mobility", "Robotics", "Telecom", "Labs"]
    suffixes = ["SA", "SAS", "Group", "Partners", "Inc.", "Consulting", "Systems", "& Co"]
    names = {f"{rng.choice(stems)} {rng.choice(stems)} {rng.choice(suffixes)}" for _ in range(2000)}
    return np.array(sorted(names)[:N_SYNTHETIC_COMPANIES], dtype=object)


def generate_profiles(n_rows: int, seed: int, tables: dict | None = None) -> pd.DataFrame:
    """Draw ``n_rows`` synthetic raw profiles (strings, reference header), deterministic per seed."""
    tables = tables or load_frequency_tables()
    rng = np.random.default_rng(seed)
    company_pool = _synthetic_company_names(rng)
    # Rare companies follow a long tail, as in the reference file.
    tail_weights = 1.0 / np.arange(1, len(company_pool) + 1)
    tail_weights /= tail_weights.sum()
    parts = []
    for label, count in _proportional_counts(tables["classes"], n_rows).items():
        columns = {"Metier": np.full(count, label, dtype=object)}
        for column in DRAWN_COLUMNS:
            columns[column] = _draw(rng, tables["per_class"][label][column], count)
        others = columns["Entreprise"] == OTHER_COMPANY
        columns["Entreprise"][others] = rng.choice(company_pool, size=int(others.sum()), p=tail_weights)
        parts.append(pd.DataFrame(columns))
    profiles = pd.concat(parts, ignore_index=True)
    profiles = profiles.iloc[rng.permutation(len(profiles))].reset_index(drop=True)
    return profiles[list(RAW_COLUMNS)]


def write_profiles_csv(profiles: pd.DataFrame, path: str | Path, delimiter: str = ";",
                       line_ending: str = "\r\n") -> Path:
    """Write raw profiles in the delivered format (``;``, CRLF, UTF-8) unless told otherwise."""
    from datajobs.data.writing import atomic_path

    path = Path(path)
    with atomic_path(path) as temporary, open(temporary, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator=line_ending)
        writer.writerow(list(profiles.columns))
        writer.writerows(profiles.astype(object).where(profiles.notna(), "").itertuples(index=False))
    return path

