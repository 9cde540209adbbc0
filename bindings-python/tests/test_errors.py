"""Bad input: typed exceptions with stable codes, TypeError naming the argument."""

from __future__ import annotations

import math
import pickle
import re
from typing import Any, Callable

import pyarrow as pa
import pytest

import ces

CLASSES = {
    "invalid_threshold": ces.InvalidThresholdError,
    "invalid_argument": ces.InvalidArgumentError,
    "invalid_utf8": ces.InvalidUtf8Error,
    "missing_value": ces.MissingValueError,
    "length_mismatch": ces.LengthMismatchError,
    "invalid_record": ces.InvalidRecordError,
    "duplicate_key": ces.DuplicateKeyError,
    "malformed_input": ces.MalformedInputError,
}

# (function, argument names) of every scalar text function.
SCALARS: list[tuple[Callable[..., Any], tuple[str, ...]]] = [
    (ces.show_trgm, ("text",)),
    (ces.show_trgm_text, ("text",)),
    (ces.similarity, ("a", "b")),
    (ces.similarity_distance, ("a", "b")),
    (ces.similar, ("a", "b")),
    (ces.word_similarity, ("needle", "haystack")),
    (ces.strict_word_similarity, ("needle", "haystack")),
    (ces.word_similar, ("needle", "haystack")),
    (ces.strict_word_similar, ("needle", "haystack")),
]


def test_one_class_per_core_code() -> None:
    assert set(ces.ERROR_CODES) == set(CLASSES)
    for code, cls in CLASSES.items():
        assert issubclass(cls, ces.CesError) and issubclass(cls, ValueError)
        assert cls.code == code
        assert cls.__module__ == "ces" and getattr(ces, cls.__name__) is cls
    assert issubclass(ces.CesError, Exception) and not issubclass(ces.CesError, ValueError)


@pytest.mark.parametrize("bad", [None, 3, 1.5, b"bytes", bytearray(b"x"), ["a"]])
@pytest.mark.parametrize(("func", "names"), SCALARS, ids=lambda v: getattr(v, "__name__", ""))
def test_non_text_is_type_error_naming_the_argument(
    func: Callable[..., Any], names: tuple[str, ...], bad: object
) -> None:
    for i, name in enumerate(names):
        args: list[object] = ["text"] * len(names)
        args[i] = bad
        with pytest.raises(TypeError) as info:
            func(*args)
        assert str(info.value) == f"`{name}` must be str, not {type(bad).__name__}"


@pytest.mark.parametrize("threshold", [math.nan, -0.1, 1.5, math.inf, -math.inf, -1e-300, 1.0000001])
@pytest.mark.parametrize("func", [ces.similar, ces.word_similar, ces.strict_word_similar])
def test_invalid_threshold(func: Callable[..., bool], threshold: float) -> None:
    with pytest.raises(ces.InvalidThresholdError) as info:
        func("a", "a", threshold=threshold)
    err = info.value
    assert isinstance(err, ces.CesError) and isinstance(err, ValueError)
    assert (err.code, err.field, err.row) == ("invalid_threshold", "threshold", None)
    assert err.message == str(err)
    assert "invalid threshold for `threshold`" in err.message


@pytest.mark.parametrize("bad", ["0.5", None, b"1", [0.5]])
def test_threshold_of_wrong_type(bad: Any) -> None:
    with pytest.raises(TypeError) as info:
        ces.similar("a", "b", threshold=bad)
    assert str(info.value) == f"`threshold` must be a number, not {type(bad).__name__}"


@pytest.mark.parametrize("bad", [None, 1, b"similarity"])
def test_metric_of_wrong_type(bad: Any) -> None:
    with pytest.raises(TypeError) as info:
        ces.score_pairs(["a"], ["b"], metric=bad)
    assert str(info.value) == f"`metric` must be str, not {type(bad).__name__}"


def test_length_mismatch() -> None:
    with pytest.raises(ces.LengthMismatchError) as info:
        ces.score_pairs(["a", "b", "c"], pa.array(["a", "b"]))
    err = info.value
    assert (err.code, err.row, err.field) == ("length_mismatch", None, None)
    assert err.message == "`left` has 3 rows but `right` has 2"


def test_unknown_metric() -> None:
    with pytest.raises(ces.InvalidArgumentError) as info:
        ces.score_pairs(["a"], ["b"], metric="cosine")  # type: ignore[arg-type]
    err = info.value
    assert (err.code, err.field, err.row) == ("invalid_argument", "metric", None)
    assert "cosine" in err.message


def test_invalid_utf8_in_binary_column_names_the_row() -> None:
    left = pa.chunked_array([[b"ok", None], [b"fine", b"caf\xc3", b"x"]], type=pa.binary())
    with pytest.raises(ces.InvalidUtf8Error) as info:
        ces.score_pairs(left, ["a"] * 5)
    err = info.value
    assert (err.code, err.row, err.field) == ("invalid_utf8", 3, "left")
    assert err.message == "row 3: `left` is not valid UTF-8 (first invalid byte at offset 3)"


def test_lone_surrogate_is_invalid_utf8() -> None:
    with pytest.raises(ces.InvalidUtf8Error) as info:
        ces.word_similarity("ok", "ab\ud800")
    err = info.value
    assert (err.code, err.row, err.field) == ("invalid_utf8", None, "haystack")
    assert "offset 2" in err.message


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (pa.array([1, 2]), "column of type Int64"),
        (pa.array([1.5, None]), "column of type Float64"),
        (pa.array([["a"], ["b"]]), "column of type List"),
        ([1, 2], "column of type Int64"),
        (["a", 1], "sequence of str/None"),
        ("ab", "not a single str"),
        (b"ab", "not a single bytes"),
        (42, "sequence of str/None"),
    ],
)
def test_column_of_wrong_type_is_type_error_naming_it(column: Any, expected: str) -> None:
    with pytest.raises(TypeError, match=rf"^`right` must .*{re.escape(expected)}"):
        ces.score_pairs(["a", "b"], column)


def test_native_score_pairs_rejects_non_columns() -> None:
    # Sequences are converted (through pyarrow); single values and non-sequences are not.
    assert ces._ces.score_pairs(["a"], pa.array(["a"])).to_pylist() == [1.0]  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^`left` must be a column \(not a single value\)"):
        ces._ces.score_pairs("a", pa.array(["a"]))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^`right`"):
        ces._ces.score_pairs(pa.array(["a"]), 42)  # type: ignore[arg-type]


def test_errors_pickle_with_their_attributes() -> None:
    try:
        ces.similar("a", "b", threshold=2.0)
    except ces.CesError as err:
        clone = pickle.loads(pickle.dumps(err))
        assert type(clone) is ces.InvalidThresholdError
        assert (clone.code, clone.field, clone.row, clone.message) == (err.code, err.field, err.row, err.message)
    else:
        pytest.fail("no error raised")


def test_one_megabyte_strings_return() -> None:
    big = "lorem ipsum dolor sit amet " * 40_000  # ~1 MB
    assert len(big.encode()) > 1_000_000
    assert 0.0 < ces.similarity(big, "lorem ipsum") < 1.0
    assert ces.similarity_distance(big, big) == 0.0
    assert ces.word_similarity("lorem ipsum", big) == 1.0
    assert ces.strict_word_similarity("dolor", big) == 1.0
    assert len(ces.show_trgm(big)) == 26
    assert ces.show_trgm_text(big).startswith('{"  a"')
    one_word = "é" * (1 << 19)
    assert ces.similarity(one_word, one_word) == 1.0
