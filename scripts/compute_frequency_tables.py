"""Recompute the aggregate frequency tables shipped in the package from the reference file.

Run once by a maintainer who has the reference file; writes counts only (no row):

    .venv/bin/python scripts/compute_frequency_tables.py ../shared/data/dataset_train_test.csv
"""

import argparse
import json

from datajobs.config import FREQUENCY_TABLES_PATH, REAL_DATA_PATH
from datajobs.data.synth import compute_frequency_tables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", default=str(REAL_DATA_PATH), help="the reference CSV")
    parser.add_argument("-o", "--output", default=str(FREQUENCY_TABLES_PATH), help="JSON to write")
    args = parser.parse_args()
    tables = compute_frequency_tables(args.source)
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump(tables, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
    print(f"wrote {args.output}: {tables['source']['rows']} rows counted, "
          f"{len(tables['companies']['names'])} frequent companies")


if __name__ == "__main__":
    main()
