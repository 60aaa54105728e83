"""Probability calibration and the decision rule for the minority class, both JSON-serialisable.

Calibration is *vector scaling* (Guo et al., 2017): calibrated probabilities are
``softmax(temperature_inverse * log p + bias)``, with one scalar and one bias per class fitted by
minimising the log-loss of out-of-fold predictions. It fixes the class priors that balanced class
weights shift, and the over- or under-confidence of boosting, with five numbers that live in the
model's JSON metadata (no pickle).

The decision rule multiplies the calibrated probability of ``Lead data scientist`` by a weight
chosen on out-of-fold predictions to maximise macro-F1; the predicted class is the arg-max.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

EPSILON = 1e-9


def softmax(values: np.ndarray, axis: int = 1) -> np.ndarray:
    """:func:`scipy.special.softmax`, the same operations (same bits): scoring need not import SciPy."""
    shifted = np.exp(values - np.max(values, axis=axis, keepdims=True))
    return shifted / np.sum(shifted, axis=axis, keepdims=True)
LEAD_WEIGHT_GRID = tuple(np.round(np.arange(0.6, 2.51, 0.05), 2))


@dataclass
class VectorScaling:
    """``softmax(scale * log p + bias)`` calibration of class probabilities."""

    scale: float = 1.0
    bias: tuple[float, ...] = ()

    def transform(self, probabilities: np.ndarray) -> np.ndarray:
        logits = np.log(np.clip(probabilities, EPSILON, 1.0))
        bias = np.asarray(self.bias) if self.bias else np.zeros(probabilities.shape[1])
        return softmax(self.scale * logits + bias, axis=1)

    def to_dict(self) -> dict:
        return {"scale": float(self.scale), "bias": [float(value) for value in self.bias]}


def fit_vector_scaling(probabilities: np.ndarray, y_index: np.ndarray) -> VectorScaling:
    """Fit the scale and biases on out-of-fold probabilities and true class indices."""
    # Imported here: scoring only transforms, and must not pay for importing the optimiser.
    from scipy.optimize import minimize
    from scipy.special import log_softmax

    logits = np.log(np.clip(probabilities, EPSILON, 1.0))
    n_classes = probabilities.shape[1]

    def negative_log_likelihood(parameters: np.ndarray) -> float:
        scaled = parameters[0] * logits + parameters[1:]
        return float(-log_softmax(scaled, axis=1)[np.arange(len(y_index)), y_index].mean())

    start = np.concatenate([[1.0], np.zeros(n_classes)])
    result = minimize(negative_log_likelihood, start, method="L-BFGS-B",
                      bounds=[(0.05, 20.0)] + [(-10.0, 10.0)] * n_classes)
    bias = result.x[1:] - result.x[1:].mean()  # softmax is shift-invariant: centre for readability
    return VectorScaling(scale=float(result.x[0]), bias=tuple(float(value) for value in bias))


@dataclass
class DecisionRule:
    """Arg-max of the calibrated probabilities after weighting one class."""

    classes: tuple[str, ...]
    weighted_class: str
    weight: float = 1.0

    def class_weights(self) -> np.ndarray:
        return np.array([self.weight if label == self.weighted_class else 1.0 for label in self.classes])

    def predict_index(self, probabilities: np.ndarray) -> np.ndarray:
        return np.argmax(probabilities * self.class_weights(), axis=1)

    def predict(self, probabilities: np.ndarray) -> np.ndarray:
        return np.asarray(self.classes, dtype=object)[self.predict_index(probabilities)]

    def to_dict(self) -> dict:
        return asdict(self) | {"classes": list(self.classes)}


def choose_class_weight(probabilities: np.ndarray, y_index: np.ndarray, classes: tuple[str, ...],
                        weighted_class: str, grid: tuple[float, ...] = LEAD_WEIGHT_GRID) -> tuple[DecisionRule, dict]:
    """Pick the weight of ``weighted_class`` that maximises macro-F1 on out-of-fold predictions.

    Ties go to the weight closest to 1 (the plain arg-max), the least tuned choice.
    Returns the rule and the macro-F1 of every weight tried.
    """
    from sklearn.metrics import f1_score  # here, not at the top: scoring must not import scikit-learn

    curve = {}
    for weight in grid:
        rule = DecisionRule(classes, weighted_class, float(weight))
        curve[float(weight)] = f1_score(y_index, rule.predict_index(probabilities), average="macro")
    best = max(curve.values())
    chosen = min((weight for weight, score in curve.items() if score >= best - 1e-12), key=lambda w: abs(w - 1.0))
    return DecisionRule(classes, weighted_class, chosen), curve


def decision_weight_curve(probabilities: np.ndarray, y_true, classes: tuple[str, ...], weighted_class: str,
                          weights: tuple[float, ...] = LEAD_WEIGHT_GRID) -> pd.DataFrame:
    """Precision, recall and F1 of ``weighted_class``, and macro-F1, for each weight of the rule.

    Reading this curve on a test split is for understanding only: choosing the weight on it would
    tune the model on the data that is supposed to judge it (the book chooses it on inner folds).

    Parameters
    ----------
    probabilities : ndarray of shape (n_rows, n_classes)
        Calibrated probabilities, columns in the order of ``classes``.
    y_true : array-like of str
        The true labels.
    classes : tuple of str
        Class names, in column order.
    weighted_class : str
        The class whose probability is multiplied by the weight before the arg-max.
    weights : tuple of float
        The weights to try.

    Returns
    -------
    DataFrame
        One row per weight: ``weight``, ``predicted_share`` (share of rows predicted as the
        class), ``precision``, ``recall``, ``f1`` of the class and ``macro_f1``.
    """
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    y_true = np.asarray(y_true, dtype=object)
    rows = []
    for weight in weights:
        predicted = DecisionRule(classes, weighted_class, float(weight)).predict(probabilities)
        precision, recall, f1, _ = precision_recall_fscore_support(
            y_true, predicted, labels=[weighted_class], zero_division=0)
        rows.append({"weight": float(weight), "predicted_share": float(np.mean(predicted == weighted_class)),
                     "precision": float(precision[0]), "recall": float(recall[0]), "f1": float(f1[0]),
                     "macro_f1": float(f1_score(y_true, predicted, labels=list(classes), average="macro",
                                                zero_division=0))})
    return pd.DataFrame(rows)
