"""The predictor: a form that predicts one profile and says why.

:func:`check_form` and :func:`predict_profile` hold the logic (validation, prediction, explanation)
and return plain data, so they are tested without a browser. :class:`PredictorForm` is an
``anywidget`` whose front end (``resources/web/form.js``) runs the exported model in the browser,
so the same cell is live in the static book, in Voilà and in Jupyter. User text is always escaped
before it is shown.
"""

from __future__ import annotations

import html
import math
import time
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from datajobs.config import DIPLOMA_LEVELS, EXPERIENCE_MAX_YEARS, EXPERIENCE_MIN_YEARS, RESOURCES_DIR
from datajobs.data.normalise import clean_text, normalise_experience, split_technologies
from datajobs.data.vocabulary import TECHNOLOGY_LOOKUP, make_key
from datajobs.model.colours import label_colours
from datajobs.model.columns import stack_text
from datajobs.model.conformal import DEFAULT_LEVEL
from datajobs.model.counterfactuals import counterfactuals
from datajobs.model.profile_model import ProfileModel, profile_frame
from datajobs.web.export import UNCERTAIN_MARGIN

UNKNOWN_DIPLOMA = "(not given)"
TOP_CONTRIBUTIONS = 5

EXAMPLE_PROFILE = {
    "technologies": ["Python", "Spark", "SQL"],
    "free_text": "machine learning, Hadoop",
    "diploma": "Master",
    "experience": "3,5",
    "city": "Lyon",
    "company": "",
}


