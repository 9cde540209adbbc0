r"""Exposure-window attribution: event-level exposures × transactions, every rule model in one
pass, and exact data-driven models (Markov, Shapley).

:func:`attribute` credits each transaction to the exposures that reached it (same match key,
within the exposure's look-back window) under several models at once and returns an
:class:`Attribution`: credit rows, roll-ups by channel, campaign, asset or day with the
unattributed bucket, bootstrap intervals, and the Markov reports. :func:`markov`,
:func:`heuristics` and :func:`shapley` work on aggregated journeys (``"search > social"``
paths with conversion counts), as ChannelAttribution takes them. The rules live in the Rust
core (``ces::attribution``); this module only converts::

    >>> import datetime as dt
    >>> import pyarrow as pa
    >>> import ces
    >>> t = lambda h: dt.datetime(2025, 3, 1, h, tzinfo=dt.timezone.utc)
    >>> exposures = pa.table({
    ...     "id": [1, 2, 3], "key": ["c1", "c1", "c2"], "start": [t(0), t(5), t(0)],
    ...     "channel": ["social", "search", "tv"], "interaction": ["view", "click", "view"],
    ...     "campaign": ["spring"] * 3, "asset": ["reel", "text", "spot"],
    ... })
    >>> transactions = pa.table({
    ...     "id": [10, 11], "key": ["c1", "c2"], "time": [t(6), t(6) + dt.timedelta(days=2)],
    ...     "value": [100.0, 50.0],
    ... })
    >>> run = ces.attribution.attribute(exposures, transactions, models=["last_touch", "linear"])
    >>> run.credits("last_touch").select(["transaction_id", "exposure_id", "value"]).to_pylist()
    [{'transaction_id': 10, 'exposure_id': 2, 'value': 100.0}]
    >>> run.credits("linear").column("weight").to_pylist()
    [0.5, 0.5]
    >>> (run.summary.unattributed, run.summary.unattributed_value)  # c2's TV view: 2 days > 1
    (1, 50.0)
    >>> [(r["group"], r["value"]) for r in run.rollup("channel").to_pylist() if r["model"] == "linear"]
    [('search', 50.0), ('social', 50.0), ('(unattributed)', 50.0)]

Semantics (the core's): for a transaction at ``T`` the eligible exposures share its match
key, start at or before ``T``, and have ``T − τ ≤ W``, where ``τ`` is the end of a flight or
the start of a point exposure (or of a flight still running) and ``W`` the exposure's window;
both boundaries are inclusive. In calendar-day mode the test is ``date(T) − date(τ) ≤ W``
days in ``zone``. Exposures identical in (key, start, end, channel, interaction, campaign,
asset) count once (the smallest id is kept). Recency is ``(τ, view < engaged_view < click,
id)``. A transaction with no eligible exposure goes to the unattributed bucket, so for every
model Σ credited + unattributed = Σ conversions (one per transaction), value and units.
Results do not depend on the input order or the number of threads.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import sys
from typing import TYPE_CHECKING, Any, Callable, Iterable, Literal, Mapping, Optional, Sequence, Tuple, Union

from . import _ces

if TYPE_CHECKING:
    import pyarrow as pa  # type: ignore[import-untyped]

    from ._ces import _ArrowArrayExportable, _ArrowStreamExportable

    #: A table: Arrow (pyarrow, polars, pandas), a dict of columns or a list of row dicts.
    Table = Union[
        _ArrowStreamExportable,
        _ArrowArrayExportable,
        Mapping[str, Sequence[Any]],
        Sequence[Mapping[str, Any]],
    ]

__all__ = [
    "MAX_EXACT_SHAPLEY_CHANNELS",
    "MAX_WINDOW_SECONDS",
    "RULE_MODELS",
    "UNATTRIBUTED",
    "Attribution",
    "AttributionSummary",
    "MarkovReport",
    "attribute",
    "heuristics",
    "markov",
    "shapley",
]

#: The rule models :func:`attribute` computes by default.
RULE_MODELS: Tuple[str, ...] = _ces.ATTRIBUTION_RULE_MODELS
#: The ``group`` of the unattributed bucket in roll-ups and intervals.
UNATTRIBUTED: str = _ces.ATTRIBUTION_UNATTRIBUTED
#: The longest window accepted (10 years), in seconds.
MAX_WINDOW_SECONDS: int = _ces.ATTRIBUTION_MAX_WINDOW_SECONDS
#: The most distinct channels of one converting journey for ``shapley(exact=True)``.
MAX_EXACT_SHAPLEY_CHANNELS: int = _ces.ATTRIBUTION_MAX_EXACT_SHAPLEY_CHANNELS

#: A window: a ``timedelta``, an int number of seconds, or text such as ``"30d"``, ``"12h"``,
#: ``"90m"``, ``"45s"`` (``"2w"``: weeks).
Window = Union[_dt.timedelta, int, str]
#: A model: a name (``"last_touch"``, ``"markov_2"`` …) or a dict of its parameters.
ModelSpec = Union[str, Mapping[str, Any]]
#: ``"standard"``, ``"none"``/None, or ``{"defaults": {...}, "rules": [...] or a table}``.
Windows = Union[Literal["standard", "none"], None, Mapping[str, Any]]
Dimension = Literal["channel", "campaign", "asset", "day"]
#: ``progress(done, total)``: transactions swept so far out of those in range.
Progress = Callable[[int, int], object]


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "to_pylist") and hasattr(value, "schema"):
        return value.to_pylist()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


class _Record:
    """``to_dict()`` for the records below."""

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict (tables as lists of row dicts)."""
        out: dict[str, Any] = _plain(self)
        return out


