"""Export the fitted model for the browser: one JavaScript file that the predictor page loads.

The bundle holds everything the in-browser predictor (``resources/web/predictor.js``) needs to give
the *same* probabilities as :meth:`datajobs.model.profile_model.ProfileModel.predict_proba`, with no server:

- CatBoost's own JSON export of the trees, with its categorical CTR tables and the table of
  category hashes (so no hash function is ported to JavaScript);
- the calibration, the decision rule and the class order;
- the form's vocabularies (technologies, diplomas, known cities and companies);
- the loader's normalisation tables, so the browser canonicalises typed values like
  :func:`datajobs.data.loading.load_profiles`.

A page opened from ``file://`` cannot ``fetch()`` a JSON file, so the bundle is a script that
assigns a global (``globalThis.datajobsPredictorBundle``) followed by the evaluator, which then
exposes ``globalThis.datajobsPredictor``. It is written by ``datajobs export-web`` (and by the book
runner), never by hand.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from catboost import Pool

from datajobs.config import (
    DIPLOMA_LEVELS,
    EXPERIENCE_MAX_YEARS,
    EXPERIENCE_MIN_YEARS,
    PROJECT_ROOT,
    RESOURCES_DIR,
)
from datajobs.data import DataFileError, file_sha256, labelled_rows, load_profiles
from datajobs.data.normalise import COMPANY_CASING, NO_EXPERIENCE
from datajobs.data.vocabulary import CITY_LOOKUP, DIPLOMA_FIRST_WORDS, TECHNOLOGY_LOOKUP
from datajobs.model.calibration import EPSILON
from datajobs.model.conformal import TOLERANCE
from datajobs.model.features import CATEGORICAL_CATBOOST_COLUMNS, MISSING
from datajobs.model.profile_model import ProfileModel

BUNDLE_FORMAT = 1
BUNDLE_GLOBAL = "datajobsPredictorBundle"
BUNDLE_FILE_NAME = "datajobs-predictor.js"
EVALUATOR_PATH = RESOURCES_DIR / "web" / "predictor.js"
# Top-two probabilities closer than this are reported as "uncertain between X and Y".
UNCERTAIN_MARGIN = 0.15


def training_categories(model: ProfileModel) -> dict[str, list[str]]:
    """The values of each categorical CatBoost column seen in training.

    Models trained by this version keep them in their metadata. For an older model directory the
    training file named in the metadata is read again, provided it still has the same sha256.

    Raises
    ------
    DataFileError
        When neither is available: the model must be retrained.
    """
    values = model.metadata.get("categorical_values")
    if values:
        return {column: list(items) for column, items in values.items()}
    training = model.metadata.get("training_data") or {}
    path = training.get("path")
    if path:
        path = Path(path) if Path(path).is_absolute() else PROJECT_ROOT / path
    if not path or not path.is_file() or file_sha256(path) != training.get("sha256"):
        raise DataFileError(path or "<model metadata>", "the model does not list its categorical values and its "
                            "training file is missing or changed: retrain the model with `datajobs train`")
    from datajobs.model.train import categorical_values

    frame, _ = labelled_rows(load_profiles(path).frame)
    return categorical_values(model.features(frame))


def catboost_json(model: ProfileModel, categories: dict[str, list[str]]) -> dict:
    """CatBoost's JSON export of the model, with the hash of every category seen in training.

    CatBoost writes the value→hash table only for the values of the pool it is given; a pool
    holding each training value once is enough (the trees and CTR tables do not depend on it).
    """
    names = list(model.estimator.feature_names_)
    categorical = [name for name in names if name in CATEGORICAL_CATBOOST_COLUMNS]
    rows = max([len(categories.get(name) or [MISSING]) for name in categorical] + [1])
    columns: dict[str, object] = {}
    for name in names:
        if name in categorical:
            values = categories.get(name) or [MISSING]
            columns[name] = [values[position % len(values)] for position in range(rows)]
        else:
            columns[name] = np.zeros(rows)
    pool = Pool(pd.DataFrame(columns), cat_features=categorical)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "model.json"
        model.estimator.save_model(str(path), format="json", pool=pool)
        exported = json.loads(path.read_text(encoding="utf-8"))
    hashed = {entry["value"] for entry in exported["features_info"].get("cat_features_hash", [])}
    missing = [value for name in categorical for value in categories.get(name, []) if value not in hashed]
    if missing:
        raise RuntimeError(f"CatBoost exported no hash for {len(missing)} training categories, e.g. {missing[:3]}")
    return exported


SUPPORTED_CTR_TYPES = ("Borders", "Buckets", "Counter", "FeatureFreq")


def _with_ctr_indexes(exported: dict) -> list[dict]:
    """The trees, each ``OnlineCtr`` split naming its CTR (``ctr_index`` into ``features_info.ctrs``).

    A split's ``split_index`` counts CatBoost's binary features: every border of every float
    feature, then one-hot values, then every border of every CTR, in the order of ``features_info``.
    """
    info = exported["features_info"]
    ctrs = info.get("ctrs", [])
    unsupported = sorted({ctr["ctr_type"] for ctr in ctrs} - set(SUPPORTED_CTR_TYPES))
    if unsupported:
        raise RuntimeError(f"the browser predictor does not implement CatBoost CTR types {unsupported}")
    first_ctr = (sum(len(feature.get("borders", [])) for feature in info.get("float_features", []))
                 + sum(len(feature.get("values", [])) for feature in info.get("categorical_features", [])))
    ctr_borders = [(index, border) for index, ctr in enumerate(ctrs) for border in ctr["borders"]]
    trees = []
    for tree in exported["oblivious_trees"]:
        splits = []
        for split in tree["splits"]:
            split = dict(split)
            if split["split_type"] == "OnlineCtr":
                index, border = ctr_borders[split["split_index"] - first_ctr]
                if border != split["border"] or ctrs[index]["target_border_idx"] != split["ctr_target_border_idx"]:
                    raise RuntimeError(f"cannot match CTR split {split} to CatBoost's CTR list")
                split["ctr_index"] = index
            splits.append(split)
        trees.append({"splits": splits, "leaf_values": tree["leaf_values"]})
    return trees


def build_bundle(model: ProfileModel) -> dict:
    """Everything the browser predictor needs, as JSON-ready data."""
    categories = training_categories(model)
    exported = catboost_json(model, categories)
    info = exported["features_info"]
    class_names = exported["model_info"]["class_params"]["class_names"]
    metadata = model.metadata
    return {
        "format": BUNDLE_FORMAT,
        "model": {
            "classes": list(model.classes),
            "created_at": metadata.get("created_at"),
            "training_rows": metadata.get("training_rows"),
            "macro_f1": (metadata.get("cv_metrics") or {}).get("macro_f1"),
            "catboost_version": (metadata.get("package_versions") or {}).get("catboost"),
        },
        "features": {
            "names": list(model.estimator.feature_names_),
            "technology_vocabulary": list(model.technology_vocabulary),
            "include_company": model.include_company,
            "missing": MISSING,
        },
        "catboost": {
            "class_names": class_names,
            "float_features": info.get("float_features", []),
            "categorical_features": info.get("categorical_features", []),
            "ctrs": info.get("ctrs", []),
            "cat_hashes": {entry["value"]: entry["hash"] for entry in info.get("cat_features_hash", [])},
            "ctr_data": exported.get("ctr_data", {}),
            "trees": _with_ctr_indexes(exported),
            "scale_and_bias": exported["scale_and_bias"],
        },
        "calibration": {**model.calibration.to_dict(), "epsilon": EPSILON},
        "decision": {"weighted_class": model.decision.weighted_class, "weight": model.decision.weight},
        "uncertain_margin": UNCERTAIN_MARGIN,
        # Prediction sets (datajobs.model.conformal): per level, each class's probability floor.
        "conformal": None if model.conformal is None else {
            "floors": model.conformal.floors, "tolerance": TOLERANCE, "rows": model.conformal.rows},
        "vocabularies": {
            "technologies": list(model.technology_vocabulary),
            "diplomas": list(DIPLOMA_LEVELS),
            "cities": list(model.known_cities),
            "companies": [value for value in categories.get("company", []) if value != MISSING],
        },
        "normaliser": {
            "technology_lookup": {key: list(names) for key, names in TECHNOLOGY_LOOKUP.items()},
            "diploma_first_words": dict(DIPLOMA_FIRST_WORDS),
            "city_lookup": dict(CITY_LOOKUP),
            "company_casing": dict(COMPANY_CASING),
            "no_experience": sorted(NO_EXPERIENCE),
            "experience_min": EXPERIENCE_MIN_YEARS,
            "experience_max": EXPERIENCE_MAX_YEARS,
            "known_experience": list(model.known_experience),
            "known_diplomas": list(model.known_diplomas),
            "known_stacks": list(model.known_stacks),
        },
    }


def evaluator_source() -> str:
    """The dependency-free JavaScript evaluator (also inlined in the predictor widget)."""
    return EVALUATOR_PATH.read_text(encoding="utf-8")


def bundle_script(bundle: dict) -> str:
    """The bundle as a script: the data assigned to a global, then the evaluator."""
    data = json.dumps(bundle, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return ("/* Generated by `datajobs export-web` from a trained model: do not edit. */\n"
            f"globalThis.{BUNDLE_GLOBAL} = {data};\n" + evaluator_source())


def export_web_bundle(model_dir: str | Path, output: str | Path) -> Path:
    """Write the browser bundle of the model in ``model_dir`` to ``output`` (a ``.js`` file)."""
    model = ProfileModel.load(model_dir)
    from datajobs.data.writing import write_text

    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    return write_text(output, bundle_script(build_bundle(model)))
