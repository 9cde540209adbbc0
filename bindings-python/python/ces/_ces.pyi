"""Type stubs of the native module ``ces._ces`` (checked with ``python -m mypy.stubtest ces._ces``)."""

import datetime
import os
from typing import Any, Callable, Dict, Final, Iterable, Literal, Mapping, Optional, Protocol, Sequence, Tuple, Union

import pyarrow as pa  # type: ignore[import-untyped]
from typing_extensions import final

__all__ = [
    "__version__",
    "show_trgm",
    "show_trgm_text",
    "similarity",
    "word_similarity",
    "strict_word_similarity",
    "similarity_distance",
    "similar",
    "word_similar",
    "strict_word_similar",
    "score_pairs",
    "_set_parallel",
    "_parallel_enabled",
    "CesError",
    "InvalidThresholdError",
    "InvalidArgumentError",
    "InvalidUtf8Error",
    "MissingValueError",
    "LengthMismatchError",
    "InvalidRecordError",
    "DuplicateKeyError",
    "MalformedInputError",
    "ERROR_CODES",
    "Catalog",
    "Resolver",
    "Decision",
    "Candidate",
    "Quantity",
    "Normalized",
    "TriageQueue",
    "TriageItem",
    "CalibrationReport",
    "Accuracy",
    "normalize",
    "calibrate",
    "evaluate",
    "RESOLVER_VERSION",
    "RESOLVER_DEFAULTS",
    "NORMALIZER_STEPS",
    "DEFAULT_NORMALIZER",
    "ALIAS_TYPES",
    "CpaMerge",
    "cpa_merge",
    "cpa_read_everflow",
    "cpa_read_redtrack",
    "cpa_read_mapping",
    "CPA_SCALE",
    "MAPPING_COLUMNS",
    "DEFAULT_REPORT_ZONE",
    "AttributionRun",
    "attribute",
    "attribution_markov",
    "attribution_heuristics",
    "attribution_shapley",
    "ATTRIBUTION_RULE_MODELS",
    "ATTRIBUTION_UNATTRIBUTED",
    "ATTRIBUTION_MAX_WINDOW_SECONDS",
    "ATTRIBUTION_MAX_EXACT_SHAPLEY_CHANNELS",
    "CampaignLiftRun",
    "LIFT_METHODS",
    "lift_conversion",
    "lift_conversion_batch",
    "lift_fisher_exact",
    "lift_power_proportions",
    "lift_mde_proportions",
    "lift_sample_size_proportions",
    "lift_power_means",
    "lift_mde_means",
    "lift_sample_size_means",
    "lift_power_from_se",
    "lift_welch",
    "lift_welch_from_summary",
    "lift_cuped",
    "lift_ancova",
    "lift_did_2x2",
    "lift_did_panel",
    "lift_ratio_metric",
    "lift_ccf",
    "lift_campaign",
    "lift_store_panel",
    "lift_conversion_groups",
    "lift_mmm_priors",
    "lift_validate_experiment",
]

__version__: Final[str]
ERROR_CODES: Final[Tuple[str, ...]]

_Metric = Literal["similarity", "word_similarity", "strict_word_similarity"]

class _ArrowArrayExportable(Protocol):
    def __arrow_c_array__(self, requested_schema: Optional[object] = None) -> Tuple[object, object]: ...

class _ArrowStreamExportable(Protocol):
    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...

class CesError(Exception):
    code: str
    row: Optional[int]
    field: Optional[str]
    message: str

class InvalidThresholdError(CesError, ValueError): ...
class InvalidArgumentError(CesError, ValueError): ...
class InvalidUtf8Error(CesError, ValueError): ...
class MissingValueError(CesError, ValueError): ...
class LengthMismatchError(CesError, ValueError): ...

class InvalidRecordError(CesError, ValueError):
    input: str
    value: str
    reason: str

class DuplicateKeyError(CesError, ValueError):
    input: str
    key: str
    first_row: int

