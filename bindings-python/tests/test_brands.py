"""Brand resolution from Python: catalogs from every kind of table, row-named errors,
pickling, the resolve cascade, the batch table, progress, determinism, triage, calibration
and the speech-to-text traps of the sample dictionary."""

from __future__ import annotations

import csv
import doctest
import math
import pickle
import re
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import ces
from ces import _ces

ROOT = Path(__file__).resolve().parents[2]
STT_DICTIONARY = ROOT / "tests" / "fixtures" / "brands" / "stt_brand_dictionary.csv"

BRANDS: list[dict[str, Any]] = [
    {"id": 1, "name": "Coca-Cola", "threshold": None},
    {"id": 2, "name": "Datu Puti Vinegar", "threshold": None},
    {"id": 7, "name": "Kopiko Black", "threshold": None},
    {"id": 8, "name": "Kopiko Brown", "threshold": None},
]
ALIASES: list[dict[str, Any]] = [
    {"brand_id": 1, "alias": "Coke", "alias_type": "variant", "threshold": None},
    {"brand_id": 1, "alias": "KOKA", "alias_type": "phonetic", "threshold": None},
]
GENERIC = ["softdrinks", "shampoo"]


@pytest.fixture(scope="module")
def catalog() -> ces.Catalog:
    return ces.Catalog(BRANDS, ALIASES, GENERIC)


@pytest.fixture(scope="module")
def resolver(catalog: ces.Catalog) -> ces.Resolver:
    return ces.Resolver(catalog)


@pytest.fixture
def parallel_restored() -> Iterator[None]:
    before = _ces._parallel_enabled()
    try:
        yield
    finally:
        _ces._set_parallel(before)


# ---------------------------------------------------------------------------------------
# Catalogs from every kind of table.

TABLES: dict[str, Callable[[list[dict[str, Any]]], Any]] = {
    "list of dicts": lambda rows: rows,
    "tuple of dicts": tuple,
    "dict of columns": lambda rows: {k: [r[k] for r in rows] for k in rows[0]},
    "pyarrow Table": pa.Table.from_pylist,
    "pyarrow RecordBatch": pa.RecordBatch.from_pylist,
    "pyarrow chunked Table": lambda rows: pa.concat_tables(
        [pa.Table.from_pylist(rows[:1]), pa.Table.from_pylist(rows[1:], schema=pa.Table.from_pylist(rows[:1]).schema)]
    ),
    "polars": lambda rows: pl.DataFrame(rows),
    "pandas": lambda rows: pd.DataFrame(rows),
}


@pytest.mark.parametrize("kind", list(TABLES))
def test_catalog_from_every_kind_of_table(kind: str, catalog: ces.Catalog) -> None:
    make = TABLES[kind]
    built = ces.Catalog(make(BRANDS), make(ALIASES), GENERIC)
    assert built.fingerprint == catalog.fingerprint
    assert (built.brand_count, built.entry_count) == (4, 6)
    assert built.brands() == BRANDS
    assert built.aliases() == ALIASES


def test_catalog_columns_of_other_types() -> None:
    brands = pa.table(
        {
            "id": pa.array([1, 2], type=pa.uint16()),
            "name": pa.array(["Coca-Cola", "Pepsi"], type=pa.large_string()).dictionary_encode(),
            "threshold": pa.array([0.8, None], type=pa.float32()),
            "country": ["PH", "US"],  # other columns are ignored
        }
    )
    aliases = pl.DataFrame(
        {"brand_id": [2], "alias": ["peps"], "alias_type": ["misspelling"]},
        schema={"brand_id": pl.Int8, "alias": pl.String, "alias_type": pl.Categorical},
    )
    built = ces.Catalog(brands, aliases, pa.array(["softdrinks"], type=pa.string_view()))
    assert built.brands() == [
        {"id": 1, "name": "Coca-Cola", "threshold": pytest.approx(0.8)},
        {"id": 2, "name": "Pepsi", "threshold": None},
    ]
    assert built.aliases() == [{"brand_id": 2, "alias": "peps", "alias_type": "misspelling", "threshold": None}]
    assert built.generic_words == ["softdrinks"]


def test_catalog_optional_columns_and_defaults() -> None:
    # alias_type absent or null → variant; threshold absent → None; keys missing from the
    # first row are still read.
    built = ces.Catalog(
        [{"id": 1, "name": "A"}, {"id": 2, "name": "B", "threshold": 0.5}],
        [{"brand_id": 1, "alias": "a1"}, {"brand_id": 2, "alias": "b1", "alias_type": None}],
    )
    assert built.brands()[1]["threshold"] == 0.5
    assert [a["alias_type"] for a in built.aliases()] == ["variant", "variant"]
    pandas_nan = ces.Catalog(pd.DataFrame({"id": [1, 2], "name": ["A", "B"], "threshold": [np.nan, 0.5]}))
    assert [b["threshold"] for b in pandas_nan.brands()] == [None, 0.5]


def test_empty_catalog() -> None:
    brands: Any
    for brands in ([], pa.table({"id": pa.array([], pa.int64()), "name": pa.array([], pa.string())})):
        empty = ces.Catalog(brands)
        assert (empty.brand_count, empty.entry_count) == (0, 0)
        d = ces.Resolver(empty).resolve("coke")
        assert (d.status, d.reason) == ("unresolved", "no catalog text shares enough trigrams")


