"""The ``datajobs`` command line: one module per group of commands, assembled by :mod:`datajobs.cli.main`."""

from datajobs.cli.main import main

__all__ = ["main"]
