r"""CPA merge: Everflow conversions × Redtrack spend through the internal-affiliate mapping.

:func:`merge` joins Everflow daily stats (conversions, revenue, payout per date, affiliate and
advertiser) to Redtrack spend (cost per traffic source) through the mapping of Redtrack
sources to Everflow affiliates, and returns a :class:`MergeResult`: one row per (date,
advertiser, affiliate) with conversions, cost and CPA as a ``pyarrow.Table``, and
:class:`Diagnostics` that list everything that did not add up (unmapped spend with its
amount, unusable and unused mapping rows, rejected input rows, days with conversions but no
spend, and a reconciliation of every total). The rules live in the Rust core
(``ces::cpa``); this module only converts::

    >>> import datetime, decimal
    >>> import pyarrow as pa
    >>> import ces
    >>> day = datetime.date(2024, 12, 2)
    >>> everflow = pa.table({
    ...     "date": [day, day], "affiliate_id": [1, 7], "affiliate_label": ["G2 - Meta", "Blue Bench"],
    ...     "advertiser_id": [1, 1], "advertiser_label": ["CCW", "CCW"], "clicks": [150, 40],
    ...     "conversions": [25, 0], "revenue": ["2500.00", "0"], "payout": ["1875.00", "0"],
    ... })
    >>> redtrack = pa.table({
    ...     "date": [day, day], "source_id": ["s1", "s9"], "source_name": ["Facebook CCW", "Tigresh"],
    ...     "clicks": [1523, 5], "cost": [decimal.Decimal("7825.50"), decimal.Decimal("207.20")],
    ... })
    >>> mapping = (  # the mapping CSV as bytes (or a path, or a table with these columns)
    ...     b"redtrack.source,redtrack.source_alias,redtrack.source_id,everflow.affiliate_id,"
    ...     b"everflow.affiliate_label,everflow.advertiser_id,everflow.advertiser_label\n"
    ...     b"Facebook CCW,facebook,s1,1,G2 - Meta,1,CCW\n"
    ... )
    >>> result = ces.cpa.merge(everflow, redtrack, mapping)
    >>> for row in result.performance.to_pylist():
    ...     print(row["affiliate_label"], row["is_internal"], row["cost"], row["cpa"])
    Blue Bench False 0.00 None
    G2 - Meta True 7825.50 313.020000000000
    >>> result.diagnostics.unmapped_spend[0].cost  # Tigresh: spend no mapping row sends anywhere
    Decimal('207.20')

Inputs are Arrow tables (pyarrow, polars, pandas: anything with ``__arrow_c_stream__``),
file paths (``.json`` for Everflow and Redtrack, read by the core's JSON readers; ``.csv``
for the mapping), ``bytes``, or lists of paths/bytes (pages of one Everflow response, one
Redtrack document per day). :func:`read_everflow`, :func:`read_redtrack` and
:func:`read_mapping` turn documents into the Arrow tables :func:`merge` reads.

Money is exact: decimals in, ``decimal.Decimal``/``decimal128`` out. Float columns are read
through each value's shortest round-trip text (``0.1`` is 0.1, ``0.30000000000000004`` stays
that), which is what a JSON document would have said; NaN and infinities are rejected rows.
Pass decimal or string columns when the amounts never were floats.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import os
import sys
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Iterable, Literal, Mapping, Optional, Sequence, Tuple, Union

from . import _ces

if TYPE_CHECKING:
    import pyarrow as pa  # type: ignore[import-untyped]

    from ._ces import _ArrowArrayExportable, _ArrowStreamExportable

    _Document = Union[str, "os.PathLike[str]", bytes, bytearray]
    #: An input: an Arrow table, a document (path or bytes), a list of documents, a dict of
    #: columns or a list of row dicts.
    Source = Union[
        _ArrowStreamExportable,
        _ArrowArrayExportable,
        _Document,
        Sequence[_Document],
        Mapping[str, Sequence[Any]],
        Sequence[Mapping[str, Any]],
    ]

__all__ = [
    "CPA_SCALE",
    "DEFAULT_REPORT_ZONE",
    "MAPPING_COLUMNS",
    "DayFlag",
    "Diagnostics",
    "DuplicateRows",
    "ExcludedSpend",
    "MappingDuplicate",
    "MergeResult",
    "OutOfRange",
    "Reconciliation",
    "RowIssue",
    "UnmappedSpend",
    "UnusedMapping",
    "merge",
    "read_everflow",
    "read_mapping",
    "read_redtrack",
]

#: Decimal places of every CPA (``cost / conversions`` rounded half away from zero, as PostgreSQL rounds).
CPA_SCALE: int = _ces.CPA_SCALE
#: The mapping's dotted column names, in the real file's order.
MAPPING_COLUMNS: Tuple[str, ...] = _ces.MAPPING_COLUMNS
#: The default report time zone.
DEFAULT_REPORT_ZONE: str = _ces.DEFAULT_REPORT_ZONE

Period = Literal["day", "week", "month"]
DateArg = Union[_dt.date, str, None]
#: ``progress(stage, done, total)``; stages are ``spend``, ``everflow`` and ``join``.
Progress = Callable[[str, int, int], object]


# ---------------------------------------------------------------------------------------
# Diagnostics: frozen records with the field names of the core's structs.


def _money(text: str) -> Decimal:
    return Decimal(text)


def _date(text: str) -> _dt.date:
    return _dt.date.fromisoformat(text)


def _plain(value: Any) -> Any:
    """Records as dicts and tuples as lists, recursively (for ``to_dict``)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