def test_catalog_properties(catalog: ces.Catalog) -> None:
    assert re.fullmatch(r"[0-9a-f]{16}", catalog.fingerprint)
    assert catalog.normalizer == list(ces.DEFAULT_NORMALIZER)
    assert catalog.generic_words == GENERIC
    assert repr(catalog) == f"Catalog(brands=4, entries=6, fingerprint='{catalog.fingerprint}')"
    assert ces.Catalog(BRANDS, normalizer="pg_trgm").normalizer == []
    steps = ["nfc", "lowercase", "fold_accents"]
    assert ces.Catalog(BRANDS, normalizer=steps).normalizer == steps
    # The normaliser and the content are part of the fingerprint; row order is not.
    assert ces.Catalog(BRANDS, ALIASES, GENERIC, normalizer="pg_trgm").fingerprint != catalog.fingerprint
    assert ces.Catalog(BRANDS[::-1], ALIASES[::-1], GENERIC).fingerprint == catalog.fingerprint
    assert ces.Catalog(BRANDS, ALIASES, GENERIC, normalizer=list(ces.DEFAULT_NORMALIZER)).fingerprint == (
        catalog.fingerprint
    )


# ---------------------------------------------------------------------------------------
# Row-named errors.


def brand_rows(*rows: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [{"id": i, "name": n, "threshold": t} for i, n, t in rows]


@pytest.mark.parametrize(
    ("brands", "aliases", "cls", "row", "field", "message"),
    [
        (
            brand_rows((1, "A", None), (2, "B", None), (1, "C", None)),
            [],
            ces.InvalidArgumentError,
            2,
            "brands.id",
            "row 2: invalid value for `brands.id`: 1 (duplicate brand id (first at row 0))",
        ),
        (
            brand_rows((1, "A", None)),
            [{"brand_id": 1, "alias": "a"}, {"brand_id": 9, "alias": "x"}],
            ces.InvalidArgumentError,
            1,
            "aliases.brand_id",
            "row 1: invalid value for `aliases.brand_id`: 9 (no brand has this id)",
        ),
        (
            brand_rows((1, "A", None), (2, "B", 1.5)),
            [],
            ces.InvalidArgumentError,
            1,
            "brands.threshold",
            "row 1: invalid value for `brands.threshold`: 1.5 (a threshold must be a number in [0, 1])",
        ),
        (
            brand_rows((1, "A", None)),
            [{"brand_id": 1, "alias": "a", "threshold": -0.1}],
            ces.InvalidArgumentError,
            0,
            "aliases.threshold",
            "row 0: invalid value for `aliases.threshold`: -0.1 (a threshold must be a number in [0, 1])",
        ),
        (
            brand_rows((1, "A", None), (2, "  ", None)),
            [],
            ces.InvalidArgumentError,
            1,
            "brands.name",
            'row 1: invalid value for `brands.name`: "  " (a brand needs a non-blank name)',
        ),
        (
            brand_rows((1, "A", None), (None, "B", None)),
            [],
            ces.MissingValueError,
            1,
            "brands.id",
            "row 1: `brands.id` is missing (null)",
        ),
        (
            brand_rows((1, "A", None)),
            [{"brand_id": 1, "alias": None}],
            ces.MissingValueError,
            0,
            "aliases.alias",
            "row 0: `aliases.alias` is missing (null)",
        ),
        (
            brand_rows((1, "A", None)),
            [{"brand_id": 1, "alias": "a", "alias_type": "variant"}, {"brand_id": 1, "alias": "b", "alias_type": "nickname"}],
            ces.InvalidArgumentError,
            1,
            "aliases.alias_type",
            'row 1: invalid value for `aliases.alias_type`: "nickname" (expected one of canonical, variant, '
            "full_name, uppercase, abbreviation, ticker, misspelling, phonetic)",
        ),
    ],
    ids=[
        "duplicate id",
        "alias to missing brand",
        "brand threshold 1.5",
        "alias threshold -0.1",
        "blank name",
        "null id",
        "null alias",
        "unknown alias type",
    ],
)
def test_catalog_errors_name_the_row(
    brands: Any, aliases: Any, cls: type[ces.CesError], row: int, field: str, message: str
) -> None:
    for make in (list, pa.Table.from_pylist, pl.DataFrame):
        with pytest.raises(cls) as info:
            ces.Catalog(make(brands), make(aliases) if aliases else None)
        err = info.value
        assert (err.row, err.field, str(err), err.message) == (row, field, message, message)
        assert isinstance(err, ces.CesError) and isinstance(err, ValueError)


def test_catalog_argument_errors() -> None:
    with pytest.raises(ces.InvalidArgumentError) as info:
        ces.Catalog([{"id": 1, "title": "A"}])
    assert str(info.value) == "invalid value for `brands`: columns [\"id\", \"title\"] (no `name` column)"
    with pytest.raises(ces.InvalidArgumentError, match="no `alias` column"):
        ces.Catalog(BRANDS, pa.table({"brand_id": [1]}))
    with pytest.raises(TypeError, match=r"^`brands.id` must be an Arrow column of integers, not a column of type Utf8$"):
        ces.Catalog([{"id": "1", "name": "A"}])
    with pytest.raises(TypeError, match=r"^`brands.threshold` must be an Arrow column of floats"):
        ces.Catalog([{"id": 1, "name": "A", "threshold": "high"}])
    with pytest.raises(TypeError, match=r"^`brands` must be an Arrow table, a dict of columns or a list of row dicts, not str$"):
        ces.Catalog("brands.csv")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^`brands` must be .*, not int$"):
        ces.Catalog([1, 2])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"^`aliases` must be .*, not int$"):
        ces.Catalog(BRANDS, 5)  # type: ignore[arg-type]
    with pytest.raises(ces.InvalidArgumentError, match="does not fit in int64"):
        ces.Catalog(pa.table({"id": pa.array([2**63], pa.uint64()), "name": ["A"]}))
    with pytest.raises(TypeError, match=r"^`generic_words` must be a list of str .*, not str$"):
        ces.Catalog(BRANDS, generic_words="softdrinks")
    with pytest.raises(TypeError, match=r"^`generic_words` must be str, not int$"):
        ces.Catalog(BRANDS, generic_words=["a", 1])  # type: ignore[list-item]
    with pytest.raises(ces.MissingValueError) as missing:
        ces.Catalog(BRANDS, generic_words=pa.array(["a", None]))
    assert (missing.value.row, missing.value.field) == (1, "generic_words")


