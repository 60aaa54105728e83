"""Run the book's notebooks: ready ones side by side, cached ones reused, then the run manifest."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from datajobs import config
from datajobs.config import project_relative
from datajobs.data.loading import file_sha256, load_profiles
from datajobs.data.writing import write_text
from datajobs.publishing import execution, plan
from datajobs.publishing.errors import BookError
from datajobs.publishing.plan import PROFILES, PlannedNotebook, adapt_profile


@dataclass
class NotebookRun:
    name: str
    parameters: dict
    key: str
    executed: bool
    seconds: float


def duration(seconds: float) -> str:
    """A duration as the terminal shows it: seconds, or minutes from 90 s."""
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def is_synthetic_sample(data_sha256: str) -> bool:
    """Whether a data file (given by its sha256) is the shipped synthetic sample (same bytes)."""
    return config.SAMPLE_DATA_PATH.is_file() and data_sha256 == file_sha256(config.SAMPLE_DATA_PATH)


def book_jobs() -> int:
    """How many notebooks run side by side: ``DATAJOBS_BOOK_JOBS``, else 2 on a machine with two
    cores or more (each notebook's heavy cells already use every core: more would only compete)."""
    setting = os.environ.get("DATAJOBS_BOOK_JOBS", "").strip()
    if setting:
        if not setting.isdigit() or int(setting) < 1:
            raise BookError(f"DATAJOBS_BOOK_JOBS={setting!r}: expected a whole number of notebooks, 1 or more")
        return int(setting)
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def execute_notebooks(data_path: Path, profile: str = "full", seed: int = config.SEED,
                      outputs_dir: Path = config.OUTPUTS_DIR, force: bool = False,
                      log=print, progress: bool | None = None, jobs: int | None = None,
                      loaded=None) -> list[NotebookRun]:
    """Execute every notebook (or reuse its cached execution) and write the run manifest.

    Says up front roughly how long the notebooks to execute will take; ``progress`` (default:
    when stderr is a terminal) shows each notebook's cells done / total and elapsed time.
    Notebooks whose upstream notebooks are done run ``jobs`` at a time (default :func:`book_jobs`).
    If one fails, the others already running finish, nothing new starts, and its error is raised.
    ``loaded`` is the data file already read by the caller (:func:`~datajobs.data.loading.load_profiles`).
    """
    if profile not in PROFILES:
        raise BookError(f"unknown profile {profile!r}; choose from {', '.join(PROFILES)}")
    progress = sys.stderr.isatty() if progress is None else progress
    if loaded is None:
        loaded = load_profiles(data_path)  # fail early, with the loader's clear error, on a bad file
    from datajobs.data import class_counts, labelled_rows

    adapted, notes = adapt_profile(class_counts(labelled_rows(loaded.frame)[0]), profile)
    for name, note in notes.items():
        log(f"  {name}: {note}")
    data_sha = loaded.report.sha256
    rows = len(loaded.frame)
    # The notebooks' kernels inherit this: fold results are cached beside the outputs they feed.
    os.environ.setdefault("DATAJOBS_CACHE_DIR", str(outputs_dir / "cache"))
    planned = plan.plan_notebooks(data_path, data_sha, rows, profile, seed, outputs_dir, force, adapted, notes)
    to_run = [entry for entry in planned if not entry.reuse]
    jobs = book_jobs() if jobs is None else max(1, jobs)
    if to_run:
        expected = [entry.expected for entry in to_run]
        side_by_side = f", {jobs} at a time" if jobs > 1 and len(to_run) > 1 else ""
        log(f"  {len(to_run)} of {len(planned)} notebooks to execute ({profile} profile, {rows:,} rows{side_by_side}): "
            f"about {duration(max(max(expected), sum(expected) / jobs))}, then a few seconds for the HTML")
    runs: dict[str, NotebookRun] = {}
    for entry in planned:
        if entry.reuse:
            runs[entry.name] = NotebookRun(entry.name, entry.parameters, entry.key, False, entry.cached["seconds"])
            log(f"  {entry.name}: unchanged, cached ({entry.cached['seconds']:.0f} s when executed)")
    if len(to_run) > 1 and jobs > 1:
        _prepare_tracking_store()  # before notebooks side by side might both create it

    manifest_path = outputs_dir / "run_manifest.json"

    def manifest(done: list[NotebookRun]) -> None:
        write_manifest(manifest_path, data_path, data_sha, profile, seed, done)

    schedule = Schedule(planned, runs, jobs, progress, log, {"profile": profile, "rows": rows}, manifest)
    schedule.run()
    manifest(schedule.in_plan_order())
    return schedule.in_plan_order()


class Schedule:
    """Notebooks whose inputs are ready run side by side (``jobs`` at a time), the longest first:
    each pays a kernel start and a serial part that would otherwise leave a core idle."""

    def __init__(self, planned: list[PlannedNotebook], runs: dict[str, NotebookRun], jobs: int, progress: bool,
                 log, stamp_fields: dict, write_manifest) -> None:
        self.planned, self.runs, self.jobs, self.progress, self.log = planned, runs, jobs, progress, log
        self.stamp_fields = stamp_fields  # saved with each cache stamp (profile, rows)
        self.write_manifest = write_manifest  # of the notebooks done so far
        self.pending = [entry for entry in planned if not entry.reuse]
        self.running: dict[Future, tuple[PlannedNotebook, int]] = {}
        self.failure: BaseException | None = None
        self.lock = threading.Lock()

    def say(self, message: str) -> None:
        """One whole line at a time, whichever notebook's thread speaks."""
        with self.lock:
            if self.progress and self.log is print:
                from tqdm import tqdm

                tqdm.write(message, file=sys.stdout)  # above the notebooks' progress bars, not through them
            else:
                self.log(message)

    def in_plan_order(self) -> list[NotebookRun]:
        return [self.runs[entry.name] for entry in self.planned if entry.name in self.runs]

    def execute(self, entry: PlannedNotebook, position: int) -> float:
        """Execute one notebook and write its cache stamp; returns its seconds."""
        self.say(f"  {entry.name}: executing (about {duration(entry.expected)}) ...")
        started = time.perf_counter()
        entry.stamp.unlink(missing_ok=True)
        execution.execute_notebook(entry.unexecuted, entry.target, entry.parameters, self.progress, position)
        seconds = time.perf_counter() - started
        write_text(entry.stamp, json.dumps({"key": entry.key, "seconds": seconds, **self.stamp_fields}))
        self.say(f"  {entry.name}: done in {duration(seconds)}")
        return seconds

    def run(self) -> None:
        """Run every pending notebook; raise the first failure once the running ones have finished."""
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            try:
                while self.running or (self.pending and self.failure is None):
                    self._start_ready(pool)
                    if not self.running:
                        break
                    self._collect_finished()
            except KeyboardInterrupt:
                # Kernels run in sessions of their own, so Ctrl-C does not reach them: stop them, and
                # the notebooks' threads end at once instead of running to their end.
                execution.stop_kernels()
                raise
        if self.failure is not None:
            raise self.failure

    def _start_ready(self, pool: ThreadPoolExecutor) -> None:
        ready = sorted((entry for entry in self.pending if all(upstream in self.runs for upstream in entry.after)),
                       key=lambda entry: -entry.expected)
        while self.failure is None and ready and len(self.running) < self.jobs:
            entry = ready.pop(0)
            self.pending.remove(entry)
            if entry.reads_every_run:
                self.write_manifest(self.in_plan_order())
            position = min(set(range(self.jobs)) - {slot for _, slot in self.running.values()})
            self.running[pool.submit(self.execute, entry, position)] = (entry, position)

    def _collect_finished(self) -> None:
        finished, _ = wait(self.running, return_when=FIRST_COMPLETED)
        for future in finished:
            entry, _ = self.running.pop(future)
            try:
                self.runs[entry.name] = NotebookRun(entry.name, entry.parameters, entry.key, True, future.result())
            except BookError as error:
                if self.failure is None:
                    self.failure = error
                    for other, _ in self.running.values():
                        self.say(f"  {entry.name} failed: letting {other.name} finish before stopping")
            except BaseException as error:  # noqa: BLE001 - reported after the others finish
                self.failure = self.failure or error


def _prepare_tracking_store() -> None:
    """Create the MLflow store and experiment once, here, when notebooks side by side would both
    find it missing and race to create it. Tracking problems never stop the book: the notebooks
    report them on their pages."""
    from datajobs.ops import tracking

    uri = tracking.tracking_uri()
    if not tracking.tracking_enabled() or not uri.startswith("sqlite:///") or Path(uri[len("sqlite:///"):]).is_file():
        return
    with contextlib.suppress(Exception):
        tracking.configure()


def write_manifest(path: Path, data_path: Path, data_sha: str, profile: str, seed: int,
                   runs: list[NotebookRun]) -> None:
    """The run manifest: the data file, profile, seed, commit, versions and every notebook's run."""
    from datajobs.model.provenance import git_commit, package_versions

    manifest = {
        "data_path": project_relative(data_path), "data_sha256": data_sha,
        "synthetic_sample": is_synthetic_sample(data_sha),
        "profile": profile, "seed": seed, "git_commit": git_commit(), "package_versions": package_versions(),
        "notebooks": [{"name": run.name, "parameters": run.parameters, "seconds": round(run.seconds, 1),
                       "executed_this_run": run.executed, "cache_key": run.key[:16]} for run in runs],
    }
    write_text(path, json.dumps(manifest, indent=2) + "\n")
