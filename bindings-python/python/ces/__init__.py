"""CES: the computing core of a marketing-analytics platform, from Python.

This release provides trigram similarity with exactly PostgreSQL 15 ``pg_trgm``'s answers
(the same float32 values, bit for bit)::

    >>> import ces
    >>> ces.similarity("Coca Cola", "CocaCola")
    0.699999988079071
    >>> ces.similar("Coca Cola", "CocaCola", threshold=0.72)
    False
    >>> ces.score_pairs(["Coca Cola", None], ["CocaCola", "x"]).to_pylist()
    [0.699999988079071, None]

Functions take ``str`` (never ``bytes``: decode first). Batch functions take Arrow string
columns (pyarrow, polars, pandas, or a plain sequence of ``str``/``None``) and return a
``pyarrow.Array`` of float32.

Brand resolution turns messy brand text into master brands (exact name → exact alias →
fuzzy pg_trgm score), with a :class:`Decision` recording what was decided and why::

    >>> catalog = ces.Catalog(
    ...     [{"id": 1, "name": "Coca-Cola"}, {"id": 2, "name": "Datu Puti Vinegar"}],
    ...     aliases=[{"brand_id": 1, "alias": "Coke"}],
    ...     generic_words=["softdrinks"],
    ... )
    >>> resolver = ces.Resolver(catalog)
    >>> d = resolver.resolve("COCA COLA 1.5L")
    >>> (d.status, d.method, d.brand_id, d.quantities[0].canonical_value)
    ('resolved', 'exact', 1, 1500.0)
    >>> resolver.resolve("softdrinks").reason
    'generic word: never resolved automatically'
    >>> resolver.resolve_batch(["coke", None]).column("status").to_pylist()
    ['resolved', 'unresolved']

:class:`Catalog` takes tables (pyarrow, polars, pandas, a dict of columns or a list of row
dicts) and pickles; :meth:`Resolver.resolve_batch` returns a ``pyarrow.Table`` of decisions
(a null input gives a row with status ``unresolved`` and reason ``"null input"``);
:class:`TriageQueue` groups what did not resolve for a person; :func:`calibrate` and
:func:`evaluate` measure thresholds and decisions on labelled data; :func:`normalize` shows
what the normaliser does to a text.

CPA merge (:mod:`ces.cpa`) joins Everflow conversions to Redtrack spend through the
internal-affiliate mapping: ``ces.cpa.merge(everflow, redtrack, mapping)`` takes Arrow tables,
files or bytes and returns the merged rows (decimal money, CPA null with no conversions) with
diagnostics of everything that did not add up.

Attribution (:mod:`ces.attribution`) credits transactions to the exposures that reached them
(per-channel look-back windows, every rule model in one pass, exact Markov and Shapley):
``ces.attribution.attribute(exposures, transactions, key="customer_id")`` takes Arrow tables
and returns credit rows, roll-ups with the unattributed bucket and bootstrap intervals.

Lift (:mod:`ces.lift`) measures the incremental effect of exposure with the tests and
intervals of statsmodels and SciPy: conversion lift (every interval named by its method),
power, MDE and sample size, Welch, CUPED and ANCOVA, difference-in-differences with
cluster-robust errors, ratio metrics, and campaign lift from the attribution tables with its
media-mix prior: ``ces.lift.conversion_lift((10_000, 560), (10_000, 500))``.

Errors raised by the core are subclasses of :class:`CesError` (and of ``ValueError``), one
per stable code, with ``code``, ``row``, ``field`` and ``message`` attributes (catalog
errors name the row and column: ``row 2: invalid value for `brands.id` …``). Arguments of
the wrong type raise ``TypeError`` naming the argument.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Iterable, Literal, Optional, Union

from . import _ces
from ._ces import (
    ALIAS_TYPES,
    DEFAULT_NORMALIZER,
    ERROR_CODES,
    NORMALIZER_STEPS,
    RESOLVER_VERSION,
    Accuracy,
    CalibrationReport,
    Candidate,
    Catalog,
    CesError,
    Decision,
    DuplicateKeyError,
    InvalidArgumentError,
    InvalidRecordError,
    InvalidThresholdError,
    InvalidUtf8Error,
    LengthMismatchError,
    MalformedInputError,
    MissingValueError,
    Normalized,
    Quantity,
    Resolver,
    TriageItem,
    TriageQueue,
    __version__,
    calibrate,
    evaluate,
    normalize,
    show_trgm,
    show_trgm_text,
    similar,
    similarity,
    similarity_distance,
    strict_word_similar,
    strict_word_similarity,
    word_similar,
    word_similarity,
)

from . import attribution, cpa, lift

if TYPE_CHECKING:
    import pyarrow as pa  # type: ignore[import-untyped]

    from ._ces import _ArrowArrayExportable, _ArrowStreamExportable

    StringColumn = Union[_ArrowArrayExportable, _ArrowStreamExportable, Iterable[Optional[str]]]

#: The metrics of :func:`score_pairs`: pg_trgm's ``%``, ``<%`` and ``<<%`` scores.
Metric = Literal["similarity", "word_similarity", "strict_word_similarity"]

__all__ = [
    "ALIAS_TYPES",
    "DEFAULT_NORMALIZER",
    "ERROR_CODES",
    "NORMALIZER_STEPS",
    "RESOLVER_VERSION",
    "Accuracy",
    "CalibrationReport",
    "Candidate",
    "Catalog",
    "CesError",
    "Decision",
    "DuplicateKeyError",
    "InvalidArgumentError",
    "InvalidRecordError",
    "InvalidThresholdError",
    "InvalidUtf8Error",
    "LengthMismatchError",
    "MalformedInputError",
    "Metric",
    "MissingValueError",
    "Normalized",
    "Quantity",
    "Resolver",
    "TriageItem",
    "TriageQueue",
    "__version__",
    "attribution",
    "calibrate",
    "cpa",
    "evaluate",
    "lift",
    "normalize",
    "score_pairs",
    "show_trgm",
    "show_trgm_text",
    "similar",
    "similarity",
    "similarity_distance",
    "strict_word_similar",
    "strict_word_similarity",
    "word_similar",
    "word_similarity",
]


def score_pairs(left: StringColumn, right: StringColumn, metric: Metric = "similarity") -> pa.Array:
    """Score row ``i`` of ``left`` against row ``i`` of ``right``; a ``pyarrow.Array`` of float32.

    ``left`` and ``right`` are string columns of the same length: anything exposing the Arrow
    PyCapsule interface (pyarrow ``Array``/``ChunkedArray`` of ``string``, ``large_string``
    or ``string_view``, polars ``Series``, pandas ``Series``) or a plain sequence of
    ``str``/``None``. Binary columns are decoded as UTF-8 (invalid bytes raise
    :class:`InvalidUtf8Error` naming the row).

    ``metric`` is ``"similarity"`` (``%``), ``"word_similarity"`` (``<%``) or
    ``"strict_word_similarity"`` (``<<%``); for the word similarities ``left`` is the needle.
    A null on either side gives a null score. The work runs in parallel with the GIL
    released.

    Raises :class:`LengthMismatchError` if the lengths differ, :class:`InvalidArgumentError`
    for an unknown metric and ``TypeError`` (naming ``left``/``right``) for a column that
    does not hold text.
    """
    return _ces.score_pairs(_as_arrow(left, "left"), _as_arrow(right, "right"), metric)


def _as_arrow(values: Any, name: str) -> Any:
    """``values`` itself if it speaks the Arrow PyCapsule interface, else ``pyarrow.array(values)``."""
    if hasattr(values, "__arrow_c_array__") or hasattr(values, "__arrow_c_stream__"):
        return values
    if isinstance(values, (str, bytes)):
        raise TypeError(f"`{name}` must be a column of strings, not a single {type(values).__name__}")
    import pyarrow as pa

    try:
        return pa.array(values)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise TypeError(
            f"`{name}` must be an Arrow string column or a sequence of str/None ({exc})"
        ) from exc


def _disable_parallelism_in_child() -> None:
    # A forked child inherits the parent's memory but not its threads: the core's thread
    # pool would wait forever for workers that do not exist. Run batches sequentially.
    _ces._set_parallel(False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_disable_parallelism_in_child)
