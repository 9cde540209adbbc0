r"""Lift: the incremental effect of exposure, with tests and intervals that match statsmodels and
SciPy.

* :func:`conversion_lift` (and :func:`conversion_lift_batch` over a table): rates, absolute
  and relative lift, incremental conversions and revenue, iROAS; pooled, Wald and score z
  tests; Wald, Agresti–Caffo, Newcomb and score intervals of the difference; log,
  log-adjusted and score intervals of the ratio; Fisher's exact test for small counts.
* Planning: :func:`power_proportions`, :func:`mde_proportions`,
  :func:`sample_size_proportions`, their ``*_means`` versions and :func:`power_from_se`.
* Continuous metrics: :func:`welch`, :func:`welch_from_summary`, :func:`cuped`,
  :func:`ancova`.
* :func:`did_2x2` and :func:`did_panel`: difference-in-differences with standard errors
  clustered by unit.
* :func:`ratio_metric` (delta method with a seeded bootstrap), :func:`ccf` (descriptive
  cross-correlation), :func:`fisher_exact`.
* From attribution data (the tables of :func:`ces.attribution.attribute`):
  :func:`campaign_lift`, :func:`store_panel`, :func:`conversion_groups`, and
  :func:`mmm_priors`, the prior table a media-mix model takes.
* :class:`ExperimentDefinition` and :class:`Variant`, checked by the core.

Every computation is the Rust core's (``ces::lift``); this module only converts. Results are
frozen dataclasses with ``to_dict()``; every test and interval names its method::

    >>> from ces import lift
    >>> r = lift.conversion_lift((10_000, 560, 28_000.0), (10_000, 500, 25_000.0), spend=1_500.0)
    >>> round(r.absolute_lift, 6), r.incremental_conversions, r.iroas
    (0.006, 60.0, 2.0)
    >>> r.difference_interval.method, r.test.method
    ('newcomb', 'pooled_z')
    >>> lift.sample_size_proportions(0.05, 0.01).n_treatment
    8158
    >>> w = lift.welch([5.1, 4.9, 5.6, 5.8, 6.0], [4.1, 4.4, 4.0, 4.6, 4.3])
    >>> w.inference.interval.method, w.inference.p_value < 0.01
    ('welch_t', True)

Arrays (samples, columns of a DiD) may be NumPy arrays (float64 arrays are read in place),
lists, pyarrow arrays or chunked arrays, pandas or polars Series. A null (``None``) raises
:class:`ces.MissingValueError` and a NaN :class:`ces.InvalidArgumentError`, both naming the
argument and the row (pandas exports NaN in a float Series as missing); an argument of the
wrong type raises ``TypeError`` naming it.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import sys
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Literal,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from . import _ces
from .attribution import _table

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa  # type: ignore[import-untyped]

    from ._ces import _ArrowArrayExportable, _ArrowStreamExportable

    #: A table: Arrow (pyarrow, polars, pandas), a dict of columns or a list of row dicts.
    Table = Union[
        _ArrowStreamExportable,
        _ArrowArrayExportable,
        Mapping[str, Sequence[Any]],
        Sequence[Mapping[str, Any]],
    ]
    #: A column: NumPy array, list, pyarrow array, pandas or polars Series.
    Column = Union[_ArrowStreamExportable, _ArrowArrayExportable, Sequence[Any], Any]

__all__ = [
    "METHODS",
    "Ancova",
    "Arm",
    "CampaignLift",
    "Ccf",
    "ConversionLift",
    "Cuped",
    "Did2x2",
    "DidPanel",
    "ExperimentDefinition",
    "FisherExact",
    "Inference",
    "Interval",
    "Mde",
    "MmmPrior",
    "PanelSpec",
    "Power",
    "RatioBootstrap",
    "RatioEstimate",
    "RatioMetric",
    "SampleSize",
    "SampleSummary",
    "Test",
    "Variant",
    "Welch",
    "ancova",
    "campaign_lift",
    "ccf",
    "conversion_groups",
    "conversion_lift",
    "conversion_lift_batch",
    "cuped",
    "did_2x2",
    "did_panel",
    "fisher_exact",
    "mde_means",
    "mde_proportions",
    "mmm_priors",
    "power_from_se",
    "power_means",
    "power_proportions",
    "ratio_metric",
    "sample_size_means",
    "sample_size_proportions",
    "store_panel",
    "welch",
    "welch_from_summary",
]

#: Every method name a result can carry (``Method::as_str`` of the core).
METHODS: Tuple[str, ...] = _ces.LIFT_METHODS

Alternative = Literal["two-sided", "larger", "smaller"]
Number = Union[int, float]
#: ``progress(done, total)``: rows computed so far out of the table's rows.
Progress = Callable[[int, int], object]

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def _time(us: int) -> _dt.datetime:
    return _EPOCH + _dt.timedelta(microseconds=us)


def _plain(value: Any) -> Any:
    """JSON-friendly: dataclasses → dicts (private fields left out), tuples and arrays →
    lists, datetimes → ISO 8601 text, timedeltas → seconds, NumPy scalars → Python ones."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not f.name.startswith("_")
        }
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return value.tolist()
    return value


class _Record:
    """``to_dict()`` for the results below."""

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict, recursively, JSON-friendly (tuples and arrays as lists,
        datetimes as ISO 8601 text, timedeltas as seconds; NaN and ±∞ stay floats)."""
        out: dict[str, Any] = _plain(self)
        return out


# ---------------------------------------------------------------------------------------
# Result records.


@dataclasses.dataclass(frozen=True)
class Interval(_Record):
    """A confidence interval with the method that produced it."""

    #: ``wald``, ``agresti_caffo``, ``newcomb``, ``score``, ``log``, ``log_adjusted``,
    #: ``welch_t``, ``ols_cluster``, ``bootstrap`` … (see :data:`METHODS`).
    method: str
    #: Lower bound (may be −∞, or 0 for a ratio whose variance is infinite).
    low: float
    #: Upper bound (may be +∞).
    high: float
    #: Nominal coverage, e.g. 0.95.
    confidence: float


@dataclasses.dataclass(frozen=True)
class Test(_Record):
    """A hypothesis test: its method, statistic and p-value."""

    #: ``pooled_z``, ``wald_z``, ``score_z`` or ``fisher_exact``.
    method: str
    #: The statistic (z, or the odds ratio for Fisher's test).
    statistic: float
    #: The p-value under ``alternative``.
    p_value: float
    #: ``two-sided``, ``larger`` or ``smaller``.
    alternative: str


@dataclasses.dataclass(frozen=True)
class FisherExact(_Record):
    """Fisher's exact test of a 2×2 table (SciPy ``fisher_exact``)."""

    #: The sample odds ratio ``a·d / (b·c)``.
    odds_ratio: float
    #: The p-value under ``alternative``.
    p_value: float
    #: ``two-sided``, ``larger`` or ``smaller``.
    alternative: str