@pytest.mark.parametrize(
    ("normalizer", "field", "message"),
    [
        ("nfc", "normalizer", 'invalid value for `normalizer`: "nfc" (expected "default", "pg_trgm" or a list of step names)'),
        (["nfc", "stem"], "normalizer.steps", 'invalid value for `normalizer.steps`: "stem" (unknown step; expected one of '
         "nfc, nfkc, lowercase, fold_accents, ampersand, dotted_initials, legal_forms, quantities, punctuation, whitespace)"),
        (["nfc", "nfc"], "normalizer.steps", "invalid value for `normalizer.steps`: nfc (a step may appear only once)"),
    ],
)
def test_normalizer_errors(normalizer: Any, field: str, message: str) -> None:
    for call in (lambda: ces.Catalog(BRANDS, normalizer=normalizer), lambda: ces.normalize("x", normalizer)):
        with pytest.raises(ces.InvalidArgumentError) as info:
            call()
        assert (info.value.field, str(info.value)) == (field, message)


# ---------------------------------------------------------------------------------------
# Pickling.


def test_catalog_and_resolver_pickle(catalog: ces.Catalog) -> None:
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        again = pickle.loads(pickle.dumps(catalog, protocol=protocol))
        assert type(again) is ces.Catalog
        assert again.fingerprint == catalog.fingerprint
        assert (again.brands(), again.aliases(), again.generic_words, again.normalizer) == (
            catalog.brands(),
            catalog.aliases(),
            catalog.generic_words,
            catalog.normalizer,
        )
    custom = ces.Catalog(brand_rows((3, "Nestlé", 0.6)), [], normalizer=["nfc", "fold_accents"])
    assert pickle.loads(pickle.dumps(custom)).fingerprint == custom.fingerprint

    resolver = ces.Resolver(catalog, threshold=0.5, metric="word_similarity", ambiguity_margin=None, top_k=2)
    again_r = pickle.loads(pickle.dumps(resolver))
    assert repr(again_r) == repr(resolver)
    assert (again_r.threshold, again_r.metric, again_r.ambiguity_margin, again_r.top_k) == (
        0.5,
        "word_similarity",
        None,
        2,
    )
    for text in ["kopiko", "coke", "Datu Puti", "softdrinks"]:
        assert again_r.resolve(text) == resolver.resolve(text)


# ---------------------------------------------------------------------------------------
# The resolve cascade.


def test_resolve_cascade(resolver: ces.Resolver, catalog: ces.Catalog) -> None:
    exact = resolver.resolve("COCA COLA 1.5L")
    assert (exact.status, exact.method, exact.brand_id, exact.brand_name) == ("resolved", "exact", 1, "Coca-Cola")
    assert (exact.input, exact.normalized, exact.matched_text, exact.score) == (
        "COCA COLA 1.5L",
        "coca cola",
        "Coca-Cola",
        1.0,
    )
    [q] = exact.quantities
    assert isinstance(q, ces.Quantity)
    assert (q.raw, q.value, q.unit, q.canonical_value, q.canonical_unit, q.pack_count) == (
        "1.5L",
        1.5,
        "l",
        1500.0,
        "ml",
        None,
    )
    assert exact.catalog_fingerprint == catalog.fingerprint
    assert exact.resolver_version == ces.RESOLVER_VERSION == f"ces-brands/{ces.__version__}"
    assert exact.missing_trigrams == [] and exact.shared_trigrams == ces.show_trgm("coca cola")

    alias = resolver.resolve("coke")
    assert (alias.status, alias.method, alias.brand_id, alias.matched_text) == ("resolved", "alias", 1, "Coke")
    assert alias.candidates[0].alias_type == "variant"

    fuzzy = resolver.resolve("Datu Puti Vinegr")
    assert (fuzzy.status, fuzzy.method, fuzzy.brand_id) == ("resolved", "fuzzy", 2)
    assert fuzzy.score == ces.similarity("datu puti vinegr", "datu puti vinegar")
    assert fuzzy.score is not None and fuzzy.score >= fuzzy.threshold == 0.72

    generic = resolver.resolve("SOFTDRINKS")
    assert (generic.status, generic.method, generic.brand_id) == ("unresolved", "none", None)
    assert generic.reason == "generic word: never resolved automatically"

    below = resolver.resolve("kopiko")
    assert (below.status, below.reason) == ("unresolved", "best score 0.53846157 is below its threshold 0.72")
    assert [c.brand_id for c in below.candidates] == [7, 8]  # kept as suggestions

    nothing = resolver.resolve("zzz")
    assert (nothing.status, nothing.reason, nothing.candidates) == (
        "unresolved",
        "no catalog text shares enough trigrams",
        [],
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty input"),
        ("   ", "empty input"),
        ("🥤", "no letters or digits to match"),
        ("🥤🍺 !!", "no letters or digits to match"),
        ("---", "no letters or digits to match"),
    ],
)
def test_empty_and_emoji_inputs_are_unresolved(resolver: ces.Resolver, text: str, reason: str) -> None:
    d = resolver.resolve(text)
    assert (d.input, d.status, d.method, d.brand_id, d.reason, d.candidates) == (
        text,
        "unresolved",
        "none",
        None,
        reason,
        [],
    )


