"""``python -m datajobs.cli``: the ``datajobs`` command, for the tests and the benchmarks."""

from datajobs.cli.main import main

raise SystemExit(main())