@dataclasses.dataclass(frozen=True)
class Inference(_Record):
    """An estimate with its standard error, test statistic, p-value and interval."""

    #: The point estimate (a difference, a coefficient …).
    estimate: float
    #: Its standard error.
    std_error: float
    #: ``estimate / std_error``.
    statistic: float
    #: The p-value under ``alternative``.
    p_value: float
    #: Degrees of freedom of the Student t reference (``inf``: the standard normal).
    df: float
    #: ``two-sided``, ``larger`` or ``smaller``.
    alternative: str
    #: The interval (half-infinite for a one-sided alternative, as SciPy's).
    interval: Interval
    #: ``p_value < 1 − confidence``.
    significant: bool

    @classmethod
    def _from(cls, d: dict[str, Any]) -> Inference:
        return cls(**{**d, "interval": Interval(**d["interval"])})


@dataclasses.dataclass(frozen=True)
class Arm(_Record):
    """One arm of a conversion test: users, conversions and (optionally) their revenue."""

    #: Users (or units) in the arm: a whole number > 0.
    users: float
    #: Users who converted: a whole number in ``[0, users]``.
    conversions: float
    #: Revenue of the arm (finite ≥ 0), for incremental revenue and iROAS.
    revenue: Optional[float] = None


@dataclasses.dataclass(frozen=True)
class ConversionLift(_Record):
    """The result of :func:`conversion_lift` (the core's ``ConversionLift``, field for field).

    Conventions are statsmodels': the treatment is sample 1, differences are ``p_t − p_c``
    and ratios ``p_t / p_c``.
    """

    #: The treatment (exposed) arm as given.
    treatment: Arm
    #: The control arm as given.
    control: Arm
    #: ``p_t``.
    treatment_rate: float
    #: ``p_c``.
    control_rate: float
    #: ``p_t − p_c``.
    absolute_lift: float
    #: ``p_t / p_c − 1`` (∞ when only the control rate is 0, NaN when both are).
    relative_lift: float
    #: ``x_t − x_c·n_t/n_c``.
    incremental_conversions: float
    #: ``R_t − R_c·n_t/n_c`` when both revenues are given.
    incremental_revenue: Optional[float]
    #: The spend given.
    spend: Optional[float]
    #: Incremental revenue / spend.
    iroas: Optional[float]
    #: Spend / incremental conversions.
    cost_per_incremental_conversion: Optional[float]
    #: Pooled two-proportion z test (``proportions_ztest``).
    pooled_z: Test
    #: Unpooled (Wald) z test.
    wald_z: Test
    #: Miettinen–Nurminen score test.
    score_z: Test
    #: Fisher's exact test, when run (``fisher="auto"``: when some expected cell is < 5).
    fisher: Optional[FisherExact]
    #: The primary test: Fisher's when it ran, else the pooled z test.
    test: Test
    #: Is the primary test significant at ``1 − confidence``?
    significant: bool
    #: The interval of the difference chosen by ``difference_method``.
    difference_interval: Interval
    #: The ratio interval chosen by ``ratio_method``, minus 1.
    relative_lift_interval: Interval
    #: Every interval of the difference: Wald, Agresti–Caffo, Newcomb, score.
    difference_intervals: Tuple[Interval, ...]
    #: Every interval of the ratio ``p_t / p_c``: log, log-adjusted, score.
    ratio_intervals: Tuple[Interval, ...]
    #: Confidence of the intervals.
    confidence: float

    @classmethod
    def _from(cls, d: dict[str, Any]) -> ConversionLift:
        return cls(
            **{
                **d,
                "treatment": Arm(**d["treatment"]),
                "control": Arm(**d["control"]),
                "pooled_z": Test(**d["pooled_z"]),
                "wald_z": Test(**d["wald_z"]),
                "score_z": Test(**d["score_z"]),
                "fisher": None if d["fisher"] is None else FisherExact(**d["fisher"]),
                "test": Test(**d["test"]),
                "difference_interval": Interval(**d["difference_interval"]),
                "relative_lift_interval": Interval(**d["relative_lift_interval"]),
                "difference_intervals": tuple(Interval(**i) for i in d["difference_intervals"]),
                "ratio_intervals": tuple(Interval(**i) for i in d["ratio_intervals"]),
            }
        )


@dataclasses.dataclass(frozen=True)
class Power(_Record):
    """A power calculation (exact two-variance normal power, statsmodels ``normal_power_het``)."""

    #: The probability of rejecting the null when the effect is ``effect``.
    power: float
    #: The effect assumed (absolute).
    effect: float
    #: Standard deviation of the statistic under the null, per √(treatment unit).
    std_null: float
    #: Standard deviation under the alternative, per √(treatment unit).
    std_alternative: float
    #: Treatment units (NaN for :func:`power_from_se`).
    n_treatment: float
    #: Control units (NaN for :func:`power_from_se`).
    n_control: float
    #: ``1 − confidence``.
    alpha: float
    #: ``two-sided``, ``larger`` or ``smaller``.
    alternative: str
    #: ``normal_power``.
    method: str


@dataclasses.dataclass(frozen=True)
class Mde(_Record):
    """A minimum detectable effect."""

    #: The smallest absolute effect detected with the target power (negative for
    #: ``alternative="smaller"``).
    absolute: float
    #: ``absolute / baseline``.
    relative: float
    #: The power at that effect.
    power: float


@dataclasses.dataclass(frozen=True)
class SampleSize(_Record):
    """A sample size."""

    #: The exact (real) treatment size at which power equals the target.
    n_treatment_exact: float
    #: Treatment units to recruit (rounded up).
    n_treatment: int
    #: Control units to recruit: ``ceil(ratio · n_treatment_exact)``.
    n_control: int
    #: Both arms.
    total: int
    #: The power reached with the rounded sizes.
    power: float