def test_ambiguity_and_ties(catalog: ces.Catalog) -> None:
    low = ces.Resolver(catalog, threshold=0.5)
    d = low.resolve("kopiko")
    assert (d.status, d.method, d.brand_id, d.margin) == ("ambiguous", "fuzzy", 7, 0.0)
    assert d.reason == "runner-up within 0.02 of the best score"
    assert isinstance(d.runner_up, ces.Candidate) and d.runner_up.brand_id == 8
    no_margin = ces.Resolver(catalog, threshold=0.5, ambiguity_margin=None).resolve("kopiko")
    assert (no_margin.status, no_margin.brand_id) == ("resolved", 7)
    assert no_margin.reason == "tie broken by alias priority, then lowest brand id"
    top1 = ces.Resolver(catalog, threshold=0.5, top_k=1).resolve("kopiko")
    assert len(top1.candidates) == 1 and top1.runner_up is not None


def test_brand_and_alias_thresholds_override() -> None:
    cat = ces.Catalog(brand_rows((1, "Kopiko Black", 0.5), (2, "Datu Puti Vinegar", None)))
    d = ces.Resolver(cat).resolve("kopiko blak")
    assert (d.status, d.brand_id, d.threshold) == ("resolved", 1, 0.5)
    assert d.candidates[0].threshold == 0.5


def test_generic_words_can_be_unblocked(catalog: ces.Catalog) -> None:
    assert ces.Resolver(catalog, block_generic_words=False).resolve("softdrinks").status == "unresolved"
    with_alias = ces.Catalog(BRANDS, ALIASES + [{"brand_id": 1, "alias": "softdrinks"}], GENERIC)
    assert ces.Resolver(with_alias).resolve("softdrinks").status == "unresolved"
    assert ces.Resolver(with_alias, block_generic_words=False).resolve("softdrinks").brand_id == 1


def test_pg_trgm_compatible_matches_the_classic_sql() -> None:
    names = ["Coca-Cola", "Coca Cola Zero", "Pepsi", "Datu Puti Vinegar", "Datu Puti Soy", "Kopiko Black"]
    cat = ces.Catalog([{"id": i + 1, "name": n} for i, n in enumerate(names)], normalizer="pg_trgm")
    for threshold in (0.3, 0.5, 0.72):
        r = ces.Resolver.pg_trgm_compatible(cat, threshold=threshold)
        assert (r.ambiguity_margin, r.top_k, r.suggestion_threshold, r.block_generic_words) == (None, 1, None, False)
        for text in ["coca cola", "Coca-Cola", "COCA-COLA", "datu puti", "Datu Puti Vinegr", "kopiko", "pepsi cola"]:
            # WHERE name % $1 ORDER BY similarity(name, $1) DESC, id LIMIT 1
            scored = [(ces.similarity(n, text), i + 1) for i, n in enumerate(names)]
            passing = sorted((-s, i) for s, i in scored if s >= threshold)
            d = r.resolve(text)
            assert d.brand_id == (passing[0][1] if passing else None), (threshold, text)
            assert d.status == ("resolved" if passing else "unresolved")


def test_decision_objects(resolver: ces.Resolver) -> None:
    d = resolver.resolve("Coke 6x330ml")
    with pytest.raises(AttributeError):
        d.status = "resolved"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        d.candidates[0].score = 0.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        hash(d)
    assert d == resolver.resolve("Coke 6x330ml") and d != resolver.resolve("coke")
    as_dict = d.to_dict()
    assert list(as_dict) == [
        "input", "normalized", "quantities", "method", "status", "brand_id", "brand_name", "matched_text",
        "score", "runner_up", "margin", "threshold", "candidates", "shared_trigrams", "missing_trigrams",
        "reason", "resolver_version", "catalog_fingerprint",
    ]  # fmt: skip
    assert as_dict["quantities"] == [q.to_dict() for q in d.quantities] == [
        {"raw": "6x330ml", "value": 330.0, "unit": "ml", "canonical_value": 330.0, "canonical_unit": "ml", "pack_count": 6}
    ]
    assert as_dict["candidates"] == [c.to_dict() for c in d.candidates]
    for name, value in as_dict.items():
        if name not in ("quantities", "candidates", "runner_up"):
            assert getattr(d, name) == value, name
    assert repr(d) == (
        "Decision(input='Coke 6x330ml', status='resolved', method='alias', brand_id=1, "
        "brand_name='Coca-Cola', score=1.0, reason=None)"
    )
    assert repr(d.candidates[0]).startswith("Candidate(brand_id=1, brand_name='Coca-Cola', matched_text='Coke'")


def test_resolver_argument_errors(catalog: ces.Catalog) -> None:
    with pytest.raises(ces.InvalidThresholdError) as info:
        ces.Resolver(catalog, threshold=1.5)
    assert info.value.field == "threshold"
    with pytest.raises(ces.InvalidThresholdError, match="suggestion_threshold"):
        ces.Resolver(catalog, suggestion_threshold=math.nan)
    with pytest.raises(ces.InvalidArgumentError, match="ambiguity_margin"):
        ces.Resolver(catalog, ambiguity_margin=2.0)
    for k in (0, -1):
        with pytest.raises(ces.InvalidArgumentError, match=r"`top_k`: .* \(must be at least 1\)"):
            ces.Resolver(catalog, top_k=k)
    with pytest.raises(ces.InvalidArgumentError, match="metric"):
        ces.Resolver(catalog, metric="levenshtein")  # type: ignore[arg-type]
    with pytest.raises(ces.InvalidThresholdError):
        ces.Resolver.pg_trgm_compatible(catalog, threshold=-0.5)
    with pytest.raises(TypeError, match=r"^`catalog` must be a ces.Catalog, not list$"):
        ces.Resolver(BRANDS)  # type: ignore[arg-type]
    with pytest.raises(TypeError) as wrong:
        ces.Resolver(catalog, threshold="high")  # type: ignore[arg-type]
    assert str(wrong.value) == "`threshold` must be a number, not str"
    with pytest.raises(TypeError) as wrong:
        ces.Resolver(catalog, ambiguity_margin="x")  # type: ignore[arg-type]
    assert str(wrong.value) == "`ambiguity_margin` must be a number or None, not str"
    with pytest.raises(TypeError) as wrong:
        ces.Resolver(catalog, top_k=1.5)  # type: ignore[arg-type]
    assert str(wrong.value) == "`top_k` must be an int, not float"
    with pytest.raises(TypeError, match=r"^`text` must be str, not bytes$"):
        ces.Resolver(catalog).resolve(b"coke")  # type: ignore[arg-type]


