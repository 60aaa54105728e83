"""The fitted profile model: predict a frame, explain, save and load (CatBoost native format + JSON).

Loading a model reads ``model.cbm`` with CatBoost's own loader and ``metadata.json`` with
:mod:`json`: nothing is ever unpickled. Nothing here imports scikit-learn (scoring a file,
:mod:`datajobs.ops.scoring`, builds on this module).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from catboost import CatBoostClassifier, Pool

from datajobs.config import label_slug
from datajobs.data.schema import FEATURE_COLUMNS, RAW_HEADER, DataFileError
from datajobs.model.calibration import DecisionRule, VectorScaling
from datajobs.model.columns import (
    CATEGORICAL_CATBOOST_COLUMNS,
    catboost_frame,
    distinct_codes,
    split_technology_column,
)
from datajobs.model.conformal import DEFAULT_LEVEL, ConformalSets

MODEL_FILE = "model.cbm"
METADATA_FILE = "metadata.json"
FORMAT_VERSION = 1
PREDICTION_CHUNK_ROWS = 20_000


@dataclass
class ProfileModel:
    """CatBoost + calibration + decision rule + the vocabulary the features were built with."""

    estimator: CatBoostClassifier
    classes: tuple[str, ...]
    technology_vocabulary: list[str]
    include_company: bool
    calibration: VectorScaling
    decision: DecisionRule
    known_cities: list[str] = field(default_factory=list)
    known_diplomas: list[str] = field(default_factory=list)
    # The distinct years of experience of the training rows (the model reads the exact value as a
    # category, so a value outside them is one it never saw).
    known_experience: list[float] = field(default_factory=list)
    # The distinct stacks of the training rows: their known technologies, sorted and joined by "/".
    known_stacks: list[str] = field(default_factory=list)
    # Class-conditional conformal thresholds (datajobs.model.conformal); None in a model saved before them.
    conformal: ConformalSets | None = None
    metadata: dict = field(default_factory=dict)
    # The out-of-fold probabilities and true class positions the thresholds were read from (training only).
    out_of_fold: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)

    # -- features -------------------------------------------------------------------------------
    def features(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The CatBoost frame of canonical profiles (columns in training order)."""
        return catboost_frame(frame, self.technology_vocabulary, self.include_company)

    def _pool(self, frame: pd.DataFrame) -> Pool:
        features = self.features(frame)
        cat_features = [column for column in features.columns if column in CATEGORICAL_CATBOOST_COLUMNS]
        return Pool(features, cat_features=cat_features)

    def _estimator_order(self) -> np.ndarray:
        """Column of the estimator's probabilities for each of ``classes``."""
        estimator_classes = list(self.estimator.classes_)
        return np.array([estimator_classes.index(label) for label in self.classes])

    # -- prediction -----------------------------------------------------------------------------
    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities, columns in the order of ``classes``."""
        if len(frame) == 0:
            return np.zeros((0, len(self.classes)))
        parts = []
        for start in range(0, len(frame), PREDICTION_CHUNK_ROWS):
            chunk = frame.iloc[start:start + PREDICTION_CHUNK_ROWS]
            raw = self.estimator.predict_proba(self._pool(chunk))[:, self._estimator_order()]
            parts.append(self.calibration.transform(raw))
        return np.vstack(parts)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return self.decision.predict(self.predict_proba(frame))

    def prediction_sets(self, probabilities: np.ndarray, labels, level: float = DEFAULT_LEVEL
                        ) -> tuple[list[list[str]], np.ndarray]:
        """Each row's prediction set at ``level`` (most probable first, holding its label) and whether its
        raw conformal set was empty (see :meth:`datajobs.model.conformal.ConformalSets.prediction_sets`)."""
        if self.conformal is None:
            raise ValueError("this model has no prediction-set thresholds (it predates them); "
                             "retrain it with `datajobs train` or `make book`")
        return self.conformal.prediction_sets(probabilities, labels, level)

    def explain(self, frame: pd.DataFrame, predicted: np.ndarray | None = None) -> pd.DataFrame:
        """Per-feature SHAP values (CatBoost's, on the raw log-odds) for each row's predicted class.

        Returns a frame with one row per (row, feature) and columns ``row``, ``feature``, ``value``
        (the feature's value) and ``shap`` (positive pushes towards the predicted class).
        """
        predicted = self.predict(frame) if predicted is None else predicted
        features = self.features(frame)
        pool = self._pool(frame)
        shap = self.estimator.get_feature_importance(pool, type="ShapValues")  # (n, classes, features + 1)
        estimator_classes = list(self.estimator.classes_)
        rows = []
        for position, label in enumerate(predicted):
            values = shap[position, estimator_classes.index(label), :-1]
            for column, contribution in zip(features.columns, values, strict=True):
                rows.append({"row": position, "feature": column, "value": features.iloc[position][column],
                             "shap": float(contribution)})
        return pd.DataFrame(rows)

    def feature_importance(self) -> pd.Series:
        """CatBoost's PredictionValuesChange importance, technologies and categories by name."""
        names = self.estimator.feature_names_
        return pd.Series(self.estimator.get_feature_importance(), index=names).sort_values(ascending=False)

    def row_warnings(self, frame: pd.DataFrame) -> list[list[str]]:
        """What the model could not use in each row: technologies or cities never seen in training."""
        technology_codes, technology_notes, city_codes, city_notes = self._unseen_value_notes(frame)
        return [technology_notes[technology] + city_notes[city]
                for technology, city in zip(technology_codes, city_codes, strict=True)]

    def _unseen_value_notes(self, frame: pd.DataFrame) -> tuple[np.ndarray, list[list[str]], np.ndarray, list[list[str]]]:
        """The notes of :meth:`row_warnings`, computed once per distinct technology stack and city:
        row ``i`` gets ``technology_notes[technology_codes[i]] + city_notes[city_codes[i]]``."""
        vocabulary = set(self.technology_vocabulary)
        cities = set(self.known_cities)
        technology_codes, stacks = distinct_codes(frame["technologies"])
        technology_notes = []
        for items in split_technology_column(stacks):
            unknown = [item for item in items if item not in vocabulary]
            technology_notes.append(
                ["Technologies: unknown technolog" + ("ies " if len(unknown) > 1 else "y ")
                 + ", ".join(repr(item) for item in unknown) + " ignored (not seen in training)"]
                if unknown else [])
        city_codes, distinct_cities = distinct_codes(frame["city"])
        city_notes = [[f"Ville: unknown city {city!r} (not seen in training)"]
                      if isinstance(city, str) and cities and city not in cities else []
                      for city in distinct_cities]
        return technology_codes, technology_notes, city_codes, city_notes

    # -- persistence ----------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Write ``model.cbm`` and ``metadata.json`` into ``directory``, all or nothing: both files
        are written to a new folder next to it, which then replaces it (a failed save leaves the
        previous model whole)."""
        import shutil
        import tempfile

        from datajobs.data.writing import OutputError, failure_reason

        directory = Path(directory)
        try:
            directory.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".partial", dir=directory.parent))
        except OSError as error:
            raise OutputError(directory, failure_reason(error, directory)) from None
        try:
            self._write(staging)
            if directory.is_dir():
                previous = staging.with_suffix(".previous")
                directory.rename(previous)
                staging.rename(directory)
                shutil.rmtree(previous, ignore_errors=True)
            else:
                staging.rename(directory)
        except OSError as error:
            raise OutputError(directory, failure_reason(error, directory)) from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return directory

    def _write(self, directory: Path) -> None:
        self.estimator.save_model(str(directory / MODEL_FILE), format="cbm")
        metadata = {
            **self.metadata,
            "format_version": FORMAT_VERSION,
            "classes": list(self.classes),
            "technology_vocabulary": self.technology_vocabulary,
            "include_company": self.include_company,
            "known_cities": self.known_cities,
            "known_diplomas": self.known_diplomas,
            "known_experience": self.known_experience,
            "known_stacks": self.known_stacks,
            "calibration": self.calibration.to_dict(),
            "decision_rule": self.decision.to_dict(),
            **({"conformal": self.conformal.to_dict()} if self.conformal is not None else {}),
        }
        (directory / METADATA_FILE).write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n",
                                               encoding="utf-8")

    @classmethod
    def load(cls, directory: str | Path) -> ProfileModel:
        """Load a model directory written by :meth:`save` (no pickle involved)."""
        directory = Path(directory)
        metadata_path = directory / METADATA_FILE
        model_path = directory / MODEL_FILE
        for path in (metadata_path, model_path):
            if not path.is_file():
                raise DataFileError(directory, f"not a model directory ({path.name} missing); "
                                    "train one with `datajobs train` or `make book`")
        try:
            metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise DataFileError(metadata_path, f"unreadable model metadata ({error})") from None
        if metadata.get("format_version") != FORMAT_VERSION:
            raise DataFileError(metadata_path, f"model format {metadata.get('format_version')!r} is not "
                                f"{FORMAT_VERSION}; retrain with this version of datajobs")
        estimator = CatBoostClassifier()
        try:
            estimator.load_model(str(model_path), format="cbm")
        except Exception as error:  # CatBoostError on a truncated or foreign file
            first_line = str(error).strip().splitlines()[-1][:160] if str(error).strip() else type(error).__name__
            raise DataFileError(model_path, f"damaged or truncated CatBoost model ({first_line}); "
                                "retrain with `datajobs train` or `make book`") from None
        try:
            rule = metadata["decision_rule"]
            model = cls(
                estimator=estimator,
                classes=tuple(metadata["classes"]),
                technology_vocabulary=list(metadata["technology_vocabulary"]),
                include_company=bool(metadata["include_company"]),
                calibration=VectorScaling(metadata["calibration"]["scale"], tuple(metadata["calibration"]["bias"])),
                decision=DecisionRule(tuple(rule["classes"]), rule["weighted_class"], float(rule["weight"])),
                known_cities=list(metadata.get("known_cities", [])),
                known_diplomas=list(metadata.get("known_diplomas", [])),
                known_experience=[float(value) for value in metadata.get("known_experience", [])],
                known_stacks=list(metadata.get("known_stacks", [])),
                conformal=ConformalSets.from_dict(tuple(metadata["classes"]), metadata["conformal"])
                if "conformal" in metadata else None,
                metadata=metadata,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise DataFileError(metadata_path, f"incomplete model metadata ({type(error).__name__}: {error}); "
                                "retrain with `datajobs train` or `make book`") from None
        if sorted(model.classes) != sorted(str(label) for label in estimator.classes_):
            raise DataFileError(directory, "model.cbm and metadata.json come from different models "
                                "(their classes differ); retrain with `datajobs train` or `make book`")
        return model


def probability_columns(classes: tuple[str, ...]) -> list[str]:
    """``proba_data_scientist``, ``proba_lead_data_scientist``, … in class order."""
    return [f"proba_{label_slug(label)}" for label in classes]


def _unscorable_reason(frame: pd.DataFrame) -> pd.Series:
    """A row with no usable feature at all keeps its place but gets no prediction."""
    empty = (
        (frame["technologies"].fillna("") == "")
        & frame["diploma"].isna() & frame["experience"].isna() & frame["city"].isna()
    )
    return pd.Series(np.where(empty, "no technologies, diploma, experience or city: cannot score", ""),
                     index=frame.index)


def predict_frame(model: ProfileModel, frame: pd.DataFrame, level: float = DEFAULT_LEVEL) -> pd.DataFrame:
    """Predicted profile, class probabilities, prediction set and warnings for every row of a canonical frame.

    ``prediction_set`` holds the labels of the set at ``level`` joined by `` | ``, most probable first
    (a model saved without conformal thresholds gives no such column). Rows that cannot be scored keep
    their place with an empty prediction and the reason.
    """
    reasons = _unscorable_reason(frame).to_numpy()
    scorable = reasons == ""
    columns = probability_columns(model.classes)
    predicted = np.full(len(frame), "", dtype=object)
    probabilities = np.full((len(frame), len(columns)), np.nan)
    sets = np.full(len(frame), "", dtype=object)
    if scorable.any():
        probabilities[scorable] = model.predict_proba(frame[scorable])
        chosen = model.decision.predict_index(probabilities[scorable])
        predicted[scorable] = np.asarray(model.decision.classes, dtype=object)[chosen]
        if model.conformal is not None:
            sets[scorable] = model.conformal.set_texts(probabilities[scorable], chosen, level)[0]
    result = pd.DataFrame({"predicted_metier": predicted}, index=frame.index)
    for position, column in enumerate(columns):
        result[column] = probabilities[:, position]
    if model.conformal is not None:
        result["prediction_set"] = sets
    technology_codes, technology_notes, city_codes, city_notes = model._unseen_value_notes(frame)
    # Rows share few distinct (loader note, stack, city, reason) combinations: each is joined once.
    joined: dict[tuple, str] = {}
    warnings = []
    # (An object array: iterating a pandas string column yields its cells one call at a time.)
    for key in zip(frame["warnings"].to_numpy(dtype=object), technology_codes, city_codes, reasons, strict=True):
        text = joined.get(key)
        if text is None:
            loader_note, technology, city, reason = key
            notes = technology_notes[technology] + city_notes[city]
            # The model's note on a column says more than the loader's ("ignored" rather than "kept").
            covered = {note.split(":", 1)[0] for note in notes}
            parts = [part for part in loader_note.split("; ") if part and part.split(":", 1)[0] not in covered]
            text = joined[key] = "; ".join([*parts, *notes, *([reason] if reason else [])])
        warnings.append(text)
    result["warnings"] = warnings
    return result


def profile_frame(technologies: str = "", diploma: str | None = None, experience: float | str | None = None,
                  city: str | None = None, company: str | None = None) -> pd.DataFrame:
    """One canonical profile built from form values, normalised by the loader's own rules."""
    from datajobs.data.normalise import (
        normalise_city,
        normalise_company,
        normalise_diploma,
        normalise_experience,
        normalise_technologies,
    )

    values = {
        "company": normalise_company(company or ""),
        "technologies": normalise_technologies(technologies or ""),
        "diploma": normalise_diploma(diploma or ""),
        "experience": normalise_experience("" if experience is None else str(experience)),
        "city": normalise_city(city or ""),
    }
    frame = pd.DataFrame({column: [values[column].value] for column in FEATURE_COLUMNS})
    # The values are the loader's normalisers' own; the dtypes below are the ones the loader gives
    # its canonical frame. Its typing step is private to the loader and types a ``profile`` column
    # a form does not have, so the same four lines are kept here (the model's frame has no label).
    frame["experience"] = pd.to_numeric(frame["experience"]).astype("float64")
    for column in ("company", "technologies", "diploma", "city"):
        frame[column] = frame[column].astype("string")
    frame["technologies"] = frame["technologies"].fillna("")
    # Named by column as the loader names them, so that the model's own note on a column replaces
    # the loader's (predict_frame: "ignored (not seen in training)" rather than "kept").
    frame["warnings"] = "; ".join(f"{RAW_HEADER[column]}: {result.warning}"
                                  for column, result in values.items() if result.warning)
    return frame
