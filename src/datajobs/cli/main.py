"""The ``datajobs`` command: validate, synth, train, predict, evaluate, book, pdf, publish, app, monitor,
student, export-web.

Every sub-command turns a :class:`~datajobs.data.loading.DataFileError` (or any other expected failure)
into one line on stderr and exit status 2: users see what is wrong with their file, not a
traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from datajobs import config
from datajobs.data.loading import DataFileError


class UsageError(Exception):
    """A command-line problem explained in one line."""


def _command_validate(args: argparse.Namespace) -> int:
    from datajobs.data.loading import load_profiles

    loaded = load_profiles(args.input, sheet=args.sheet)
    if args.json:
        print(json.dumps(loaded.report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(loaded.report.to_text(max_warnings=args.max_warnings))
    return 0


def _command_synth(args: argparse.Namespace) -> int:
    from datajobs.data.synth import generate_profiles, write_profiles_csv

    if args.rows < 1:
        raise UsageError("--rows must be at least 1")
    path = write_profiles_csv(generate_profiles(args.rows, args.seed), args.output)
    print(f"wrote {args.rows} synthetic profiles (seed {args.seed}) to {path}")
    return 0


def _load_model(reference: str):
    """A model directory, or a registry reference such as models:/datajobs-profile-classifier@champion."""
    from datajobs.model.profile_model import ProfileModel

    if reference.startswith("models:/"):
        from datajobs.ops.tracking import resolve_model_directory

        try:
            return ProfileModel.load(resolve_model_directory(reference))
        except DataFileError:
            raise
        except Exception as error:  # registry unreachable, unknown name or alias
            raise UsageError(f"cannot load {reference} from the MLflow registry ({type(error).__name__}: {error})") from None
    return ProfileModel.load(reference)


def _command_train(args: argparse.Namespace) -> int:
    from datajobs.data.loading import load_profiles
    from datajobs.model.evaluate import label_slug
    from datajobs.model.train import LabelError, fit_profile_model

    loaded = load_profiles(args.data, sheet=args.sheet)
    try:
        params = {"iterations": args.iterations} if args.iterations else None
        model = fit_profile_model(loaded.frame, params=params, include_company=not args.no_company, seed=args.seed,
                                  data_sha256=loaded.report.sha256, data_path=str(Path(args.data).resolve()),
                                  minority=args.minority)
    except LabelError as error:
        raise UsageError(f"{args.data}: {error}") from None
    model.save(args.out)
    from datajobs.ops import tracking

    with tracking.start_run("datajobs train", {"entry_point": "datajobs train"}) as tracker:
        tracker.log_params({"data_path": str(Path(args.data).resolve()), "data_sha256": loaded.report.sha256,
                            "seed": args.seed, "include_company": not args.no_company, **model.metadata["params"]})
        tracker.log_metrics({f"cv_{name}": value for name, value in model.metadata["cv_metrics"].items()})
        registry = tracking.log_profile_model(tracker, model, Path(args.out),
                                              promote="always" if args.promote else "never")
    metadata = model.metadata
    metrics = metadata["cv_metrics"]
    print(f"trained on {metadata['training_rows']} rows of {args.data} in {metadata['training_seconds']:.1f} s"
          + (f" ({metadata['rows_without_label_excluded']} rows without a label left out)"
             if metadata["rows_without_label_excluded"] else ""))
    minority = metadata["minority_class"]
    print(f"classes: {', '.join(f'{label} ({count})' for label, count in metadata['class_counts'].items())}")
    print(f"out-of-fold macro-F1 {metrics['macro_f1']:.3f}, accuracy {metrics['accuracy']:.3f}, "
          f"{minority} F1 {metrics['f1_' + label_slug(minority)]:.3f} (minority class, weighted by the decision rule)")
    print(f"model written to {args.out}")
    if registry:
        print(f"registered {registry['registered_model']} version {registry['version']}"
              f"{' as champion' if registry['champion'] else ''} ({registry['reason']}); run {tracker.run_id}")
    return 0


def _command_monitor(args: argparse.Namespace) -> int:
    from datajobs.data.loading import load_profiles
    from datajobs.ops import tracking
    from datajobs.ops.monitor import THRESHOLDS, monitor_batch, overall_verdict

    model = _load_model(args.model)
    reference = load_profiles(args.reference)
    batch = load_profiles(args.batch)
    checks = monitor_batch(model, reference.frame, batch.frame)
    verdict = overall_verdict(checks)
    report = {
        "verdict": verdict, "reference": str(args.reference), "batch": str(args.batch),
        "batch_rows": len(batch.frame), "reference_rows": len(reference.frame),
        "thresholds": {name: {"warn": rule.warn, "drift": rule.drift, "meaning": rule.meaning}
                       for name, rule in THRESHOLDS.items()},
        "checks": json.loads(checks.to_json(orient="records")),
    }
    with tracking.start_run("datajobs monitor", {"entry_point": "datajobs monitor", "verdict": verdict}) as tracker:
        tracker.log_params({"reference_sha256": reference.report.sha256, "batch_sha256": batch.report.sha256,
                            "model": args.model})
        tracker.log_metrics({f"{row.check.split(' ')[0]}_{row.feature}".replace(" ", "_"): row.value
                             for row in checks.itertuples()})
        tracker.log_dict(report, "monitoring_report.json")
    report["mlflow_run_id"] = tracker.run_id
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


def _command_predict(args: argparse.Namespace) -> int:
    from datajobs.model.profile_model import ScoringSummary, predict_file, score_file, summary_csv

    if args.dask:
        summary = _predict_on_dask(args)
    else:
        model = _load_model(args.model)
        workbook = any(str(name).lower().endswith((".xlsx", ".xlsm")) for name in (args.input, args.output or ""))
        if workbook or args.sheet:
            # A workbook is read and written whole.
            output = predict_file(model, args.input, args.output, sheet=args.sheet, raw=args.raw)
            if args.output is None:
                print(summary_csv(output), end="")
            summary = ScoringSummary()
            summary.add(output)
        else:
            # Read, scored and written chunk by chunk: memory stays flat however large the file.
            summary = score_file(model, args.input, args.output, raw=args.raw)
    target = args.output or "stdout"
    print(f"scored {summary.rows - summary.unscored} of {summary.rows} rows -> {target}; "
          f"{summary.flagged} rows with warnings, {summary.unscored} not scorable", file=sys.stderr)
    return 0


def _predict_on_dask(args: argparse.Namespace):
    from datajobs.ops.scale import ScaleError, expand_inputs, score_files_on_dask

    if args.model.startswith("models:/"):
        raise UsageError("--dask takes a model directory (export a registry model with `datajobs` first)")
    try:
        inputs = expand_inputs(args.input)
        output = Path(args.output) if args.output else None
        per_input = output is not None and (output.is_dir() or args.output.endswith("/"))
        if per_input:
            output.mkdir(parents=True, exist_ok=True)
        # Otherwise several inputs go into one file, their rows one after the other, header once.
        return score_files_on_dask(args.model, inputs, output, args.dask, one_file_per_input=per_input)
    except ScaleError as error:
        raise UsageError(str(error)) from None


def _command_evaluate(args: argparse.Namespace) -> int:
    from datajobs.data.loading import load_profiles
    from datajobs.model.evaluate import label_slug, score_predictions
    from datajobs.model.train import labelled_rows

    model = _load_model(args.model)
    frame, excluded = labelled_rows(load_profiles(args.data, sheet=args.sheet).frame)
    if frame.empty:
        raise UsageError(f"{args.data}: no row has a Metier label to evaluate against")
    truth = frame["profile"].astype(object)
    unknown = sorted(set(truth) - set(model.classes))
    # A label the model never saw is scored too (it is always wrong): the score must not hide it.
    scores = score_predictions(truth, model.predict(frame), (*model.classes, *unknown))
    print(json.dumps({
        "rows": len(frame), "rows_without_label_excluded": excluded,
        "labels_unknown_to_the_model": {label: int((truth == label).sum()) for label in unknown},
        "accuracy": round(scores["accuracy"], 4), "macro_f1": round(scores["macro_f1"], 4),
        "balanced_accuracy": round(scores["balanced_accuracy"], 4),
        "per_class_f1": {label: round(scores[f"f1_{label_slug(label)}"], 4) for label in model.classes},
    }, indent=2))
    return 0


def _command_book(args: argparse.Namespace) -> int:
    from datajobs.publishing.run import BookError, run_book

    try:
        html = run_book(args.data, profile=args.profile, seed=args.seed, outputs_dir=args.outputs,
                        build_parent=args.build_parent, force=args.force)
    except BookError as error:
        raise UsageError(str(error)) from None
    print(f"open {html / 'index.html'}")
    return 0


def _command_pdf(args: argparse.Namespace) -> int:
    from datajobs.publishing.pdf import make_pdf
    from datajobs.publishing.run import BookError

    try:
        make_pdf(args.outputs, args.build_parent)
    except BookError as error:
        raise UsageError(str(error)) from None
    return 0


def _command_publish(args: argparse.Namespace) -> int:
    from datajobs.publishing.publish import PublishError, publish_html

    try:
        publish_html(args.html, remote=args.remote)
    except PublishError as error:
        raise UsageError(str(error)) from None
    return 0


def _command_export_web(args: argparse.Namespace) -> int:
    from datajobs.web.export import export_web_bundle

    path = export_web_bundle(args.model, args.output)
    print(f"wrote the browser predictor bundle ({path.stat().st_size / 1e6:.2f} MB) to {path}")
    return 0


APP_NOTEBOOK = config.OUTPUTS_DIR / "app" / "05_predictor.ipynb"


def voila_command(port: int) -> list[str]:
    """The Voilà command serving the Predictor notebook (made from its markdown source) on 127.0.0.1 only."""
    voila = Path(sys.executable).with_name("voila")
    return [str(voila) if voila.exists() else "voila", str(APP_NOTEBOOK),
            f"--port={port}", "--no-browser", "--Voila.ip=127.0.0.1", "--theme=light",
            # Serve no file beside the page (a pattern no path matches; "=[]" is deprecated syntax).
            "--VoilaConfiguration.file_allowlist=^$", "--show_tracebacks=False",
            # Quiet: Voilà's own lines ("not trusted" for a notebook made at start-up) are noise
            # here, and the kernel talks over a local socket, not TCP (no transport warning).
            "--Voila.log_level=ERROR", "--KernelManager.transport=ipc"]


def _command_app(args: argparse.Namespace) -> int:
    import os
    import subprocess

    from datajobs.model.train import load_or_train_model
    from datajobs.publishing.run import materialise_notebook, notebook_source

    # Train once here if needed, so the page does not wait for it at its first visit.
    model_dir = Path(args.model).resolve()
    load_or_train_model(model_dir, config.SAMPLE_DATA_PATH)
    print(f"predictor on http://127.0.0.1:{args.port} with the model in {model_dir} (Ctrl-C to stop)", flush=True)
    materialise_notebook(notebook_source("05_predictor"), APP_NOTEBOOK)
    return subprocess.call(voila_command(args.port), cwd=APP_NOTEBOOK.parent,
                           env={**os.environ, "DATAJOBS_MODEL_DIR": str(model_dir)})


def _command_promote(args: argparse.Namespace) -> int:
    from datajobs.ops import tracking

    if not tracking.tracking_enabled():
        raise UsageError("tracking is off (DATAJOBS_TRACKING=off): there is no registry to promote in")
    try:
        outcome = tracking.promote_version(args.version)
    except Exception as error:  # unknown version, store unreachable
        raise UsageError(f"cannot promote version {args.version} of {tracking.REGISTERED_MODEL_NAME} "
                         f"({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''})") from None
    print(f"{tracking.REGISTERED_MODEL_NAME} version {outcome['version']} is now champion "
          f"(was {outcome['previous'] or 'none'}); out-of-fold macro-F1 {outcome['cv_macro_f1']}")
    return 0


def _command_student(args: argparse.Namespace) -> int:
    from datajobs.publishing.student import ZIP_NAME, ExerciseStructureError, write_student_edition

    try:
        folder = write_student_edition(args.out, make_zip=not args.no_zip)
    except ExerciseStructureError as error:
        raise UsageError(str(error)) from None
    print(f"student edition (no solutions, no outputs) in {folder}"
          + ("" if args.no_zip else f" and {folder.parent / ZIP_NAME}"))
    return 0


def _command_mlflow_ui(args: argparse.Namespace) -> int:
    import subprocess

    from datajobs.ops.tracking import tracking_uri

    uri = tracking_uri()
    config.MLFLOW_DIR.mkdir(parents=True, exist_ok=True)
    mlflow = Path(sys.executable).with_name("mlflow")
    print(f"MLflow UI for {uri} on http://127.0.0.1:{args.port} (Ctrl-C to stop)", flush=True)
    return subprocess.call([str(mlflow) if mlflow.exists() else "mlflow", "ui", "--backend-store-uri", uri,
                            "--host", "127.0.0.1", "--port", str(args.port)])


SHEET_HELP = "worksheet of an .xlsx file, by name or 1-based position (default: the first sheet)"
MODEL_HELP = ("model directory, or a registry reference: models:/datajobs-profile-classifier@champion "
              "(the champion) or models:/datajobs-profile-classifier/3 (version 3)")


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Shows each option's default (paths relative to the project) and keeps the examples' layout."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if "default" in text or default in (None, False, argparse.SUPPRESS) or not action.option_strings:
            return text
        if isinstance(default, str) and default.startswith(str(config.PROJECT_ROOT)):
            default = Path(default).relative_to(config.PROJECT_ROOT).as_posix() or "."
        return f"{text} (default: {default})"


def _command(commands, name: str, help: str, examples: list[str]) -> argparse.ArgumentParser:
    epilog = "example" + ("s" if len(examples) > 1 else "") + ":\n" + "\n".join(f"  {line}" for line in examples)
    return commands.add_parser(name, help=help, description=help[:1].upper() + help[1:] + ".", epilog=epilog,
                               formatter_class=HelpFormatter)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="datajobs", formatter_class=HelpFormatter,
        description="Classify data-job profiles; validate data, train, predict, build the book.",
        epilog="Run `datajobs COMMAND --help` for a command's options, defaults and an example.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = _command(commands, "validate", "load a profile file and report what was normalised",
                        ["datajobs validate data/sample/profiles_sample.csv",
                         "datajobs validate export.xlsx --sheet Feuil1 --json | head"])
    validate.add_argument("input", help="CSV file (';', ',' or tab separated, any Excel encoding) or .xlsx")
    validate.add_argument("--sheet", help=SHEET_HELP)
    validate.add_argument("--json", action="store_true", help="print the report as JSON (every warning)")
    validate.add_argument("--max-warnings", type=int, default=20, help="warnings shown in the text report")
    validate.set_defaults(handler=_command_validate)

    synth = _command(commands, "synth", "write a synthetic sample drawn from the shipped frequency tables",
                     ["datajobs synth --rows 500 --seed 7 -o /tmp/synthetic.csv"])
    synth.add_argument("--rows", type=int, default=config.SYNTHETIC_SAMPLE_ROWS, help="rows to draw")
    synth.add_argument("--seed", type=int, default=config.SYNTHETIC_SAMPLE_SEED, help="random seed")
    synth.add_argument("-o", "--output", required=True, help="CSV file to write")
    synth.set_defaults(handler=_command_synth)

    train = _command(commands, "train", "train the CatBoost model on every labelled row of a file",
                     ["datajobs train --data my_profiles.csv --out models/mine",
                      "datajobs train --data export.xlsx --out models/mine --promote"])
    train.add_argument("--data", required=True, help="labelled CSV or .xlsx file")
    train.add_argument("--sheet", help=SHEET_HELP)
    train.add_argument("--out", required=True, help="model directory to write")
    train.add_argument("--seed", type=int, default=config.SEED, help="random seed")
    train.add_argument("--no-company", action="store_true", help="do not use the company as a feature")
    train.add_argument("--iterations", type=int,
                       help=f"CatBoost boosting iterations (default: {config.CATBOOST_PARAMS['iterations']}; "
                       "fewer for a quick check)")
    train.add_argument("--promote", action="store_true",
                       help="make this model the registry's champion (default: register it only)")
    train.add_argument("--minority", help="class the decision rule weights (default: the label with the fewest rows)")
    train.set_defaults(handler=_command_train)

    predict = _command(commands, "predict", "predict the profile of every row of a batch file",
                       ["datajobs predict batch.csv -o batch_scored.csv",
                        "datajobs predict --model models:/datajobs-profile-classifier@champion batch.xlsx "
                        "-o scored.xlsx"])
    predict.add_argument("--model", default=str(config.DEFAULT_MODEL_DIR), help=MODEL_HELP)
    predict.add_argument("input", help="CSV or .xlsx file; Metier may be empty or absent")
    predict.add_argument("--sheet", help=SHEET_HELP)
    predict.add_argument("-o", "--output", help="file to write: every input column plus the prediction, in the input's "
                         "delimiter, or an Excel workbook for a .xlsx name (default: no file; predicted_metier, "
                         "probabilities and warnings are printed to stdout as comma-separated CSV)")
    predict.add_argument("--raw", action="store_true", help="write cells starting with = + - @ as they came "
                         "(by default they get a leading apostrophe so a spreadsheet does not run them)")
    predict.add_argument("--dask", metavar="SCHEDULER", help="score on a Dask cluster: its scheduler address "
                         "(tcp://host:8786) or 'local'; INPUT may then be a glob such as 'batches/*.csv', and -o a "
                         "folder (ending in /) for one file per input")
    predict.set_defaults(handler=_command_predict)

    evaluate = _command(commands, "evaluate", "score a model on a labelled file (JSON)",
                        ["datajobs evaluate --data labelled_batch.csv",
                         "datajobs evaluate --model models:/datajobs-profile-classifier/2 --data labelled_batch.csv"])
    evaluate.add_argument("--model", default=str(config.DEFAULT_MODEL_DIR), help=MODEL_HELP)
    evaluate.add_argument("--data", required=True, help="labelled CSV or .xlsx file")
    evaluate.add_argument("--sheet", help=SHEET_HELP)
    evaluate.set_defaults(handler=_command_evaluate)

    book = _command(commands, "book", "execute the notebooks on a data file and build the Jupyter Book",
                    ["datajobs book --data my_profiles.csv --profile quick"])
    book.add_argument("--data", default=str(config.SAMPLE_DATA_PATH), help="labelled CSV or .xlsx file (first sheet)")
    book.add_argument("--profile", choices=("full", "quick"), default="full",
                      help="full, or quick (fewer folds and candidates, for a first look)")
    book.add_argument("--seed", type=int, default=config.SEED, help="random seed of every notebook")
    book.add_argument("--outputs", default=str(config.OUTPUTS_DIR), help="executed notebooks, model, results")
    book.add_argument("--build-parent", default=str(config.PROJECT_ROOT), help="the HTML goes to BUILD_PARENT/_build/html")
    book.add_argument("--force", action="store_true", help="re-execute every notebook, ignoring the cache")
    book.set_defaults(handler=_command_book)

    pdf = _command(commands, "pdf", "print the built book as one PDF (BUILD_PARENT/_build/pdf/datajobs.pdf)",
                   ["datajobs pdf"])
    pdf.add_argument("--outputs", default=str(config.OUTPUTS_DIR), help="the executed notebooks of `datajobs book`")
    pdf.add_argument("--build-parent", default=str(config.PROJECT_ROOT), help="the PDF goes to BUILD_PARENT/_build/pdf")
    pdf.set_defaults(handler=_command_pdf)

    publish = _command(commands, "publish", "push the built HTML to the gh-pages branch of a git remote",
                       ["datajobs publish --remote origin"])
    publish.add_argument("--html", default=str(config.PROJECT_ROOT / "_build" / "html"), help="the built book")
    publish.add_argument("--remote", default="origin", help="a remote of this repository, or a URL or path")
    publish.set_defaults(handler=_command_publish)

    monitor = _command(commands, "monitor", "drift and quality checks of a new batch against the training data",
                       ["datajobs monitor --reference data/sample/profiles_sample.csv --batch new_batch.csv"])
    monitor.add_argument("--model", default=str(config.DEFAULT_MODEL_DIR), help=MODEL_HELP)
    monitor.add_argument("--reference", required=True, help="the training data (CSV or .xlsx)")
    monitor.add_argument("--batch", required=True, help="the new batch (CSV or .xlsx, labelled or not)")
    monitor.set_defaults(handler=_command_monitor)

    export_web = _command(commands, "export-web", "write the model as a JavaScript bundle for the browser",
                          ["datajobs export-web --model outputs/model -o predictor.js"])
    export_web.add_argument("--model", default=str(config.DEFAULT_MODEL_DIR), help="model directory")
    export_web.add_argument("-o", "--output", required=True, help=".js file to write")
    export_web.set_defaults(handler=_command_export_web)

    promote = _command(commands, "promote", "make a registered model version the champion",
                       ["datajobs promote 3"])
    promote.add_argument("version", type=int, help="registered version number (see `make mlflow-ui`)")
    promote.set_defaults(handler=_command_promote)

    student = _command(commands, "student", "write the notebooks without solutions or outputs, with the sample data",
                       ["datajobs student --out _build/student"])
    student.add_argument("--out", default=str(config.PROJECT_ROOT / "_build" / "student"), help="folder to write")
    student.add_argument("--no-zip", action="store_true", help="do not write the zip beside the folder")
    student.set_defaults(handler=_command_student)

    mlflow_ui = _command(commands, "mlflow-ui", "the MLflow UI of the tracking store on 127.0.0.1",
                         ["datajobs mlflow-ui --port 5001"])
    mlflow_ui.add_argument("--port", type=int, default=5000, help="port on 127.0.0.1")
    mlflow_ui.set_defaults(handler=_command_mlflow_ui)

    app = _command(commands, "app", "serve the live predictor with Voilà on 127.0.0.1",
                   ["datajobs app --port 8870"])
    app.add_argument("--port", type=int, default=8866, help="port on 127.0.0.1")
    app.add_argument("--model", default=str(config.DEFAULT_MODEL_DIR),
                     help="model directory (trained on the sample if it holds none)")
    app.set_defaults(handler=_command_app)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (DataFileError, UsageError) as error:
        print(f"datajobs {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"datajobs {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`datajobs validate --json | head`): stop quietly, as `cat` does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())