class _Record:
    """``to_dict()`` for the records below."""

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict (nested records as dicts, sequences as lists)."""
        out: dict[str, Any] = _plain(self)
        return out


@dataclasses.dataclass(frozen=True)
class RowIssue(_Record):
    """An input record that was not accepted, with where it was and what was wrong."""

    #: ``everflow``, ``redtrack`` or ``mapping``.
    input: str
    #: Zero-based record position in that input (across pages, for paged responses).
    row: int
    #: Where a person finds it: ``page 2, row 14``, ``line 7``, ``row 3`` (Arrow, zero-based).
    location: str
    #: The field at fault, as named in the input.
    field: str
    #: The raw value, as it came (``null`` when missing).
    value: str
    #: Why it was rejected.
    reason: str

    @classmethod
    def _from(cls, d: dict[str, Any]) -> RowIssue:
        return cls(d["input"], d["row"], d["location"], d["field"], d["value"], d["reason"])


@dataclasses.dataclass(frozen=True)
class UnmappedSpend(_Record):
    """Redtrack spend whose source the mapping sends nowhere: this cost is in no row."""

    source_id: str
    source_name: str
    #: ``not_in_mapping``, ``malformed_mapping`` or ``conflicting_mapping``.
    reason: str
    rows: int
    clicks: int
    cost: Decimal
    first_date: _dt.date
    last_date: _dt.date

    @classmethod
    def _from(cls, d: dict[str, Any]) -> UnmappedSpend:
        return cls(
            d["source_id"],
            d["source_name"],
            d["reason"],
            d["rows"],
            d["clicks"],
            _money(d["cost"]),
            _date(d["first_date"]),
            _date(d["last_date"]),
        )


@dataclasses.dataclass(frozen=True)
class UnusedMapping(_Record):
    """A usable mapping row whose affiliate and advertiser never appear in Everflow."""

    location: str
    source_id: str
    affiliate_label: str
    advertiser_id: int

    @classmethod
    def _from(cls, d: dict[str, Any]) -> UnusedMapping:
        return cls(d["location"], d["source_id"], d["affiliate_label"], d["advertiser_id"])


@dataclasses.dataclass(frozen=True)
class MappingDuplicate(_Record):
    """Mapping rows for the same source id (that agree, or that disagree)."""

    source_id: str
    locations: Tuple[str, ...]
    #: ``label / advertiser id`` of each row.
    targets: Tuple[str, ...]

    @classmethod
    def _from(cls, d: dict[str, Any]) -> MappingDuplicate:
        return cls(d["source_id"], tuple(d["locations"]), tuple(d["targets"]))


@dataclasses.dataclass(frozen=True)
class DuplicateRows(_Record):
    """Identical records with the same key: counted once."""

    input: str
    key: str
    #: Positions of the records (the first is kept).
    rows: Tuple[int, ...]

    @classmethod
    def _from(cls, d: dict[str, Any]) -> DuplicateRows:
        return cls(d["input"], d["key"], tuple(d["rows"]))


@dataclasses.dataclass(frozen=True)
class DayFlag(_Record):
    """An internal affiliate's day with conversions but no spend, or the reverse."""

    date: _dt.date
    advertiser_id: int
    affiliate_label: str
    conversions: int
    redtrack_cost: Decimal

    @classmethod
    def _from(cls, d: dict[str, Any]) -> DayFlag:
        return cls(
            _date(d["date"]), d["advertiser_id"], d["affiliate_label"], d["conversions"], _money(d["redtrack_cost"])
        )