def test_resolver_properties(resolver: ces.Resolver, catalog: ces.Catalog) -> None:
    assert resolver.catalog is catalog
    assert (
        resolver.threshold,
        resolver.metric,
        resolver.ambiguity_margin,
        resolver.top_k,
        resolver.suggestion_threshold,
        resolver.block_generic_words,
    ) == (0.72, "similarity", 0.02, 3, 0.3, True)


# ---------------------------------------------------------------------------------------
# normalize.


def test_normalize() -> None:
    n = ces.normalize("COCA-COLA Company 1,5 L (Pack of 6)")
    assert n.text == "coca cola"
    assert [(q.raw, q.canonical_value, q.canonical_unit, q.pack_count) for q in n.quantities] == [
        ("1,5 L", 1500.0, "ml", None),
        ("(Pack of 6)", 6.0, "count", 6),
    ]
    assert n.to_dict() == {"text": "coca cola", "quantities": [q.to_dict() for q in n.quantities]}
    assert n == ces.normalize("COCA-COLA Company 1,5 L (Pack of 6)", "default")
    assert ces.normalize("COCA-COLA 1.5L", "pg_trgm").text == "COCA-COLA 1.5L"
    assert ces.normalize("Nestlé S.A.", ["nfc", "lowercase", "fold_accents"]).text == "nestle s.a."
    assert ces.normalize("CAFÉ", ("nfc", "lowercase")).text == "café"
    assert ces.NORMALIZER_STEPS == (
        "nfc", "nfkc", "lowercase", "fold_accents", "ampersand", "dotted_initials", "legal_forms",
        "quantities", "punctuation", "whitespace",
    )  # fmt: skip
    assert ces.ALIAS_TYPES[:2] == ("canonical", "variant") and len(ces.ALIAS_TYPES) == 8
    with pytest.raises(TypeError, match=r"^`text` must be str, not NoneType$"):
        ces.normalize(None)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# Batches.

SCHEMA = pa.schema(
    [
        pa.field("input", pa.string()),
        pa.field("normalized", pa.string()),
        pa.field("method", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("brand_id", pa.int64()),
        pa.field("brand_name", pa.string()),
        pa.field("matched_text", pa.string()),
        pa.field("score", pa.float32()),
        pa.field("runner_up_brand_id", pa.int64()),
        pa.field("runner_up_score", pa.float32()),
        pa.field("margin", pa.float32()),
        pa.field("threshold", pa.float64(), nullable=False),
        pa.field("reason", pa.string()),
        pa.field(
            "quantities",
            pa.list_(
                pa.struct(
                    [
                        pa.field("raw", pa.string(), nullable=False),
                        pa.field("value", pa.float64(), nullable=False),
                        pa.field("unit", pa.string(), nullable=False),
                        pa.field("canonical_value", pa.float64(), nullable=False),
                        pa.field("canonical_unit", pa.string(), nullable=False),
                        pa.field("pack_count", pa.uint32()),
                    ]
                )
            ),
            nullable=False,
        ),
        pa.field(
            "candidates",
            pa.list_(
                pa.struct(
                    [
                        pa.field("brand_id", pa.int64(), nullable=False),
                        pa.field("brand_name", pa.string(), nullable=False),
                        pa.field("matched_text", pa.string(), nullable=False),
                        pa.field("alias_type", pa.string(), nullable=False),
                        pa.field("score", pa.float32(), nullable=False),
                        pa.field("threshold", pa.float64(), nullable=False),
                    ]
                )
            ),
            nullable=False,
        ),
        pa.field("shared_trigrams", pa.list_(pa.string()), nullable=False),
        pa.field("missing_trigrams", pa.list_(pa.string()), nullable=False),
        pa.field("resolver_version", pa.string(), nullable=False),
        pa.field("catalog_fingerprint", pa.string(), nullable=False),
    ]
)

INPUTS: list[Optional[str]] = [
    "COCA COLA 1.5L",
    "coke",
    None,
    "Datu Puti Vinegr",
    "softdrinks",
    "",
    "🥤",
    "kopiko",
    "Coke 6x330ml (Pack of 4)",
    "zzz",
    None,
]


def row_of(d: ces.Decision) -> dict[str, Any]:
    """The batch-table row of a scalar decision."""
    row = d.to_dict()
    runner_up = row.pop("runner_up")
    row["runner_up_brand_id"] = runner_up and runner_up["brand_id"]
    row["runner_up_score"] = runner_up and runner_up["score"]
    return row


def null_row(resolver: ces.Resolver) -> dict[str, Any]:
    return {
        "input": None, "normalized": None, "method": "none", "status": "unresolved", "brand_id": None,
        "brand_name": None, "matched_text": None, "score": None, "runner_up_brand_id": None,
        "runner_up_score": None, "margin": None, "threshold": resolver.threshold, "reason": "null input",
        "quantities": [], "candidates": [], "shared_trigrams": [], "missing_trigrams": [],
        "resolver_version": ces.RESOLVER_VERSION, "catalog_fingerprint": resolver.catalog.fingerprint,
    }  # fmt: skip


def expected_rows(resolver: ces.Resolver, inputs: list[Optional[str]]) -> list[dict[str, Any]]:
    return [null_row(resolver) if s is None else row_of(resolver.resolve(s)) for s in inputs]


COLUMNS: dict[str, Callable[[list[Optional[str]]], Any]] = {
    "list": list,
    "pyarrow string": lambda v: pa.array(v, type=pa.string()),
    "pyarrow large_string": lambda v: pa.array(v, type=pa.large_string()),
    "pyarrow string_view": lambda v: pa.array(v, type=pa.string_view()),
    "pyarrow dictionary": lambda v: pa.array(v).dictionary_encode(),
    "pyarrow chunked": lambda v: pa.chunked_array([v[:4], v[4:]], type=pa.string()),
    "polars": lambda v: pl.Series(v, dtype=pl.String),
    "pandas object": lambda v: pd.Series(v, dtype=object),
    "pandas str": lambda v: pd.Series(v, dtype="str"),
    "numpy object": lambda v: np.array(v, dtype=object),
}


@pytest.mark.parametrize("kind", list(COLUMNS))
def test_batch_table_equals_scalar_resolve(resolver: ces.Resolver, kind: str) -> None:
    table = resolver.resolve_batch(COLUMNS[kind](INPUTS))
    assert isinstance(table, pa.Table)
    assert table.schema == SCHEMA
    assert table.num_rows == len(INPUTS)
    assert table.to_pylist() == expected_rows(resolver, INPUTS)


def test_batch_of_nothing(resolver: ces.Resolver) -> None:
    calls: list[tuple[int, int]] = []
    for column in ([], pa.array([], pa.string()), [None, None]):
        table = resolver.resolve_batch(column, progress=lambda done, total: calls.append((done, total)))
        assert table.schema == SCHEMA
        assert table.to_pylist() == [null_row(resolver)] * len(column)
    assert calls == [(2, 2)]  # never called for an empty column


def test_batch_argument_errors(resolver: ces.Resolver) -> None:
    with pytest.raises(TypeError, match=r"^`column` must be an Arrow column of strings .*, not a column of type Int64$"):
        resolver.resolve_batch([1, 2])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"^`column` must be a column \(not a single value\), not str$"):
        resolver.resolve_batch("coke")
    with pytest.raises(TypeError, match=r"^`progress` must be a callable or None, not int$"):
        resolver.resolve_batch(["coke"], progress=3)  # type: ignore[arg-type]
    with pytest.raises(ces.InvalidUtf8Error) as info:
        resolver.resolve_batch(pa.array([b"coke", b"\xff"], type=pa.binary()))
    assert (info.value.row, info.value.field) == (1, "column")