@dataclasses.dataclass(frozen=True)
class SampleSummary(_Record):
    """Size, mean and variance (ddof = 1) of a sample."""

    n: float
    mean: float
    variance: float


@dataclasses.dataclass(frozen=True)
class Welch(_Record):
    """Welch's unequal-variance t test of ``mean_t − mean_c`` (SciPy
    ``ttest_ind(equal_var=False)``)."""

    #: The treatment sample.
    treatment: SampleSummary
    #: The control sample.
    control: SampleSummary
    #: The difference of means: Welch's standard error, t statistic with Welch–Satterthwaite
    #: degrees of freedom, p-value and interval.
    inference: Inference
    #: ``mean_t / mean_c − 1``.
    relative_lift: float

    @classmethod
    def _from(cls, d: dict[str, Any]) -> Welch:
        return cls(
            treatment=SampleSummary(**d["treatment"]),
            control=SampleSummary(**d["control"]),
            inference=Inference._from(d["inference"]),
            relative_lift=d["relative_lift"],
        )


@dataclasses.dataclass(frozen=True)
class Ancova(_Record):
    """ANCOVA by OLS (``y ~ 1 + treated + x``): the treated coefficient."""

    #: Classical OLS standard error, t with ``n − 3`` degrees of freedom (``ancova_ols``).
    classical: Inference
    #: HC1 standard error with the normal reference (``ancova_hc1``).
    hc1: Inference
    #: The covariate's coefficient.
    slope: float
    #: ``n − 3``.
    df_resid: float

    @classmethod
    def _from(cls, d: dict[str, Any]) -> Ancova:
        return cls(
            classical=Inference._from(d["classical"]),
            hc1=Inference._from(d["hc1"]),
            slope=d["slope"],
            df_resid=d["df_resid"],
        )


@dataclasses.dataclass(frozen=True)
class Cuped(_Record):
    """CUPED (θ pooled over both groups), with the raw and ANCOVA comparisons."""

    #: ``cov(Y, X) / var(X)`` over all units.
    theta: float
    #: ``1 − var(Y_adj)/var(Y)``.
    variance_reduction: float
    #: Welch's test on ``Y − θ(X − X̄)`` (method ``cuped``).
    adjusted: Welch
    #: Welch's test on ``Y``.
    unadjusted: Welch
    #: ``Y ~ 1 + treated + X`` by OLS.
    ancova: Ancova

    @classmethod
    def _from(cls, d: dict[str, Any]) -> Cuped:
        return cls(
            theta=d["theta"],
            variance_reduction=d["variance_reduction"],
            adjusted=Welch._from(d["adjusted"]),
            unadjusted=Welch._from(d["unadjusted"]),
            ancova=Ancova._from(d["ancova"]),
        )


@dataclasses.dataclass(frozen=True)
class Did2x2(_Record):
    """The 2×2 difference-in-differences (OLS of ``y`` on ``1, treated, post, treated·post``)."""

    #: The treated×post coefficient with the configured standard error, test and interval.
    effect: Inference
    #: Intercept, treated, post, treated×post.
    params: Tuple[float, float, float, float]
    #: The classical standard error of the effect.
    classical_std_error: float
    #: The cluster-robust (by unit) standard error of the effect.
    cluster_std_error: float
    #: Mean outcome per cell, ``cell_means[treated][post]``.
    cell_means: Tuple[Tuple[float, float], Tuple[float, float]]
    #: Rows per cell, ``cell_counts[treated][post]``.
    cell_counts: Tuple[Tuple[int, int], Tuple[int, int]]
    #: Rows.
    n_obs: int
    #: Distinct units (the clusters).
    n_clusters: int
    #: ``effect / (ȳ₁₁ − effect)`` (NaN when that baseline is 0).
    relative_effect: float

    @classmethod
    def _from(cls, d: dict[str, Any]) -> Did2x2:
        return cls(**{**d, "effect": Inference._from(d["effect"])})


@dataclasses.dataclass(frozen=True)
class DidPanel(_Record):
    """Two-way fixed-effects difference-in-differences (``y ~ d + unit FE + period FE``)."""

    #: The coefficient of ``d`` (treated now) with the configured standard error.
    effect: Inference
    #: Classical standard error (σ̂² = RSS/(N − rank)).
    classical_std_error: float
    #: Cluster-robust (by unit) standard error.
    cluster_std_error: float
    #: Rows.
    n_obs: int
    #: Distinct units.
    n_units: int
    #: Distinct periods.
    n_periods: int
    #: Columns of the full design matrix, ``U + T``.
    n_params: int
    #: Clusters (= units).
    n_clusters: int
    #: Rows with ``treated`` true.
    treated_obs: int

    @classmethod
    def _from(cls, d: dict[str, Any]) -> DidPanel:
        return cls(**{**d, "effect": Inference._from(d["effect"])})


@dataclasses.dataclass(frozen=True)
class RatioEstimate(_Record):
    """One arm's ratio ``mean(numerator) / mean(denominator)`` and its delta-method
    standard error."""

    ratio: float
    std_error: float
    #: Units.
    n: int
    numerator_sum: float
    denominator_sum: float


@dataclasses.dataclass(frozen=True)
class RatioBootstrap(_Record):
    """The seeded percentile-bootstrap cross-check of a ratio metric."""

    resamples: int
    seed: int
    #: Standard deviation (ddof = 1) of the replicated differences.
    difference_std_error: float
    #: Percentile interval of the difference (method ``bootstrap``).
    difference_interval: Interval
    #: Percentile interval of the relative lift.
    relative_lift_interval: Interval

    @classmethod
    def _from(cls, d: dict[str, Any]) -> RatioBootstrap:
        return cls(
            **{
                **d,
                "difference_interval": Interval(**d["difference_interval"]),
                "relative_lift_interval": Interval(**d["relative_lift_interval"]),
            }
        )


@dataclasses.dataclass(frozen=True)
class RatioMetric(_Record):
    """A ratio metric compared between two arms (delta method, z tests)."""

    treatment: RatioEstimate
    control: RatioEstimate
    #: ``R_t − R_c``.
    difference: Inference
    #: ``R_t / R_c − 1``.
    relative_lift: Inference
    #: The bootstrap cross-check (None when ``bootstrap=None``).
    bootstrap: Optional[RatioBootstrap]

    @classmethod
    def _from(cls, d: dict[str, Any]) -> RatioMetric:
        return cls(
            treatment=RatioEstimate(**d["treatment"]),
            control=RatioEstimate(**d["control"]),
            difference=Inference._from(d["difference"]),
            relative_lift=Inference._from(d["relative_lift"]),
            bootstrap=None if d["bootstrap"] is None else RatioBootstrap._from(d["bootstrap"]),
        )


