"""Prediction sets: the class thresholds against an independent implementation (crepes), coverage where
the truth is known, and the rules that tie a set to the predicted label."""

from __future__ import annotations

import numpy as np
import pytest

from datajobs.model.conformal import (
    LEVELS,
    ConformalSets,
    check_level,
    coverage_by_class,
    fit_conformal_sets,
    marginal_floor,
    rows_needed,
)

CLASSES = ("Data scientist", "Lead data scientist", "Data engineer", "Data architecte")


def draw(rows: int, seed: int, shares=(0.4, 0.13, 0.25, 0.22)) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities and labels drawn from them: the probabilities are then the truth (calibrated)."""
    generator = np.random.default_rng(seed)
    probabilities = generator.dirichlet(np.array(shares) * 3.0, size=rows)
    truth = np.array([generator.choice(len(shares), p=row) for row in probabilities])
    return probabilities, truth


class GivenProbabilities:
    """A 'learner' whose predict_proba returns its input: crepes then sees exactly our probabilities."""

    classes_ = np.arange(len(CLASSES))

    def predict_proba(self, X):
        return np.asarray(X)


@pytest.mark.parametrize("level", LEVELS)
def test_sets_equal_crepes_mondrian_sets(level):
    crepes = pytest.importorskip("crepes")
    calibration, truth = draw(1500, seed=1)
    test, _ = draw(3000, seed=2)
    sets = fit_conformal_sets(calibration, truth, CLASSES)
    oracle = crepes.WrapClassifier(GivenProbabilities())
    oracle.fitted = oracle.fitted_ = True
    oracle.calibrate(calibration, truth, class_cond=True)
    # crepes keeps a class when its p-value (count + 1) / (n + 1) >= 1 - level; the quantile
    # ceil((n + 1) level) of split conformal keeps it when the p-value is strictly greater (the two
    # differ only when (n + 1)(1 - level) is a whole number). Counts are compared, not floats.
    p_values = np.asarray(oracle.predict_p(test, smoothing=False))
    n = np.array([(truth == position).sum() for position in range(len(CLASSES))])
    expected = np.rint(p_values * (n + 1)) > (n + 1) * (1 - level) + 1e-9
    assert (sets.membership(test, level) == expected).all()
    assert sets.rows == {label: int((truth == position).sum()) for position, label in enumerate(CLASSES)}


@pytest.mark.parametrize("level", LEVELS)
def test_each_class_is_covered_at_its_level_where_the_truth_is_known(level):
    calibration, truth = draw(20000, seed=3)
    test, test_truth = draw(40000, seed=4)
    sets = fit_conformal_sets(calibration, truth, CLASSES)
    inside = sets.membership(test, level)
    for position, label in enumerate(CLASSES):
        rows = test_truth == position
        coverage = inside[rows, position].mean()
        # the guarantee is >= level; with thousands of conformal rows per class it is also close to it
        assert level - 0.012 <= coverage <= level + 0.012, (label, coverage)


def test_marginal_threshold_leaves_a_hard_minority_class_under_its_level():
    generator = np.random.default_rng(5)
    # the minority class is hard: its true-class probability is low, the others' high
    rows = 6000
    truth = generator.choice(4, size=rows, p=(0.45, 0.1, 0.25, 0.2))
    probabilities = generator.dirichlet((1, 1, 1, 1), size=rows) * 0.3
    probabilities[np.arange(rows), truth] += np.where(truth == 1, 0.35, 0.8)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    half = rows // 2
    floor = marginal_floor(probabilities[:half], truth[:half], 0.9)
    minority = truth[half:] == 1
    marginal_coverage = (probabilities[half:][minority, 1] >= floor).mean()
    mondrian = fit_conformal_sets(probabilities[:half], truth[:half], CLASSES)
    mondrian_coverage = mondrian.membership(probabilities[half:], 0.9)[minority, 1].mean()
    assert marginal_coverage < 0.8 and mondrian_coverage >= 0.87


def test_the_set_always_holds_the_label_most_probable_first_and_flags_an_empty_set():
    calibration, truth = draw(2000, seed=6)
    sets = fit_conformal_sets(calibration, truth, CLASSES)
    floors = sets.floor_vector(0.9)
    below = np.clip(floors - 0.01, 0, 1)  # every class under its floor: the raw set is empty
    probabilities = np.vstack([below / below.sum() * 0 + below, [0.5, 0.3, 0.1, 0.1]])
    labels = ["Data engineer", "Lead data scientist"]
    members, empty = sets.prediction_sets(probabilities, labels, 0.9)
    assert members[0] == ["Data engineer"] and bool(empty[0])
    assert "Lead data scientist" in members[1] and not empty[1]
    order = [CLASSES.index(label) for label in members[1]]
    assert list(probabilities[1, order]) == sorted(probabilities[1, order], reverse=True)


def test_a_class_with_too_few_conformal_rows_is_always_in_the_set_and_says_so():
    calibration, truth = draw(400, seed=7)
    keep = (truth != 1) | (np.cumsum(truth == 1) <= 10)  # 10 Lead rows: enough for 80 % and 90 %, not 95 %
    sets = fit_conformal_sets(calibration[keep], truth[keep], CLASSES)
    assert sets.rows["Lead data scientist"] == 10 and rows_needed(0.95) == 19 and rows_needed(0.9) == 9
    assert sets.floors["0.95"]["Lead data scientist"] is None
    assert sets.floors["0.9"]["Lead data scientist"] is not None
    assert any(message.startswith("Lead data scientist: 10 conformal rows, too few for a 95% guarantee")
               for message in sets.messages)
    assert sets.membership(np.array([[0.97, 0.0, 0.02, 0.01]]), 0.95)[0, 1]
    again = ConformalSets.from_dict(CLASSES, sets.to_dict())
    assert again.floors == sets.floors and again.rows == sets.rows


@pytest.mark.parametrize("level", [0, 1, 1.5, "abc", -0.1, float("nan")])
def test_a_level_outside_zero_one_is_refused_in_one_line(level):
    with pytest.raises(ValueError) as error:
        check_level(level)
    assert "\n" not in str(error.value) and "level" in str(error.value)


def test_coverage_by_class_counts_covered_and_rows():
    counts = coverage_by_class([["A"], ["A", "B"], ["B"]], ["A", "B", "A"], ("A", "B"))
    assert counts == {"A": (1, 2), "B": (1, 1)}


def test_with_the_label_added_a_class_is_covered_at_least_as_often_as_its_label_is_right():
    # A class its labels almost always get right (the data engineer of the reference file) keeps a
    # coverage at its recall, above the level, whatever the threshold: the page reads it that way.
    generator = np.random.default_rng(5)
    calibration, truth = draw(4000, seed=6)
    test, test_truth = draw(4000, seed=7)
    labels = np.array(CLASSES, dtype=object)[np.argmax(test, axis=1)]
    labels[(test_truth == 2) & (generator.random(len(test_truth)) < 0.99)] = CLASSES[2]  # recall ~0.99
    sets = fit_conformal_sets(calibration, truth, CLASSES)
    members, _ = sets.prediction_sets(test, labels, 0.9)
    truth_labels = np.array(CLASSES, dtype=object)[test_truth]
    coverage = coverage_by_class(members, truth_labels, CLASSES)
    for label, (covered, rows) in coverage.items():
        recall = float((labels[truth_labels == label] == label).mean())
        assert covered / rows >= recall
    engineers = truth_labels == CLASSES[2]
    covered, rows = coverage[CLASSES[2]]
    assert covered / rows >= 0.985
    assert sets.membership(test, 0.9)[engineers, 2].mean() < 0.93  # the raw set alone stays near the level

