"""The speed figures of the project beside the yardstick timed in the same run (prints, not a test).

The yardstick is ``../shared/bench/plain_catboost.py``, the script a user would write by hand:
``Y`` is its ``fit`` time on the data file (1000 CatBoost iterations), and its ``predict`` (read,
score, write) is the peer of ``datajobs predict``. Every figure is printed as seconds and as a
ratio to its yardstick, measured in the same run, so a busy or a fast machine changes the seconds
but hardly the ratios.

    .venv/bin/python benchmarks/yardstick.py predict [--rows 100000]
    .venv/bin/python benchmarks/yardstick.py large [--rows 10000000]
    .venv/bin/python benchmarks/yardstick.py book --profile full|quick [--data PATH]

``book`` runs ``datajobs book`` from clean outputs (a fresh outputs folder and fold cache, the
virtual environment already installed) and prints the time of each notebook. Targets (issue 12):
book full on the reference file <= 10 Y, first book on the sample <= 10 Y, quick profile <= 4 Y,
predict 100,000 rows <= 1.5x the plain predict, a 10,000,000-row file with peak RSS <= 1 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from datajobs.config import PROJECT_ROOT, REAL_DATA_PATH, SAMPLE_DATA_PATH

PLAIN = (PROJECT_ROOT / ".." / "shared" / "bench" / "plain_catboost.py").resolve()
# Runs a command as the child of a tiny Python parent that reports the child's peak RSS.
PEAK_RSS = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)")


LAST_CPU_SECONDS = [0.0]


def run(command: list[str], env: dict | None = None) -> tuple[float, str, str]:
    """Wall seconds, stdout and stderr of a command (which must succeed); its CPU seconds (user +
    system, children included) go to ``LAST_CPU_SECONDS``: on a machine shared with other work,
    CPU time moves much less than wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **(env or {})})
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    LAST_CPU_SECONDS[0] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{result.stderr[-3000:]}")
    return seconds, result.stdout, result.stderr


def yardstick_fit(data: Path, model_path: Path) -> float:
    """Y: the plain script's fit on the data file, wall time of the whole process."""
    seconds, _, _ = run([sys.executable, str(PLAIN), "fit", str(data), str(model_path)])
    return seconds


def datajobs(*args: str) -> list[str]:
    return [sys.executable, "-m", "datajobs.cli", *args]


def write_batch(path: Path, rows: int, seed: int = 2024, block_rows: int = 100_000) -> Path:
    """A synthetic batch of ``rows`` profiles written block by block (memory stays small)."""
    from datajobs.data.synth import generate_profiles, write_profiles_csv

    block = write_profiles_csv(generate_profiles(min(rows, block_rows), seed=seed), path.with_suffix(".block.csv"))
    header, body = block.read_bytes().split(b"\n", 1)
    lines = body.splitlines(keepends=True)
    with open(path, "wb") as handle:
        handle.write(header + b"\n")
        written = 0
        while written < rows:
            part = lines[: rows - written]
            handle.writelines(part)
            written += len(part)
    block.unlink()
    return path


def ratio_line(what: str, seconds: float, reference: float, reference_name: str, target: str) -> str:
    return f"{what:<52} {seconds:8.1f} s  = {seconds / reference:5.2f} x {reference_name:<14} (target {target})"


def command_predict(args: argparse.Namespace, scratch: Path) -> None:
    data = Path(args.data)
    model_dir = scratch / "model"
    run(datajobs("train", "--data", str(data), "--out", str(model_dir)), env={"DATAJOBS_TRACKING": "off"})
    run([sys.executable, str(PLAIN), "fit", str(data), str(scratch / "plain.cbm")])
    batch = write_batch(scratch / "batch.csv", args.rows)
    # Alternate the two, and keep each one's best: the machine's other load hits both alike.
    ours, plain, ours_cpu, plain_cpu = [], [], [], []
    for _ in range(args.repeats):
        plain.append(run([sys.executable, str(PLAIN), "predict", str(scratch / "plain.cbm"), str(batch),
                          str(scratch / "plain_out.csv")])[0])
        plain_cpu.append(LAST_CPU_SECONDS[0])
        ours.append(run(datajobs("predict", "--model", str(model_dir), str(batch), "-o", str(scratch / "out.csv")))[0])
        ours_cpu.append(LAST_CPU_SECONDS[0])
    print(f"predict {args.rows:,} rows ({batch.stat().st_size / 2**20:.0f} MiB), whole processes (start-up, "
          f"read, score, write), best of {args.repeats}")
    print(ratio_line("plain_catboost.py predict, wall", min(plain), min(plain), "plain predict", "-"))
    print(ratio_line("datajobs predict, wall", min(ours), min(plain), "plain predict", "<= 1.5 x"))
    print(ratio_line("plain_catboost.py predict, CPU (user + system)", min(plain_cpu), min(plain_cpu),
                     "plain predict", "-"))
    print(ratio_line("datajobs predict, CPU (user + system)", min(ours_cpu), min(plain_cpu), "plain predict",
                     "<= 1.5 x"))