class MalformedInputError(CesError, ValueError):
    input: str
    location: str

def show_trgm(text: str) -> list[str]: ...
def show_trgm_text(text: str) -> str: ...
def similarity(a: str, b: str) -> float: ...
def word_similarity(needle: str, haystack: str) -> float: ...
def strict_word_similarity(needle: str, haystack: str) -> float: ...
def similarity_distance(a: str, b: str) -> float: ...
def similar(a: str, b: str, threshold: float = 0.72) -> bool: ...
def word_similar(needle: str, haystack: str, threshold: float = 0.72) -> bool: ...
def strict_word_similar(needle: str, haystack: str, threshold: float = 0.72) -> bool: ...
def score_pairs(
    left: Union[_ArrowArrayExportable, _ArrowStreamExportable],
    right: Union[_ArrowArrayExportable, _ArrowStreamExportable],
    metric: _Metric = "similarity",
) -> pa.Array: ...
def _set_parallel(enabled: bool) -> None: ...
def _parallel_enabled() -> bool: ...

# ---------------------------------------------------------------------------------------
# Brand resolution.

RESOLVER_VERSION: Final[str]
RESOLVER_DEFAULTS: Final[Dict[str, object]]
NORMALIZER_STEPS: Final[Tuple[str, ...]]
DEFAULT_NORMALIZER: Final[Tuple[str, ...]]
ALIAS_TYPES: Final[Tuple[str, ...]]

_Arrow = Union[_ArrowArrayExportable, _ArrowStreamExportable]
#: A table: Arrow (pyarrow, polars, pandas), a dict of columns, or a list of row dicts.
_Table = Union[_Arrow, Mapping[str, Sequence[Any]], Iterable[Mapping[str, Any]]]
#: ``"default"``, ``"pg_trgm"`` or a list of step names.
_NormalizerArg = Union[Literal["default", "pg_trgm"], Iterable[str]]
_Status = Literal["resolved", "ambiguous", "unresolved"]
_Method = Literal["exact", "alias", "fuzzy", "none"]
_AliasType = Literal[
    "canonical", "variant", "full_name", "uppercase", "abbreviation", "ticker", "misspelling", "phonetic"
]
_Decisions = Union[_Arrow, Iterable[Decision]]

@final
class Catalog:
    def __new__(
        cls,
        brands: _Table,
        aliases: Optional[_Table] = None,
        generic_words: Union[Iterable[str], _Arrow, None] = (),
        normalizer: Optional[_NormalizerArg] = "default",
    ) -> Catalog: ...
    @property
    def fingerprint(self) -> str: ...
    @property
    def brand_count(self) -> int: ...
    @property
    def entry_count(self) -> int: ...
    @property
    def normalizer(self) -> list[str]: ...
    @property
    def generic_words(self) -> list[str]: ...
    def brands(self) -> list[dict[str, Any]]: ...
    def aliases(self) -> list[dict[str, Any]]: ...
    def __reduce__(self) -> Tuple[type[Catalog], Tuple[Any, ...]]: ...

@final
class Resolver:
    def __new__(
        cls,
        catalog: Catalog,
        threshold: float = 0.72,
        metric: _Metric = "similarity",
        ambiguity_margin: Optional[float] = 0.02,
        top_k: int = 3,
        suggestion_threshold: Optional[float] = 0.3,
        block_generic_words: bool = True,
    ) -> Resolver: ...
    @staticmethod
    def pg_trgm_compatible(catalog: Catalog, threshold: float = 0.72) -> Resolver: ...
    def resolve(self, text: str) -> Decision: ...
    def resolve_batch(
        self,
        column: Union[_Arrow, Iterable[Optional[str]]],
        progress: Optional[Callable[[int, int], object]] = None,
    ) -> pa.Table: ...
    @property
    def catalog(self) -> Catalog: ...
    @property
    def threshold(self) -> float: ...
    @property
    def metric(self) -> _Metric: ...
    @property
    def ambiguity_margin(self) -> Optional[float]: ...
    @property
    def top_k(self) -> int: ...
    @property
    def suggestion_threshold(self) -> Optional[float]: ...
    @property
    def block_generic_words(self) -> bool: ...
    def __reduce__(self) -> Tuple[type[Resolver], Tuple[Any, ...]]: ...

