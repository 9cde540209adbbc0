"""Runtime behaviour: batches release the GIL; forked children run batches sequentially."""

from __future__ import annotations

import os
import select
import signal
import threading
import time
from typing import Callable, Iterator

import pyarrow as pa
import pytest

import ces
from ces import _ces


@pytest.fixture
def sequential() -> Iterator[None]:
    """Core parallelism off for the test (leaves a core free for the Python thread)."""
    before = _ces._parallel_enabled()
    _ces._set_parallel(False)
    try:
        yield
    finally:
        _ces._set_parallel(before)


def stall_while(work: Callable[[], object]) -> tuple[float, float]:
    """Runs ``work`` in a thread while this thread ticks every millisecond; returns the
    longest gap between ticks and the time ticked. Had ``work`` held the GIL throughout,
    the gap would be the whole duration."""
    done = threading.Event()

    def run() -> None:
        try:
            work()
        finally:
            done.set()

    worker = threading.Thread(target=run)
    ticks = [time.perf_counter()]
    worker.start()
    while not done.is_set():
        time.sleep(0.001)
        ticks.append(time.perf_counter())
    worker.join()
    return max(b - a for a, b in zip(ticks, ticks[1:])), ticks[-1] - ticks[0]


def test_batch_releases_the_gil(sequential: None) -> None:
    words = [f"brand number {i} of the catalog, family {i % 97}" for i in range(2_000)]
    left, right = pa.array(words), pa.array(words[::-1])
    # Calibrate: grow the batch until one call takes at least 0.4 s.
    reps = 1
    while True:
        start = time.perf_counter()
        ces.score_pairs(left, right, metric="word_similarity")
        elapsed = time.perf_counter() - start
        if elapsed * reps >= 0.4:
            break
        reps *= 2
    left = pa.chunked_array([left] * reps)
    right = pa.chunked_array([right] * reps)

    results: list[pa.Array] = []
    stall, duration = stall_while(lambda: results.append(ces.score_pairs(left, right, metric="word_similarity")))
    assert len(results[0]) == 2_000 * reps
    assert duration > 0.2, f"batch too short to measure: {duration:.3f}s"
    assert stall < duration / 2, f"main thread stalled {stall:.3f}s of {duration:.3f}s"


def test_long_scalar_calls_release_the_gil() -> None:
    # Grow the haystack until one call takes at least 0.3 s.
    big = "lorem ipsum dolor sit amet " * 40_000
    while True:
        start = time.perf_counter()
        ces.word_similarity("lorem ipsum", big)
        if time.perf_counter() - start >= 0.3:
            break
        big += big
    stall, duration = stall_while(lambda: ces.word_similarity("lorem ipsum", big))
    assert duration > 0.15, f"call too short to measure: {duration:.3f}s"
    assert stall < duration / 2, f"main thread stalled {stall:.3f}s of {duration:.3f}s"


def test_forked_child_runs_batches_sequentially() -> None:
    left = [f"item {i}" for i in range(10_000)]
    right = [f"item {i + 1}" for i in range(10_000)]
    expected = ces.score_pairs(left, right).to_pylist()  # the parent's thread pool is running
    assert _ces._parallel_enabled()

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: report and leave without running pytest's teardown
        try:
            os.close(read_end)
            ok = not _ces._parallel_enabled() and ces.score_pairs(left, right).to_pylist() == expected
            os.write(write_end, b"ok" if ok else b"wrong")
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 60)
        if not ready:
            os.kill(pid, signal.SIGKILL)
        message = os.read(read_end, 16) if ready else b"timeout (deadlock?)"
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
    assert message == b"ok"
    assert _ces._parallel_enabled()  # the parent keeps its pool