@dataclasses.dataclass(frozen=True)
class ExcludedSpend(_Record):
    """Mapped spend on an affiliate the internal rule makes external (in no cost figure)."""

    affiliate_label: str
    advertiser_id: int
    days: int
    cost: Decimal

    @classmethod
    def _from(cls, d: dict[str, Any]) -> ExcludedSpend:
        return cls(d["affiliate_label"], d["advertiser_id"], d["days"], _money(d["cost"]))


@dataclasses.dataclass(frozen=True)
class OutOfRange(_Record):
    """Records outside the merge's date range."""

    everflow_rows: int
    redtrack_rows: int

    @classmethod
    def _from(cls, d: dict[str, Any]) -> OutOfRange:
        return cls(d["everflow_rows"], d["redtrack_rows"])


_RECONCILIATION_MONEY = (
    "everflow_payout",
    "everflow_revenue",
    "redtrack_cost",
    "mapped_cost",
    "unmapped_cost",
    "excluded_cost",
    "external_payout",
    "output_cost",
)


@dataclasses.dataclass(frozen=True)
class Reconciliation(_Record):
    """How money and conversions reconcile: every input amount is in exactly one place.

    ``redtrack_cost == mapped_cost + unmapped_cost``;
    ``output_cost == mapped_cost - excluded_cost + external_payout``;
    ``output_conversions == everflow_conversions``.
    """

    everflow_conversions: int
    everflow_payout: Decimal
    everflow_revenue: Decimal
    redtrack_cost: Decimal
    mapped_cost: Decimal
    unmapped_cost: Decimal
    excluded_cost: Decimal
    external_payout: Decimal
    output_cost: Decimal
    output_conversions: int
    output_rows: int

    @classmethod
    def _from(cls, d: dict[str, Any]) -> Reconciliation:
        values: dict[str, Any] = {k: _money(v) if k in _RECONCILIATION_MONEY else v for k, v in d.items()}
        return cls(**values)