def command_large(args: argparse.Namespace, scratch: Path) -> None:
    model_dir = scratch / "model"
    run(datajobs("train", "--data", str(args.data), "--out", str(model_dir)), env={"DATAJOBS_TRACKING": "off"})
    started = time.perf_counter()
    batch = write_batch(scratch / "large.csv", args.rows)
    print(f"generated {args.rows:,} rows ({batch.stat().st_size / 2**30:.2f} GiB) in "
          f"{time.perf_counter() - started:.0f} s")
    seconds, _, stderr = run([sys.executable, "-c", PEAK_RSS, *datajobs("predict", "--model", str(model_dir),
                                                                         str(batch), "-o", str(scratch / "out.csv"))])
    peak_mib = int(stderr.strip().splitlines()[-1]) / 1024
    print(f"datajobs predict {args.rows:,} rows: {seconds:.0f} s, {args.rows / seconds:,.0f} rows/s, "
          f"peak RSS {peak_mib:.0f} MiB (target <= 1024 MiB)")
    print("  " + stderr.strip().splitlines()[-2])


def command_book(args: argparse.Namespace, scratch: Path) -> None:
    data = Path(args.data)
    y = yardstick_fit(Path(args.yardstick_data), scratch / "plain.cbm")
    outputs = scratch / "outputs"
    seconds, stdout, _ = run(datajobs("book", "--data", str(data), "--profile", args.profile,
                                      "--outputs", str(outputs), "--build-parent", str(scratch)),
                             env={"DATAJOBS_CACHE_DIR": str(outputs / "cache")})
    y_after = yardstick_fit(Path(args.yardstick_data), scratch / "plain.cbm")
    y = (y + y_after) / 2  # timed before and after the book: the machine's load drifts
    manifest = json.loads((outputs / "run_manifest.json").read_text())
    print(f"data {data.name}, profile {args.profile}; Y = plain_catboost.py fit on "
          f"{Path(args.yardstick_data).name} = {y:.1f} s (mean of before and after the book)")
    for notebook in manifest["notebooks"]:
        print(f"  {notebook['name']:<24} {notebook['seconds']:7.1f} s = {notebook['seconds'] / y:5.2f} Y")
    build = next((line for line in stdout.splitlines() if "jupyter-book build" in line), "")
    if build:
        print(f"  {build.strip()}")
    target = {"quick": "<= 4 Y"}.get(args.profile, "<= 10 Y")
    print(ratio_line(f"datajobs book --profile {args.profile} (from clean outputs)", seconds, y, "Y", target))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = REAL_DATA_PATH if REAL_DATA_PATH.is_file() else SAMPLE_DATA_PATH
    commands = parser.add_subparsers(dest="command", required=True)
    predict = commands.add_parser("predict", help="datajobs predict vs plain predict on a synthetic batch")
    predict.add_argument("--data", default=str(default), help="training file of both models")
    predict.add_argument("--rows", type=int, default=100_000)
    predict.add_argument("--repeats", type=int, default=3)
    large = commands.add_parser("large", help="a large batch generated on the fly: rows/s and peak RSS")
    large.add_argument("--data", default=str(SAMPLE_DATA_PATH), help="training file of the model")
    large.add_argument("--rows", type=int, default=10_000_000)
    book = commands.add_parser("book", help="datajobs book from clean outputs, in Y")
    book.add_argument("--data", default=str(default))
    book.add_argument("--profile", choices=("full", "quick"), default="full")
    book.add_argument("--yardstick-data", default=str(default), help="Y is the plain fit on this file "
                      "(the reference file when present, whatever the book's data)")
    args = parser.parse_args()
    if not PLAIN.is_file():
        sys.exit(f"the yardstick {PLAIN} is absent")
    # The book's outputs must lie inside the project (its table of contents points there).
    parent = PROJECT_ROOT / "outputs" if args.command == "book" else None
    if parent is not None:
        parent.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="datajobs-bench-", dir=parent) as scratch:
        {"predict": command_predict, "large": command_large, "book": command_book}[args.command](args, Path(scratch))


if __name__ == "__main__":
    main()