@dataclasses.dataclass(frozen=True)
class AttributionSummary(_Record):
    """Counts and totals of a run (the core's ``AttributionSummary``, field for field).

    For every model, Σ credited + unattributed = ``transactions`` conversions, ``value`` and
    ``units``.
    """

    #: Transactions attributed (in range).
    transactions: int
    #: With at least one eligible exposure.
    attributed: int
    #: With none: their conversions, value and units are the unattributed bucket.
    unattributed: int
    #: Σ value of all transactions in range.
    value: float
    #: Σ units of all transactions in range.
    units: float
    #: Σ value of unattributed transactions.
    unattributed_value: float
    #: Σ units of unattributed transactions.
    unattributed_units: float
    #: Transactions outside ``range``.
    out_of_range: int
    #: Exposure rows given.
    exposures: int
    #: Exposures sharing a key with some transaction (the only ones that can be credited).
    exposures_considered: int
    #: Exposures dropped as duplicates, among those considered.
    duplicate_exposures: int
    #: (transaction, eligible exposure) pairs.
    touches: int


@dataclasses.dataclass(frozen=True)
class MarkovReport(_Record):
    """The exact Markov removal-effect model of one order.

    ``channels`` is a ``pyarrow.Table`` with one row per channel: ``channel``,
    ``removal_effect`` (``1 − p₋c / p``), ``without`` (``p₋c``: the conversion probability
    with every state containing the channel sent to null), ``global_conversions`` and
    ``global_value`` (``C · RE_c / Σ RE``, what ChannelAttribution reports) and
    ``per_path_conversions`` and ``per_path_value`` (each journey split over its distinct
    channels in proportion to their removal effects).
    """

    #: Model name (``markov``, ``markov_2`` …).
    model: str
    #: Chain order.
    order: int
    #: Transient states observed.
    states: int
    #: ``p``: the probability of reaching conversion from the start.
    conversion_probability: float
    #: Per-channel table (see the class documentation).
    channels: pa.Table = dataclasses.field(compare=False)

    @classmethod
    def _from(cls, raw: Tuple[str, int, int, float, pa.Table]) -> MarkovReport:
        return cls(*raw)


