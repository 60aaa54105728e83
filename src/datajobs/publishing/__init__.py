"""Publishing wing: the book's run plan, scheduler and site, its PDF, publishing, and the student edition."""

from __future__ import annotations

from typing import TYPE_CHECKING

from datajobs.lazy import lazy_face

__all__ = ["BookError", "ExerciseStructureError", "PublishError", "make_pdf", "publish_html", "run_book",
           "write_student_edition"]

# Where each public name lives: imported on first use, so that `import datajobs.publishing` (and
# `datajobs --help`) stays quick; the modules import each other directly, never through this face.
_HOMES = {name: module for module, names in {
    "errors": ("BookError",),
    "run": ("run_book",),
    "pdf": ("make_pdf",),
    "publish": ("PublishError", "publish_html"),
    "student": ("ExerciseStructureError", "write_student_edition"),
}.items() for name in names}

if TYPE_CHECKING:
    from datajobs.publishing.errors import BookError
    from datajobs.publishing.pdf import make_pdf
    from datajobs.publishing.publish import PublishError, publish_html
    from datajobs.publishing.run import run_book
    from datajobs.publishing.student import ExerciseStructureError, write_student_edition


__getattr__, __dir__ = lazy_face(__name__, _HOMES)