def big_inputs(n: int) -> list[Optional[str]]:
    words = ["coca cola", "coke", "kopiko blak", "datu puti", "softdrinks", "pepsi", "", "🥤", "koka"]
    return [None if i % 97 == 0 else f"{words[i % len(words)]} {i % 13}" for i in range(n)]


def test_progress_is_called_between_chunks(resolver: ces.Resolver) -> None:
    n = 10_000
    calls: list[tuple[int, int]] = []
    main = threading.get_ident()
    threads: set[int] = set()

    def progress(done: int, total: int) -> None:
        calls.append((done, total))
        threads.add(threading.get_ident())

    table = resolver.resolve_batch(big_inputs(n), progress=progress)
    assert table.num_rows == n
    assert calls == [(4096, n), (8192, n), (n, n)]
    assert threads == {main}


def test_exception_in_progress_aborts_and_propagates(resolver: ces.Resolver) -> None:
    calls: list[int] = []

    class Stop(Exception):
        pass

    def progress(done: int, total: int) -> None:
        calls.append(done)
        raise Stop(f"stopped at {done} of {total}")

    with pytest.raises(Stop, match="^stopped at 4096 of 10000$"):
        resolver.resolve_batch(big_inputs(10_000), progress=progress)
    assert calls == [4096]  # aborted: no later chunk ran

    with pytest.raises(TypeError):  # the callback's signature is wrong: its TypeError propagates
        resolver.resolve_batch(["coke"], progress=lambda: None)  # type: ignore[arg-type, misc]


def test_batch_is_deterministic_regardless_of_threads(resolver: ces.Resolver, parallel_restored: None) -> None:
    inputs = big_inputs(20_000)
    _ces._set_parallel(True)
    parallel = resolver.resolve_batch(inputs)
    _ces._set_parallel(False)
    sequential = resolver.resolve_batch(inputs)
    assert parallel.equals(sequential)
    assert parallel.to_pylist()[:200] == expected_rows(resolver, inputs[:200])


def test_batch_releases_the_gil(parallel_restored: None) -> None:
    _ces._set_parallel(False)  # leave a core for this thread
    brands = [{"id": i, "name": f"brand {i} family {i % 97} line {i % 13}"} for i in range(3_000)]
    resolver = ces.Resolver(ces.Catalog(brands), suggestion_threshold=0.1)
    inputs = [f"brand {i} famly {i % 89}" for i in range(200)]
    # Grow the batch until one call takes at least 0.4 s.
    while True:
        start = time.perf_counter()
        resolver.resolve_batch(inputs)
        if time.perf_counter() - start >= 0.4:
            break
        inputs = inputs * 2

    done = threading.Event()
    results: list[pa.Table] = []

    def run() -> None:
        try:
            results.append(resolver.resolve_batch(inputs))
        finally:
            done.set()

    worker = threading.Thread(target=run)
    ticks = [time.perf_counter()]
    worker.start()
    while not done.is_set():
        time.sleep(0.001)
        ticks.append(time.perf_counter())
    worker.join()
    stall = max(b - a for a, b in zip(ticks, ticks[1:]))
    duration = ticks[-1] - ticks[0]
    assert results[0].num_rows == len(inputs)
    assert duration > 0.2, f"batch too short to measure: {duration:.3f}s"
    assert stall < duration / 2, f"main thread stalled {stall:.3f}s of {duration:.3f}s"