@dataclasses.dataclass(frozen=True)
class Diagnostics(_Record):
    """Everything a merge noticed (the core's ``Diagnostics``, field for field).

    Money is ``decimal.Decimal``, dates ``datetime.date``, lists tuples. ``has_findings``
    says whether there is anything a person should look at; ``to_dict()`` gives the fields
    as plain dicts and lists.
    """

    #: Input records the readers rejected (with ``strict=False``).
    rejected_rows: Tuple[RowIssue, ...]
    #: Spend that reaches no affiliate, per source, largest first.
    unmapped_spend: Tuple[UnmappedSpend, ...]
    #: Usable mapping rows never seen in Everflow.
    unused_mappings: Tuple[UnusedMapping, ...]
    #: Mapping rows that cannot be used (``n/a``, missing or malformed ids).
    malformed_mappings: Tuple[RowIssue, ...]
    #: Mapping rows for one source that disagree (that source's spend is unmapped).
    conflicting_mappings: Tuple[MappingDuplicate, ...]
    #: Mapping rows for one source that agree.
    duplicate_mappings: Tuple[MappingDuplicate, ...]
    #: Identical duplicate input records, counted once.
    duplicate_rows: Tuple[DuplicateRows, ...]
    #: Internal affiliates' days with conversions but no spend.
    conversions_without_spend: Tuple[DayFlag, ...]
    #: Internal affiliates' days with spend but no conversions.
    spend_without_conversions: Tuple[DayFlag, ...]
    #: Mapped spend on affiliates the internal rule makes external.
    excluded_spend: Tuple[ExcludedSpend, ...]
    #: Records outside the date range.
    out_of_range: OutOfRange
    #: The reconciliation of totals.
    totals: Reconciliation
    #: Is there anything a person should look at? (The core's ``has_findings()``.)
    has_findings: bool = dataclasses.field(default=False, init=True, compare=False)

    @classmethod
    def _from_json(cls, text: str, has_findings: bool) -> Diagnostics:
        d = json.loads(text)

        def many(key: str, record: Any) -> Tuple[Any, ...]:
            return tuple(record._from(item) for item in d[key])

        return cls(
            rejected_rows=many("rejected_rows", RowIssue),
            unmapped_spend=many("unmapped_spend", UnmappedSpend),
            unused_mappings=many("unused_mappings", UnusedMapping),
            malformed_mappings=many("malformed_mappings", RowIssue),
            conflicting_mappings=many("conflicting_mappings", MappingDuplicate),
            duplicate_mappings=many("duplicate_mappings", MappingDuplicate),
            duplicate_rows=many("duplicate_rows", DuplicateRows),
            conversions_without_spend=many("conversions_without_spend", DayFlag),
            spend_without_conversions=many("spend_without_conversions", DayFlag),
            excluded_spend=many("excluded_spend", ExcludedSpend),
            out_of_range=OutOfRange._from(d["out_of_range"]),
            totals=Reconciliation._from(d["totals"]),
            has_findings=has_findings,
        )

    def to_dict(self) -> dict[str, Any]:
        """The core's fields as a dict (``has_findings`` is not one of them)."""
        out = super().to_dict()
        out.pop("has_findings", None)
        return out


# ---------------------------------------------------------------------------------------
# The merge.


class MergeResult:
    """The result of :func:`merge`: the merged rows, the diagnostics, and reports on them.

    Immutable. ``len(result)`` is the number of merged rows.
    """

    __slots__ = ("_merge", "_diagnostics", "_performance")
    _merge: _ces.CpaMerge
    _diagnostics: Diagnostics
    _performance: Optional[pa.Table]

    def __init__(self, merge: _ces.CpaMerge) -> None:
        object.__setattr__(self, "_merge", merge)
        object.__setattr__(
            self, "_diagnostics", Diagnostics._from_json(merge.diagnostics_json(), merge.has_findings)
        )
        object.__setattr__(self, "_performance", None)

    def __setattr__(self, name: str, value: object) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

    @property
    def performance(self) -> pa.Table:
        """One row per (date, advertiser, affiliate), ordered by them, as a ``pyarrow.Table``.

        Columns: ``date`` (date32), ``advertiser_id`` (int64), ``advertiser_label``,
        ``affiliate_label`` (string), ``is_internal`` (bool), ``everflow_clicks``,
        ``conversions`` (int64), ``everflow_revenue``, ``everflow_payout``,
        ``redtrack_cost``, ``cost`` (``decimal128(38, money_scale)``), ``redtrack_clicks``
        (int64), ``cpa`` (``decimal128(38, 12)``, null with 0 conversions),
        ``everflow_rows``, ``spend_rows`` (int32: records behind the row). ``cost`` is the
        Redtrack cost for internal affiliates and the Everflow payout for external ones.
        """
        table = self._performance
        if table is None:
            table = self._merge.performance()
            object.__setattr__(self, "_performance", table)
        return table

    @property
    def diagnostics(self) -> Diagnostics:
        """Everything the merge noticed."""
        return self._diagnostics

    @property
    def money_scale(self) -> int:
        """Decimal places of the money columns (the fewest that hold every amount, ≥ 2)."""
        scale: int = self._merge.money_scale
        return scale

    def summary(self, period: Period = "day") -> pa.Table:
        """Per (period start, advertiser): ``period``, ``start`` (date32), ``advertiser_id``,
        ``advertiser_label``, then ``total_``, ``internal_`` and ``external_`` columns
        ``rows``, ``conversions`` (int64), ``cost``, ``revenue``, ``payout``,
        ``redtrack_cost`` (decimal128) and ``cpa`` (decimal128(38, 12)): each CPA is the ratio
        of sums, Σcost / Σconversions, never a mean of row CPAs. ``period``: ``"day"``,
        ``"week"`` (ISO weeks, from Monday) or ``"month"``.
        """
        return self._merge.summary(period)

    def leaderboard(
        self, n: int = 10, start: DateArg = None, end: DateArg = None, advertiser: Optional[int] = None
    ) -> pa.Table:
        """The top ``n`` (advertiser, affiliate) pairs by conversions over ``start``..``end``
        (inclusive dates; None is open), optionally for one advertiser id. Ties go to the lower
        CPA, then the label. Columns: ``rank`` (int32), ``advertiser_id``, ``advertiser_label``,
        ``affiliate_label``, ``is_internal`` (internal on every day), ``days``, ``conversions``,
        ``cost``, ``revenue``, ``cpa`` (ratio of sums).
        """
        return self._merge.leaderboard(n, start, end, advertiser)

    def __len__(self) -> int:
        return len(self._merge)

    def __repr__(self) -> str:
        d = self.diagnostics
        return (
            f"MergeResult(rows={len(self)}, rejected_rows={len(d.rejected_rows)}, "
            f"unmapped_spend={len(d.unmapped_spend)}, has_findings={d.has_findings})"
        )