@dataclasses.dataclass(frozen=True, eq=False)
class Ccf(_Record):
    """The cross-correlation of exposure and sales at lags ``−max_lag … max_lag``
    (statsmodels ``ccf(…, adjusted=True)``). Descriptive, not causal: shared trends and
    seasonality correlate at every lag."""

    #: Lags (``numpy.int64``); positive: sales after exposure.
    lags: np.ndarray
    #: Cross-correlation at each lag (``numpy.float64``).
    values: np.ndarray
    #: Half-width of the white-noise band, ``Φ⁻¹(1 − α/2)/√n``.
    band: float
    #: Length of the series.
    n: int
    #: The confidence of the band.
    confidence: float
    #: Lags whose |correlation| exceeds the band (no multiple-testing correction).
    significant_lags: Tuple[int, ...]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Ccf):
            return NotImplemented
        import numpy as np

        return (
            np.array_equal(self.lags, other.lags)
            and np.array_equal(self.values, other.values, equal_nan=True)
            and (self.band, self.n, self.confidence, self.significant_lags)
            == (other.band, other.n, other.confidence, other.significant_lags)
        )

    __hash__ = None  # type: ignore[assignment]


@dataclasses.dataclass(frozen=True)
class PanelSpec(_Record):
    """The campaign and calendar of a comparison (times in UTC)."""

    campaign: str
    #: Start of the first pre period.
    pre_start: _dt.datetime
    #: Start of the first post period.
    campaign_start: _dt.datetime
    #: End of the last post period (exclusive).
    end: _dt.datetime
    #: Period length.
    period: _dt.timedelta

    @classmethod
    def _from(cls, d: dict[str, Any]) -> PanelSpec:
        return cls(
            campaign=d["campaign"],
            pre_start=_time(d["pre_start"]),
            campaign_start=_time(d["campaign_start"]),
            end=_time(d["end"]),
            period=_dt.timedelta(microseconds=d["period"]),
        )


@dataclasses.dataclass(frozen=True)
class MmmPrior(_Record):
    """One row of the media-mix prior table: a campaign's incremental effect over its window
    with its standard error and spend."""

    campaign: str
    #: The campaign's channel, or its channels joined with ``+``.
    channel: str
    #: ``sales``, ``transactions`` or ``units``.
    metric: str
    #: Window start (the campaign start), UTC.
    start: _dt.datetime
    #: Window end (exclusive), UTC.
    end: _dt.datetime
    #: The method of the estimate (``ols_cluster`` by default).
    method: str
    #: Incremental outcome over the window.
    effect: float
    std_error: float
    ci_low: float
    ci_high: float
    confidence: float
    #: Spend in the window.
    spend: float
    #: ``effect / spend`` (NaN without spend).
    roi: float
    #: ``std_error / spend``.
    roi_std_error: float
    exposed_units: int
    control_units: int

    @classmethod
    def _from(cls, d: dict[str, Any]) -> MmmPrior:
        return cls(**{**d, "start": _time(d["start"]), "end": _time(d["end"])})


@dataclasses.dataclass(frozen=True)
class CampaignLift(_Record):
    """The lift of one campaign from attribution data (the core's ``CampaignLift``, field for
    field): the 2×2 difference-in-differences per unit and period (primary), the two-way
    fixed-effects panel beside it, incremental outcome, iROAS, power and MDE."""

    spec: PanelSpec
    #: ``sales``, ``transactions`` or ``units``.
    outcome: str
    exposed_units: int
    control_units: int
    periods: int
    pre_periods: int
    #: Campaign spend in the window.
    spend: float
    #: The campaign's channels, sorted.
    channels: Tuple[str, ...]
    #: The 2×2 difference-in-differences (exposed × post, per unit-period).
    did: Did2x2
    #: Two-way fixed effects, treatment from each unit's first exposure.
    panel: DidPanel
    #: The exposed units' counterfactual post mean per unit-period.
    baseline: float
    #: ``effect / baseline``.
    relative_lift: float
    relative_interval: Tuple[float, float]
    #: Incremental outcome over the post window: effect × exposed units × post periods.
    incremental: float
    incremental_std_error: float
    incremental_interval: Tuple[float, float]
    #: Incremental outcome per unit of spend (NaN without spend).
    iroas: float
    #: Power to detect ``mde_relative × baseline``.
    power: Power
    #: The effect per unit-period detectable with ``target_power``.
    mde: float
    #: ``mde / baseline``.
    mde_relative: float
    _native: Any = dataclasses.field(default=None, repr=False, compare=False)

    @classmethod
    def _from(cls, native: Any) -> CampaignLift:
        d = native.fields()
        return cls(
            **{
                **d,
                "spec": PanelSpec._from(d["spec"]),
                "channels": tuple(d["channels"]),
                "did": Did2x2._from(d["did"]),
                "panel": DidPanel._from(d["panel"]),
                "power": Power(**d["power"]),
                "_native": native,
            }
        )

    def mmm_prior(self) -> MmmPrior:
        """The media-mix prior row of this lift (from the 2×2 estimate)."""
        return MmmPrior._from(self._native.mmm_prior())


# ---------------------------------------------------------------------------------------
# Argument conversion.


def _column(values: Any) -> Any:
    """A pandas Series without the Arrow PyCapsule interface (pandas < 2.2) through
    ``pyarrow.Array.from_pandas``; anything else unchanged (the native side converts)."""
    if hasattr(values, "__arrow_c_stream__") or hasattr(values, "__arrow_c_array__"):
        return values
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(values, pandas.Series):
        import pyarrow as pa

        return pa.Array.from_pandas(values)
    return values


def _arm(value: Any, name: str) -> Tuple[Any, Any, Any]:
    if isinstance(value, Arm):
        return (value.users, value.conversions, value.revenue)
    if isinstance(value, Mapping):
        unknown = set(value) - {"users", "conversions", "revenue"}
        if unknown or "users" not in value or "conversions" not in value:
            raise TypeError(
                f"`{name}` must have the keys `users`, `conversions` and optionally `revenue`"
                f" (got {sorted(map(str, value))})"
            )
        return (value["users"], value["conversions"], value.get("revenue"))
    if isinstance(value, (tuple, list)) and len(value) in (2, 3):
        return (value[0], value[1], value[2] if len(value) == 3 else None)
    raise TypeError(
        f"`{name}` must be an Arm, a dict or a (users, conversions[, revenue]) tuple, "
        f"not {type(value).__name__}"
    )