@final
class Quantity:
    @property
    def raw(self) -> str: ...
    @property
    def value(self) -> float: ...
    @property
    def unit(self) -> str: ...
    @property
    def canonical_value(self) -> float: ...
    @property
    def canonical_unit(self) -> Literal["ml", "g", "count"]: ...
    @property
    def pack_count(self) -> Optional[int]: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Normalized:
    @property
    def text(self) -> str: ...
    @property
    def quantities(self) -> list[Quantity]: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Candidate:
    @property
    def brand_id(self) -> int: ...
    @property
    def brand_name(self) -> str: ...
    @property
    def matched_text(self) -> str: ...
    @property
    def alias_type(self) -> _AliasType: ...
    @property
    def score(self) -> float: ...
    @property
    def threshold(self) -> float: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Decision:
    @property
    def input(self) -> str: ...
    @property
    def normalized(self) -> str: ...
    @property
    def quantities(self) -> list[Quantity]: ...
    @property
    def method(self) -> _Method: ...
    @property
    def status(self) -> _Status: ...
    @property
    def brand_id(self) -> Optional[int]: ...
    @property
    def brand_name(self) -> Optional[str]: ...
    @property
    def matched_text(self) -> Optional[str]: ...
    @property
    def score(self) -> Optional[float]: ...
    @property
    def runner_up(self) -> Optional[Candidate]: ...
    @property
    def margin(self) -> Optional[float]: ...
    @property
    def threshold(self) -> float: ...
    @property
    def candidates(self) -> list[Candidate]: ...
    @property
    def shared_trigrams(self) -> list[str]: ...
    @property
    def missing_trigrams(self) -> list[str]: ...
    @property
    def reason(self) -> Optional[str]: ...
    @property
    def resolver_version(self) -> str: ...
    @property
    def catalog_fingerprint(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class TriageItem:
    @property
    def normalized(self) -> str: ...
    @property
    def count(self) -> int: ...
    @property
    def first_seen(self) -> int: ...
    @property
    def last_seen(self) -> int: ...
    @property
    def samples(self) -> list[str]: ...
    @property
    def last_status(self) -> _Status: ...
    @property
    def suggestions(self) -> list[Candidate]: ...
    @property
    def status(self) -> Literal["open", "mapped", "ignored"]: ...
    @property
    def mapped_brand_id(self) -> Optional[int]: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class TriageQueue:
    def __new__(cls) -> TriageQueue: ...
    def record(self, decision: Decision, seen_at: int) -> bool: ...
    def record_batch(self, decisions: _Decisions, seen_at: int) -> int: ...
    def items(self) -> list[TriageItem]: ...
    def open(self) -> list[TriageItem]: ...
    def get(self, normalized: str) -> Optional[TriageItem]: ...
    def accept(self, normalized: str, brand_id: int) -> dict[str, Any]: ...
    def reject(self, normalized: str) -> None: ...
    def __len__(self) -> int: ...

@final
class CalibrationReport:
    @property
    def rows(self) -> pa.Table: ...
    @property
    def best(self) -> Optional[int]: ...
    @property
    def best_threshold(self) -> Optional[float]: ...
    @property
    def best_f1(self) -> Optional[float]: ...

@final
class Accuracy:
    @property
    def correct(self) -> int: ...
    @property
    def wrong(self) -> int: ...
    @property
    def missed(self) -> int: ...
    @property
    def correctly_unresolved(self) -> int: ...
    @property
    def precision(self) -> Optional[float]: ...
    @property
    def recall(self) -> Optional[float]: ...
    def to_dict(self) -> dict[str, Any]: ...

def normalize(text: str, normalizer: Optional[_NormalizerArg] = "default") -> Normalized: ...
def calibrate(
    scores: Union[_Arrow, Iterable[float]], labels: Union[_Arrow, Iterable[Union[bool, int]]]
) -> CalibrationReport: ...
def evaluate(decisions: _Decisions, truth: Union[_Arrow, Iterable[Optional[int]]]) -> Accuracy: ...

# ---------------------------------------------------------------------------------------
# CPA merge (wrapped by ``ces.cpa``).

CPA_SCALE: Final[int]
MAPPING_COLUMNS: Final[Tuple[str, ...]]
DEFAULT_REPORT_ZONE: Final[str]

_Document = Union[str, os.PathLike[str], bytes, bytearray]
#: An input: Arrow, a dict of columns, a list of row dicts, a document, or a list of documents.
_Source = Union[_Arrow, Mapping[str, Sequence[Any]], _Document, Sequence[_Document], Sequence[Mapping[str, Any]]]
_DateArg = Union[datetime.date, str, None]
_Labels = Union[Iterable[str], _Arrow]
_Issues = list[dict[str, Any]]

@final
class CpaMerge:
    def performance(self) -> pa.Table: ...
    def diagnostics_json(self) -> str: ...
    @property
    def has_findings(self) -> bool: ...
    @property
    def money_scale(self) -> int: ...
    def summary(self, period: Literal["day", "week", "month"] = "day") -> pa.Table: ...
    def leaderboard(
        self,
        n: int = 10,
        start: _DateArg = None,
        end: _DateArg = None,
        advertiser: Optional[int] = None,
    ) -> pa.Table: ...
    def __len__(self) -> int: ...

def cpa_merge(
    everflow: _Source,
    redtrack: _Source,
    mapping: _Source,
    *,
    currency: str = "USD",
    internal_from_mapping: bool = True,
    include: _Labels = (),
    exclude: _Labels = (),
    start: _DateArg = None,
    end: _DateArg = None,
    zone: str = "America/New_York",
    redtrack_date: _DateArg = None,
    strict: bool = False,
    progress: Optional[Callable[[str, int, int], object]] = None,
) -> CpaMerge: ...
def cpa_read_everflow(source: _Source, *, strict: bool = False) -> Tuple[pa.Table, _Issues]: ...
def cpa_read_redtrack(
    source: _Source, *, date: _DateArg = None, zone: str = "America/New_York", strict: bool = False
) -> Tuple[pa.Table, _Issues]: ...
def cpa_read_mapping(source: _Source, *, strict: bool = False) -> Tuple[pa.Table, _Issues]: ...

# ---------------------------------------------------------------------------------------
# Attribution (wrapped by ``ces.attribution``).

ATTRIBUTION_RULE_MODELS: Final[Tuple[str, ...]]
ATTRIBUTION_UNATTRIBUTED: Final[str]
ATTRIBUTION_MAX_WINDOW_SECONDS: Final[int]
ATTRIBUTION_MAX_EXACT_SHAPLEY_CHANNELS: Final[int]

_Window = Union[datetime.timedelta, int, str]
_ModelSpec = Union[str, Mapping[str, Any]]
_WindowsArg = Union[str, None, Mapping[str, Any]]
_Dimension = Literal["channel", "campaign", "asset", "day"]
_MarkovTuple = Tuple[str, int, int, float, pa.Table]

@final
class AttributionRun:
    @property
    def models(self) -> list[str]: ...
    def summary(self) -> dict[str, Any]: ...
    def credits(self, model: Optional[str] = None) -> pa.Table: ...
    def links(self, model: str = "last_touch") -> pa.Table: ...
    def rollup(self, by: _Dimension = "channel") -> pa.Table: ...
    def bootstrap(
        self, by: _Dimension = "channel", replicates: int = 200, seed: int = 0, level: float = 0.95
    ) -> pa.Table: ...
    def unattributed(self) -> pa.Table: ...
    def duplicates(self) -> pa.Table: ...
    def markov(self) -> list[_MarkovTuple]: ...

def attribute(
    exposures: _Table,
    transactions: _Table,
    *,
    key: str = "key",
    models: Optional[Iterable[_ModelSpec]] = None,
    windows: _WindowsArg = "standard",
    mode: Literal["exact", "calendar", "calendar_days"] = "exact",
    zone: str = "UTC",
    click_beats_view: bool = False,
    range: Optional[Sequence[Optional[datetime.datetime]]] = None,
    assume_zone: Optional[str] = None,
    progress: Optional[Callable[[int, int], object]] = None,
) -> AttributionRun: ...
def attribution_markov(paths: _Table, order: int = 1, *, sep: str = " > ") -> _MarkovTuple: ...
def attribution_heuristics(paths: _Table, first: float = 0.4, last: float = 0.4, *, sep: str = " > ") -> pa.Table: ...
def attribution_shapley(paths: _Table, exact: bool = False, *, sep: str = " > ") -> pa.Table: ...

# ---------------------------------------------------------------------------------------
# Lift (wrapped by ``ces.lift``).

LIFT_METHODS: Final[Tuple[str, ...]]

_Alternative = Literal["two-sided", "larger", "smaller"]
_Number = Union[int, float]
_Column = Any
_Arm3 = Tuple[Any, Any, Any]
_Fisher = Union[Literal["auto", "always", "never"], bool]
_Instant = datetime.datetime
_Period = Union[datetime.timedelta, int, str]

@final
class CampaignLiftRun:
    def fields(self) -> dict[str, Any]: ...
    def mmm_prior(self) -> dict[str, Any]: ...

def lift_conversion(
    treatment: _Arm3,
    control: _Arm3,
    *,
    confidence: float = 0.95,
    alternative: str = "two-sided",
    spend: Optional[_Number] = None,
    difference_method: str = "newcomb",
    ratio_method: str = "log_adjusted",
    fisher: _Fisher = "auto",
) -> dict[str, Any]: ...
def lift_conversion_batch(
    table: _Table,
    *,
    columns: Optional[Mapping[str, str]] = None,
    confidence: float = 0.95,
    alternative: str = "two-sided",
    spend: Optional[_Number] = None,
    difference_method: str = "newcomb",
    ratio_method: str = "log_adjusted",
    fisher: _Fisher = "auto",
    progress: Optional[Callable[[int, int], object]] = None,
) -> pa.Table: ...
def lift_fisher_exact(table: Any, *, alternative: str = "two-sided") -> dict[str, Any]: ...
def lift_power_proportions(
    baseline: float,
    effect: float,
    n_treatment: float,
    n_control: float,
    *,
    confidence: float = 0.95,
    alternative: str = "two-sided",
) -> dict[str, Any]: ...
def lift_mde_proportions(
    baseline: float,
    n_treatment: float,
    n_control: float,
    *,
    power: float = 0.8,
    confidence: float = 0.95,
    alternative: str = "two-sided",
) -> dict[str, Any]: ...
def lift_sample_size_proportions(
    baseline: float,
    effect: float,
    *,
    ratio: float = 1.0,
    power: float = 0.8,
    confidence: float = 0.95,
    alternative: str = "two-sided",
) -> dict[str, Any]: ...
def lift_power_means(
    effect: float,
    sd_treatment: float,
    sd_control: float,
    n_treatment: float,
    n_control: float,
    *,
    confidence: float = 0.95,
    alternative: str = "two-sided",
) -> dict[str, Any]: ...
def lift_mde_means(
    baseline: float,
    sd_treatment: float,
    sd_control: float,
    n_treatment: float,
    n_control: float,
    *,
    power: float = 0.8,
    confidence: float = 0.95,
    alternative: str = "two-sided",
) -> dict[str, Any]: ...
def lift_sample_size_means(
    effect: float,
    sd_treatment: float,
    sd_control: float,
    *,
    ratio: float = 1.0,
    power: float = 0.8,
    confidence: float = 0.95,
    alternative: str = "two-sided",
) -> dict[str, Any]: ...
def lift_power_from_se(
    effect: float, std_error: float, *, confidence: float = 0.95, alternative: str = "two-sided"
) -> dict[str, Any]: ...
def lift_welch(
    treatment: _Column, control: _Column, *, confidence: float = 0.95, alternative: str = "two-sided"
) -> dict[str, Any]: ...
def lift_welch_from_summary(
    treatment: _Arm3, control: _Arm3, *, confidence: float = 0.95, alternative: str = "two-sided"
) -> dict[str, Any]: ...
def lift_cuped(
    y: _Column, x: _Column, treated: _Column, *, confidence: float = 0.95, alternative: str = "two-sided"
) -> dict[str, Any]: ...
def lift_ancova(
    y: _Column, x: _Column, treated: _Column, *, confidence: float = 0.95, alternative: str = "two-sided"
) -> dict[str, Any]: ...
def lift_did_2x2(
    unit: Any,
    treated: Optional[_Column] = None,
    post: Optional[_Column] = None,
    y: Optional[_Column] = None,
    *,
    columns: Optional[Mapping[str, str]] = None,
    confidence: float = 0.95,
    alternative: str = "two-sided",
    covariance: str = "cluster",
    reference: str = "t",
) -> dict[str, Any]: ...
def lift_did_panel(
    unit: Any,
    period: Optional[_Column] = None,
    treated: Optional[_Column] = None,
    y: Optional[_Column] = None,
    *,
    columns: Optional[Mapping[str, str]] = None,
    confidence: float = 0.95,
    alternative: str = "two-sided",
    covariance: str = "cluster",
    reference: str = "t",
) -> dict[str, Any]: ...
def lift_ratio_metric(
    treatment_numerator: _Column,
    treatment_denominator: _Column,
    control_numerator: _Column,
    control_denominator: _Column,
    *,
    confidence: float = 0.95,
    alternative: str = "two-sided",
    bootstrap: Optional[int] = 2000,
    seed: int = 20251124,
) -> dict[str, Any]: ...
def lift_ccf(exposure: _Column, sales: _Column, max_lag: int, *, confidence: float = 0.95) -> dict[str, Any]: ...
def lift_campaign(
    exposures: _Table,
    transactions: _Table,
    *,
    campaign: str,
    pre_start: _Instant,
    campaign_start: _Instant,
    end: _Instant,
    period: _Period,
    outcome: str = "sales",
    key: str = "key",
    confidence: float = 0.95,
    alternative: str = "two-sided",
    covariance: str = "cluster",
    reference: str = "t",
    mde_relative: float = 0.05,
    target_power: float = 0.8,
    assume_zone: Optional[str] = None,
) -> CampaignLiftRun: ...
def lift_store_panel(
    exposures: _Table,
    transactions: _Table,
    *,
    campaign: str,
    pre_start: _Instant,
    campaign_start: _Instant,
    end: _Instant,
    period: _Period,
    outcome: str = "sales",
    key: str = "key",
    assume_zone: Optional[str] = None,
) -> pa.Table: ...
def lift_conversion_groups(
    exposures: _Table,
    transactions: _Table,
    *,
    campaign: str,
    pre_start: _Instant,
    campaign_start: _Instant,
    end: _Instant,
    period: _Period,
    key: str = "key",
    assume_zone: Optional[str] = None,
) -> Tuple[dict[str, Any], dict[str, Any]]: ...
def lift_mmm_priors(lifts: Sequence[CampaignLiftRun]) -> pa.Table: ...
def lift_validate_experiment(
    *,
    key: str,
    name: str,
    test_type: str,
    metric: str,
    campaign: Optional[str],
    variants: Sequence[Tuple[str, bool, float]],
    confidence: float,
    mde: float,
    mde_kind: str,
    alternative: str,
    start: Optional[_Instant],
    end: Optional[_Instant],
    assume_zone: Optional[str] = None,
) -> None: ...
