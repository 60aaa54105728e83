"""Figures of the book. Each function draws one figure and returns it (no global state kept)."""

from __future__ import annotations

import textwrap

import matplotlib.colors
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from datajobs.config import PROFILE_LABELS
from datajobs.data import RAW_HEADER, ordered_labels
from datajobs.model.colours import LABEL_COLOURS
from datajobs.model.colours import label_colours as hex_label_colours
from datajobs.report.display import column_name, configuration_name, model_name, strategy_name

# The label colours of datajobs.model.colours (the predictor's too) as matplotlib's RGB tuples: the
# reference labels keep theirs whatever the data; a label of the data's own takes the next one.
_COLOURS = [matplotlib.colors.to_rgb(colour) for colour in LABEL_COLOURS]
PALETTE = dict(zip(PROFILE_LABELS, _COLOURS, strict=False))
sns.set_theme(style="whitegrid", context="notebook")


def _wrap(labels, width: int = 12) -> list[str]:
    """Long category names on two lines, so neighbouring tick labels never overlap."""
    return [textwrap.fill(str(label), width) for label in labels]


def label_colours(labels) -> dict[str, tuple]:
    """A colour for each label: the reference palette, then further colours for other labels."""
    return {label: matplotlib.colors.to_rgb(colour) for label, colour in hex_label_colours(labels).items()}


def _figure(width: float = 8.0, height: float = 4.5):
    figure, axes = plt.subplots(figsize=(width, height), layout="constrained")
    return figure, axes


def plot_missing_values(raw: pd.DataFrame, max_rows: int = 400):
    """Which raw cells are empty, for a sample of rows (one row of pixels per profile)."""
    empty = raw.apply(lambda column: column.astype(str).str.strip().eq("") | column.isna())
    shown = empty.sample(min(max_rows, len(empty)), random_state=0).sort_index() if len(empty) else empty
    figure, axes = _figure(8, 4)
    # The file's own (French) header, with the name the book uses for it below.
    canonical = {raw_name.casefold(): name for name, raw_name in RAW_HEADER.items()}
    names = [f"{column}\n({canonical[key]})" if canonical.get(key, key) != key else str(column)
             for column, key in ((column, str(column).casefold()) for column in shown.columns)]
    sns.heatmap(shown.astype(int), cbar=False, cmap=["#f0f0f0", "#d62728"], yticklabels=False, ax=axes,
                xticklabels=names)
    axes.tick_params(axis="x", labelrotation=0)
    axes.set(xlabel="column", ylabel=f"{len(shown)} sampled rows",
             title="Empty cells (red) in the raw file, by column")
    return figure


def plot_class_balance(profiles: pd.Series):
    labels = ordered_labels(profiles)
    counts = profiles.value_counts().reindex(labels).fillna(0)
    colours = label_colours(labels)
    figure, axes = _figure(7, 3.5)
    axes.barh(counts.index, counts.to_numpy(), color=[colours[label] for label in counts.index])
    total = counts.sum()
    for position, value in enumerate(counts.to_numpy()):
        axes.text(value, position, f" {int(value)} ({value / total:.0%})", va="center")
    axes.invert_yaxis()
    axes.set(xlabel="profiles", title="Class balance")
    axes.set_xlim(0, counts.max() * 1.25)
    return figure


def plot_experience_distribution(years: pd.Series):
    figure, axes = _figure(7, 3.5)
    sns.histplot(years.dropna(), bins=np.arange(0, years.max() + 1.5, 0.5), ax=axes, color="#4c72b0")
    axes.axvline(years.mean(), color="#d62728", linestyle="--", label=f"mean {years.mean():.1f}")
    axes.axvline(years.median(), color="#2ca02c", linestyle=":", label=f"median {years.median():.1f}")
    axes.set(xlabel="years of experience", ylabel="profiles", title="Distribution of experience")
    axes.legend()
    return figure


def plot_experience_by_profile(frame: pd.DataFrame):
    figure, axes = _figure(8, 4)
    data = frame.dropna(subset=["experience", "profile"])
    data = data.assign(profile=data["profile"].astype(object))
    labels = ordered_labels(data["profile"])
    sns.violinplot(data=data, x="experience", y="profile", order=list(labels), hue="profile",
                   palette=label_colours(labels), cut=0, inner="quartile", legend=False, ax=axes)
    means = data.groupby("profile", observed=True)["experience"].mean()
    for position, label in enumerate(labels):
        if label in means:
            axes.plot(means[label], position, marker="D", color="black")
    axes.set(xlabel="years of experience (diamond: mean)", ylabel="", title="Experience by profile")
    return figure