class Attribution:
    """The result of :func:`attribute`. Immutable; tables are ``pyarrow.Table``.

    Transactions come in the core's canonical order everywhere (grouped by match key, by
    time then id within a key; small inputs by key too, large ones by key partition), which
    does not depend on the input row order or the number of threads. Integer ids come back as ``int64``, text ids as ``string``;
    ``channel``, ``interaction``, ``campaign`` and ``asset`` of credit rows as dictionaries of
    strings.
    """

    __slots__ = ("_run", "_summary")
    _run: _ces.AttributionRun
    _summary: AttributionSummary

    def __init__(self, run: _ces.AttributionRun) -> None:
        object.__setattr__(self, "_run", run)
        object.__setattr__(self, "_summary", AttributionSummary(**run.summary()))

    def __setattr__(self, name: str, value: object) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

    @property
    def models(self) -> Tuple[str, ...]:
        """The models' names, in the order requested."""
        return tuple(self._run.models)

    @property
    def summary(self) -> AttributionSummary:
        """Counts and totals."""
        return self._summary

    def credits(self, model: Optional[str] = None) -> pa.Table:
        """Credit rows of ``model`` (None: of every model, one after the other in model order).

        Columns: ``model``, ``transaction_id``, ``exposure_id``, ``channel``, ``interaction``,
        ``campaign``, ``asset``, ``weight`` (a transaction's weights sum to 1), ``value``
        (``weight × value``) and ``units`` (``weight × units``). Single-touch models have one
        row per attributed transaction; the others one per eligible touch. Unattributed
        transactions have no row (see :meth:`unattributed`).
        """
        return self._run.credits(model)

    def links(self, model: str = "last_touch") -> pa.Table:
        """The exposure(s) each transaction is linked to under ``model``:
        ``transaction_id``, ``exposure_id``, ``campaign``, ``asset`` of every credit row with a
        weight above 0 (one per attributed transaction for single-touch models)."""
        return self._run.links(model)

    def rollup(self, by: Dimension = "channel") -> pa.Table:
        """Credit per group for every model, the unattributed bucket included.

        Columns: ``model``, ``group`` (:data:`UNATTRIBUTED` for the bucket; by ``day``: the
        transaction's date in ``zone``), ``unattributed``, ``conversions``, ``value``,
        ``units``, ``touches`` (credit rows), ``cost`` (Σ cost of the group's exposures,
        duplicates dropped; null by day, for the bucket, or without a ``cost`` column). For
        each model Σ conversions = transactions and Σ value = total value. Rows: models in
        order, groups ascending, the bucket last.
        """
        return self._run.rollup(by)

    def bootstrap(
        self, by: Dimension = "channel", replicates: int = 200, seed: int = 0, level: float = 0.95
    ) -> pa.Table:
        """Seeded percentile-bootstrap intervals on credit per group (channel, campaign or
        asset) for every model: transactions resampled with replacement ``replicates`` times.

        Columns: ``model``, ``group``, ``conversions``, ``conversions_low``,
        ``conversions_high``, ``value``, ``value_low``, ``value_high``. Deterministic for a
        seed, whatever the number of threads.
        """
        return self._run.bootstrap(by, replicates, seed, level)

    def unattributed(self) -> pa.Table:
        """Transactions in range without an eligible exposure (canonical order):
        ``transaction_id``, ``time`` (timestamp[us, UTC]), ``value``, ``units``."""
        return self._run.unattributed()

    def duplicates(self) -> pa.Table:
        """Exposures dropped as duplicates of another (``exposure_id``, by input row)."""
        return self._run.duplicates()

    def markov(self) -> list[MarkovReport]:
        """The reports of the Markov models of this run, in model order."""
        return [MarkovReport._from(raw) for raw in self._run.markov()]

    def __repr__(self) -> str:
        s = self._summary
        return (
            f"Attribution(models={list(self.models)}, transactions={s.transactions}, "
            f"attributed={s.attributed}, unattributed={s.unattributed})"
        )


