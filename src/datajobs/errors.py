"""The one exception base of the project: every error a user can cause derives from :class:`DatajobsError`.

The command line turns a :class:`DatajobsError` into one line on stderr and exit status 2, in one place
(:func:`datajobs.cli.main.main`); anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class DatajobsError(Exception):
    """A problem the user can fix (a file, an option, a missing tool), with a message that says how."""
