"""Execute one notebook with papermill, and tidy the executed copy for readers."""

from __future__ import annotations

import contextlib
from pathlib import Path

from datajobs import config
from datajobs.config import project_relative
from datajobs.publishing.errors import BookError


def execute_notebook(source: Path, target: Path, parameters: dict, progress: bool = False, position: int = 0) -> None:
    """Execute one notebook with papermill; ``progress`` draws cells done / total and elapsed time
    (on line ``position`` of the terminal when notebooks run side by side)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    bar = {"desc": f"  {target.stem}", "unit": "cell", "leave": False, "mininterval": 1.0, "position": position,
           "bar_format": "{desc}: {n_fmt}/{total_fmt} cells, {elapsed} elapsed"} if progress else False
    try:
        papermill.execute_notebook(str(source), str(target), parameters=parameters, cwd=str(config.PROJECT_ROOT),
                                   kernel_name="python3", progress_bar=bar, log_output=False,
                                   # The kernel's own log is noise here: "running over TCP without
                                   # encryption" at each start (it runs on this machine only), and
                                   # "KeyboardInterrupt caught in kernel" when papermill shuts it down
                                   # (jupyter_client interrupts a kernel before stopping it). A cell's
                                   # error or a dead kernel is still reported by papermill.
                                   extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    except PapermillExecutionError as error:
        raise BookError(f"notebook {source.name} failed in cell {error.exec_count or error.cell_index}: "
                        f"{error.ename}: {error.evalue} (executed copy with the traceback: {target})") from None
    tidy_for_readers(target)


def tidy_for_readers(path: Path) -> None:
    """Remove the build's traces from an executed notebook before it is published.

    The cell papermill injects with this run's parameters is hidden like the ``parameters`` cell,
    and papermill's record of the input and output paths (absolute paths of the build machine) is
    made relative to the project root, so that a downloaded notebook shows no build path.
    """
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if ("injected-parameters" in tags or "parameters" in tags) and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
    recorded = notebook.metadata.get("papermill", {})
    for key in ("input_path", "output_path"):
        if recorded.get(key):
            recorded[key] = project_relative(Path(recorded[key]))
    nbformat.write(notebook, path)


def stop_kernels() -> None:
    """Kill this process's children (the notebooks' kernels and their workers)."""
    try:
        import psutil
    except ImportError:
        return
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            child.kill()
