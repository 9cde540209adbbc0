"""The subtle cases of the core's `subtle_cases` test (values from PostgreSQL 15.18)."""

from __future__ import annotations

import struct

import pytest

import ces

# (a, b, similarity, word_similarity(a, b), strict_word_similarity(a, b)), copied from
# core/src/trgm/mod.rs `subtle_cases`.
CASES = [
    ("", "", 0.0, 0.0, 0.0),
    ("!!!", "!!!", 0.0, 0.0, 0.0),
    ("a", "a", 1.0, 1.0, 1.0),
    ("a", "ab", 0.25, 0.5, 0.25),
    ("a_b", "a b", 1.0, 1.0, 1.0),
    ("1.5L", "1,5L", 1.0, 1.0, 1.0),
    ("1.5L", "1,5 L", 0.375, 0.6, 0.5),
    ("1.5L", "15L", 0.2857143, 0.2857143, 0.2857143),
    ("1.5L", "1500ml", 0.09090909, 0.2, 0.09090909),
    ("Coca Cola 1.5L", "coca-cola", 0.61538464, 0.61538464, 0.61538464),
    ("CocaCola", "Coca Cola", 0.7, 0.7, 0.7),
    ("COKE zero", "Coca-Cola Zero Sugar", 0.3181818, 0.53846157, 0.53846157),
    ("Alaska Evap", "Alaska Evaporated Filled Milk", 0.36666667, 0.9166667, 0.5833333),
    ("Café", "Cafe", 0.42857143, 0.6, 0.42857143),
    ("Cafe\u0301", "Cafe", 1.0, 1.0, 1.0),
    ("Nestlé", "Nestle", 0.5555556, 0.71428573, 0.5555556),
    ("İSTANBUL", "istanbul", 1.0, 1.0, 1.0),
    ("ISTANBUL", "ıstanbul", 0.5, 0.6666667, 0.5),
    ("ΣΟΦΟΣ", "σοφος", 0.5, 0.6666667, 0.5),
    ("ẞ", "ß", 1.0, 1.0, 1.0),
    ("ＣＯＫＥ", "coke", 0.0, 0.0, 0.0),
    ("M&M's", "MMs", 0.14285715, 0.25, 0.14285715),
    ("H&M", "h m", 1.0, 1.0, 1.0),
    ("日本語", "日本", 0.4, 0.5, 0.4),
    ("可口可乐", "可口可樂", 0.42857143, 0.6, 0.42857143),
    ("😀 Coke", "Coke", 1.0, 1.0, 1.0),
    ("x\u00a0y", "x y", 1.0, 1.0, 1.0),
    ("№5", "N5", 0.0, 0.0, 0.0),
    ("x²", "x2", 0.25, 0.5, 0.25),
    ("٣", "3", 0.0, 0.0, 0.0),
    ("č", "tbu", 0.2, 0.5, 0.2),
    ("word", "two words", 0.36363637, 0.8, 0.5714286),
]


def f32_bits(x: float) -> int:
    """The bit pattern of ``x`` rounded to float32 (as Rust parses an `f32` literal)."""
    bits: int = struct.unpack("<I", struct.pack("<f", x))[0]
    return bits


@pytest.mark.parametrize(("a", "b", "sim", "ws", "sws"), CASES)
def test_subtle_case(a: str, b: str, sim: float, ws: float, sws: float) -> None:
    assert f32_bits(ces.similarity(a, b)) == f32_bits(sim)
    assert f32_bits(ces.similarity(b, a)) == f32_bits(sim)
    assert f32_bits(ces.word_similarity(a, b)) == f32_bits(ws)
    assert f32_bits(ces.strict_word_similarity(a, b)) == f32_bits(sws)
    # `a <-> b` is 1 - similarity computed in double, rounded to float32.
    assert f32_bits(ces.similarity_distance(a, b)) == f32_bits(1.0 - struct.unpack("<f", struct.pack("<f", sim))[0])


def test_show_trgm_examples() -> None:
    assert ces.show_trgm("Café") == ["0xef5960", "  c", " ca", "0x544980", "caf"]
    assert ces.show_trgm("1.5L") == ["  1", "  5", " 1 ", " 5l", "5l "]
    assert ces.show_trgm("😀 !!") == []
    assert ces.show_trgm_text("1.5L") == '{"  1","  5"," 1 "," 5l","5l "}'
    assert ces.show_trgm_text("😀 !!") == "{}"


def test_threshold_boundary_is_compared_in_double() -> None:
    # similarity = 18/25 = float32 0.72000002861 >= 0.72 (double): accepted, as in PostgreSQL.
    assert f32_bits(ces.similarity("Datu Puti Vinegar 3-in-1", "Datu Puti Vinegar")) == f32_bits(0.72)
    assert ces.similar("Datu Puti Vinegar 3-in-1", "Datu Puti Vinegar")
    assert not ces.similar("CocaCola", "Coca Cola")  # 0.7
    # float32 0.7 is 0.69999998808 < 0.7: rejected at 0.7, as PostgreSQL does.
    assert not ces.similar("CocaCola", "Coca Cola", threshold=0.7)
    assert ces.similar("CocaCola", "Coca Cola", threshold=0.699999988)
    assert ces.similar("a", "b", threshold=0.0)
    assert ces.similar("a", "a", threshold=1.0)
    assert ces.word_similar("word", "two words", threshold=0.8)
    assert not ces.word_similar("two words", "word", threshold=0.8)  # asymmetric: 0.4
    assert ces.strict_word_similar("word", "two words", threshold=0.5)
    assert not ces.strict_word_similar("word", "two words")
