#!/usr/bin/env python3
"""RapidFuzz as a speed anchor for brand resolution (`make bench-brands`).

Reads the catalog and queries that `brands_vs_postgres` wrote (`bench-out/brands/
{catalog,queries}.tsv`) and times the two usual RapidFuzz ways to find the best name per query
at a score of at least 72:

* ``process.extractOne(q, names, scorer=fuzz.ratio, score_cutoff=72)`` (one thread): slow, so
  a sample of queries is timed (``--extract-sample``, default 500) and the rate extrapolated;
* ``process.cdist(queries, names, scorer=fuzz.ratio, score_cutoff=72, workers=W)`` in chunks
  of ``--chunk`` queries (the full 10k x 100k matrix would be 1e9 cells), best column per row:
  all queries with 2 workers, a sample with 1 worker.

The scorer is RapidFuzz's ``ratio`` (normalised Indel similarity), not pg_trgm's trigram
similarity: this measures speed, not agreement. The last lines compare with our figures from
``ours.tsv`` (written by ``brands_vs_postgres``) in the ``bench:`` form.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import rapidfuzz
from rapidfuzz import fuzz, process

CUTOFF = 72


def read_tsv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8") as f:
        next(f)  # header
        return [line.rstrip("\n").split("\t") for line in f]


def short(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def cdist_best(
    queries: list[str], names: list[str], workers: int, chunk: int
) -> tuple[float, np.ndarray, np.ndarray]:
    """Seconds, best name index per query (-1: none >= cutoff) and its score."""
    best = np.full(len(queries), -1, dtype=np.int64)
    score = np.zeros(len(queries), dtype=np.float32)
    start = time.perf_counter()
    for i in range(0, len(queries), chunk):
        m = process.cdist(
            queries[i : i + chunk],
            names,
            scorer=fuzz.ratio,
            score_cutoff=CUTOFF,
            workers=workers,
            dtype=np.float32,
        )
        arg = m.argmax(axis=1)
        top = m[np.arange(len(arg)), arg]
        hit = top >= CUTOFF
        best[i : i + chunk] = np.where(hit, arg, -1)
        score[i : i + chunk] = np.where(hit, top, 0)
    return time.perf_counter() - start, best, score


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", nargs="?", default="bench-out/brands", type=Path)
    ap.add_argument("--extract-sample", type=int, default=500)
    ap.add_argument("--one-worker-sample", type=int, default=2000)
    ap.add_argument("--chunk", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    catalog = read_tsv(args.dir / "catalog.tsv")
    rows = read_tsv(args.dir / "queries.tsv")
    names = [r[1] for r in catalog]
    queries = [r[1] for r in rows]
    source = [int(r[2]) - 1 if len(r) > 2 and r[2] else None for r in rows]
    n_names, n_queries = len(names), len(queries)
    print(
        f"rapidfuzz {rapidfuzz.__version__}, numpy {np.__version__}, Python {sys.version.split()[0]}: "
        f"{n_names} names x {n_queries} queries from {args.dir}, scorer fuzz.ratio, score_cutoff {CUTOFF}"
    )

    # extractOne: one query at a time, one thread; a timed sample, extrapolated.
    k = min(args.extract_sample, n_queries)
    process.extractOne(queries[0], names, scorer=fuzz.ratio, score_cutoff=CUTOFF)  # warm-up
    start = time.perf_counter()
    extract = [
        process.extractOne(q, names, scorer=fuzz.ratio, score_cutoff=CUTOFF)
        for q in queries[:k]
    ]
    extract_secs = time.perf_counter() - start
    extract_qps = k / extract_secs
    print(
        f"extractOne: {k} queries (a sample, extrapolated) in {extract_secs:.2f} s = {extract_qps:.0f} q/s; "
        f"all {n_queries} would take about {n_queries / extract_qps:.0f} s"
    )

    # cdist in chunks: all queries on `workers` workers, a sample on one.
    k1 = min(args.one_worker_sample, n_queries)
    secs1, _, _ = cdist_best(queries[:k1], names, 1, args.chunk)
    qps1 = k1 / secs1
    print(f"cdist, 1 worker: {k1} queries (a sample) in {secs1:.2f} s = {qps1:.0f} q/s")
    secs, best, score = cdist_best(queries, names, args.workers, args.chunk)
    qps = n_queries / secs
    print(
        f"cdist, {args.workers} workers: all {n_queries} queries in chunks of {args.chunk} "
        f"in {secs:.2f} s = {qps:.0f} q/s"
    )

    # The two ways agree on the best score (ties may pick different names).
    same = sum(
        1
        for i, e in enumerate(extract)
        if (e is None and best[i] < 0) or (e is not None and best[i] >= 0 and abs(e[1] - score[i]) < 1e-3)
    )
    print(f"check: extractOne and cdist agree on the best score for {same} of {k} sampled queries")
    derived = [i for i, s in enumerate(source) if s is not None]
    unknown = [i for i, s in enumerate(source) if s is None]
    found = sum(1 for i in derived if best[i] >= 0)
    to_source = sum(1 for i in derived if best[i] == source[i])
    false_unknown = sum(1 for i in unknown if best[i] >= 0)
    print(
        f"quality at ratio >= {CUTOFF}: of {len(derived)} derived queries {found} matched "
        f"({to_source} to their source name); of {len(unknown)} unknown-brand queries "
        f"{false_unknown} matched something"
    )
    print(f"peak memory: {peak_mib():.1f} MiB (ru_maxrss of this Python process)")

    ours_path = args.dir / "ours.tsv"
    if not ours_path.exists():
        print(f"(no {ours_path}: run brands_vs_postgres first for the bench: lines)")
        return 0
    ours = dict(line.split("\t") for line in ours_path.read_text().split("\n") if line)
    threads = int(ours["threads"])
    ours_par = float(ours["qps_threads"])
    ours_one = float(ours["qps_1_thread"])
    label = f"brands {short(n_names)} names x {short(n_queries)} queries"
    print()
    print(
        f"bench: {label}, 1 thread | ours {ours_one:.0f} q/s | rapidfuzz extractOne(ratio) "
        f"{extract_qps:.0f} q/s ({k}-query sample) | ratio {ours_one / extract_qps:.1f}"
    )
    print(
        f"bench: {label}, {threads} threads | ours {ours_par:.0f} q/s | rapidfuzz cdist(ratio, "
        f"workers={args.workers}) {qps:.0f} q/s | ratio {ours_par / qps:.1f}"
    )
    print(
        f"bench: {label}, 1 thread | ours {ours_one:.0f} q/s | rapidfuzz cdist(ratio, workers=1) "
        f"{qps1:.0f} q/s ({k1}-query sample) | ratio {ours_one / qps1:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