def _table_or_document(source: Any) -> Any:
    """``source`` as the native functions take it: a pandas ``DataFrame`` without the Arrow
    PyCapsule interface (pandas < 2.2) through ``pyarrow.Table.from_pandas``; anything else
    unchanged."""
    if hasattr(source, "__arrow_c_stream__") or hasattr(source, "__arrow_c_array__"):
        return source
    pandas = sys.modules.get("pandas")  # never imported here: a DataFrame means it is loaded
    if pandas is not None and isinstance(source, pandas.DataFrame):
        import pyarrow as pa

        return pa.Table.from_pandas(source, preserve_index=False)
    return source


def merge(
    everflow: Source,
    redtrack: Source,
    mapping: Source,
    *,
    currency: str = "USD",
    internal_from_mapping: bool = True,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    start: DateArg = None,
    end: DateArg = None,
    zone: str = DEFAULT_REPORT_ZONE,
    redtrack_date: DateArg = None,
    strict: bool = False,
    progress: Optional[Progress] = None,
) -> MergeResult:
    """Merge Everflow conversions with Redtrack spend through the mapping.

    Inputs (each an Arrow table, a path, ``bytes``, or a list of paths/``bytes``):

    * ``everflow``: entity-table JSON (one response or an array of pages), or a table with
      ``date`` (date32/date64, ``YYYY-MM-DD`` text, or epoch seconds at 00:00 UTC as the API
      gives them), ``affiliate_id`` (int, optional, nullable), ``affiliate_label``,
      ``advertiser_id``, ``advertiser_label`` (optional), ``clicks``, ``conversions``,
      ``revenue``, ``payout``, ``profit`` (optional; null: revenue − payout), ``currency``
      (optional; null: USD).
    * ``redtrack``: report JSON (bare array or wrapped in ``rows``/``items``/``data``/
      ``results``), or a table with ``date`` (date32, text, or a timestamp with a time zone:
      its date in ``zone``, the instant kept as ``stamp``; may be absent when
      ``redtrack_date`` is given), ``source_id``, ``source_name`` (or ``source``),
      ``source_alias`` (optional), ``clicks``, ``conversions`` (optional), ``cost``,
      ``currency`` (optional), ``stamp`` (optional: timestamps or epoch seconds).
    * ``mapping``: the dotted-header CSV as it comes (BOM, ``n/a``, trailing spaces), or a
      table with the columns of :data:`MAPPING_COLUMNS` (text or integer cells, nulls
      allowed) and an optional ``location``.

    Money columns may be decimal128/decimal256 (exact), text, integers or floats (through
    their shortest round-trip text). A row that cannot be converted or fails validation is
    reported in ``diagnostics.rejected_rows`` (``strict=False``) or raises
    :class:`ces.InvalidRecordError` naming the row, field and value (``strict=True``, which
    also makes the mapping's ``n/a`` rows errors). A missing required column raises
    :class:`ces.MalformedInputError` naming it, a column of the wrong type ``TypeError``.

    Settings: ``currency`` (ISO 4217; amounts in another currency are an error), the
    internal-affiliate rule (``internal_from_mapping``: an affiliate the mapping maps a
    source to is internal; ``include``/``exclude`` labels override), the report dates
    ``start``..``end`` (``datetime.date`` or ``YYYY-MM-DD``; rows outside are counted in
    ``diagnostics.out_of_range``), the report time zone ``zone`` and ``redtrack_date`` for
    Redtrack rows without a date.

    ``progress(stage, done, total)`` is called at the start and end of each stage
    (``spend``, ``everflow``, ``join``; ``done`` grows within a stage). An exception it raises
    skips the later calls and is raised when the merge returns. Records with the same key but
    different values raise :class:`ces.DuplicateKeyError`. The merge runs with the GIL released
    and gives the same result for the same inputs.
    """
    return MergeResult(
        _ces.cpa_merge(
            _table_or_document(everflow),
            _table_or_document(redtrack),
            _table_or_document(mapping),
            currency=currency,
            internal_from_mapping=internal_from_mapping,
            include=include,
            exclude=exclude,
            start=start,
            end=end,
            zone=zone,
            redtrack_date=redtrack_date,
            strict=strict,
            progress=progress,
        )
    )


