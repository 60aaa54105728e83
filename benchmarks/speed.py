"""Speed and memory of training and prediction; prints figures (not a test).

- ``datajobs train`` wall time on the data file (target <= 60 s on the reference file);
- one profile predicted after the model is loaded (median of repeated calls, target <= 20 ms);
- ``datajobs predict`` on 10,000 and 100,000 synthetic rows: wall time (target <= 10 s for
  100,000) and peak memory of the process, whose ratio shows how memory grows with the input.

    .venv/bin/python benchmarks/speed.py [--data PATH] [--rows 100000]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from datajobs.config import REAL_DATA_PATH, SAMPLE_DATA_PATH
from datajobs.data.synth import generate_profiles, write_profiles_csv
from datajobs.model.profile_model import ProfileModel, profile_frame

DATAJOBS = [sys.executable, "-m", "datajobs.cli"]
PEAK_RSS_SCRIPT = (
    "import resource, runpy, sys; sys.argv = ['datajobs'] + sys.argv[1:];\n"
    "try:\n    runpy.run_module('datajobs.cli', run_name='__main__')\n"
    "except SystemExit:\n    pass\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)"
)


def timed(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, result.stderr


def predict_with_peak_memory(model_dir: Path, input_path: Path, output_path: Path) -> tuple[float, float]:
    seconds, stderr = timed([sys.executable, "-c", PEAK_RSS_SCRIPT, "predict", "--model", str(model_dir),
                             str(input_path), "-o", str(output_path)])
    peak_kib = int(stderr.strip().splitlines()[-1])
    return seconds, peak_kib / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = REAL_DATA_PATH if REAL_DATA_PATH.is_file() else SAMPLE_DATA_PATH
    parser.add_argument("--data", default=str(default))
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        model_dir = scratch / "model"
        seconds, _ = timed([*DATAJOBS, "train", "--data", args.data, "--out", str(model_dir)])
        print(f"train on {args.data}: {seconds:.1f} s (target <= 60 s)")

        model = ProfileModel.load(model_dir)
        profile = profile_frame("Python/Spark/SQL", "Master", "3,5", "Lyon", "KPMG")
        model.predict_proba(profile)
        durations = []
        for _ in range(200):
            started = time.perf_counter()
            model.predict(profile)
            durations.append(time.perf_counter() - started)
        print(f"one profile after load: median {statistics.median(durations) * 1000:.2f} ms, "
              f"p95 {sorted(durations)[189] * 1000:.2f} ms (target <= 20 ms)")

        figures = {}
        for rows in sorted({args.rows // 10, args.rows}):
            batch = write_profiles_csv(generate_profiles(rows, seed=rows), scratch / f"batch_{rows}.csv")
            seconds, peak_mib = predict_with_peak_memory(model_dir, batch, scratch / f"scored_{rows}.csv")
            figures[rows] = (seconds, peak_mib)
            print(f"predict {rows:>7} rows: {seconds:.2f} s wall, peak RSS {peak_mib:.0f} MiB"
                  f" ({os.path.getsize(batch) / 2**20:.1f} MiB input)")
        small, large = min(figures), max(figures)
        print(f"ratio {large // small}x rows -> {figures[large][0] / figures[small][0]:.2f}x time, "
              f"{figures[large][1] / figures[small][1]:.2f}x peak memory")
    print(f"benchmark process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
