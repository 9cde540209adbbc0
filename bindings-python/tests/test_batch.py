"""score_pairs over every kind of string column: results are float32 pyarrow arrays equal to
the scalar calls, nulls in give nulls out."""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import ces

LEFT: list[Optional[str]] = ["Coca Cola", None, "word", "Café", "", "日本語", "x", None]
RIGHT: list[Optional[str]] = ["CocaCola", "x", "two words", "Cafe", "", "日本", None, None]

SCALAR: dict[ces.Metric, Callable[[str, str], float]] = {
    "similarity": ces.similarity,
    "word_similarity": ces.word_similarity,
    "strict_word_similarity": ces.strict_word_similarity,
}

COLUMNS: dict[str, Callable[[list[Optional[str]]], Any]] = {
    "list": list,
    "tuple": tuple,
    "pyarrow string": lambda v: pa.array(v, type=pa.string()),
    "pyarrow large_string": lambda v: pa.array(v, type=pa.large_string()),
    "pyarrow string_view": lambda v: pa.array(v, type=pa.string_view()),
    "pyarrow dictionary": lambda v: pa.array(v, type=pa.string()).dictionary_encode(),
    "pyarrow binary": lambda v: pa.array([None if s is None else s.encode() for s in v], type=pa.binary()),
    "pyarrow chunked": lambda v: pa.chunked_array([v[:3], v[3:5], v[5:]], type=pa.string()),
    "pyarrow chunked large_string": lambda v: pa.chunked_array([v[:1], v[1:]], type=pa.large_string()),
    "polars": lambda v: pl.Series(v, dtype=pl.String),
    "polars categorical": lambda v: pl.Series(v, dtype=pl.Categorical),
    "pandas str": lambda v: pd.Series(v, dtype="str"),
    "pandas object": lambda v: pd.Series(v, dtype=object),
    "pandas category": lambda v: pd.Series(v, dtype="category"),
}


def expected(
    metric: ces.Metric, left: Sequence[Optional[str]], right: Sequence[Optional[str]]
) -> list[Optional[float]]:
    f = SCALAR[metric]
    return [None if a is None or b is None else f(a, b) for a, b in zip(left, right)]


@pytest.mark.parametrize("metric", list(SCALAR))
@pytest.mark.parametrize("kind", list(COLUMNS))
def test_batch_equals_scalar_calls(kind: str, metric: ces.Metric) -> None:
    make = COLUMNS[kind]
    out = ces.score_pairs(make(LEFT), make(RIGHT), metric=metric)
    assert isinstance(out, pa.Array)
    assert out.type == pa.float32()
    assert out.to_pylist() == expected(metric, LEFT, RIGHT)
    assert out.null_count == 3


def test_mixed_column_kinds() -> None:
    out = ces.score_pairs(pl.Series(LEFT), pd.Series(RIGHT, dtype=object))
    assert out.to_pylist() == expected("similarity", LEFT, RIGHT)


def test_default_metric_is_similarity() -> None:
    assert ces.score_pairs(LEFT, RIGHT).to_pylist() == expected("similarity", LEFT, RIGHT)


def test_empty_and_all_null_columns() -> None:
    empty = ces.score_pairs([], [])
    assert empty.type == pa.float32() and len(empty) == 0
    nulls = ces.score_pairs([None, None], ["a", None])
    assert nulls.type == pa.float32() and nulls.to_pylist() == [None, None]
    assert ces.score_pairs(pa.array([], type=pa.string()), pl.Series([], dtype=pl.String)).to_pylist() == []


def test_large_batch_is_parallel_and_ordered() -> None:
    # More rows than one parallel task (2048), so rayon splits the work.
    left = [f"brand {i} x{i % 7}" for i in range(20_000)]
    right = [f"brand {i + 1} x{i % 5}" if i % 11 else None for i in range(20_000)]
    out = ces.score_pairs(pa.array(left), pa.array(right), metric="word_similarity").to_pylist()
    assert out == expected("word_similarity", left, right)


def test_one_megabyte_strings() -> None:
    big = "lorem ipsum dolor sit amet " * 40_000  # ~1 MB
    one_word = "x" * (1 << 20)
    out = ces.score_pairs([big, one_word, big], ["lorem ipsum", one_word, None]).to_pylist()
    assert out == [ces.similarity(big, "lorem ipsum"), 1.0, None]
    assert out[0] is not None and 0.0 < out[0] < 1.0


def test_polars_all_null_series_gives_null_scores() -> None:
    import polars as pl

    scores = ces.score_pairs(pl.Series([None, None], dtype=pl.Utf8), pl.Series(["a", "b"]))
    assert scores.to_pylist() == [None, None]
    scores = ces.score_pairs(pl.Series([None, None]), ["a", "b"])
    assert scores.to_pylist() == [None, None]
