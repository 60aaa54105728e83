"""The ``datajobs`` command: one module per group of commands."""
