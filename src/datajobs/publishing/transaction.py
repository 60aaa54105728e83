"""All or nothing: the outputs and ``_build`` folders are backed up before a run and put back if it fails."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from datajobs.config import project_relative


@contextlib.contextmanager
def keep_previous_on_failure(folders: list[Path], log=print):
    """Back up ``folders`` (the outputs and the HTML); on any failure, put them back as they were.

    The executed notebooks, the model and ``_build/html`` then always come from one complete
    run. The failed run's folders are kept next to them with a ``.failed`` suffix for
    inspection. A backup left by an interrupted run (killed before it could restore) is the last
    complete state, and is restored first.
    """
    backups = {folder: folder.with_name(f".{folder.name}.previous") for folder in folders}
    for folder, backup in backups.items():
        if backup.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
            backup.rename(folder)
            log(f"  restored {project_relative(folder)} from an interrupted run")
        if folder.is_dir():
            shutil.copytree(folder, backup, symlinks=True)
    try:
        yield
    except BaseException:
        for folder, backup in backups.items():
            failed = folder.with_name(f"{folder.name}.failed")
            shutil.rmtree(failed, ignore_errors=True)
            if folder.is_dir():
                folder.rename(failed)
            if backup.is_dir():
                backup.rename(folder)
        kept = " and ".join(project_relative(folder) for folder in folders if folder.is_dir())
        log(f"  build failed: {kept or 'nothing'} left as before; the failed run is in "
            + ", ".join(project_relative(folder.with_name(f"{folder.name}.failed")) for folder in folders))
        raise
    for backup in backups.values():
        shutil.rmtree(backup, ignore_errors=True)