# ---------------------------------------------------------------------------------------
# Triage.


def test_triage_queue(resolver: ces.Resolver, catalog: ces.Catalog) -> None:
    q = ces.TriageQueue()
    assert len(q) == 0 and q.items() == []
    assert q.record(resolver.resolve("kopiko blak"), 100) is True
    assert q.record(resolver.resolve("KOPIKO  BLAK"), 200) is True
    assert q.record(resolver.resolve("coke"), 300) is False  # resolved: not queued
    assert q.record(resolver.resolve("🥤"), 300) is False  # nothing to map
    assert q.record(resolver.resolve("softdrinks"), 150) is True
    [first, second] = q.items()
    assert isinstance(first, ces.TriageItem)
    assert (first.normalized, first.count, first.first_seen, first.last_seen) == ("kopiko blak", 2, 100, 200)
    assert (first.samples, first.last_status, first.status, first.mapped_brand_id) == (
        ["kopiko blak", "KOPIKO  BLAK"],
        "unresolved",
        "open",
        None,
    )
    assert [s.brand_id for s in first.suggestions] == [7, 8]
    assert second.normalized == "softdrinks" and second.suggestions == []
    assert q.get("kopiko blak") == first and q.get("nothing") is None

    alias = q.accept("kopiko blak", 7)
    assert alias == {"brand_id": 7, "alias": "kopiko blak", "alias_type": "variant", "threshold": None}
    assert q.accept("kopiko blak", 7) == alias  # idempotent
    with pytest.raises(ces.InvalidArgumentError, match="already mapped to brand 7"):
        q.accept("kopiko blak", 8)
    with pytest.raises(ces.InvalidArgumentError, match="not in the triage queue"):
        q.accept("nothing", 1)
    q.reject("softdrinks")
    assert [(i.normalized, i.status) for i in q.items()] == [("kopiko blak", "mapped"), ("softdrinks", "ignored")]
    assert q.open() == [] and len(q) == 2
    assert repr(q) == "TriageQueue(items=2, open=0)"

    # The accepted alias, added to the catalog, resolves.
    updated = ces.Catalog(catalog.brands(), catalog.aliases() + [alias], catalog.generic_words)
    d = ces.Resolver(updated).resolve("Kopiko Blak")
    assert (d.status, d.method, d.brand_id) == ("resolved", "alias", 7)


def test_triage_record_batch_from_table_or_decisions(resolver: ces.Resolver) -> None:
    inputs = ["kopico", "KOPICO", "kopiko blak", "KOPIKO BLAK", None, "coke", "Datu Puti", "softdrinks", "Kopiko", "", "kopiko"]
    table = resolver.resolve_batch(inputs)
    decisions = [resolver.resolve(s) for s in inputs if s is not None]
    expected = ces.TriageQueue()
    for d in decisions:
        expected.record(d, 42)
    queued = sum(d.status != "resolved" and bool(d.normalized.strip()) for d in decisions)
    for source in (table, pl.from_arrow(table), table.to_batches()[0], decisions, iter(decisions)):
        q = ces.TriageQueue()
        assert q.record_batch(source, 42) == queued
        assert q.items() == expected.items()
    with pytest.raises(TypeError, match=r"^`decisions` must be a table of decisions or a list of ces.Decision, not str$"):
        ces.TriageQueue().record_batch(["kopico"], 1)  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"^`decision` must be a ces.Decision, not dict$"):
        ces.TriageQueue().record(decisions[0].to_dict(), 1)  # type: ignore[arg-type]
    with pytest.raises(ces.InvalidArgumentError, match="no `status` column"):
        ces.TriageQueue().record_batch(table.drop_columns(["status"]), 1)


# ---------------------------------------------------------------------------------------
# Calibration and accuracy.


def test_calibrate() -> None:
    scores = [0.9, 0.75, 0.73, 0.5, 0.2]
    labels = [True, True, False, True, False]
    cases: list[tuple[Any, Any]] = [
        (scores, labels),
        (np.array(scores, dtype=np.float32), np.array(labels)),
        (pa.array(scores, pa.float32()), pl.Series(labels)),
        (pd.Series(scores), [1, 1, 0, 1, 0]),
    ]
    for s, lab in cases:
        report = ces.calibrate(s, lab)
        assert isinstance(report, ces.CalibrationReport)
        assert (report.best, report.best_threshold, report.best_f1) == (50, 0.5, pytest.approx(6 / 7))
        rows = report.rows
        assert rows.schema == pa.schema(
            [
                pa.field("threshold", pa.float64(), nullable=False),
                pa.field("true_positives", pa.uint64(), nullable=False),
                pa.field("false_positives", pa.uint64(), nullable=False),
                pa.field("false_negatives", pa.uint64(), nullable=False),
                pa.field("precision", pa.float64()),
                pa.field("recall", pa.float64()),
                pa.field("f1", pa.float64()),
            ]
        )
        assert rows.num_rows == 101
        at_072 = rows.to_pylist()[72]
        assert at_072["threshold"] == 0.72 and at_072["precision"] == 2 / 3
        assert rows.to_pylist()[74]["recall"] == 2 / 3
        assert rows.to_pylist()[100]["precision"] is None
    empty = ces.calibrate([], [])
    assert (empty.best, empty.best_threshold, empty.best_f1, empty.rows.num_rows) == (None, None, None, 101)


