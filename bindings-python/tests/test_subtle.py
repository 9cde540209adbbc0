"""The subtle cases of `tests/fixtures/trgm/subtle.json` (values from PostgreSQL 15.18)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

import ces

# The brief's table of subtle cases, shared by the Rust, Python and Node suites.
_SUBTLE = json.loads((Path(__file__).resolve().parents[2] / "tests/fixtures/trgm/subtle.json").read_text(encoding="utf-8"))
CASES = [(c["a"], c["b"], c["similarity"], c["word_similarity"], c["strict_word_similarity"]) for c in _SUBTLE["cases"]]


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