def plot_crosstab_heatmap(frame: pd.DataFrame, column: str, title: str, normalize: str = "index",
                          order: list[str] | None = None):
    """Share of each value of ``column`` within each profile; many values go down the rows."""
    table = pd.crosstab(frame["profile"], frame[column].fillna("missing"), normalize=normalize)
    table = table.reindex(index=list(ordered_labels(table.index)))
    if order:
        table = table.reindex(columns=[value for value in order if value in table.columns])
    if table.shape[1] > 6:  # e.g. cities: one row each, profiles across
        figure, axes = _figure(7, 0.38 * table.shape[1] + 1.5)
        sns.heatmap(table.T, annot=True, fmt=".0%", cmap="Blues", cbar=False, ax=axes,
                    xticklabels=_wrap(table.index))
        axes.set(xlabel="", ylabel=column, title=title)
        axes.tick_params(axis="y", rotation=0)
        return figure
    figure, axes = _figure(max(6, 0.6 * table.shape[1] + 3), 3.6)
    sns.heatmap(table, annot=True, fmt=".0%", cmap="Blues", cbar=False, ax=axes)
    axes.set(xlabel=column, ylabel="", title=title)
    return figure


def plot_top_counts(counts: pd.Series, title: str, xlabel: str, top: int = 20):
    shown = counts.head(top)[::-1]
    figure, axes = _figure(7, max(3, 0.28 * len(shown) + 1))
    axes.barh([str(name) for name in shown.index], shown.to_numpy(), color="#4c72b0")
    axes.set(xlabel=xlabel, title=title)
    return figure


def plot_technology_heatmap(share: pd.DataFrame, title: str):
    """Share of each profile that lists each technology (rows: technologies)."""
    # Rows tall enough for percentages a reader can read at the page's width (9 pt).
    figure, axes = _figure(7, max(4, 0.34 * len(share) + 1))
    sns.heatmap(share, annot=True, fmt=".0%", cmap="Blues", cbar=False, ax=axes, annot_kws={"size": 9},
                xticklabels=_wrap(share.columns))
    axes.set(xlabel="", ylabel="", title=title)
    return figure


def plot_fold_scores(results: pd.DataFrame, metric: str = "macro_f1", order: list[str] | None = None,
                     references: dict[str, float] | None = None, label: str | None = None):
    """Fold-level scores of each configuration (box + points), best first.

    ``references`` are drawn as labelled vertical lines (e.g. the dummy baseline or the chance
    level) instead of boxes, so the axis stays scaled to the configurations it compares.
    """
    data = results.assign(configuration=list(map(configuration_name, results["model"], results["strategy"])))
    order = order or list(data.groupby("configuration")[metric].mean().sort_values(ascending=False).index)
    label = label or column_name(metric)
    figure, axes = _figure(8, max(4, 0.24 * len(order) + 1))
    sns.boxplot(data=data, x=metric, y="configuration", order=order, color="#dfe7f2", fliersize=0, ax=axes)
    sns.stripplot(data=data, x=metric, y="configuration", order=order, size=3, color="#1f3b73", ax=axes)
    low = data.loc[data["configuration"].isin(order), metric].min()
    styles = iter(["--", ":", "-."])
    for name, value in (references or {}).items():
        if value >= low - 0.05:
            axes.axvline(value, color="#d62728", linestyle=next(styles, "--"), label=f"{name}: {value:.3f}")
        else:  # far below the compared scores: say it rather than squash the axis
            axes.plot([], [], " ", label=f"{name}: {value:.3f} (off the axis)")
    if references:
        # Below the axes, where it cannot cover a box.
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=10, frameon=False)
    axes.set(xlabel=label, ylabel="", title=f"{label} on each fold")
    return figure


