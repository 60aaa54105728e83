"""The fitted profile model: predict, explain, save and load (CatBoost native format + JSON).

Loading a model reads ``model.cbm`` with CatBoost's own loader and ``metadata.json`` with
:mod:`json`: nothing is ever unpickled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from catboost import CatBoostClassifier, Pool

from datajobs.calibration import DecisionRule, VectorScaling
from datajobs.data import FEATURE_COLUMNS, DataFileError, load_profiles
from datajobs.evaluate import label_slug
from datajobs.features import CATEGORICAL_CATBOOST_COLUMNS, catboost_frame, split_technology_column

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
    metadata: dict = field(default_factory=dict)

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
        vocabulary = set(self.technology_vocabulary)
        cities = set(self.known_cities)
        notes: list[list[str]] = []
        for items, city in zip(split_technology_column(frame["technologies"]), frame["city"], strict=True):
            row = []
            unknown = [item for item in items if item not in vocabulary]
            if unknown:
                row.append("Technologies: unknown technolog" + ("ies " if len(unknown) > 1 else "y ")
                           + ", ".join(repr(item) for item in unknown) + " ignored (not seen in training)")
            if isinstance(city, str) and cities and city not in cities:
                row.append(f"Ville: unknown city {city!r} (not seen in training)")
            notes.append(row)
        return notes

    # -- persistence ----------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Write ``model.cbm`` and ``metadata.json`` into ``directory``, all or nothing: both files
        are written to a new folder next to it, which then replaces it (a failed save leaves the
        previous model whole)."""
        import shutil
        import tempfile

        from datajobs.outputs import OutputError, _reason

        directory = Path(directory)
        try:
            directory.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".partial", dir=directory.parent))
        except OSError as error:
            raise OutputError(directory, _reason(error, directory)) from None
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
            raise OutputError(directory, _reason(error, directory)) from None
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
            "calibration": self.calibration.to_dict(),
            "decision_rule": self.decision.to_dict(),
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


def predict_frame(model: ProfileModel, frame: pd.DataFrame) -> pd.DataFrame:
    """Predicted profile, class probabilities and warnings for every row of a canonical frame.

    Rows that cannot be scored keep their place with an empty prediction and the reason.
    """
    reasons = _unscorable_reason(frame)
    scorable = reasons == ""
    columns = probability_columns(model.classes)
    result = pd.DataFrame(index=frame.index, columns=["predicted_metier", *columns], dtype=object)
    result[columns] = np.nan
    if scorable.any():
        probabilities = model.predict_proba(frame[scorable])
        result.loc[scorable, "predicted_metier"] = model.decision.predict(probabilities)
        result.loc[scorable, columns] = probabilities
    result["predicted_metier"] = result["predicted_metier"].fillna("")
    result[columns] = result[columns].astype("float64")
    model_notes = model.row_warnings(frame)
    warnings = []
    for loader_note, notes, reason in zip(frame["warnings"], model_notes, reasons, strict=True):
        # The model's note on a column says more than the loader's ("ignored" rather than "kept").
        covered = {note.split(":", 1)[0] for note in notes}
        parts = [part for part in loader_note.split("; ") if part and part.split(":", 1)[0] not in covered]
        warnings.append("; ".join([*parts, *notes, *([reason] if reason else [])]))
    result["warnings"] = warnings
    return result


def predict_file(model: ProfileModel, input_path: str | Path, output_path: str | Path | None = None,
                 sheet: str | None = None, raw: bool = False) -> pd.DataFrame:
    """Score a user's batch file: every input row, in input order, with its input columns plus
    ``predicted_metier``, ``proba_<class>`` and ``warnings``.

    With ``output_path``, the table is written atomically (a failed write leaves any previous file
    intact): an ``.xlsx`` name gives an Excel workbook, any other name a CSV with the input's
    delimiter (UTF-8, with a byte-order mark unless the input was plain UTF-8, so that Excel reads
    the accents). Cells a spreadsheet would execute as a formula are
    neutralised with a leading apostrophe and the row gets a warning, unless ``raw``.
    """
    from datajobs.outputs import neutralise_formulas, write_table

    loaded = load_profiles(input_path, sheet=sheet)
    predictions = predict_frame(model, loaded.frame)
    output = loaded.raw.copy()
    for column in predictions.columns:
        output[column] = predictions[column].to_numpy()
    if not raw:
        safe, changed = neutralise_formulas(output, skip=("warnings",))
        if any(changed):
            notes = [f"{', '.join(columns)}: cell starting like a spreadsheet formula written with a leading "
                     "apostrophe (--raw keeps it)" if columns else "" for columns in changed]
            safe["warnings"] = ["; ".join(part for part in (warning, note) if part)
                                for warning, note in zip(safe["warnings"], notes, strict=True)]
        output = safe
    if output_path is not None:
        probability = probability_columns(model.classes)
        written = output.copy()
        written[probability] = written[probability].round(4)
        # Anything but plain UTF-8 came from Excel (a BOM, cp1252, UTF-16, a workbook): a BOM lets
        # Excel read the accents of the UTF-8 output.
        bom = loaded.report.encoding != "UTF-8"
        write_table(written, output_path, delimiter=loaded.delimiter, encoding="utf-8-sig" if bom else "utf-8")
    return output


def profile_frame(technologies: str = "", diploma: str | None = None, experience: float | str | None = None,
                  city: str | None = None, company: str | None = None) -> pd.DataFrame:
    """One canonical profile built from form values, normalised by the loader's own rules."""
    from datajobs.data import (
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
    frame["experience"] = pd.to_numeric(frame["experience"]).astype("float64")
    for column in ("company", "technologies", "diploma", "city"):
        frame[column] = frame[column].astype("string")
    frame["technologies"] = frame["technologies"].fillna("")
    frame["warnings"] = "; ".join(result.warning for result in values.values() if result.warning)
    return frame
