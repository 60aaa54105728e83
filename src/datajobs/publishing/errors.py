"""The publishing wing's error: :class:`BookError`, raised when the book, its PDF or its site cannot be made."""

from __future__ import annotations

from datajobs.errors import DatajobsError


class BookError(DatajobsError, RuntimeError):
    """The book could not be produced; the message says which notebook, cell or page."""
