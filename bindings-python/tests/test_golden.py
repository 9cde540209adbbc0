"""ces gives PostgreSQL 15 pg_trgm's answers bit for bit on the committed golden pairs.

Format: tests/fixtures/trgm/README.md. The file is required: a missing file is a failure.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pyarrow as pa

import ces

GOLDEN = Path(__file__).parents[2] / "tests/fixtures/trgm/golden.jsonl"
THRESHOLD = 0.72


def f32_bits(x: float) -> int:
    """The IEEE-754 bit pattern of the float32 ``x``."""
    bits: int = struct.unpack("<I", struct.pack("<f", x))[0]
    return bits


def load() -> list[dict[str, Any]]:
    assert GOLDEN.is_file(), f"golden file missing: {GOLDEN}"
    # Split on "\n" only: str.splitlines() would also split inside strings holding U+2028 etc.
    rows = [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").split("\n") if line]
    assert len(rows) > 1000, f"golden file too small: {len(rows)} rows"
    return rows


def test_scalar_functions_match_postgres_bit_for_bit() -> None:
    mismatches = []
    for r in load():
        a, b = r["a"], r["b"]
        got = {
            "show_a": ces.show_trgm_text(a),
            "show_b": ces.show_trgm_text(b),
            "sim": f32_bits(ces.similarity(a, b)),
            "sim_ba": f32_bits(ces.similarity(b, a)),
            "dist": f32_bits(ces.similarity_distance(a, b)),
            "ws_ab": f32_bits(ces.word_similarity(a, b)),
            "ws_ba": f32_bits(ces.word_similarity(b, a)),
            "sws_ab": f32_bits(ces.strict_word_similarity(a, b)),
            "sws_ba": f32_bits(ces.strict_word_similarity(b, a)),
            "op": [
                ces.similar(a, b, threshold=THRESHOLD),
                ces.word_similar(a, b, threshold=THRESHOLD),
                ces.word_similar(b, a, threshold=THRESHOLD),
                ces.strict_word_similar(a, b, threshold=THRESHOLD),
                ces.strict_word_similar(b, a, threshold=THRESHOLD),
            ],
        }
        for key, value in got.items():
            if value != r[key]:
                mismatches.append((r["id"], r["cat"], key, value, r[key]))
    assert not mismatches, f"{len(mismatches)} mismatches, first: {mismatches[:10]}"


def test_show_trgm_list_matches_postgres_array_text() -> None:
    for r in load():
        shown = ces.show_trgm(r["a"])
        quoted = [f'"{t}"' if " " in t else t for t in shown]
        assert "{" + ",".join(quoted) + "}" == r["show_a"], r["id"]


def test_score_pairs_matches_postgres_bit_for_bit() -> None:
    rows = load()
    left = pa.array([r["a"] for r in rows])
    right = pa.array([r["b"] for r in rows])
    cases: list[tuple[ces.Metric, str, str]] = [
        ("similarity", "sim", "sim_ba"),
        ("word_similarity", "ws_ab", "ws_ba"),
        ("strict_word_similarity", "sws_ab", "sws_ba"),
    ]
    for metric, ab, ba in cases:
        forward = ces.score_pairs(left, right, metric=metric)
        backward = ces.score_pairs(right, left, metric=metric)
        assert forward.type == pa.float32()
        assert [f32_bits(x) for x in forward.to_pylist()] == [r[ab] for r in rows], metric
        assert [f32_bits(x) for x in backward.to_pylist()] == [r[ba] for r in rows], metric