def _table(value: Any) -> Any:
    """A pandas ``DataFrame`` without the Arrow PyCapsule interface (pandas < 2.2) through
    ``pyarrow.Table.from_pandas``; anything else unchanged."""
    if hasattr(value, "__arrow_c_stream__") or hasattr(value, "__arrow_c_array__"):
        return value
    pandas = sys.modules.get("pandas")  # never imported here: a DataFrame means it is loaded
    if pandas is not None and isinstance(value, pandas.DataFrame):
        import pyarrow as pa

        return pa.Table.from_pandas(value, preserve_index=False)
    return value


def attribute(
    exposures: Table,
    transactions: Table,
    *,
    key: str = "key",
    models: Iterable[ModelSpec] = RULE_MODELS,
    windows: Windows = "standard",
    mode: Literal["exact", "calendar"] = "exact",
    zone: str = "UTC",
    click_beats_view: bool = False,
    range: Optional[Tuple[Optional[_dt.datetime], Optional[_dt.datetime]]] = None,
    assume_zone: Optional[str] = None,
    progress: Optional[Progress] = None,
) -> Attribution:
    """Attribute ``transactions`` to ``exposures`` under every model in ``models`` at once.

    Tables are pyarrow ``Table``/``RecordBatch``, polars or pandas ``DataFrame`` (anything
    with ``__arrow_c_stream__``), a dict of columns or a list of row dicts. Extra columns are
    ignored; a missing required column raises :class:`ces.MalformedInputError` naming it, a
    column of the wrong type ``TypeError``.

    * ``exposures``: ``id`` (int or string; orders exact recency ties), the match key (the
      column named by ``key``: customer, household, store, geography …; int or string, the
      same kind and name in both tables), ``start`` (or ``time``), ``end`` (optional,
      nullable: the end of a flight), ``channel``, ``interaction`` (``view``,
      ``engaged_view``/``engaged view``, ``click``, ``impression``; any case), ``campaign``,
      ``asset`` (strings, dictionaries or integers), ``cost`` (optional, nullable).
    * ``transactions``: ``id``, the key, ``time``, ``value``, ``units`` (optional; 1 each).

    Timestamps must carry a time zone (any unit; nanoseconds are floored to microseconds).
    Timestamps without one raise :class:`ces.InvalidArgumentError` naming the column unless
    ``assume_zone`` (an IANA name, e.g. ``"UTC"``) is given: they are then wall-clock times
    in that zone, read as PostgreSQL reads ``timestamp AT TIME ZONE``: a time that occurs
    twice (clocks going back) is the later instant, and a time that never occurs (clocks
    going forward) is read with the offset before the jump (02:30 on a spring-forward night
    in New York is 03:30 daylight time). The same holds for naive ``range`` ends.

    A null in ``id``, the key, ``start``/``time``, ``channel``, ``interaction``,
    ``campaign``, ``asset``, ``value`` or ``units`` raises :class:`ces.MissingValueError`
    whose ``field`` names the table and column (``exposures.customer_id``) and ``row`` the
    zero-based row. A negative or NaN ``value``, ``units`` or ``cost``, an ``end`` before its
    ``start`` or an unknown interaction raises :class:`ces.InvalidRecordError` with
    ``input``, ``row``, ``field`` and ``value``.

    ``windows``: ``"standard"`` (click 30 days, engaged view 3 days, view 1 day, for every
    channel), ``"none"``/None (no defaults: every (channel, interaction) needs a rule), or a
    dict ``{"defaults": ..., "rules": ...}``: ``defaults`` absent means the standard ones,
    None none, and a dict such as ``{"click": "30d", "view": "1d"}`` exactly those (an
    interaction left out, or None, has no default). ``rules`` is a list of dicts
    ``{"channel": "tv", "interaction": "view", "window": "7d"}`` or campaign overrides
    ``{"campaign": "bf", "interaction": None, "window": "3d"}`` (None: all interactions), or a
    table with ``channel``, ``interaction``, ``campaign`` and ``window_seconds`` (each row
    with a channel or a campaign). A window is a ``timedelta``, an int number of seconds or
    text (``"30d"``, ``"12h"``, ``"90m"``, ``"45s"``). Lookup: the campaign rule for the
    interaction, the campaign rule for all, the (channel, interaction) rule, the default.
    ``mode="calendar"`` counts calendar days in ``zone`` (windows must be whole days).

    ``models``: names (``last_touch``, ``last_click``, ``last_non_excluded``,
    ``first_touch``, ``linear``, ``position_based[_j|_inverse_j]``, ``time_decay[_days]``,
    ``markov[_k]``, ``shapley``, ``shapley_exact``) or dicts with parameters:
    ``{"model": "position_based", "first": 0.3, "last": 0.5}``, ``{"model": "time_decay",
    "half_life": timedelta(days=3), "whole_days": True}``, ``{"model": "last_non_excluded",
    "excluded": ["direct"]}``, ``{"model": "markov", "order": 2}``.

    ``click_beats_view``: a transaction with any eligible click keeps only its clicks.
    ``range=(start, end)``: only transactions with ``start ≤ time < end`` are attributed
    (either end may be None); exposures of any time still count. ``zone`` is the zone of the
    day roll-up and of calendar days.

    ``progress(done, total)`` is called on the calling thread with the transactions swept
    so far out of those in range, ``(0, total)`` first and ``(total, total)`` last, ``done``
    never decreasing. An exception it raises (or ``KeyboardInterrupt``) skips the later calls
    and is raised when the run returns (the core cannot be stopped midway: the sweep
    finishes first). The run releases the GIL and gives the same result for any input row
    order and number of threads.
    """
    if isinstance(windows, Mapping):
        windows = dict(windows)
        if "rules" in windows:
            windows["rules"] = _table(windows["rules"])
    return Attribution(
        _ces.attribute(
            _table(exposures),
            _table(transactions),
            key=key,
            models=models,
            windows=windows,
            mode=mode,
            zone=zone,
            click_beats_view=click_beats_view,
            range=range,
            assume_zone=assume_zone,
            progress=progress,
        )
    )


