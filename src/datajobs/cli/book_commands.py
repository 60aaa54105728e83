"""The book and serving commands, parser and handler: book, pdf, publish, student, mlflow-ui and app."""

from __future__ import annotations

import argparse
from pathlib import Path

from datajobs import config
from datajobs.cli.parsing import add_command, add_model_option

APP_NOTEBOOK = config.OUTPUTS_DIR / "app" / "05_predictor.ipynb"


def voila_command(port: int) -> list[str]:
    """The Voilà command serving the Predictor notebook (made from its markdown source) on 127.0.0.1 only."""
    return [config.executable("voila"), str(APP_NOTEBOOK),
            f"--port={port}", "--no-browser", "--Voila.ip=127.0.0.1", "--theme=light",
            # Serve no file beside the page (a pattern no path matches; "=[]" is deprecated syntax).
            "--VoilaConfiguration.file_allowlist=^$", "--show_tracebacks=False",
            # Quiet: Voilà's own lines ("not trusted" for a notebook made at start-up) are noise
            # here, and the kernel talks over a local socket, not TCP (no transport warning).
            "--Voila.log_level=ERROR", "--KernelManager.transport=ipc"]


def handle_book(args: argparse.Namespace) -> int:
    from datajobs.publishing.run import run_book

    html = run_book(args.data, profile=args.profile, seed=args.seed, outputs_dir=args.outputs,
                    build_parent=args.build_parent, force=args.force)
    print(f"open {html / 'index.html'}")
    return 0


def handle_pdf(args: argparse.Namespace) -> int:
    from datajobs.publishing.pdf import make_pdf

    make_pdf(args.outputs, args.build_parent)
    return 0


def handle_publish(args: argparse.Namespace) -> int:
    from datajobs.publishing.publish import publish_html

    publish_html(args.html, remote=args.remote)
    return 0


def handle_student(args: argparse.Namespace) -> int:
    from datajobs.publishing.student import ZIP_NAME, write_student_edition

    folder = write_student_edition(args.out, make_zip=not args.no_zip)
    print(f"student edition (no solutions, no outputs) in {folder}"
          + ("" if args.no_zip else f" and {folder.parent / ZIP_NAME}"))
    return 0


def handle_mlflow_ui(args: argparse.Namespace) -> int:
    import subprocess

    from datajobs.ops.tracking import tracking_uri

    uri = tracking_uri()
    config.MLFLOW_DIR.mkdir(parents=True, exist_ok=True)
    print(f"MLflow UI for {uri} on http://127.0.0.1:{args.port} (Ctrl-C to stop)", flush=True)
    return subprocess.call([config.executable("mlflow"), "ui", "--backend-store-uri", uri,
                            "--host", "127.0.0.1", "--port", str(args.port)])


def handle_app(args: argparse.Namespace) -> int:
    import os
    import subprocess

    from datajobs.model.train import load_or_train_model
    from datajobs.publishing.plan import materialise_notebook, notebook_source

    # Train once here if needed, so the page does not wait for it at its first visit.
    model_dir = Path(args.model).resolve()
    load_or_train_model(model_dir, config.SAMPLE_DATA_PATH)
    print(f"predictor on http://127.0.0.1:{args.port} with the model in {model_dir} (Ctrl-C to stop)", flush=True)
    materialise_notebook(notebook_source("05_predictor"), APP_NOTEBOOK)
    return subprocess.call(voila_command(args.port), cwd=APP_NOTEBOOK.parent,
                           env={**os.environ, "DATAJOBS_MODEL_DIR": str(model_dir)})


def add_book(commands) -> None:
    book = add_command(commands, "book", "execute the notebooks on a data file and build the Jupyter Book",
                       ["datajobs book --data my_profiles.csv --profile quick"], handle_book)
    book.add_argument("--data", default=str(config.SAMPLE_DATA_PATH), help="labelled CSV or .xlsx file (first sheet)")
    book.add_argument("--profile", choices=("full", "quick"), default="full",
                      help="full, or quick (fewer folds and candidates, for a first look)")
    book.add_argument("--seed", type=int, default=config.SEED, help="random seed of every notebook")
    book.add_argument("--outputs", default=str(config.OUTPUTS_DIR), help="executed notebooks, model, results")
    book.add_argument("--build-parent", default=str(config.PROJECT_ROOT), help="the HTML goes to BUILD_PARENT/_build/html")
    book.add_argument("--force", action="store_true", help="re-execute every notebook, ignoring the cache")


def add_pdf(commands) -> None:
    pdf = add_command(commands, "pdf", "print the built book as one PDF (BUILD_PARENT/_build/pdf/datajobs.pdf)",
                      ["datajobs pdf"], handle_pdf)
    pdf.add_argument("--outputs", default=str(config.OUTPUTS_DIR), help="the executed notebooks of `datajobs book`")
    pdf.add_argument("--build-parent", default=str(config.PROJECT_ROOT), help="the PDF goes to BUILD_PARENT/_build/pdf")


def add_publish(commands) -> None:
    publish = add_command(commands, "publish", "push the built HTML to the gh-pages branch of a git remote",
                          ["datajobs publish --remote origin"], handle_publish)
    publish.add_argument("--html", default=str(config.PROJECT_ROOT / "_build" / "html"), help="the built book")
    publish.add_argument("--remote", default="origin", help="a remote of this repository, or a URL or path")


def add_student(commands) -> None:
    student = add_command(commands, "student", "write the notebooks without solutions or outputs, with the sample data",
                          ["datajobs student --out _build/student"], handle_student)
    student.add_argument("--out", default=str(config.PROJECT_ROOT / "_build" / "student"), help="folder to write")
    student.add_argument("--no-zip", action="store_true", help="do not write the zip beside the folder")


def add_mlflow_ui(commands) -> None:
    mlflow_ui = add_command(commands, "mlflow-ui", "the MLflow UI of the tracking store on 127.0.0.1",
                            ["datajobs mlflow-ui --port 5001"], handle_mlflow_ui)
    mlflow_ui.add_argument("--port", type=int, default=5000, help="port on 127.0.0.1")


def add_app(commands) -> None:
    app = add_command(commands, "app", "serve the live predictor with Voilà on 127.0.0.1", ["datajobs app --port 8870"], handle_app)
    app.add_argument("--port", type=int, default=8866, help="port on 127.0.0.1")
    add_model_option(app, help="model directory (trained on the sample if it holds none)")
