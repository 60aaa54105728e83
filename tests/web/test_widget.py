"""The predictor's callback and HTML, without a browser."""

from __future__ import annotations

import math

import numpy as np
import pytest

from datajobs.config import PROFILE_LABELS
from datajobs.web.widget import PredictorForm, predict_profile, render_result_html


def test_valid_profile_gives_prediction_probabilities_and_reasons(fast_model):
    result = predict_profile(fast_model, ["Python", "Spark"], "machine learning, Hadoop", "Master", "3,5", "Lyon", "")
    assert result.error is None and result.predicted in PROFILE_LABELS
    assert math.isclose(sum(result.probabilities.values()), 1.0, rel_tol=1e-6)
    ordered = np.array([[result.probabilities[label] for label in fast_model.classes]])
    assert result.predicted == fast_model.decision.predict(ordered)[0]
    assert len(result.contributions) == 5 and all(isinstance(value, float) for _, value in result.contributions)


def test_free_text_is_normalised_like_the_loader(fast_model):
    typed = predict_profile(fast_model, [], "python/ SPARK, Hadoop(HDFS)", "Master", "2", "Paris")
    picked = predict_profile(fast_model, ["Python", "Spark", "Hadoop", "HDFS"], "", "Master", "2", "Paris")
    assert typed.probabilities == pytest.approx(picked.probabilities)


@pytest.mark.parametrize(("values", "message"), [
    ({}, "form is empty"),
    ({"experience": "-4", "technologies": ["Python"]}, "between 0 and 60"),
    ({"experience": "400", "technologies": ["Python"]}, "between 0 and 60"),
    ({"experience": "lots", "technologies": ["Python"]}, "not usable"),
    ({"free_text": "banana, quantum tea"}, "None of these technologies is known"),
])
def test_bad_input_gives_a_message_not_a_traceback(fast_model, values, message):
    result = predict_profile(fast_model, **values)
    assert result.predicted is None and message in result.error
    assert "Cannot predict" in render_result_html(result)


def test_nonsense_technologies_beside_real_input_are_ignored_with_a_warning(fast_model):
    result = predict_profile(fast_model, ["Python"], "banana", "PhD", "", "Saint-Etienne")
    assert result.predicted in PROFILE_LABELS
    text = " ".join(result.warnings)
    assert "banana" in text and "Saint-Etienne" in text and "Experience not given" in text


def test_a_profile_unlike_the_training_ones_is_flagged_not_silently_scored(fast_model):
    years = fast_model.known_experience
    assert years and years == sorted(years)
    typical = predict_profile(fast_model, ["Python", "SQL"], "", "Master", f"{years[len(years) // 2]:g}", "Paris")
    assert typical.caution is None and not any("experience" in warning for warning in typical.warnings)
    beyond = predict_profile(fast_model, ["Python", "SQL"], "", "Master", "60", "Paris")
    assert any(f"No training profile has 60 years of experience (they have {years[0]:g} to {years[-1]:g})" in warning
               for warning in beyond.warnings)
    assert beyond.caution  # beyond every training profile: a caution on its own
    # A stack seen in training passes; the same technologies plus one more make a stack never seen.
    seen = fast_model.known_stacks[0].split("/")
    assert not any("lists exactly" in w for w in predict_profile(fast_model, seen, "", "Master", "", "Paris").warnings)
    extra = next(name for name in fast_model.technology_vocabulary
                 if "/".join(sorted({*seen, name})) not in set(fast_model.known_stacks))
    unseen = predict_profile(fast_model, [*seen, extra], "", "Master", "", "Paris")
    assert any("No training profile lists exactly these technologies" in w for w in unseen.warnings)
    between = next(value / 2 for value in range(1, 80) if value / 2 not in set(years) and years[0] < value / 2 < years[-1])
    inexact = predict_profile(fast_model, ["Python", "SQL"], "", "Master", f"{between:g}", "Paris")
    assert any("No training profile has exactly" in warning for warning in inexact.warnings)
    # No technology at all: the inputs that decide most profiles are missing, a caution above the result.
    bare = predict_profile(fast_model, [], "", "Master", f"{years[0]:g}", "Paris")
    assert bare.predicted in PROFILE_LABELS and any("No technology the model knows" in w for w in bare.warnings)
    assert bare.caution and "Caution." in render_result_html(bare)
    # Two unseen inputs (a city and a technology) also call for caution.
    odd = predict_profile(fast_model, ["Python"], "Quantum computing", "Master", "", "Saint-Etienne")
    assert odd.caution


def test_user_text_is_escaped(fast_model):
    attack = '<script>alert("x")</script>'
    result = predict_profile(fast_model, ["Python"], attack, "Master", "2", attack, attack)
    page = render_result_html(result)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_uncertain_when_top_two_are_close(fast_model):
    from datajobs.web.widget import PredictionResult

    close = PredictionResult(predicted="Data scientist", uncertain_between=("Data scientist", "Lead data scientist"),
                             probabilities={"Data scientist": 0.45, "Lead data scientist": 0.4})
    assert "Uncertain between <b>Data scientist</b> and <b>Lead data scientist</b>" in render_result_html(close)


def test_form_is_a_live_widget_whose_kernel_side_sends_bundle_and_explanations(fast_model):
    form = PredictorForm(fast_model)
    assert form.update().predicted in PROFILE_LABELS
    assert form.view.example["technologies"] == ["Python", "Spark", "SQL"]
    assert "createPredictor" in form.view._esm and "export default" in form.view._esm
    sent = []
    form.view.send = sent.append
    form._on_message(form.view, {"type": "bundle?"}, [])
    assert sent[-1]["type"] == "bundle" and sent[-1]["bundle"]["model"]["classes"] == list(fast_model.classes)
    form._on_message(form.view, {"type": "explain", "id": 3, "values": {"technologies": ["Python"], "city": "Lyon"}}, [])
    assert sent[-1]["type"] == "explanation" and sent[-1]["id"] == 3 and len(sent[-1]["contributions"]) == 5
    form._on_message(form.view, {"type": "explain", "id": 4, "values": {"experience": "-1"}}, [])
    assert sent[-1]["contributions"] == []
