"""Canonical vocabularies and alias tables used to normalise raw values.

Every alias is looked up on a *key*: the value case-folded, accents removed and inner white space
collapsed, so ``Pyspark``, ``PySpark`` and ``pyspark`` share one entry.
"""

from __future__ import annotations

import re
import unicodedata

from datajobs.config import DIPLOMA_LEVELS, PROFILE_LABELS


def make_key(value: str) -> str:
    """Return the lookup key of a raw value: case-folded, accent-free, single-spaced."""
    decomposed = unicodedata.normalize("NFKD", value)
    without_accents = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", without_accents).strip().casefold()


# Canonical technology names; the raw file's case variants and typos map onto them below.
CANONICAL_TECHNOLOGIES: tuple[str, ...] = (
    "AI", "AWS", "Big data", "C", "C++", "Cassandra", "Deep learning", "Docker",
    "Elasticsearch", "English", "Excel", "GNU", "HBase", "HDFS", "Hadoop", "Hive", "Java",
    "Kafka", "Kibana", "Linux", "Machine learning", "Map-Reduce", "MariaDB", "Matlab",
    "Matplotlib", "Microsoft Azure", "MongoDB", "MySQL", "NoSQL", "NumPy", "Oracle", "Perl",
    "Pig", "PostgreSQL", "PyCharm", "PySpark", "Python", "R", "Redshift", "Ruby", "SAS",
    "SPSS", "SQL", "Scala", "Scikit-learn", "Scoring", "Spark", "Tableau", "TensorFlow",
    "Teradata", "VBA", "Vertica", "Windows", "Yarn",
)

# Raw spellings that are not just a case variant of a canonical name. A value maps to a tuple
# because one raw item can stand for several technologies (``Hadoop(HDFS)``).
TECHNOLOGY_ALIASES: dict[str, tuple[str, ...]] = {
    "nosq": ("NoSQL",),
    "no sql": ("NoSQL",),
    "hadoop(hdfs)": ("Hadoop", "HDFS"),
    "hadoop (hdfs)": ("Hadoop", "HDFS"),
    "anglais": ("English",),
    "sklearn": ("Scikit-learn",),
    "scikit learn": ("Scikit-learn",),
    "mapreduce": ("Map-Reduce",),
    "map reduce": ("Map-Reduce",),
    "azure": ("Microsoft Azure",),
    "postgres": ("PostgreSQL",),
    "tensor flow": ("TensorFlow",),
    "ml": ("Machine learning",),
    "apprentissage automatique": ("Machine learning",),
    "elastic search": ("Elasticsearch",),
    "amazon web services": ("AWS",),
}
TECHNOLOGY_LOOKUP: dict[str, tuple[str, ...]] = {
    **{make_key(name): (name,) for name in CANONICAL_TECHNOLOGIES},
    **TECHNOLOGY_ALIASES,
}

# Diploma spellings are matched on their first word, so ``MSc degree`` and ``PhD in physics``
# resolve like ``MSc`` and ``PhD``.
DIPLOMA_FIRST_WORDS: dict[str, str] = {
    "no": "No diploma", "none": "No diploma", "aucun": "No diploma", "sans": "No diploma",
    "bachelor": "Bachelor", "bachelors": "Bachelor", "bsc": "Bachelor", "b.sc": "Bachelor",
    "b.sc.": "Bachelor", "licence": "Bachelor", "ba": "Bachelor", "bs": "Bachelor",
    "master": "Master", "masters": "Master", "mastere": "Master", "msc": "Master",
    "m.sc": "Master", "m.sc.": "Master", "ms": "Master", "ma": "Master", "mba": "Master",
    "phd": "PhD", "ph.d": "PhD", "ph.d.": "PhD", "doctorat": "PhD", "doctorate": "PhD",
    "dphil": "PhD",
}
assert set(DIPLOMA_FIRST_WORDS.values()) == set(DIPLOMA_LEVELS)

PROFILE_LOOKUP: dict[str, str] = {make_key(label): label for label in PROFILE_LABELS}
PROFILE_LOOKUP.update({"data architect": "Data architecte", "lead data-scientist": "Lead data scientist"})

# The 14 cities of the reference file; another city is kept and flagged, never dropped.
KNOWN_CITIES: tuple[str, ...] = (
    "Bordeaux", "Grenoble", "Lille", "Lyon", "Marseille", "Montpellier", "Nantes", "Nice",
    "Paris", "Rennes", "Rouen", "Strasbourg", "Toulon", "Toulouse",
)
CITY_LOOKUP: dict[str, str] = {make_key(city): city for city in KNOWN_CITIES}