def _summary(value: Any, name: str) -> Tuple[Any, Any, Any]:
    if isinstance(value, SampleSummary):
        return (value.n, value.mean, value.variance)
    if isinstance(value, Mapping):
        if set(value) != {"n", "mean", "variance"}:
            raise TypeError(f"`{name}` must have exactly the keys `n`, `mean` and `variance`")
        return (value["n"], value["mean"], value["variance"])
    if isinstance(value, (tuple, list)) and len(value) == 3:
        return (value[0], value[1], value[2])
    raise TypeError(
        f"`{name}` must be a SampleSummary, a dict or an (n, mean, variance) tuple, "
        f"not {type(value).__name__}"
    )


# ---------------------------------------------------------------------------------------
# Conversion lift.


def conversion_lift(
    treatment: Union[Arm, Mapping[str, Any], Sequence[Any]],
    control: Union[Arm, Mapping[str, Any], Sequence[Any]],
    *,
    confidence: float = 0.95,
    alternative: Alternative = "two-sided",
    spend: Optional[float] = None,
    difference_method: Literal["wald", "agresti_caffo", "newcomb", "score"] = "newcomb",
    ratio_method: Literal["log", "log_adjusted", "score"] = "log_adjusted",
    fisher: Union[Literal["auto", "always", "never"], bool] = "auto",
) -> ConversionLift:
    """Two-group conversion lift with every test and interval.

    ``treatment`` and ``control`` are :class:`Arm`\\ s, dicts (``users``, ``conversions``,
    optional ``revenue``) or tuples ``(users, conversions[, revenue])`` of ints, floats or
    NumPy scalars. ``alternative`` applies to the tests (intervals are two-sided);
    ``difference_method`` picks :attr:`ConversionLift.difference_interval` and
    ``ratio_method`` :attr:`ConversionLift.relative_lift_interval` (every method is
    reported in ``difference_intervals`` and ``ratio_intervals``). ``spend`` gives iROAS
    and the cost per incremental conversion. ``fisher``: ``"auto"`` runs Fisher's exact
    test (then the primary test) when some expected cell count is below 5, ``"always"`` /
    ``True``, ``"never"`` / ``False``.

    Raises :class:`ces.InvalidArgumentError` naming the field (``treatment.users``,
    ``control.conversions``, ``confidence`` …) for a non-whole or negative count, more
    conversions than users, an empty arm, a confidence outside (0, 1); ``TypeError`` for a
    value that is not a number.
    """
    return ConversionLift._from(
        _ces.lift_conversion(
            _arm(treatment, "treatment"),
            _arm(control, "control"),
            confidence=confidence,
            alternative=alternative,
            spend=spend,
            difference_method=difference_method,
            ratio_method=ratio_method,
            fisher=fisher,
        )
    )


def conversion_lift_batch(
    table: Table,
    *,
    columns: Optional[Mapping[str, str]] = None,
    confidence: float = 0.95,
    alternative: Alternative = "two-sided",
    spend: Optional[float] = None,
    difference_method: Literal["wald", "agresti_caffo", "newcomb", "score"] = "newcomb",
    ratio_method: Literal["log", "log_adjusted", "score"] = "log_adjusted",
    fisher: Union[Literal["auto", "always", "never"], bool] = "auto",
    progress: Optional[Progress] = None,
) -> pa.Table:
    """:func:`conversion_lift` of every row of ``table``; a ``pyarrow.Table`` with one row per
    input row, in order.

    ``table`` (pyarrow, polars, pandas, a dict of columns or a list of row dicts) has the
    columns ``n_treatment``, ``conversions_treatment``, ``n_control``,
    ``conversions_control`` (integers or floats), optionally ``revenue_treatment`` and
    ``revenue_control``, and optionally ``spend`` (per row; then ``spend=`` must be None).
    ``columns`` maps these names to the table's own (``{"n_treatment": "users_t"}``).

    A row that cannot be computed (a null count, more conversions than users …) never
    aborts the batch: its result columns are null and ``error_code`` / ``error`` say why,
    naming the row and the column. Columns of the result: ``treatment_rate``,
    ``control_rate``, ``absolute_lift``, ``relative_lift``, ``incremental_conversions``,
    ``incremental_revenue``, ``spend``, ``iroas``, ``cost_per_incremental_conversion``,
    ``pooled_z_statistic``, ``pooled_z_p_value``, ``wald_z_statistic``, ``wald_z_p_value``,
    ``score_z_statistic``, ``score_z_p_value``, ``fisher_odds_ratio``, ``fisher_p_value``
    (null when Fisher's test did not run), ``test_method``, ``test_statistic``, ``p_value``
    (the primary test), ``significant``, ``difference_method``, ``difference_low``,
    ``difference_high``, ``relative_lift_method``, ``relative_lift_low``,
    ``relative_lift_high``, ``difference_<method>_low/high`` for ``wald``,
    ``agresti_caffo``, ``newcomb``, ``score``, ``ratio_<method>_low/high`` for ``log``,
    ``log_adjusted``, ``score``, ``confidence``, ``error_code``, ``error``.

    Runs with the GIL released, in chunks of 4,096 rows (each chunk in parallel; rows with
    different per-row ``spend`` values are computed one by one);
    ``progress(done, total)`` is called on the calling thread after each chunk (the last call
    is ``(total, total)``; never for an empty table). An exception it raises (or
    ``KeyboardInterrupt``) stops the batch and propagates.
    """
    return _ces.lift_conversion_batch(
        _table(table),
        columns=columns,
        confidence=confidence,
        alternative=alternative,
        spend=spend,
        difference_method=difference_method,
        ratio_method=ratio_method,
        fisher=fisher,
        progress=progress,
    )


def fisher_exact(table: Any, alternative: Alternative = "two-sided") -> FisherExact:
    """Fisher's exact test of the 2×2 table of counts ``[[a, b], [c, d]]`` (rows: treatment
    converted / not, control converted / not), as SciPy's ``fisher_exact``. ``table`` is a
    nested sequence or a 2×2 NumPy array of non-negative ints."""
    return FisherExact(**_ces.lift_fisher_exact(table, alternative=alternative))