def plot_metric_grid(summary: pd.DataFrame, column: str, title: str, label: str | None = None):
    """A model × strategy heatmap of one summary column; ``label`` says in words what the colour is."""
    table = summary.pivot(index="model", columns="strategy", values=column)
    table = table.loc[table.mean(axis=1).sort_values(ascending=False).index]
    table.index = table.index.map(model_name)
    # "random over-sampling" and "random under-sampling" side by side would run into each other:
    # short lines ("random / over- / sampling").
    table.columns = _wrap([strategy_name(str(column)) for column in table.columns], width=8)
    figure, axes = _figure(7.5, 0.4 * len(table) + 1.5)
    sns.heatmap(table, annot=True, fmt=".2f", cmap="viridis", ax=axes, cbar_kws={"label": label or title})
    axes.tick_params(axis="x", labelrotation=0)
    axes.set(xlabel="imbalance strategy", ylabel="", title=title)
    return figure


def plot_paired_differences(left: pd.Series, right: pd.Series, left_name: str, right_name: str, metric: str):
    """Fold-by-fold scores of two setups on the same folds, joined by a line."""
    figure, axes = _figure(6, 4)
    for a, b in zip(left, right, strict=True):
        axes.plot([0, 1], [a, b], color="grey", alpha=0.5)
    axes.scatter(np.zeros(len(left)), left, color="#d62728", zorder=3)
    axes.scatter(np.ones(len(right)), right, color="#1f77b4", zorder=3)
    axes.set_xticks([0, 1], [left_name, right_name])
    axes.set_xlim(-0.4, 1.4)
    axes.set(ylabel=column_name(metric), title="Same folds, two ways of imputing")
    return figure


def plot_confusion_matrix(y_true, y_pred, labels: tuple[str, ...] | None = None):
    from sklearn.metrics import confusion_matrix

    labels = labels or ordered_labels([*np.asarray(y_true, dtype=object), *np.asarray(y_pred, dtype=object)])
    matrix = confusion_matrix(np.asarray(y_true, dtype=object), np.asarray(y_pred, dtype=object), labels=list(labels))
    share = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    annotations = np.array([[f"{count}\n{fraction:.0%}" for count, fraction in zip(row, shares, strict=True)]
                            for row, shares in zip(matrix, share, strict=True)])
    figure, axes = _figure(6.5, 5)
    sns.heatmap(share, annot=annotations, fmt="", cmap="Blues", cbar=False, xticklabels=_wrap(labels),
                yticklabels=labels, ax=axes)
    axes.set(xlabel="predicted", ylabel="true", title="Confusion matrix on the held-out test split")
    return figure


def plot_calibration(y_true, probabilities: np.ndarray, labels: tuple[str, ...] | None = None, bins: int = 8):
    """Reliability diagram, one-vs-rest per class: mean predicted probability vs observed share.

    ``labels`` are the columns of ``probabilities`` (the model's classes); by default the labels
    of ``y_true``, which must then hold every class.
    """
    from sklearn.calibration import calibration_curve

    y_true = np.asarray(y_true, dtype=object)
    labels = labels or ordered_labels(y_true)
    colours = label_colours(labels)
    figure, axes = _figure(6, 5)
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
    for index, label in enumerate(labels):
        observed, predicted = calibration_curve(y_true == label, probabilities[:, index], n_bins=bins,
                                                strategy="quantile")
        axes.plot(predicted, observed, marker="o", color=colours[label], label=label)
    axes.set(xlabel="predicted probability", ylabel="observed share", title="Calibration (one vs rest)")
    axes.legend(fontsize=8)
    return figure


def plot_feature_importance(importance: pd.Series, title: str, top: int = 20):
    return plot_top_counts(importance.sort_values(ascending=False), title, "importance", top)


def plot_probability_bars(probabilities: dict[str, float], title: str = "Probability of each profile"):
    """Small horizontal bar chart used by the predictor."""
    labels = list(probabilities)
    values = [probabilities[label] for label in labels]
    figure, axes = plt.subplots(figsize=(5.5, 2.2), layout="constrained")
    colours = label_colours(labels)
    axes.barh(labels, values, color=[colours[label] for label in labels])
    for position, value in enumerate(values):
        axes.text(min(value, 0.82) + 0.01, position, f"{value:.0%}", va="center")
    axes.set_xlim(0, 1)
    axes.invert_yaxis()
    axes.set(title=title, xlabel="probability")
    return figure


