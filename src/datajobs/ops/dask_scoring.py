"""Score large files on a Dask cluster: pieces of whole records sent to workers, written back in input order.

The cluster comes from :func:`datajobs.model.backend.dask_client` (an address, ``"local"`` or
``DATAJOBS_DASK_SCHEDULER``); the bytes written are those :func:`datajobs.ops.scoring.score_file`
writes on one machine. Requires the ``scale`` extra.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

from datajobs.model.backend import ScaleError, dask_client
from datajobs.model.conformal import DEFAULT_LEVEL

__all__ = ["ScaleError", "expand_inputs", "score_files_on_dask", "score_piece"]


def _model_files(model_dir: Path) -> dict[str, bytes]:
    from datajobs.model.profile_model import METADATA_FILE, MODEL_FILE

    return {name: (model_dir / name).read_bytes() for name in (MODEL_FILE, METADATA_FILE)}


_WORKER_MODELS: dict[str, object] = {}


def _worker_model(files: dict[str, bytes]):
    """The model on a worker: written from its files' bytes and loaded once per worker process."""
    import hashlib
    import tempfile

    from datajobs.model.profile_model import ProfileModel

    digest = hashlib.sha256(b"".join(files[name] for name in sorted(files))).hexdigest()
    if digest not in _WORKER_MODELS:
        directory = Path(tempfile.mkdtemp(prefix="datajobs-model-"))
        for name, content in files.items():
            (directory / name).write_bytes(content)
        _WORKER_MODELS[digest] = ProfileModel.load(directory)
    return _WORKER_MODELS[digest]


def score_piece(files: dict[str, bytes], name: str, header: bytes, body: bytes, lines_before: int,
                write_header: bool, summary_only: bool, level: float = DEFAULT_LEVEL) -> dict:
    """Score one piece of a file on a worker: its output text and counts, or the loader's error
    (returned as values: the client raises it with the whole file's name and line)."""
    import tempfile

    from datajobs.data import DataFileError, load_profiles
    from datajobs.data.chunks import shift_error
    from datajobs.ops.scoring import ScoringSummary, scored_output, summary_csv, written_csv

    model = _worker_model(files)
    with tempfile.TemporaryDirectory(prefix="datajobs-piece-") as scratch:
        piece = Path(scratch) / Path(name).name
        piece.write_bytes(header + body)
        try:
            loaded = load_profiles(piece)
        except DataFileError as error:
            # Records before this piece are unknown here: lines are exact, so lines are named.
            shifted = shift_error(error, Path(name), lines_before - header.count(b"\n"))
            return {"error": (shifted.path, shifted.reason, shifted.line, shifted.column)}
    output = scored_output(model, loaded, level=level)
    text = (summary_csv(output, header=write_header) if summary_only
            else written_csv(model, output, loaded.delimiter, header=write_header))
    summary = ScoringSummary()
    summary.add(output)
    return {"text": text, "summary": summary}


def expand_inputs(pattern: str) -> list[Path]:
    """A file, or the files a glob pattern matches, sorted by name."""
    import glob

    if any(character in pattern for character in "*?["):
        paths = sorted(Path(path) for path in glob.glob(pattern))
        if not paths:
            raise ScaleError(f"no file matches {pattern!r}")
        return paths
    return [Path(pattern)]


def score_files_on_dask(model_dir: str | Path, inputs: list[Path], output: Path | None, scheduler: str,
                        one_file_per_input: bool = False, chunk_bytes: int | None = None, stream=None,
                        in_flight_per_worker: int = 2, level: float = DEFAULT_LEVEL):
    """Score files on a Dask cluster, in input order.

    ``output`` is one file for every input's rows (header once), a folder when
    ``one_file_per_input`` (``<folder>/<input name>``), or None: the predictions go to ``stream``
    as CSV. Pieces of whole records are submitted a few per worker at a time (memory on the client
    stays bounded) and written back strictly in input order: the bytes are those
    :func:`datajobs.ops.scoring.score_file` writes on one machine.
    """
    import sys

    from datajobs.data import DataFileError, load_profiles
    from datajobs.data.chunks import SCORING_CHUNK_BYTES, split_records, streams_as_utf8
    from datajobs.ops.scoring import ScoringSummary

    chunk_bytes = chunk_bytes or SCORING_CHUNK_BYTES
    for source in inputs:
        if not source.is_file():
            load_profiles(source)  # raises the loader's own error (missing, a folder, ...)
        if not streams_as_utf8(source, chunk_bytes):
            raise ScaleError(f"{source}: not UTF-8 text (an Excel export in cp1252 or UTF-16, or a workbook): "
                             "the cluster reads UTF-8 CSV pieces; save it as 'CSV UTF-8' or score it without --dask")
    files = _model_files(Path(model_dir))
    totals = ScoringSummary()
    handle = None
    first = True
    with dask_client(scheduler) as cluster:
        client = cluster.client
        remote_files = client.scatter(files, broadcast=True)
        limit = max(2, cluster.workers * in_flight_per_worker)
        pending: deque = deque()

        def drain(until: int) -> None:
            while len(pending) > until:
                result = pending.popleft().result()
                if "error" in result:
                    for future in pending:
                        future.cancel()
                    path, reason, line, column = result["error"]
                    raise DataFileError(path, reason, line=line, column=column)
                (handle or stream or sys.stdout).write(result["text"])
                totals.merge(result["summary"])

        try:
            for source in inputs:
                if output is not None and (one_file_per_input or handle is None):
                    drain(0)
                    if handle is not None:
                        handle.close()
                    target = output / source.name if one_file_per_input else output
                    handle = open(target, "w", encoding="utf-8", newline="")  # noqa: SIM115 (closed below)
                    first = True
                pieces = 0
                for header, body, lines_before in split_records(source, chunk_bytes):
                    pending.append(client.submit(score_piece, remote_files, str(source), header, body, lines_before,
                                                 first, output is None, level, pure=False))
                    first = False
                    pieces += 1
                    drain(limit)
                if not pieces:
                    load_profiles(source)  # a header and no record: the loader says what it makes of it
            drain(0)
        finally:
            if handle is not None:
                handle.close()
    return totals