@dataclass
class PredictionResult:
    """What the predictor shows: a prediction, or an error message, plus warnings."""

    error: str | None = None
    predicted: str | None = None
    probabilities: dict[str, float] = field(default_factory=dict)
    uncertain_between: tuple[str, str] | None = None
    contributions: list[tuple[str, float]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    caution: str | None = None
    # The prediction set at ``set_level`` (most probable first, holding ``predicted``), whether no class
    # reached its floor, and the smallest edits that change the label (datajobs.model.counterfactuals).
    prediction_set: list[str] = field(default_factory=list)
    set_level: float = DEFAULT_LEVEL
    set_empty: bool = False
    counterfactuals: list[dict] = field(default_factory=list)


# Shown above the probabilities when a profile is unlike every training profile.
CAUTION = ("This profile is unlike the profiles the model learnt from: read the percentages as a guess, not as "
           "how often such a prediction is right.")


def _feature_label(name: str, value) -> str:
    if name.startswith("tech_"):
        return f"knows {name[5:]}" if value else f"does not list {name[5:]}"
    labels = {
        "experience_years": lambda: "experience unknown" if isinstance(value, float) and math.isnan(value)
        else f"{value:g} years of experience",
        "experience_value": lambda: f"experience value {value}",
        "experience_missing": lambda: "experience not given" if value else "experience given",
        "diploma_rank": lambda: f"diploma {DIPLOMA_LEVELS[int(value)]}" if not
        (isinstance(value, float) and math.isnan(value)) else "diploma unknown",
        "city": lambda: f"city {value}",
        "company": lambda: f"company {value}",
        "n_technologies": lambda: f"{int(value)} known technologies",
    }
    return labels.get(name, lambda: f"{name} = {value}")()


@dataclass
class CheckedForm:
    """A form checked and normalised: the canonical one-row frame, or an error; and warnings."""

    frame: object | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    caution: str | None = None


def check_form(model: ProfileModel, technologies: list[str] | tuple[str, ...] | str = (), free_text: str = "",
               diploma: str | None = None, experience: str | float | None = None, city: str | None = None,
               company: str | None = None) -> CheckedForm:
    """Validate form values and normalise them by the loader's rules (no prediction).

    The browser predictor (``resources/web/predictor.js``) applies the same checks with the same
    messages; the tests compare the two.
    """
    checked = CheckedForm()
    if isinstance(technologies, str):  # one cell as in a file: "Python/Spark"
        technologies = split_technologies(technologies)
    experience_text = "" if experience is None else str(experience).strip()
    if experience_text:
        parsed = normalise_experience(experience_text)
        if parsed.warning:
            checked.error = (f"Experience {experience_text!r} is not usable: give a number of years between "
                             f"{EXPERIENCE_MIN_YEARS:g} and {EXPERIENCE_MAX_YEARS:g} (e.g. 3 or 3,5), "
                             "or leave it empty if unknown.")
            return checked
    items = [item for item in (*(clean_text(str(item)) for item in technologies), *split_technologies(free_text or ""))
             if item]
    diploma = None if diploma in (None, "", UNKNOWN_DIPLOMA) or not str(diploma).strip() else diploma
    city = (city or "").strip() or None
    if not items and diploma is None and not experience_text and city is None:
        checked.error = "The form is empty: give at least a technology, a diploma, an experience or a city."
        return checked
    frame = profile_frame("/".join(items), diploma, experience_text or None, city, company)
    vocabulary = set(model.technology_vocabulary)
    known = [item for item in frame["technologies"].iloc[0].split("/") if item in vocabulary]
    if items and not known and diploma is None and not experience_text and city is None:
        checked.error = ("None of these technologies is known to the model, and nothing else was given: "
                         + ", ".join(items) + ".")
        return checked
    # An item is ignored when none of the technologies it stands for was seen in training.
    ignored = [item for item in items if not vocabulary & set(TECHNOLOGY_LOOKUP.get(make_key(item), (item,)))]
    unlike = bool(ignored)  # how many inputs are unlike the training profiles
    if ignored:
        checked.warnings.append("Ignored, not a technology the model knows: " + ", ".join(ignored) + ".")
    city_value = frame["city"].iloc[0]
    if isinstance(city_value, str) and model.known_cities and city_value not in model.known_cities:
        unlike += 1
        checked.warnings.append(f"The model never saw the city {city_value}: it is treated as an unknown city.")
    years = frame["experience"].iloc[0]
    known_years = model.known_experience
    if not experience_text:
        checked.warnings.append("Experience not given: the model uses what it learnt from profiles without it.")
    elif known_years and not known_years[0] <= years <= known_years[-1]:
        unlike += 2  # beyond every training profile: the model extrapolates
        checked.warnings.append(f"No training profile has {years:g} years of experience (they have "
                                f"{known_years[0]:g} to {known_years[-1]:g}): the model never saw such a profile.")
    elif known_years and years not in known_years:
        unlike += 1
        checked.warnings.append(f"No training profile has exactly {years:g} years of experience: the model reads "
                                "the exact number as a category it never saw and relies on the other inputs.")
    stack = stack_text(known)
    if known and model.known_stacks and stack not in model.known_stacks:
        unlike += 1
        checked.warnings.append(f"No training profile lists exactly these technologies ({len(model.known_stacks)} "
                                "distinct stacks in training): the model combines what it learnt from each one.")
    if not known:
        unlike += 2  # technologies decide most profiles: without one, the rest is a weak guide
        checked.warnings.append("No technology the model knows: technologies decide most profiles, so this "
                                "prediction rests on the diploma, experience and city alone.")
    if unlike >= 2:
        checked.caution = CAUTION
    checked.frame = frame
    return checked


def predict_profile(model: ProfileModel, technologies: list[str] | tuple[str, ...] = (), free_text: str = "",
                    diploma: str | None = None, experience: str | float | None = None, city: str | None = None,
                    company: str | None = None, level: float = DEFAULT_LEVEL) -> PredictionResult:
    """Validate the form, predict, and explain one profile, with its prediction set at ``level``.

    Parameters
    ----------
    technologies : list of str
        Technologies picked from the vocabulary.
    free_text : str
        More technologies typed freely (``Python, Spark`` or ``Python/Spark``), normalised by the
        loader's own rules.
    diploma, experience, city, company
        Form values; empty means unknown.
    level : float
        Coverage level of the prediction set (one the model has thresholds for: 0.8, 0.9, 0.95).
    """
    started = time.perf_counter()
    checked = check_form(model, technologies, free_text, diploma, experience, city, company)
    result = PredictionResult(error=checked.error, warnings=checked.warnings, caution=checked.caution)
    if checked.error:
        return result
    frame = checked.frame
    probabilities = model.predict_proba(frame)[0]
    predicted = str(model.decision.predict(probabilities[np.newaxis, :])[0])
    result.predicted = predicted
    result.probabilities = {label: float(value) for label, value in zip(model.classes, probabilities, strict=True)}
    first, second = np.argsort(probabilities)[::-1][:2]
    if probabilities[first] - probabilities[second] < UNCERTAIN_MARGIN:
        result.uncertain_between = (model.classes[first], model.classes[second])
    explanation = model.explain(frame, np.array([predicted], dtype=object))
    explanation = explanation.loc[explanation["shap"].abs().sort_values(ascending=False).index]
    result.contributions = [(_feature_label(row.feature, row.value), float(row.shap))
                            for row in explanation.head(TOP_CONTRIBUTIONS).itertuples()]
    if model.conformal is not None:
        sets, empty = model.prediction_sets(probabilities[np.newaxis, :], [predicted], level)
        result.prediction_set, result.set_level, result.set_empty = sets[0], float(level), bool(empty[0])
    result.counterfactuals = counterfactuals(model, frame)
    result.seconds = time.perf_counter() - started
    return result


@cache
def result_css() -> str:
    """The style of :func:`render_result_html`'s bars (``resources/web/result.css``)."""
    return (RESOURCES_DIR / "web" / "result.css").read_text(encoding="utf-8")


def render_result_html(result: PredictionResult) -> str:
    """The result as HTML (all user text escaped): prediction, probability bars, reasons, warnings.

    The bars' style comes first, from ``resources/web/result.css``; only each bar's colour and
    length are set on the bar itself.
    """
    if result.error:
        return f'<div class="dj-result dj-error" role="alert"><b>Cannot predict.</b> {html.escape(result.error)}</div>'
    parts = [f'<style>{result_css()}</style><div class="dj-result"><div class="dj-predicted">Predicted profile: '
             f'<b class="dj-label">{html.escape(result.predicted or "")}</b></div>']
    if result.uncertain_between:
        first, second = (html.escape(label) for label in result.uncertain_between)
        parts.append(f'<div class="dj-uncertain">Uncertain between <b>{first}</b> and <b>{second}</b>: '
                     "their probabilities are close.</div>")
    if result.prediction_set:
        members = " or ".join(html.escape(label) for label in result.prediction_set)
        parts.append(f'<div class="dj-set"><b>Prediction set ({result.set_level:.0%}):</b> {members}.</div>')
    if result.caution:
        parts.append(f'<div class="dj-caution" role="note"><b>Caution.</b> {html.escape(result.caution)}</div>')
    parts.append('<table class="dj-bars">')
    colours = label_colours(result.probabilities)
    for label in result.probabilities:
        value = result.probabilities[label]
        parts.append(
            f'<tr><td class="dj-bar-label">{html.escape(label)}</td>'
            f'<td class="dj-bar-cell"><div class="dj-bar-track">'
            f'<div class="dj-bar-fill" style="background:{colours[label]};width:{value * 200:.0f}px"></div></div></td>'
            f'<td class="dj-proba" data-label="{html.escape(label)}">{value:.1%}</td></tr>')
    parts.append("</table>")
    if result.contributions:
        parts.append("<div>What pushed the prediction (SHAP, towards + / away −):<ul>")
        for name, value in result.contributions:
            sign = "+" if value >= 0 else "−"
            parts.append(f"<li>{sign} {html.escape(name)} ({abs(value):.2f})</li>")
        parts.append("</ul></div>")
    for warning in result.warnings:
        parts.append(f'<div class="dj-warning">⚠ {html.escape(warning)}</div>')
    if result.counterfactuals:
        parts.append("<div>What would change the answer (this describes the model, not a career path):<ul>")
        parts.extend(f"<li>{html.escape(' and '.join(edit['changes']))} → {html.escape(edit['label'])}</li>"
                     for edit in result.counterfactuals)
        parts.append("</ul></div>")
    parts.append("</div>")
    return "".join(parts)


def _predictor_widget_class():
    """The anywidget class, created on first use (anywidget is imported only where a form is drawn)."""
    import anywidget
    import traitlets

    from datajobs.web.export import evaluator_source

    class PredictorWidget(anywidget.AnyWidget):
        """The form's front end: checks, normalises and predicts in the browser (see ``form.js``)."""

        _esm = evaluator_source() + "\n" + (RESOURCES_DIR / "web" / "form.js").read_text(encoding="utf-8")
        _css = (RESOURCES_DIR / "web" / "form.css").read_text(encoding="utf-8")
        example = traitlets.Dict().tag(sync=True)
        colours = traitlets.Dict().tag(sync=True)

    return PredictorWidget


class PredictorForm:
    """The predictor: a widget whose front end runs the exported model in the browser.

    The same cell is live everywhere: in the static book the page loads the model bundle written
    by ``datajobs export-web`` and no kernel is involved; in Jupyter or Voilà the front end asks
    this object for the bundle once, predicts in the browser, and asks the kernel for the SHAP
    contributions (kernel-only). :meth:`update` gives the Python prediction of the current values.
    """

    def __init__(self, model: ProfileModel, example: dict | None = None):
        self.model = model
        self._bundle: dict | None = None
        self.example = {**EXAMPLE_PROFILE, **(example or {})}
        vocabulary = list(model.technology_vocabulary)
        self.example["technologies"] = [item for item in self.example["technologies"] if item in vocabulary]
        self.view = _predictor_widget_class()(
            example=self.example,
            colours=label_colours(model.classes))
        self.view.on_msg(self._on_message)

    def values(self) -> dict:
        return dict(self.example)

    def bundle(self) -> dict:
        """The model bundle the browser needs (built once, on the first request)."""
        if self._bundle is None:
            from datajobs.web.export import build_bundle

            self._bundle = build_bundle(self.model)
        return self._bundle

    def explain(self, values: dict) -> list[tuple[str, float]]:
        """The SHAP contributions of the prediction of ``values`` (empty when they cannot be predicted)."""
        keys = ("technologies", "free_text", "diploma", "experience", "city", "company")
        result = predict_profile(self.model, **{key: values.get(key) for key in keys if values.get(key) is not None})
        return result.contributions

    def _on_message(self, _widget, content: dict, _buffers) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "bundle?":
            self.view.send({"type": "bundle", "bundle": self.bundle()})
        elif kind == "explain":
            try:
                contributions = self.explain(content.get("values") or {})
            except Exception:  # the form must never show a traceback; the prediction is already shown
                contributions = []
            self.view.send({"type": "explanation", "id": content.get("id"),
                            "contributions": [[name, value] for name, value in contributions]})

    def update(self) -> PredictionResult:
        """The Python prediction of the form's example values (the browser computes its own)."""
        try:
            return predict_profile(self.model, **self.values())
        except Exception as error:  # the form must never show a traceback
            return PredictionResult(error=f"Unexpected problem while predicting ({type(error).__name__}).")