def test_calibrate_errors() -> None:
    with pytest.raises(ces.LengthMismatchError, match="`scores` has 2 rows but `labels` has 1"):
        ces.calibrate([0.1, 0.2], [True])
    with pytest.raises(ces.MissingValueError) as info:
        ces.calibrate([0.1, None], [True, False])  # type: ignore[list-item]
    assert (info.value.row, info.value.field) == (1, "scores")
    with pytest.raises(ces.InvalidArgumentError) as bad:
        ces.calibrate([0.1, 0.2], [1, 2])
    assert (bad.value.row, bad.value.field) == (1, "labels")
    with pytest.raises(TypeError, match=r"^`scores` must be an Arrow column of floats"):
        ces.calibrate(["high"], [True])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"^`labels` must be an Arrow column of booleans"):
        ces.calibrate([0.5], ["yes"])  # type: ignore[list-item]


def test_evaluate() -> None:
    tide = ces.Resolver(ces.Catalog([{"id": 1, "name": "Tide"}]))
    decisions = [tide.resolve("TIDE"), tide.resolve("shampoo")]
    acc = ces.evaluate(decisions, [1, None])
    assert isinstance(acc, ces.Accuracy)
    assert acc.to_dict() == {
        "correct": 1,
        "wrong": 0,
        "missed": 0,
        "correctly_unresolved": 1,
        "precision": 1.0,
        "recall": 1.0,
    }
    assert acc == ces.evaluate(tide.resolve_batch(["TIDE", "shampoo"]), pa.array([1, None]))
    mixed = tide.resolve_batch(["TIDE", "Tid", None, "tide"])
    acc2 = ces.evaluate(mixed, [2, 1, 1, None])
    assert (acc2.correct, acc2.wrong, acc2.missed, acc2.correctly_unresolved) == (0, 2, 2, 0)
    assert (acc2.precision, acc2.recall) == (0.0, 0.0)
    assert ces.evaluate([], []).precision is None
    with pytest.raises(ces.LengthMismatchError, match="`decisions` has 2 rows but `truth` has 3"):
        ces.evaluate(decisions, [1, None, 2])
    only_status = mixed.select(["status", "brand_id"])
    assert ces.evaluate(only_status, [2, 1, 1, None]) == acc2


# ---------------------------------------------------------------------------------------
# The speech-to-text traps of the sample dictionary.

STT_GENERIC = ["softdrinks", "kape", "sabon", "shampoo", "gatas", "load", "yosi"]
COMMODITIES = {"BREAD", "RICE", "EGGS", "WATER"}


@pytest.fixture(scope="module")
def stt() -> tuple[ces.Resolver, list[str]]:
    with STT_DICTIONARY.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    ids: dict[tuple[str, str], int] = {}
    for r in rows:
        ids.setdefault((r["brand"], r["category"]), len(ids) + 1)
    brands = [{"id": i, "name": brand} for (brand, _), i in ids.items()]
    aliases = [{"brand_id": ids[(r["brand"], r["category"])], "alias": r["variant"]} for r in rows]
    generic = (
        STT_GENERIC
        + [r["variant"] for r in rows if r["brand"] in COMMODITIES]
        + sorted({r["brand"] for r in rows if r["brand"] in COMMODITIES})
    )
    return ces.Resolver(ces.Catalog(pl.DataFrame(brands), pa.Table.from_pylist(aliases), generic)), generic


def test_stt_shared_aliases_are_ambiguous(stt: tuple[ces.Resolver, list[str]]) -> None:
    resolver, _ = stt
    red = resolver.resolve("red")
    assert (red.status, red.method, red.reason) == ("ambiguous", "alias", "the text names 2 brands")
    assert {c.brand_name for c in red.candidates} == {"RED HORSE", "MARLBORO"}
    smart = resolver.resolve("smart")
    assert (smart.status, smart.reason) == ("ambiguous", "the text names 2 brands")
    assert [c.brand_name for c in smart.candidates] == ["SMART", "SMART"]  # Household and Telecom
    assert len({c.brand_id for c in smart.candidates}) == 2
    assert resolver.resolve("Red Horse").status == "resolved"


def test_stt_generic_words_stay_unresolved(stt: tuple[ces.Resolver, list[str]]) -> None:
    resolver, generic = stt
    assert {"bread", "rice", "eggs", "water", "tubig", "pan", "bigas", "itlog"} <= {g.lower() for g in generic}
    table = resolver.resolve_batch(generic)
    for word, row in zip(generic, table.to_pylist()):
        assert (row["status"], row["brand_id"], row["reason"]) == (
            "unresolved",
            None,
            "generic word: never resolved automatically",
        ), word
        d = resolver.resolve(word)
        assert (d.status, d.reason) == ("unresolved", "generic word: never resolved automatically"), word
    # The variants of real brands still resolve.
    for text, brand in [("coke", "COCA COLA"), ("sprayts", "SPRITE"), ("kabayo", "RED HORSE")]:
        d = resolver.resolve(text)
        assert (d.status, d.brand_name) == ("resolved", brand), text


# ---------------------------------------------------------------------------------------
# Documentation.


def test_module_docstring_examples_run() -> None:
    failures, tried = doctest.testmod(ces, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0


def test_readme_python_blocks_run() -> None:
    readme = Path(__file__).resolve().parents[1] / "README.md"
    blocks = re.findall(r"```python\n(.*?)```", readme.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 3
    namespace: dict[str, Any] = {}  # one namespace: the blocks read top to bottom
    for code in blocks:
        exec(compile(code, str(readme), "exec"), namespace)


def test_resolver_signature_defaults_are_the_cores() -> None:
    r = ces.Resolver(ces.Catalog([{"id": 1, "name": "A"}]))
    got = {k: getattr(r, k) for k in ces._ces.RESOLVER_DEFAULTS}
    assert got == ces._ces.RESOLVER_DEFAULTS
