"""Quality of the final model under repeated stratified K-fold, beside the seed study's setup.

Each outer fold fits the *whole* training procedure (inner out-of-fold calibration and decision
rule, then CatBoost on the training part) and scores the held-out part, so the figures are what a
new profile can expect. The seed study's configuration (CatBoost, 200 iterations, depth 3,
learning rate 0.4, no company, missing experience imputed with each class's mean before the
split) runs on the same folds, with and without its leak.

    .venv/bin/python benchmarks/quality.py [--data PATH] [--splits 5] [--repeats 2]
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from datajobs.config import REAL_DATA_PATH, SEED
from datajobs.data import labelled_rows, load_profiles
from datajobs.model.candidates import make_seed_study_model
from datajobs.model.evaluate import make_folds, score_predictions
from datajobs.model.features import impute_experience_by_class_leaky
from datajobs.model.train import fit_profile_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(REAL_DATA_PATH))
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    frame, _ = labelled_rows(load_profiles(args.data).frame)
    leaked = impute_experience_by_class_leaky(frame)
    y = frame["profile"].astype(object).to_numpy()
    rows = []
    for repeat, fold, train, test in make_folds(y, args.splits, args.repeats, SEED):
        started = time.perf_counter()
        model = fit_profile_model(frame.iloc[train], seed=SEED)
        ours = score_predictions(y[test], model.predict(frame.iloc[test]))
        rows.append({"setup": "ours: CatBoost + company, calibrated, Lead rule", "repeat": repeat, "fold": fold,
                     **ours, "seconds": time.perf_counter() - started})
        for name, source in (("seed study (leaky imputation)", leaked), ("seed study, leak removed", frame)):
            started = time.perf_counter()
            model = make_seed_study_model(SEED, thread_count=-1).fit(source.iloc[train], y[train])
            predicted = model.predict(source.iloc[test])
            rows.append({"setup": name, "repeat": repeat, "fold": fold,
                         **score_predictions(y[test], predicted), "seconds": time.perf_counter() - started})
        print(f"fold {repeat}.{fold}: ours macro-F1 {ours['macro_f1']:.4f}, Lead F1 {ours['f1_lead_data_scientist']:.4f}",
              flush=True)
    results = pd.DataFrame(rows)
    metrics = ["macro_f1", "f1_lead_data_scientist", "balanced_accuracy", "accuracy", "seconds"]
    summary = results.groupby("setup", sort=False)[metrics].agg(["mean", "std"]).round(4)
    print(f"\n{args.data}: {len(frame)} rows, repeated stratified {args.splits}-fold x {args.repeats}")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(summary)
    ours = results[results["setup"].str.startswith("ours")]
    print(f"\nours: macro-F1 {ours['macro_f1'].mean():.4f} (target >= 0.87, stretch 0.885), "
          f"Lead F1 {ours['f1_lead_data_scientist'].mean():.4f} (target >= 0.62)")


if __name__ == "__main__":
    main()
