"""A cache of deterministic fit results, so that re-running the book re-fits only what changed.

A result (the scores of one fold, the out-of-fold probabilities of one configuration) is stored
under ``outputs/cache/`` by a key made of everything it depends on: the data (a hash of the
frame's content), the configuration (a hash of the unfitted estimator or the parameters), the
fold, and the package's source code. Adding one configuration to the comparison re-fits only
that configuration; changing any line of ``src/datajobs`` invalidates everything.

Values are JSON or ``.npy`` files (read with ``allow_pickle=False``): nothing is unpickled.
``DATAJOBS_CACHE_DIR`` moves the cache; ``DATAJOBS_CACHE_DIR=off`` turns it off.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from datajobs import config


def cache_root() -> Path | None:
    """The cache folder, or None when caching is off."""
    setting = os.environ.get("DATAJOBS_CACHE_DIR", "")
    if setting.lower() in {"off", "0", "no", "false"}:
        return None
    return Path(setting).expanduser() if setting else config.OUTPUTS_DIR / "cache"


@lru_cache(maxsize=1)
def code_digest() -> str:
    """Hash of the package's source (and version): a code change invalidates every cached result."""
    from datajobs import __version__

    digest = hashlib.sha256(__version__.encode())
    for path in sorted(config.PACKAGE_DIR.rglob("*")):
        if path.suffix in {".py", ".json"} and "__pycache__" not in path.parts:
            digest.update(path.relative_to(config.PACKAGE_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def frame_digest(frame: pd.DataFrame) -> str:
    """Hash of a frame's content: column names, dtypes, values and order."""
    digest = hashlib.sha256(json.dumps([list(map(str, frame.columns)), list(map(str, frame.dtypes))]).encode())
    digest.update(pd.util.hash_pandas_object(frame.astype(object), index=False).to_numpy().tobytes())
    return digest.hexdigest()


def estimator_digest(estimator) -> str:
    """Hash of an unfitted estimator: its class and every (nested) parameter."""
    import joblib

    return joblib.hash(estimator)


def make_key(**parts) -> str:
    """The key of a result from everything it depends on (the package's code is always added)."""
    payload = json.dumps({**parts, "code": code_digest()}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _path(namespace: str, key: str, suffix: str) -> Path | None:
    root = cache_root()
    return None if root is None else root / namespace / f"{key}{suffix}"


def _write_atomically(path: Path, write) -> None:
    # Parallel workers may store the same key: each writes its own temporary file, then renames it.
    from datajobs.data.writing import atomic_path

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary, open(temporary, "wb") as handle:
        write(handle)


def load_json(namespace: str, key: str) -> dict | None:
    path = _path(namespace, key, ".json")
    if path is None or not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except ValueError:  # a truncated file from an interrupted run: recompute
        return None


def store_json(namespace: str, key: str, value: dict) -> None:
    path = _path(namespace, key, ".json")
    if path is not None:
        _write_atomically(path, lambda handle: handle.write(json.dumps(value).encode()))


def load_array(namespace: str, key: str) -> np.ndarray | None:
    path = _path(namespace, key, ".npy")
    if path is None or not path.is_file():
        return None
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError):
        return None


def store_array(namespace: str, key: str, value: np.ndarray) -> None:
    path = _path(namespace, key, ".npy")
    if path is not None:
        _write_atomically(path, lambda handle: np.save(handle, np.asarray(value), allow_pickle=False))
