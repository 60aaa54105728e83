"""The model commands, parser and handler: train, predict, evaluate, monitor, export-web and promote."""

from __future__ import annotations

import argparse
import json
import sys

from datajobs import config
from datajobs.cli.parsing import UsageError, add_command, add_model_option, add_sheet_option


def handle_train(args: argparse.Namespace) -> int:
    from datajobs.ops.workflows import train_and_register

    outcome = train_and_register(args.data, args.out, sheet=args.sheet, seed=args.seed,
                                 include_company=not args.no_company, iterations=args.iterations,
                                 minority=args.minority, promote=args.promote)
    metadata = outcome.model.metadata
    metrics = metadata["cv_metrics"]
    print(f"trained on {metadata['training_rows']} rows of {args.data} in {metadata['training_seconds']:.1f} s"
          + (f" ({metadata['rows_without_label_excluded']} rows without a label left out)"
             if metadata["rows_without_label_excluded"] else ""))
    minority = metadata["minority_class"]
    print(f"classes: {', '.join(f'{label} ({count})' for label, count in metadata['class_counts'].items())}")
    print(f"out-of-fold macro-F1 {metrics['macro_f1']:.3f}, accuracy {metrics['accuracy']:.3f}, "
          f"{minority} F1 {metrics['f1_' + config.label_slug(minority)]:.3f} "
          "(minority class, weighted by the decision rule)")
    print(f"model written to {args.out}")
    registry = outcome.registry
    if registry:
        print(f"registered {registry['registered_model']} version {registry['version']}"
              f"{' as champion' if registry['champion'] else ''} ({registry['reason']}); run {outcome.run_id}")
    return 0


def handle_predict(args: argparse.Namespace) -> int:
    from datajobs.model.conformal import check_level
    from datajobs.ops.workflows import predict_batch

    try:
        level = check_level(args.level)
    except ValueError as error:
        raise UsageError(f"--level: {error}") from None
    summary = predict_batch(args.model, args.input, args.output, sheet=args.sheet, raw=args.raw, dask=args.dask,
                            level=level)
    target = args.output or "stdout"
    sizes = summary.set_size_text()
    print(f"scored {summary.rows - summary.unscored} of {summary.rows} rows -> {target}; "
          f"{summary.flagged} rows with warnings, {summary.unscored} not scorable"
          + (f"; prediction sets at {level:.0%}: {sizes}" if sizes else ""), file=sys.stderr)
    return 0


def handle_evaluate(args: argparse.Namespace) -> int:
    from datajobs.ops.workflows import evaluate_model

    print(json.dumps(evaluate_model(args.model, args.data, sheet=args.sheet), indent=2))
    return 0


def handle_monitor(args: argparse.Namespace) -> int:
    from datajobs.ops.workflows import monitor_report

    print(json.dumps(monitor_report(args.model, args.reference, args.batch), indent=2, ensure_ascii=False))
    return 0


def handle_export_web(args: argparse.Namespace) -> int:
    from datajobs.web.export import export_web_bundle

    path = export_web_bundle(args.model, args.output)
    print(f"wrote the browser predictor bundle ({path.stat().st_size / 1e6:.2f} MB) to {path}")
    return 0


def handle_promote(args: argparse.Namespace) -> int:
    from datajobs.ops.tracking import REGISTERED_MODEL_NAME
    from datajobs.ops.workflows import promote_champion

    outcome = promote_champion(args.version)
    print(f"{REGISTERED_MODEL_NAME} version {outcome['version']} is now champion "
          f"(was {outcome['previous'] or 'none'}); out-of-fold macro-F1 {outcome['cv_macro_f1']}")
    return 0


def add_train(commands) -> None:
    train = add_command(commands, "train", "train the CatBoost model on every labelled row of a file",
                        ["datajobs train --data my_profiles.csv --out models/mine",
                         "datajobs train --data export.xlsx --out models/mine --promote"], handle_train)
    train.add_argument("--data", required=True, help="labelled CSV or .xlsx file")
    add_sheet_option(train)
    train.add_argument("--out", required=True, help="model directory to write")
    train.add_argument("--seed", type=int, default=config.SEED, help="random seed")
    train.add_argument("--no-company", action="store_true", help="do not use the company as a feature")
    train.add_argument("--iterations", type=int,
                       help=f"CatBoost boosting iterations (default: {config.CATBOOST_PARAMS['iterations']}; "
                       "fewer for a quick check)")
    train.add_argument("--promote", action="store_true",
                       help="make this model the registry's champion (default: register it only)")
    train.add_argument("--minority", help="class the decision rule weights (default: the label with the fewest rows)")


def add_predict(commands) -> None:
    predict = add_command(commands, "predict", "predict the profile of every row of a batch file",
                          ["datajobs predict batch.csv -o batch_scored.csv",
                           "datajobs predict --model models:/datajobs-profile-classifier@champion batch.xlsx "
                           "-o scored.xlsx"], handle_predict)
    add_model_option(predict)
    predict.add_argument("input", help="CSV or .xlsx file; Metier may be empty or absent")
    add_sheet_option(predict)
    predict.add_argument("-o", "--output", help="file to write: every input column plus the prediction, in the input's "
                         "delimiter, or an Excel workbook for a .xlsx name (default: no file; predicted_metier, "
                         "probabilities and warnings are printed to stdout as comma-separated CSV)")
    predict.add_argument("--level", default="0.9", help="coverage level of the prediction_set column: how often, "
                         "for profiles like a row, its true job is in the set (0.8, 0.9 or 0.95)")
    predict.add_argument("--raw", action="store_true", help="write cells starting with = + - @ as they came "
                         "(by default they get a leading apostrophe so a spreadsheet does not run them)")
    predict.add_argument("--dask", metavar="SCHEDULER", help="score on a Dask cluster: its scheduler address "
                         "(tcp://host:8786) or 'local'; INPUT may then be a glob such as 'batches/*.csv', and -o a "
                         "folder (ending in /) for one file per input")


def add_evaluate(commands) -> None:
    evaluate = add_command(commands, "evaluate", "score a model on a labelled file (JSON)",
                           ["datajobs evaluate --data labelled_batch.csv",
                            "datajobs evaluate --model models:/datajobs-profile-classifier/2 --data labelled_batch.csv"], handle_evaluate)
    add_model_option(evaluate)
    evaluate.add_argument("--data", required=True, help="labelled CSV or .xlsx file")
    add_sheet_option(evaluate)


def add_monitor(commands) -> None:
    monitor = add_command(commands, "monitor", "drift and quality checks of a new batch against the training data",
                          ["datajobs monitor --reference data/sample/profiles_sample.csv --batch new_batch.csv"], handle_monitor)
    add_model_option(monitor)
    monitor.add_argument("--reference", required=True, help="the training data (CSV or .xlsx)")
    monitor.add_argument("--batch", required=True, help="the new batch (CSV or .xlsx, labelled or not)")


def add_export_web(commands) -> None:
    export_web = add_command(commands, "export-web", "write the model as a JavaScript bundle for the browser",
                             ["datajobs export-web --model outputs/model -o predictor.js"], handle_export_web)
    add_model_option(export_web, help="model directory")
    export_web.add_argument("-o", "--output", required=True, help=".js file to write")


def add_promote(commands) -> None:
    promote = add_command(commands, "promote", "make a registered model version the champion", ["datajobs promote 3"], handle_promote)
    promote.add_argument("version", type=int, help="registered version number (see `make mlflow-ui`)")