def plot_coverage_by_class(coverage: pd.DataFrame, level: float):
    """Coverage of each class (rows: ``class``, ``method``, ``coverage``, ``low``, ``high``) against ``level``."""
    methods = list(dict.fromkeys(coverage["method"]))
    classes = list(dict.fromkeys(coverage["class"]))
    figure, axes = _figure(8, 0.9 + 0.75 * len(classes))
    markers = ("o", "s", "D", "^")
    for offset, (method, marker) in enumerate(zip(methods, markers, strict=False)):
        part = coverage[coverage["method"] == method].set_index("class").reindex(classes)
        positions = np.arange(len(classes)) + (offset - (len(methods) - 1) / 2) * 0.28
        axes.errorbar(part["coverage"], positions, xerr=[part["coverage"] - part["low"], part["high"] - part["coverage"]],
                      fmt=marker, capsize=3, label=method, color=_COLOURS[offset * 2 % len(_COLOURS)])
    axes.axvline(level, color="grey", linestyle="--", linewidth=1)
    axes.set_yticks(np.arange(len(classes)), classes)
    axes.invert_yaxis()
    axes.text(level, -0.6, f"promised {level:.0%} ", color="grey", ha="right", va="bottom", fontsize=10)
    axes.set(xlabel="share of the class's test profiles whose set holds their job", ylabel="",
             xlim=(max(0.0, float(coverage["low"].min()) - 0.05), 1.0))
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2 if len(classes) > 3 else -0.3), ncols=len(methods),
                frameon=False)
    return figure


def plot_risk_coverage(curve: pd.DataFrame, marked: tuple[float, ...], overall_accuracy: float):
    """Accuracy of the single-label answers against the share of profiles answered, one point per level."""
    figure, axes = _figure(7, 4.2)
    axes.plot(curve["answered"], curve["accuracy_answered"], color=_COLOURS[0], marker=".", markersize=4)
    for level in marked:
        point = curve.loc[(curve["level"] - level).abs().idxmin()]
        axes.plot(point["answered"], point["accuracy_answered"], "o", color=_COLOURS[1])
        axes.annotate(f"{level:.0%}", (point["answered"], point["accuracy_answered"]), textcoords="offset points",
                      xytext=(6, 4), fontsize=10)
    axes.axhline(overall_accuracy, color="grey", linestyle="--", linewidth=1)
    axes.text(float(curve["answered"].min()), overall_accuracy, "accuracy when answering every profile",
              color="grey", va="bottom", fontsize=9)
    axes.set(xlabel="share of profiles answered with a single job", ylabel="accuracy of those answers")
    return figure


def plot_group_scores(slices: pd.DataFrame, overall: float, metric: str = "macro_f1",
                      names: dict[str, str] | None = None):
    """A score of each group with its 95 % interval, one panel per column (``slices`` from
    :func:`datajobs.model.slices.slice_scores`): groups too small to judge are drawn hollow and grey;
    the dashed line is the score on every profile."""
    columns = list(dict.fromkeys(slices["column"]))
    heights = [max(2, (slices["column"] == column).sum()) for column in columns]
    figure, panels = plt.subplots(len(columns), 1, figsize=(8, 1.0 + 0.32 * sum(heights) + 0.5 * len(columns)),
                                  layout="constrained", sharex=True, gridspec_kw={"height_ratios": heights})
    panels = np.atleast_1d(panels)
    label = {"macro_f1": "macro-F1", "accuracy": "accuracy"}.get(metric, metric)
    for axes, column in zip(panels, columns, strict=True):
        part = slices[slices["column"] == column].reset_index(drop=True)
        positions = np.arange(len(part))
        error = [part[metric] - part[f"{metric}_low"], part[f"{metric}_high"] - part[metric]]
        for judged, style in ((True, {"fmt": "o", "color": _COLOURS[0]}),
                              (False, {"fmt": "o", "color": "#949494", "markerfacecolor": "white"})):
            rows = part["judged"].astype(bool).to_numpy() == judged
            if rows.any():
                axes.errorbar(part.loc[rows, metric], positions[rows],
                              xerr=[error[0][rows], error[1][rows]], capsize=2, linewidth=1, **style)
        axes.axvline(overall, color="grey", linestyle="--", linewidth=1)
        axes.set_yticks(positions, [f"{group} ({rows:,})" for group, rows in zip(part["group"], part["rows"],
                                                                                   strict=True)], fontsize=9)
        axes.invert_yaxis()
        axes.set_ylabel((names or {}).get(column, column), fontsize=10)
    panels[-1].set_xlabel(f"{label} of the group, with its 95 % interval")
    return figure