# ---------------------------------------------------------------------------------------
# Planning.


def power_proportions(
    baseline: float,
    effect: float,
    n_treatment: float,
    n_control: float,
    *,
    confidence: float = 0.95,
    alternative: Alternative = "two-sided",
) -> Power:
    """Power of the two-proportion z test of control rate ``baseline`` against treatment rate
    ``baseline + effect`` (statsmodels ``power_proportions_2indep``)."""
    return Power(
        **_ces.lift_power_proportions(
            baseline, effect, n_treatment, n_control, confidence=confidence, alternative=alternative
        )
    )


def mde_proportions(
    baseline: float,
    n_treatment: float,
    n_control: float,
    *,
    power: float = 0.8,
    confidence: float = 0.95,
    alternative: Alternative = "two-sided",
) -> Mde:
    """The smallest absolute lift ``p_t − p_c`` detected with probability ``power`` (by root
    finding on the exact power; downwards for ``alternative="smaller"``)."""
    return Mde(
        **_ces.lift_mde_proportions(
            baseline,
            n_treatment,
            n_control,
            power=power,
            confidence=confidence,
            alternative=alternative,
        )
    )


def sample_size_proportions(
    baseline: float,
    effect: float,
    *,
    ratio: float = 1.0,
    power: float = 0.8,
    confidence: float = 0.95,
    alternative: Alternative = "two-sided",
) -> SampleSize:
    """Treatment units (and ``ratio ×`` as many control units) for the test of ``baseline``
    against ``baseline + effect`` to reach ``power``."""
    return SampleSize(
        **_ces.lift_sample_size_proportions(
            baseline, effect, ratio=ratio, power=power, confidence=confidence, alternative=alternative
        )
    )


def power_means(
    effect: float,
    sd_treatment: float,
    sd_control: float,
    n_treatment: float,
    n_control: float,
    *,
    confidence: float = 0.95,
    alternative: Alternative = "two-sided",
) -> Power:
    """Power of the two-sample z test of a difference of means ``effect`` with standard
    deviations ``sd_treatment`` and ``sd_control``."""
    return Power(
        **_ces.lift_power_means(
            effect,
            sd_treatment,
            sd_control,
            n_treatment,
            n_control,
            confidence=confidence,
            alternative=alternative,
        )
    )


def mde_means(
    baseline: float,
    sd_treatment: float,
    sd_control: float,
    n_treatment: float,
    n_control: float,
    *,
    power: float = 0.8,
    confidence: float = 0.95,
    alternative: Alternative = "two-sided",
) -> Mde:
    """The minimum detectable difference of means (``relative`` = ``absolute / baseline``,
    ``baseline`` being the control mean)."""
    return Mde(
        **_ces.lift_mde_means(
            baseline,
            sd_treatment,
            sd_control,
            n_treatment,
            n_control,
            power=power,
            confidence=confidence,
            alternative=alternative,
        )
    )


def sample_size_means(
    effect: float,
    sd_treatment: float,
    sd_control: float,
    *,
    ratio: float = 1.0,
    power: float = 0.8,
    confidence: float = 0.95,
    alternative: Alternative = "two-sided",
) -> SampleSize:
    """Sample size to detect a difference of means ``effect``."""
    return SampleSize(
        **_ces.lift_sample_size_means(
            effect,
            sd_treatment,
            sd_control,
            ratio=ratio,
            power=power,
            confidence=confidence,
            alternative=alternative,
        )
    )


def power_from_se(
    effect: float,
    std_error: float,
    *,
    confidence: float = 0.95,
    alternative: Alternative = "two-sided",
) -> Power:
    """Power of a z test whose estimator has standard error ``std_error`` (a DiD estimate, a
    ratio metric …) to detect a true effect ``effect``."""
    return Power(
        **_ces.lift_power_from_se(effect, std_error, confidence=confidence, alternative=alternative)
    )


# ---------------------------------------------------------------------------------------
# Continuous metrics.


def welch(
    treatment: Column,
    control: Column,
    *,
    confidence: float = 0.95,
    alternative: Alternative = "two-sided",
) -> Welch:
    """Welch's t test of ``mean(treatment) − mean(control)`` (SciPy
    ``ttest_ind(equal_var=False)`` and its ``confidence_interval``). Samples are numeric
    columns of at least 2 finite values."""
    return Welch._from(
        _ces.lift_welch(
            _column(treatment), _column(control), confidence=confidence, alternative=alternative
        )
    )


def welch_from_summary(
    treatment: Union[SampleSummary, Mapping[str, float], Sequence[float]],
    control: Union[SampleSummary, Mapping[str, float], Sequence[float]],
    *,
    confidence: float = 0.95,
    alternative: Alternative = "two-sided",
) -> Welch:
    """Welch's t test from summaries: :class:`SampleSummary`, dicts or ``(n, mean,
    variance)`` tuples (variance with divisor ``n − 1``)."""
    return Welch._from(
        _ces.lift_welch_from_summary(
            _summary(treatment, "treatment"),
            _summary(control, "control"),
            confidence=confidence,
            alternative=alternative,
        )
    )


def cuped(
    y: Column,
    x: Column,
    treated: Column,
    *,
    confidence: float = 0.95,
    alternative: Alternative = "two-sided",
) -> Cuped:
    """CUPED: Welch's test on ``y − θ(x − x̄)`` with θ pooled over both groups, beside the raw
    comparison and ANCOVA. ``treated`` is a column of booleans (or 0/1)."""
    return Cuped._from(
        _ces.lift_cuped(
            _column(y), _column(x), _column(treated), confidence=confidence, alternative=alternative
        )
    )


def ancova(
    y: Column,
    x: Column,
    treated: Column,
    *,
    confidence: float = 0.95,
    alternative: Alternative = "two-sided",
) -> Ancova:
    """ANCOVA: OLS of ``y`` on ``1, treated, x`` (statsmodels ``OLS``), classical and HC1
    standard errors of the treated coefficient."""
    return Ancova._from(
        _ces.lift_ancova(
            _column(y), _column(x), _column(treated), confidence=confidence, alternative=alternative
        )
    )


# ---------------------------------------------------------------------------------------
# Difference-in-differences.

Covariance = Literal["cluster", "classical"]
Reference = Literal["t", "normal"]


