"""Data wing: the schema, reading and normalising profile files, labels, atomic writes, the synthetic sample."""
