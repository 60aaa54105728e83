"""The fitted profile model: predict, explain, save and load (CatBoost native format + JSON).

Loading a model reads ``model.cbm`` with CatBoost's own loader and ``metadata.json`` with
:mod:`json`: nothing is ever unpickled.

Scoring a file (:func:`score_file`) reads, scores and writes it in chunks of whole records, so
memory stays flat whatever the file's size, and imports nothing of scikit-learn: start-up and
per-row work stay close to a hand-written CatBoost script's.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gc
import io
import json
import re
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from catboost import CatBoostClassifier, Pool

from datajobs.config import label_slug
from datajobs.data.loading import FEATURE_COLUMNS, RAW_HEADER, DataFileError, LoadedProfiles, load_profiles
from datajobs.model.calibration import DecisionRule, VectorScaling
from datajobs.model.columns import (
    CATEGORICAL_CATBOOST_COLUMNS,
    catboost_frame,
    distinct_codes,
    split_technology_column,
)

MODEL_FILE = "model.cbm"
METADATA_FILE = "metadata.json"
FORMAT_VERSION = 1
PREDICTION_CHUNK_ROWS = 20_000
# A file larger than this is read, scored and written chunk by chunk (about 100,000 profiles each,
# some 500 MiB of peak memory in all).
SCORING_CHUNK_BYTES = 8 * 2**20


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

        from datajobs.data.writing import OutputError, _reason

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
            "known_experience": self.known_experience,
            "known_stacks": self.known_stacks,
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
                known_experience=[float(value) for value in metadata.get("known_experience", [])],
                known_stacks=list(metadata.get("known_stacks", [])),
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
    reasons = _unscorable_reason(frame).to_numpy()
    scorable = reasons == ""
    columns = probability_columns(model.classes)
    predicted = np.full(len(frame), "", dtype=object)
    probabilities = np.full((len(frame), len(columns)), np.nan)
    if scorable.any():
        probabilities[scorable] = model.predict_proba(frame[scorable])
        predicted[scorable] = model.decision.predict(probabilities[scorable])
    result = pd.DataFrame({"predicted_metier": predicted}, index=frame.index)
    for position, column in enumerate(columns):
        result[column] = probabilities[:, position]
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


def _scored_output(model: ProfileModel, loaded: LoadedProfiles, raw: bool = False) -> pd.DataFrame:
    """The input columns as read plus ``predicted_metier``, ``proba_<class>`` and ``warnings``.

    Unless ``raw``, cells a spreadsheet would execute as a formula get a leading apostrophe and
    their row a warning (OWASP's CSV-injection rule).
    """
    predictions = predict_frame(model, loaded.frame)
    output = loaded.raw.copy()
    for column in predictions.columns:
        output[column] = predictions[column].to_numpy()
    if not raw:
        from datajobs.data.writing import neutralise_formulas

        safe, changed = neutralise_formulas(output, skip=("warnings",))
        if any(changed):
            notes = [f"{', '.join(columns)}: cell starting like a spreadsheet formula written with a leading "
                     "apostrophe (--raw keeps it)" if columns else "" for columns in changed]
            safe["warnings"] = ["; ".join(part for part in (warning, note) if part)
                                for warning, note in zip(safe["warnings"], notes, strict=True)]
        output = safe
    return output


# A probability rounded to 4 decimals has 10,001 possible values: each one's text, as pandas writes it.
_PROBABILITY_TEXT = np.array([repr(step / 10_000) for step in range(10_001)], dtype=object)


def _probability_text(values: np.ndarray) -> np.ndarray:
    """Probabilities as the text of ``round(4)`` written by pandas (empty for a row not scored)."""
    missing = np.isnan(values)
    text = _PROBABILITY_TEXT[np.rint(np.where(missing, 0.0, values) * 10_000).astype(np.int64)]
    text[missing] = ""
    return text


def _written_csv(model: ProfileModel, output: pd.DataFrame, delimiter: str, header: bool = True) -> str:
    """The output file's text: the input's delimiter, probabilities rounded to 4 decimals.

    The same bytes as pandas' ``to_csv`` of the rounded frame (what :func:`predict_file` writes),
    in half the time: the cells are turned into text column by column and written by the csv
    module, where pandas formats each float on its own.
    """
    probability = set(probability_columns(model.classes))
    columns = []
    for name in output.columns:
        values = output[name].to_numpy(dtype=float if name in probability else object)
        if name in probability:
            columns.append(_probability_text(values).tolist())
        else:
            columns.append(np.where(pd.isna(values), "", values).tolist())
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    if header:
        writer.writerow(output.columns)
    writer.writerows(zip(*columns, strict=True))
    return buffer.getvalue()


def summary_csv(output: pd.DataFrame, header: bool = True) -> str:
    """What ``datajobs predict`` prints without ``-o``: prediction, probabilities (4 decimals) and warnings."""
    columns = ["predicted_metier", *[c for c in output.columns if c.startswith("proba_")], "warnings"]
    return output[columns].round(4).to_csv(index=False, header=header)


def _output_encoding(loaded: LoadedProfiles) -> str:
    """UTF-8, with a byte-order mark unless the input was plain UTF-8: anything else came from Excel
    (a BOM, cp1252, UTF-16, a workbook), and the BOM lets Excel read the accents of the output."""
    return "utf-8" if loaded.report.encoding == "UTF-8" else "utf-8-sig"


def predict_file(model: ProfileModel, input_path: str | Path, output_path: str | Path | None = None,
                 sheet: str | None = None, raw: bool = False) -> pd.DataFrame:
    """Score a user's batch file: every input row, in input order, with its input columns plus
    ``predicted_metier``, ``proba_<class>`` and ``warnings``.

    With ``output_path``, the table is written atomically (a failed write leaves any previous file
    intact): an ``.xlsx`` name gives an Excel workbook, any other name a CSV with the input's
    delimiter (see :func:`_output_encoding`). Formula-like cells are neutralised unless ``raw``.
    The whole file is held in memory and returned; :func:`score_file` streams a CSV of any size.
    """
    from datajobs.data.writing import write_table

    loaded = load_profiles(input_path, sheet=sheet)
    output = _scored_output(model, loaded, raw)
    if output_path is not None:
        probability = probability_columns(model.classes)
        written = output.copy()
        written[probability] = written[probability].round(4)
        write_table(written, output_path, delimiter=loaded.delimiter, encoding=_output_encoding(loaded))
    return output


# ---------------------------------------------------------------------------------------------
# Scoring a file of any size, chunk by chunk
# ---------------------------------------------------------------------------------------------
def _record_end(data: bytes) -> int:
    """Offset just after the last line end of ``data`` that is outside quotes (0 if none)."""
    position = data.rfind(b"\n")
    while position >= 0:
        # A line end closes a record when the quotes before it are balanced ("" escapes count twice).
        if data.count(b'"', 0, position) % 2 == 0:
            return position + 1
        position = data.rfind(b"\n", 0, position)
    return 0


def split_records(path: str | Path, chunk_bytes: int = SCORING_CHUNK_BYTES) -> Iterator[tuple[bytes, bytes, int]]:
    """Cut a CSV file into pieces of whole records, reading ``chunk_bytes`` at a time.

    Yields ``(header, body, lines_before)``: the header (with any blank lines before it), about
    ``chunk_bytes`` of records, and the number of file lines before ``body``. ``header + body`` is a
    small CSV file that the loader reads exactly as it would read those rows in the whole file.
    """
    with open(path, "rb") as handle:
        data = b""
        header_end = 0
        while not header_end:
            block = handle.read(chunk_bytes)
            data += block
            header_end = _first_record_end(data)
            if not block:
                header_end = header_end or len(data)
        header, carry = data[:header_end], data[header_end:]
        lines_before = header.count(b"\n")
        while True:
            block = handle.read(chunk_bytes)
            data = carry + block
            end = len(data) if not block else _record_end(data)
            if end and data[:end].strip():
                yield header, data[:end], lines_before
            lines_before += data[:end].count(b"\n")
            carry = data[end:]
            if not block:
                return


def _first_record_end(data: bytes) -> int:
    """Offset just after the first non-blank record (the header) of ``data``, 0 if not complete yet."""
    start = 0
    while True:
        end = data.find(b"\n", start)
        if end < 0:
            return 0
        if data.count(b'"', 0, end) % 2 == 0 and data[:end + 1].strip(b" \t\r\n\xef\xbb\xbf"):
            return end + 1
        start = end + 1


def _shift_error(error: DataFileError, path: Path, lines_before: int) -> DataFileError:
    """The error of a piece, with the whole file's name and line numbers."""
    shifted_reason = re.sub(r"\bline (\d+)", lambda match: f"line {int(match.group(1)) + lines_before}", error.reason)
    line = None if error.line is None else error.line + lines_before
    return DataFileError(path, shifted_reason, line=line, column=error.column)


def streams_as_utf8(path: str | Path, chunk_bytes: int = SCORING_CHUNK_BYTES) -> bool:
    """Whether a file is UTF-8 text throughout (with or without a BOM), read ``chunk_bytes`` at a time.

    Only such a file can be cut into pieces that each decode as the whole file would: the
    loader guesses the encoding of anything else (cp1252, UTF-16, a workbook) from all of it.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as handle:
        block = handle.read(chunk_bytes)
        if block.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return False
        try:
            while block:
                decoder.decode(block)
                block = handle.read(chunk_bytes)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def load_chunks(path: str | Path, chunk_bytes: int = SCORING_CHUNK_BYTES) -> Iterator[LoadedProfiles]:
    """Load a file as successive :class:`~datajobs.data.loading.LoadedProfiles` of at most about
    ``chunk_bytes`` each, in input order (a small file, or one that is not UTF-8 text, is loaded in
    one piece, as is)."""
    path = Path(path)
    if not path.is_file() or path.stat().st_size <= chunk_bytes or not streams_as_utf8(path, chunk_bytes):
        yield load_profiles(path)
        return
    with tempfile.TemporaryDirectory(prefix="datajobs-chunks-") as scratch:
        piece = Path(scratch) / path.name
        for header, body, lines_before in split_records(path, chunk_bytes):
            piece.write_bytes(header + body)
            try:
                loaded = load_profiles(piece)
            except DataFileError as error:
                # The piece repeats the header: its line n is line n + lines_before - header lines.
                raise _shift_error(error, path, lines_before - header.count(b"\n")) from None
            yield loaded


@dataclass
class ScoringSummary:
    """Counts of a scored file."""

    rows: int = 0
    unscored: int = 0
    flagged: int = 0

    def add(self, output: pd.DataFrame) -> None:
        self.rows += len(output)
        self.unscored += int((output["predicted_metier"] == "").sum())
        self.flagged += int((output["warnings"] != "").sum())


def score_file(model: ProfileModel, input_path: str | Path, output_path: str | Path | None = None,
               chunk_bytes: int = SCORING_CHUNK_BYTES, stream=None, raw: bool = False) -> ScoringSummary:
    """Score a CSV file of any size chunk by chunk; memory stays bounded by ``chunk_bytes``.

    With ``output_path``, writes what :func:`predict_file` writes for a CSV (same bytes), atomically;
    otherwise writes the prediction, probabilities and warnings as CSV to ``stream`` (standard
    output by default).
    """
    from datajobs.data.writing import atomic_path

    summary = ScoringSummary()
    with contextlib.ExitStack() as stack:
        temporary = stack.enter_context(atomic_path(output_path)) if output_path is not None else None
        target = None
        # The cyclic garbage collector would walk the hundreds of thousands of row lists a chunk
        # creates, again and again, tripling the time to read it; none of them form cycles, so it
        # runs once per chunk instead.
        gc.freeze()  # what is alive now (modules, the model) is never walked again
        gc.disable()
        stack.callback(gc.unfreeze)
        stack.callback(gc.enable)
        for loaded in load_chunks(input_path, chunk_bytes):
            output = _scored_output(model, loaded, raw)
            first = summary.rows == 0
            if temporary is not None:
                if target is None:
                    target = stack.enter_context(open(temporary, "w", encoding=_output_encoding(loaded), newline=""))
                target.write(_written_csv(model, output, loaded.delimiter, header=first))
            else:
                (stream or sys.stdout).write(summary_csv(output, header=first))
            summary.add(output)
            del loaded, output
            gc.collect()
    return summary


def profile_frame(technologies: str = "", diploma: str | None = None, experience: float | str | None = None,
                  city: str | None = None, company: str | None = None) -> pd.DataFrame:
    """One canonical profile built from form values, normalised by the loader's own rules."""
    from datajobs.data.loading import (
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
    # Named by column as the loader names them, so that the model's own note on a column replaces
    # the loader's (predict_frame: "ignored (not seen in training)" rather than "kept").
    frame["warnings"] = "; ".join(f"{RAW_HEADER[column]}: {result.warning}"
                                  for column, result in values.items() if result.warning)
    return frame