def _issues(raw: list[dict[str, Any]]) -> list[RowIssue]:
    return [RowIssue._from(d) for d in raw]


def read_everflow(source: Source, *, strict: bool = False) -> tuple[pa.Table, list[RowIssue]]:
    """Read Everflow daily stats (entity-table JSON pages, or a table) into the Arrow table
    :func:`merge` reads, and the records that were rejected.

    Columns: ``date`` (date32), ``affiliate_id`` (int64, nullable), ``affiliate_label``,
    ``advertiser_id`` (int64), ``advertiser_label``, ``clicks``, ``conversions`` (int64),
    ``revenue``, ``payout``, ``profit`` (decimal128(38, S): the fewest places, at least 2,
    that hold every amount), ``currency``.
    """
    table, issues = _ces.cpa_read_everflow(_table_or_document(source), strict=strict)
    return table, _issues(issues)


def read_redtrack(
    source: Source, *, date: DateArg = None, zone: str = DEFAULT_REPORT_ZONE, strict: bool = False
) -> tuple[pa.Table, list[RowIssue]]:
    """Read Redtrack spend (report JSON, one document per day, or a table) into the Arrow
    table :func:`merge` reads, and the records that were rejected. ``date`` is the report
    date of rows that carry none; ``zone`` turns timestamps into report dates.

    Columns: ``date`` (date32), ``stamp`` (timestamp[s, UTC], null unless the record carried
    a timestamp), ``source_id``, ``source_name``, ``source_alias`` (nullable), ``clicks``,
    ``conversions`` (int64), ``cost`` (decimal128(38, S)), ``currency``.
    """
    table, issues = _ces.cpa_read_redtrack(_table_or_document(source), date=date, zone=zone, strict=strict)
    return table, _issues(issues)


def read_mapping(source: Source, *, strict: bool = False) -> tuple[pa.Table, list[RowIssue]]:
    """Read the internal-affiliate mapping (the CSV as it comes, or a table) into an Arrow
    table of its raw cells (the :data:`MAPPING_COLUMNS`, nullable text) and ``location``
    (``line 7``), and the rows that cannot be used (``n/a``, missing or malformed ids; they
    stay in the table, as the merge needs them to tell malformed from unknown sources).
    """
    table, issues = _ces.cpa_read_mapping(_table_or_document(source), strict=strict)
    return table, _issues(issues)