def _did_args(first: Any, rest: Sequence[Any]) -> Tuple[Any, list[Any]]:
    if all(r is None for r in rest):
        return _table(first), list(rest)
    return _column(first), [None if r is None else _column(r) for r in rest]


def did_2x2(
    unit: Union[Column, Table],
    treated: Optional[Column] = None,
    post: Optional[Column] = None,
    y: Optional[Column] = None,
    *,
    columns: Optional[Mapping[str, str]] = None,
    confidence: float = 0.95,
    alternative: Alternative = "two-sided",
    covariance: Covariance = "cluster",
    reference: Reference = "t",
) -> Did2x2:
    """The 2×2 difference-in-differences: OLS of ``y`` on ``1, treated, post, treated·post``
    with standard errors clustered by ``unit`` (``covariance="cluster"``, statsmodels'
    ``cov_type="cluster"`` with its small-sample factor) or classical, against Student t
    (``reference="t"``: G − 1 degrees of freedom for clusters) or the normal.

    Give four columns, or a table alone with the columns ``unit``, ``treated``, ``post`` and
    ``y`` (``columns`` maps these names to the table's own). Unit ids may be ints or strings
    (strings are coded by their sorted order, so the result does not depend on the row
    order); ``treated`` and ``post`` are booleans or 0/1; ``y`` numbers.
    """
    first, rest = _did_args(unit, (treated, post, y))
    return Did2x2._from(
        _ces.lift_did_2x2(
            first,
            *rest,
            columns=columns,
            confidence=confidence,
            alternative=alternative,
            covariance=covariance,
            reference=reference,
        )
    )


def did_panel(
    unit: Union[Column, Table],
    period: Optional[Column] = None,
    treated: Optional[Column] = None,
    y: Optional[Column] = None,
    *,
    columns: Optional[Mapping[str, str]] = None,
    confidence: float = 0.95,
    alternative: Alternative = "two-sided",
    covariance: Covariance = "cluster",
    reference: Reference = "t",
) -> DidPanel:
    """Two-way fixed-effects difference-in-differences: OLS of ``y`` on ``treated`` (treated
    now), unit and period fixed effects, standard errors as for :func:`did_2x2`. Periods
    may be ints, strings, dates or timestamps; the panel may be unbalanced. Four columns, or
    a table alone with ``unit``, ``period``, ``treated`` and ``y`` (mapped by ``columns``).
    """
    first, rest = _did_args(unit, (period, treated, y))
    return DidPanel._from(
        _ces.lift_did_panel(
            first,
            *rest,
            columns=columns,
            confidence=confidence,
            alternative=alternative,
            covariance=covariance,
            reference=reference,
        )
    )


# ---------------------------------------------------------------------------------------
# Ratio metrics and cross-correlation.


def ratio_metric(
    treatment_numerator: Column,
    treatment_denominator: Column,
    control_numerator: Column,
    control_denominator: Column,
    *,
    confidence: float = 0.95,
    alternative: Alternative = "two-sided",
    bootstrap: Optional[int] = 2000,
    seed: int = 20251124,
) -> RatioMetric:
    """A ratio metric (items per basket, revenue per order, category share) compared between
    two arms: one numerator and one denominator per unit of randomisation. Delta-method
    standard errors of the difference and of the relative lift with z tests; ``bootstrap``
    resamples (≥ 100, None to skip) of a seeded percentile bootstrap as a cross-check
    (identical for a seed, whatever the number of threads)."""
    return RatioMetric._from(
        _ces.lift_ratio_metric(
            _column(treatment_numerator),
            _column(treatment_denominator),
            _column(control_numerator),
            _column(control_denominator),
            confidence=confidence,
            alternative=alternative,
            bootstrap=bootstrap,
            seed=seed,
        )
    )


def ccf(exposure: Column, sales: Column, max_lag: int, *, confidence: float = 0.95) -> Ccf:
    """Cross-correlation of ``exposure`` and ``sales`` at lags ``−max_lag … max_lag``:
    lag ``k ≥ 0`` pairs exposure at ``t`` with sales at ``t + k``. Descriptive, not causal."""
    import numpy as np

    d = _ces.lift_ccf(_column(exposure), _column(sales), max_lag, confidence=confidence)
    return Ccf(
        lags=np.asarray(d["lags"], dtype=np.int64),
        values=np.asarray(d["values"], dtype=np.float64),
        band=d["band"],
        n=d["n"],
        confidence=d["confidence"],
        significant_lags=tuple(d["significant_lags"]),
    )


# ---------------------------------------------------------------------------------------
# From attribution data.

Outcome = Literal["sales", "transactions", "units"]
#: A period: a ``timedelta``, an int number of microseconds, or text (``"7d"``, ``"12h"``,
#: ``"2w"``).
Period = Union[_dt.timedelta, int, str]


def campaign_lift(
    exposures: Table,
    transactions: Table,
    *,
    campaign: str,
    pre_start: _dt.datetime,
    campaign_start: _dt.datetime,
    end: _dt.datetime,
    period: Period = "7d",
    outcome: Outcome = "sales",
    key: str = "key",
    confidence: float = 0.95,
    alternative: Alternative = "two-sided",
    covariance: Covariance = "cluster",
    reference: Reference = "t",
    mde_relative: float = 0.05,
    target_power: float = 0.8,
    assume_zone: Optional[str] = None,
) -> CampaignLift:
    """The lift of ``campaign`` from attribution data: units (the match key ``key``: stores,
    geographies, customers) exposed to the campaign before ``end`` against the others,
    before and after ``campaign_start``, by the 2×2 difference-in-differences on the unit ×
    period panel (see :func:`store_panel`), with the two-way fixed-effects panel beside it.

    ``exposures`` and ``transactions`` are the tables of :func:`ces.attribution.attribute`,
    converted the same way (same columns, same errors). Times are ``datetime``\\ s with a
    time zone (naive ones need ``assume_zone``); ``campaign_start − pre_start`` must be a
    whole number of periods. :meth:`CampaignLift.mmm_prior` and :func:`mmm_priors` give the
    media-mix prior.
    """
    return CampaignLift._from(
        _ces.lift_campaign(
            _table(exposures),
            _table(transactions),
            campaign=campaign,
            pre_start=pre_start,
            campaign_start=campaign_start,
            end=end,
            period=period,
            outcome=outcome,
            key=key,
            confidence=confidence,
            alternative=alternative,
            covariance=covariance,
            reference=reference,
            mde_relative=mde_relative,
            target_power=target_power,
            assume_zone=assume_zone,
        )
    )


