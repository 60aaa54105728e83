"""What the cheaper fitting budgets cost in score: before and after, on the same folds.

Three budget choices speed up the book (issue 12) and are only kept if the scores the book reports
do not get worse:

- CatBoost combines categorical columns up to ``max_ctr_complexity`` columns at a time: CatBoost's
  default 4 ("before") against 1 ("after", :data:`datajobs.config.CATBOOST_PARAMS`);
- histogram gradient boosting runs its 100 iterations ("before") or stops when 5 more do not
  improve the loss on 10 % of the training fold ("after", :func:`datajobs.model.candidates.make_model`);
- the final model fits 200 iterations at learning rate 0.3 instead of 800 at 0.1.

Each configuration of the comparison chapter using these models is cross-validated both ways on
the same repeated folds; the table gives the mean macro-F1, the Lead data scientist F1 and the
summed fit time (CPU seconds of one-thread fits, run two at a time). Then the final model's
procedure (:func:`datajobs.model.train.fit_profile_model`) is fitted both ways on the same training rows
and scored on the same held-out rows.

    .venv/bin/python benchmarks/budgets.py [--data PATH] [--splits 5] [--repeats 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from datajobs.config import CATBOOST_PARAMS, MINORITY_LABEL, REAL_DATA_PATH, SEED, label_slug
from datajobs.data import labelled_rows, load_profiles
from datajobs.model.candidates import make_model
from datajobs.model.evaluate import cross_validate_configurations, make_folds, score_predictions
from datajobs.model.train import fit_profile_model

BEFORE = {"catboost": {"classifier__max_ctr_complexity": None},  # CatBoost's default, 4
          "hist_gradient_boosting": {"classifier__early_stopping": False}}
# The final model's former budget (max_ctr_complexity None: CatBoost's default, 4).
FORMER_FINAL = {**CATBOOST_PARAMS, "iterations": 800, "learning_rate": 0.1, "max_ctr_complexity": None}
STRATEGIES = {"catboost": ("none", "class_weight", "random_over", "random_under"),
              "hist_gradient_boosting": ("none", "class_weight", "random_over", "smote", "random_under")}


def configurations() -> dict:
    def factory(model: str, strategy: str, budget: str):
        def make():
            pipeline = make_model(model, strategy, seed=SEED)
            return pipeline.set_params(**BEFORE[model]) if budget == "before" else pipeline
        return make

    return {(f"{model} ({budget})", strategy): factory(model, strategy, budget)
            for model, strategies in STRATEGIES.items() for strategy in strategies for budget in ("before", "after")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(REAL_DATA_PATH))
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    os.environ["DATAJOBS_CACHE_DIR"] = "off"  # time real fits, not the fold cache

    frame, _ = labelled_rows(load_profiles(args.data).frame)
    lead = f"f1_{label_slug(MINORITY_LABEL)}"
    started = time.perf_counter()
    results = cross_validate_configurations(frame, configurations(), n_splits=args.splits, n_repeats=args.repeats,
                                            seed=SEED, progress=False, use_cache=False)
    print(f"{args.data}: {len(frame):,} labelled rows, {args.splits} x {args.repeats} folds, "
          f"{time.perf_counter() - started:.0f} s")
    print(f"{'configuration':<46} {'macro-F1':>17} {'Lead F1':>15} {'fit CPU s':>17}")
    results["base"] = results["model"].str.replace(r" \((before|after)\)$", "", regex=True)
    results["budget"] = results["model"].str.extract(r"\((before|after)\)$", expand=False)
    totals = {"before": 0.0, "after": 0.0}
    for (base, strategy), group in results.groupby(["base", "strategy"], sort=False):
        before, after = (group[group["budget"] == budget] for budget in ("before", "after"))
        totals["before"] += before["fit_seconds"].sum()
        totals["after"] += after["fit_seconds"].sum()
        print(f"{base + ' / ' + strategy:<46} {before['macro_f1'].mean():.4f} -> {after['macro_f1'].mean():.4f}"
              f"  {before[lead].mean():.3f} -> {after[lead].mean():.3f}"
              f"  {before['fit_seconds'].sum():6.1f} -> {after['fit_seconds'].sum():6.1f}")
    print(f"{'all of the above':<46} {'':>17} {'':>15}  {totals['before']:6.1f} -> {totals['after']:6.1f}")

    # The final model's whole procedure (out-of-fold calibration and decision rule, then the refit),
    # with the former budget and with ours, fitted on the same outer training folds.
    y = frame["profile"].astype(object).to_numpy()
    folds = make_folds(y, args.splits, args.repeats, SEED)
    print(f"\nfinal model procedure (calibrated, decision rule), {len(folds)} outer folds:")
    for budget, params in (("before", FORMER_FINAL), ("after", CATBOOST_PARAMS)):
        macro, lead_f1, seconds = [], [], []
        for _, _, train, test in folds:
            started = time.perf_counter()
            model = fit_profile_model(frame.iloc[train], params=params, seed=SEED)
            seconds.append(time.perf_counter() - started)
            scores = score_predictions(y[test], model.predict(frame.iloc[test]), model.classes)
            macro.append(scores["macro_f1"])
            lead_f1.append(scores[lead])
        described = ", ".join(f"{name} {params[name]}" for name in ("iterations", "learning_rate", "max_ctr_complexity"))
        print(f"  {budget:<7} {described:<62} macro-F1 {statistics.mean(macro):.4f} "
              f"(sd {statistics.stdev(macro):.4f}), Lead F1 {statistics.mean(lead_f1):.3f}, "
              f"{statistics.mean(seconds):.1f} s per fit")

if __name__ == "__main__":
    main()
