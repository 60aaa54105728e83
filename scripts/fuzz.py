"""Fuzz the reader and the scoring path for a while (``make fuzz``): the properties of
tests/data/test_fuzz.py, run again and again with fresh random examples until the time is up.

Prints the examples tried per second for each property and every failure Hypothesis found, with
the smallest file it shrank the failure to, saved in ``_build/fuzz/``. Once the code is fixed,
``python scripts/fuzz.py --keep _build/fuzz/<file>`` copies a found file into the tests' corpus
(tests/data/fuzz_corpus/) with the outcome the fixed code gives, so it stays fixed.

    python scripts/fuzz.py                  # 600 s (FUZZ_SECONDS overrides, as does --seconds)
    python scripts/fuzz.py --seconds 30
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATAJOBS_FUZZ_PROFILE", "long")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.data import test_fuzz as fuzz  # noqa: E402

FOUND = ROOT / "_build" / "fuzz"
ROUND_SECONDS = 30.0  # each property gets about this long per round, whatever its speed


def _model():
    from datajobs.data.loading import load_profiles
    from datajobs.model.train import fit_profile_model
    from tests.conftest import FAST_PARAMS

    return fit_profile_model(load_profiles(ROOT / "data" / "sample" / "profiles_sample.csv").frame,
                             params=FAST_PARAMS, seed=7)


class Property:
    """One property: its strategies and check, the examples tried, and the smallest failing file of
    each kind of failure."""

    def __init__(self, name: str, strategies: dict, check, content):
        self.name, self.strategies, self.check, self.content = name, strategies, check, content
        self.examples, self.seconds = 0, 0.0
        self.failures: dict[str, bytes] = {}

    def record(self, content: bytes, error: BaseException) -> None:
        message = str(error).splitlines()[0] if str(error) else ""
        # One kind per message, whatever the scratch file's name and the line numbers.
        message = re.sub(r"\S*datajobs-fuzz-[^/\s]+/\S+?(?=[,:\s]|$)", "{path}", message)
        kind = f"{type(error).__name__}: {re.sub(r'line [0-9]+', 'line N', message)[:160]}"
        if kind not in self.failures or len(content) < len(self.failures[kind]):
            self.failures[kind] = content

    def round(self, max_examples: int) -> None:
        """Run ``max_examples`` fresh examples (Hypothesis shrinks any failure it finds)."""

        def test(**example):
            self.examples += 1
            try:
                self.check(**example)
            except Exception as error:
                self.record(self.content(**example), error)
                raise

        run = settings(max_examples=max_examples, deadline=None, database=None,
                       suppress_health_check=list(HealthCheck), print_blob=False)(given(**self.strategies)(test))
        started = time.monotonic()
        try:
            run()
        except Exception:  # noqa: BLE001 - Hypothesis re-raises what the property raised; recorded above
            pass
        self.seconds += time.monotonic() - started

    def next_round_size(self) -> int:
        rate = self.examples / self.seconds if self.seconds else 10.0
        return max(10, int(rate * ROUND_SECONDS))


def properties(model) -> list[Property]:
    model_dir = model.save(Path(tempfile.mkdtemp(prefix="datajobs-fuzz-model-")) / "model")
    chunk_sizes = st.lists(st.integers(1, 4000), min_size=1, max_size=3)
    return [
        Property("load generated CSV", {"generated": fuzz.csv_files()},
                 lambda generated: fuzz.check_generated(None, generated, []), lambda generated: generated.content),
        Property("load random bytes", {"content": fuzz.random_bytes()}, fuzz.check_bytes, lambda content: content),
        Property("score: round trip, chunks agree", {"generated": fuzz.csv_files(controls=False), "chunk_sizes": chunk_sizes},
                 lambda generated, chunk_sizes: fuzz.check_generated(model, generated, chunk_sizes),
                 lambda generated, chunk_sizes: generated.content),
        Property("validate and predict commands",
                 {"generated": fuzz.csv_files(), "content": fuzz.random_bytes(), "which": st.booleans()},
                 lambda generated, content, which: fuzz.check_commands(model_dir, generated.content if which else content),
                 lambda generated, content, which: generated.content if which else content),
    ]


def run(seconds: float) -> int:
    print(f"fuzzing the loader, the scoring path and the commands for {seconds:.0f} s "
          f"(rounds of about {ROUND_SECONDS:.0f} s per property)")
    model = _model()
    found = properties(model)
    end = time.monotonic() + seconds
    rounds = 0
    while time.monotonic() < end:
        for prop in found:
            prop.round(prop.next_round_size() if rounds else 20)
        rounds += 1
    print(f"\n{rounds} rounds")
    failed = 0
    FOUND.mkdir(parents=True, exist_ok=True)
    for prop in found:
        rate = prop.examples / prop.seconds if prop.seconds else 0.0
        print(f"  {prop.name:34} {prop.examples:8,} examples  {rate:7.1f} per second  "
              f"{len(prop.failures)} kind{'s' if len(prop.failures) != 1 else ''} of failure")
        for kind, content in sorted(prop.failures.items()):
            failed += 1
            name = f"found-{hashlib.sha256(content).hexdigest()[:10]}.csv"
            (FOUND / name).write_bytes(content)
            print(f"    FAILED {kind}\n      smallest file ({len(content)} bytes): {FOUND / name}  {content[:120]!r}")
    total = sum(prop.examples for prop in found)
    print(f"  {'all':34} {total:8,} examples; {failed} failure{'s' if failed != 1 else ''}")
    return 1 if failed else 0


def keep(path: Path) -> int:
    """Copy a found file into the corpus with the outcome the code gives now."""
    from datajobs.data import DataFileError, load_profiles

    corpus = fuzz.CORPUS
    corpus.mkdir(exist_ok=True)
    target = corpus / path.name
    target.write_bytes(path.read_bytes())
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / path.name
        copy.write_bytes(path.read_bytes())
        try:
            loaded = load_profiles(copy)
        except DataFileError as error:
            expected = {"error": str(error).replace(str(copy), "{path}")}
        else:
            expected = {"rows": len(loaded.frame), "lines": [int(line) for line in loaded.frame["line"]]}
    target.with_name(target.name + ".json").write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n",
                                                       encoding="utf-8")
    print(f"kept {target} expecting {expected}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("FUZZ_SECONDS") or 600))
    parser.add_argument("--keep", type=Path, nargs="+", help="found files to copy into the corpus")
    args = parser.parse_args()
    if args.keep:
        return max(keep(path) for path in args.keep)
    return run(args.seconds)


if __name__ == "__main__":
    sys.exit(main())