def store_panel(
    exposures: Table,
    transactions: Table,
    *,
    campaign: str,
    pre_start: _dt.datetime,
    campaign_start: _dt.datetime,
    end: _dt.datetime,
    period: Period = "7d",
    outcome: Outcome = "sales",
    key: str = "key",
    assume_zone: Optional[str] = None,
) -> pa.Table:
    """The unit × period panel behind :func:`campaign_lift`, as a ``pyarrow.Table``:
    ``unit`` (the match key, as text), ``period`` (0 = the first pre period), ``exposed``,
    ``post``, ``treated_now`` (exposed, from the period of the unit's first campaign
    exposure), ``outcome`` (0 for a unit-period without transactions: the panel is
    balanced). Units are in ascending key order. The schema metadata holds
    ``ces.exposed_units``, ``ces.control_units``, ``ces.periods``, ``ces.pre_periods``,
    ``ces.spend``, ``ces.exposures_without_cost`` and ``ces.channels`` (a JSON list)."""
    return _ces.lift_store_panel(
        _table(exposures),
        _table(transactions),
        campaign=campaign,
        pre_start=pre_start,
        campaign_start=campaign_start,
        end=end,
        period=period,
        outcome=outcome,
        key=key,
        assume_zone=assume_zone,
    )


def conversion_groups(
    exposures: Table,
    transactions: Table,
    *,
    campaign: str,
    pre_start: _dt.datetime,
    campaign_start: _dt.datetime,
    end: _dt.datetime,
    period: Period = "7d",
    key: str = "key",
    assume_zone: Optional[str] = None,
) -> Tuple[Arm, Arm]:
    """The ``(treatment, control)`` arms of a conversion test over match keys: a key is
    exposed when it has an exposure of ``campaign`` before ``end``; it converts when it has a
    transaction in ``[campaign_start, end)``; ``revenue`` sums those transactions. Feed them
    to :func:`conversion_lift`."""
    t, c = _ces.lift_conversion_groups(
        _table(exposures),
        _table(transactions),
        campaign=campaign,
        pre_start=pre_start,
        campaign_start=campaign_start,
        end=end,
        period=period,
        key=key,
        assume_zone=assume_zone,
    )
    return Arm(**t), Arm(**c)


def mmm_priors(lifts: Sequence[CampaignLift]) -> pa.Table:
    """The media-mix prior table: one row per :class:`CampaignLift`, in order, with
    ``campaign``, ``channel``, ``metric``, ``start``, ``end`` (timestamp[us, UTC]),
    ``method``, ``effect`` (incremental outcome over the window), ``std_error``,
    ``ci_low``, ``ci_high``, ``confidence``, ``spend``, ``roi``, ``roi_std_error``,
    ``exposed_units``, ``control_units``."""
    if isinstance(lifts, CampaignLift):
        lifts = [lifts]
    natives = []
    for i, lift in enumerate(lifts):
        if not isinstance(lift, CampaignLift):
            raise TypeError(f"`lifts[{i}]` must be a CampaignLift, not {type(lift).__name__}")
        natives.append(lift._native)
    return _ces.lift_mmm_priors(natives)


# ---------------------------------------------------------------------------------------
# Experiment definitions.


@dataclasses.dataclass(frozen=True)
class Variant(_Record):
    """One arm of an experiment."""

    #: Its name, unique within the experiment.
    name: str
    #: Share of traffic, in percent (the variants' weights sum to 100).
    traffic_weight: float
    #: Is it the control? Exactly one variant is.
    is_control: bool = False


@dataclasses.dataclass(frozen=True)
class ExperimentDefinition(_Record):
    """An experiment definition: what is tested, on which metric, with which variants.

    :meth:`validate` has the core check it: a key and a metric, at least two variants with
    distinct non-empty names, exactly one control, weights in [0, 100] summing to 100,
    confidence in (0, 1), MDE > 0, ``start ≤ end``.
    """

    #: Unique key (e.g. ``"2025-q3-retail-launch"``).
    key: str
    #: Human name.
    name: str
    #: ``conversion``, ``continuous``, ``ratio``, ``diff_in_diff`` or ``panel``.
    test_type: Literal["conversion", "continuous", "ratio", "diff_in_diff", "panel"]
    #: The metric (``conversion_rate``, ``revenue_per_user``, ``basket_size`` …).
    metric: str
    #: The variants.
    variants: Tuple[Variant, ...]
    #: The campaign under test, if any.
    campaign: Optional[str] = None
    #: Confidence level.
    confidence: float = 0.95
    #: The minimum detectable effect it was planned for.
    mde: float = 0.05
    #: Whether ``mde`` is ``relative`` (0.05 = +5 %) or ``absolute``.
    mde_kind: Literal["relative", "absolute"] = "relative"
    #: The alternative hypothesis.
    alternative: Alternative = "two-sided"
    #: Start, if scheduled (a ``datetime`` with a time zone).
    start: Optional[_dt.datetime] = None
    #: End, if scheduled.
    end: Optional[_dt.datetime] = None

    def __post_init__(self) -> None:
        if isinstance(self.variants, list):
            object.__setattr__(self, "variants", tuple(self.variants))

    def validate(self, *, assume_zone: Optional[str] = None) -> None:
        """Raise :class:`ces.InvalidArgumentError` naming the field (``variants[1].name``,
        ``variants.traffic_weight``, ``confidence`` …) if the definition is not valid;
        ``TypeError`` for a field of the wrong type."""
        if isinstance(self.variants, (str, bytes)) or not isinstance(self.variants, Sequence):
            raise TypeError(
                f"`variants` must be a sequence of Variant, not {type(self.variants).__name__}"
            )
        variants = []
        for i, v in enumerate(self.variants):
            if not isinstance(v, Variant):
                raise TypeError(f"`variants[{i}]` must be a Variant, not {type(v).__name__}")
            variants.append((v.name, v.is_control, v.traffic_weight))
        _ces.lift_validate_experiment(
            key=self.key,
            name=self.name,
            test_type=self.test_type,
            metric=self.metric,
            campaign=self.campaign,
            variants=variants,
            confidence=self.confidence,
            mde=self.mde,
            mde_kind=self.mde_kind,
            alternative=self.alternative,
            start=self.start,
            end=self.end,
            assume_zone=assume_zone,
        )