def markov(paths: Table, order: int = 1, *, sep: str = " > ") -> MarkovReport:
    """The exact Markov removal-effect model of ``order`` (1 to 4) on journeys.

    ``paths`` is a table with ``path`` (text such as ``"search > social"``, channels
    separated by ``sep``, or a list of strings), ``conversions``, ``nulls`` (optional, 0:
    journeys that did not convert) and ``value`` (optional, 0). The chain goes start → the
    state of each touch → conversion or null, states being the last ``order`` channels;
    ``p`` and every ``p₋c`` are solved exactly.
    """
    return MarkovReport._from(_ces.attribution_markov(_table(paths), order, sep=sep))


def heuristics(paths: Table, first: float = 0.4, last: float = 0.4, *, sep: str = " > ") -> pa.Table:
    """First-touch, last-touch, linear (per touch) and position-based (``first``/``last``
    shares) credit per channel on journeys (``paths`` as for :func:`markov`).

    Columns: ``channel``, then ``conversions`` and ``value`` of each model:
    ``first_touch_conversions``, ``first_touch_value``, ``last_touch_…``, ``linear_…``,
    ``position_based_…``. Channels in order of first appearance.
    """
    return _ces.attribution_heuristics(_table(paths), first, last, sep=sep)


def shapley(paths: Table, exact: bool = False, *, sep: str = " > ") -> pa.Table:
    """Shapley credit per channel on journeys (``paths`` as for :func:`markov`): simplified
    (each converting journey split evenly over its distinct channels), or ``exact``: Shapley
    values per converting channel set with the conversion rate of journeys having exactly
    that set as its worth (at most :data:`MAX_EXACT_SHAPLEY_CHANNELS` distinct channels per
    journey). Columns: ``channel``, ``conversions``, ``value``.
    """
    return _ces.attribution_shapley(_table(paths), exact, sep=sep)
