//! Brand resolution from Python: thin wrappers over [`ces::brands`].
//!
//! Arguments are converted (tables and columns through [`crate::tables`]), the core is
//! called with the interpreter detached, errors go through [`crate::error`], and results
//! come back as frozen classes (`Decision`, `Candidate`, …) or, for batches, Arrow tables.
//! No resolution rule lives here.

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, UInt64Array};
use arrow_schema::{Field, Schema};
use ces::CesError;
use ces::brands::{
    Accuracy, AliasRecord, AliasType, BrandRecord, CalibrationReport, Candidate, Catalog,
    CatalogSpec, Decision, Normalized, NormalizerSpec, Quantity, RESOLVER_VERSION, Resolver,
    ResolverConfig, Step, TriageItem, TriageQueue,
};
use ces::error::Row;
use ces::trgm::Metric;
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple, PyType};

use crate::error::{Error, Result};
use crate::tables::{self, Table, invalid, missing};
use crate::{as_text, metric_arg, threshold_arg};

/// Rows resolved between two `progress` calls (and interrupt checks) of `resolve_batch`.
const BATCH_CHUNK: usize = 4096;

/// `repr(value)` as Python writes it.
fn repr<'py, T: IntoPyObject<'py>>(py: Python<'py>, value: T) -> PyResult<String> {
    let obj = value.into_bound_py_any(py)?;
    Ok(obj.repr()?.to_string())
}

/// A list-like argument of text (`generic_words`, normaliser steps): an Arrow string column
/// or an iterable of `str`.
pub(crate) fn text_items(obj: &Bound<'_, PyAny>, field: &'static str) -> Result<Vec<String>> {
    if tables::is_arrow(obj)? {
        let chunks = crate::column(obj, field)?;
        return crate::strings(&chunks, field)?
            .into_iter()
            .enumerate()
            .map(|(row, s)| s.map(str::to_owned).ok_or_else(|| missing(field, row)))
            .collect();
    }
    let expected = "a list of str (or an Arrow string column)";
    if tables::is_text(obj) {
        return Err(Error::wrong_type(field, expected, obj));
    }
    let items = obj
        .try_iter()
        .map_err(|_| Error::wrong_type(field, expected, obj))?;
    items
        .map(|item| Ok(as_text(&item?, field)?.to_string()))
        .collect()
}

/// The `normalizer` argument: `"default"`, `"pg_trgm"` or a list of step names.
fn normalizer_spec(obj: Option<&Bound<'_, PyAny>>) -> Result<NormalizerSpec> {
    let Some(obj) = obj else {
        return Ok(NormalizerSpec::default());
    };
    if obj.is_instance_of::<PyString>() {
        let name = as_text(obj, "normalizer")?;
        return match &*name {
            "default" => Ok(NormalizerSpec::default()),
            "pg_trgm" => Ok(NormalizerSpec::pg_trgm_compatible()),
            other => Err(CesError::InvalidArgument {
                row: Row(None),
                field: "normalizer".into(),
                value: format!("{other:?}"),
                reason: "expected \"default\", \"pg_trgm\" or a list of step names".into(),
            }
            .into()),
        };
    }
    Ok(NormalizerSpec::from_names(&text_items(obj, "normalizer")?)?)
}

/// `brands` rows: `id` and `name` required, `threshold` optional.
fn brand_records(table: &Table) -> Result<Vec<BrandRecord>> {
    let (ids, names) = (table.required("id")?, table.required("name")?);
    let thresholds = match table.column("threshold") {
        Some(c) => tables::floats(&c, "brands.threshold")?,
        None => vec![None; table.len()],
    };
    tables::ints(&ids, "brands.id")?
        .into_iter()
        .zip(crate::strings(&names, "brands.name")?)
        .zip(thresholds)
        .enumerate()
        .map(|(row, ((id, name), threshold))| {
            Ok(BrandRecord {
                id: id.ok_or_else(|| missing("brands.id", row))?,
                name: name.ok_or_else(|| missing("brands.name", row))?.to_owned(),
                threshold,
            })
        })
        .collect()
}

/// `aliases` rows: `brand_id` and `alias` required, `alias_type` (null → `variant`) and
/// `threshold` optional.
fn alias_records(table: &Table) -> Result<Vec<AliasRecord>> {
    let (ids, aliases) = (table.required("brand_id")?, table.required("alias")?);
    let kinds_chunks = table.column("alias_type");
    let kinds = match &kinds_chunks {
        Some(c) => crate::strings(c, "aliases.alias_type")?,
        None => vec![None; table.len()],
    };
    let thresholds = match table.column("threshold") {
        Some(c) => tables::floats(&c, "aliases.threshold")?,
        None => vec![None; table.len()],
    };
    tables::ints(&ids, "aliases.brand_id")?
        .into_iter()
        .zip(crate::strings(&aliases, "aliases.alias")?)
        .zip(kinds.into_iter().zip(thresholds))
        .enumerate()
        .map(|(row, ((brand_id, alias), (kind, threshold)))| {
            let alias_type = match kind {
                None => AliasType::default(),
                Some(kind) => kind.parse::<AliasType>().map_err(|_| {
                    invalid(
                        "aliases.alias_type",
                        row,
                        format!("{kind:?}"),
                        &format!(
                            "expected one of {}",
                            AliasType::ALL.map(AliasType::name).join(", ")
                        ),
                    )
                })?,
            };
            Ok(AliasRecord {
                brand_id: brand_id.ok_or_else(|| missing("aliases.brand_id", row))?,
                alias: alias
                    .ok_or_else(|| missing("aliases.alias", row))?
                    .to_owned(),
                alias_type,
                threshold,
            })
        })
        .collect()
}

fn brand_dict<'py>(py: Python<'py>, b: &BrandRecord) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("id", b.id)?;
    d.set_item("name", &b.name)?;
    d.set_item("threshold", b.threshold)?;
    Ok(d)
}

fn alias_dict<'py>(py: Python<'py>, a: &AliasRecord) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("brand_id", a.brand_id)?;
    d.set_item("alias", &a.alias)?;
    d.set_item("alias_type", a.alias_type.name())?;
    d.set_item("threshold", a.threshold)?;
    Ok(d)
}

/// A validated, normalised brand catalog: master brands, their aliases, generic words and
/// the normaliser. Build once, share across resolvers and threads.
///
/// `brands` and `aliases` are tables: a pyarrow ``Table``/``RecordBatch``, a polars or pandas
/// ``DataFrame`` (anything with ``__arrow_c_stream__``), a ``dict`` of columns, or a list of
/// row ``dict``s. Columns of `brands`: ``id`` (int), ``name`` (str), optional ``threshold``
/// (float or null: this brand's fuzzy threshold). Columns of `aliases`: ``brand_id``,
/// ``alias``, optional ``alias_type`` (``canonical``, ``variant`` (default), ``full_name``,
/// ``uppercase``, ``abbreviation``, ``ticker``, ``misspelling``, ``phonetic``) and
/// ``threshold``. Other columns are ignored. `generic_words` never resolve automatically.
/// `normalizer` is ``"default"``, ``"pg_trgm"`` (no normalisation) or a list of step names
/// (see ``NORMALIZER_STEPS``).
///
/// Errors name the row and column (``row 3: invalid value for `brands.id`: 7 (duplicate
/// brand id (first at row 1))``) and are ``CesError`` subclasses. Catalogs pickle (rebuilt
/// from their rows, same fingerprint).
#[pyclass(frozen, module = "ces", name = "Catalog")]
pub(crate) struct PyCatalog {
    inner: Arc<Catalog>,
}

#[pymethods]
impl PyCatalog {
    #[new]
    #[pyo3(
        signature = (brands, aliases = None, generic_words = None, normalizer = None),
        text_signature = "(brands, aliases=None, generic_words=(), normalizer='default')"
    )]
    fn new(
        py: Python<'_>,
        brands: &Bound<'_, PyAny>,
        aliases: Option<&Bound<'_, PyAny>>,
        generic_words: Option<&Bound<'_, PyAny>>,
        normalizer: Option<&Bound<'_, PyAny>>,
    ) -> Result<Self> {
        let spec = CatalogSpec {
            brands: brand_records(&Table::from_py(brands, "brands")?)?,
            aliases: match aliases {
                Some(a) => alias_records(&Table::from_py(a, "aliases")?)?,
                None => Vec::new(),
            },
            generic_words: match generic_words {
                Some(w) => text_items(w, "generic_words")?,
                None => Vec::new(),
            },
            normalizer: normalizer_spec(normalizer)?,
        };
        let catalog = py.detach(|| Catalog::new(spec))?;
        Ok(PyCatalog {
            inner: Arc::new(catalog),
        })
    }

    /// A stable 16-hex-digit fingerprint of the content and normaliser, recorded in every
    /// decision.
    #[getter]
    fn fingerprint(&self) -> &str {
        self.inner.fingerprint()
    }

    /// Number of brands.
    #[getter]
    fn brand_count(&self) -> usize {
        self.inner.brands().len()
    }

    /// Number of matchable texts (brand names and distinct aliases).
    #[getter]
    fn entry_count(&self) -> usize {
        self.inner.entries().len()
    }

    /// The normaliser's steps, in order.
    #[getter]
    fn normalizer(&self) -> Vec<&'static str> {
        self.inner
            .spec()
            .normalizer
            .steps
            .iter()
            .map(|s| s.name())
            .collect()
    }

    /// The generic words, as given.
    #[getter]
    fn generic_words(&self) -> Vec<String> {
        self.inner.spec().generic_words.clone()
    }

    /// The brands, as row dicts (``id``, ``name``, ``threshold``).
    fn brands<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        for b in self.inner.brands() {
            out.append(brand_dict(py, b)?)?;
        }
        Ok(out)
    }

    /// The aliases, as row dicts (``brand_id``, ``alias``, ``alias_type``, ``threshold``).
    fn aliases<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        for a in &self.inner.spec().aliases {
            out.append(alias_dict(py, a)?)?;
        }
        Ok(out)
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyType>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let this = slf.get();
        let args = (
            this.brands(py)?,
            this.aliases(py)?,
            this.generic_words(),
            this.normalizer(),
        )
            .into_pyobject(py)?;
        Ok((slf.get_type(), args))
    }

    fn __repr__(&self) -> String {
        format!(
            "Catalog(brands={}, entries={}, fingerprint='{}')",
            self.inner.brands().len(),
            self.inner.entries().len(),
            self.inner.fingerprint()
        )
    }
}

/// `top_k` as a count (negative → `InvalidArgumentError`, like 0).
fn top_k_arg(obj: &Bound<'_, PyAny>) -> PyResult<usize> {
    let k = obj
        .extract::<i64>()
        .map_err(|_| Error::wrong_type("top_k", "an int", obj))?;
    Ok(usize::try_from(k).map_err(|_| {
        Error::from(CesError::InvalidArgument {
            row: Row(None),
            field: "top_k".into(),
            value: k.to_string(),
            reason: "must be at least 1".into(),
        })
    })?)
}

fn optional_number(obj: &Bound<'_, PyAny>, field: &'static str) -> PyResult<Option<f64>> {
    if obj.is_none() {
        return Ok(None);
    }
    Ok(Some(obj.extract::<f64>().map_err(|_| {
        Error::wrong_type(field, "a number or None", obj)
    })?))
}

fn margin_arg(obj: &Bound<'_, PyAny>) -> PyResult<Option<f64>> {
    optional_number(obj, "ambiguity_margin")
}

fn suggestion_arg(obj: &Bound<'_, PyAny>) -> PyResult<Option<f64>> {
    optional_number(obj, "suggestion_threshold")
}

/// Resolves brand text against a catalog: exact name → exact alias → fuzzy (pg_trgm
/// score), with a `Decision` for every input.
///
/// `threshold` is the fuzzy threshold (brand and alias overrides win); `metric` is
/// ``"similarity"`` or ``"word_similarity"`` (input as needle) or
/// ``"strict_word_similarity"``; a runner-up brand within `ambiguity_margin` of the best
/// makes the decision ``ambiguous`` (None: never); `top_k` candidates are kept; candidates
/// scoring at least `suggestion_threshold` (None: only passing ones) are kept as
/// suggestions; `block_generic_words` keeps the catalog's generic words unresolved. Invalid
/// settings raise ``InvalidThresholdError`` / ``InvalidArgumentError`` naming the argument.
/// Resolvers pickle (with their catalog).
#[pyclass(frozen, module = "ces", name = "Resolver")]
pub(crate) struct PyResolver {
    inner: Resolver,
    catalog: Py<PyCatalog>,
}

impl PyResolver {
    fn build(catalog: &Bound<'_, PyAny>, config: ResolverConfig) -> Result<Self> {
        let py = catalog.py();
        let catalog = catalog
            .cast::<PyCatalog>()
            .map_err(|_| Error::wrong_type("catalog", "a ces.Catalog", catalog))?;
        let shared = Arc::clone(&catalog.get().inner);
        let inner = py.detach(|| Resolver::new(shared, config))?;
        Ok(PyResolver {
            inner,
            catalog: catalog.clone().unbind(),
        })
    }
}

#[pymethods]
impl PyResolver {
    #[new]
    #[pyo3(signature = (
        catalog,
        threshold = 0.72,
        metric = Metric::Similarity,
        ambiguity_margin = Some(0.02),
        top_k = 3,
        suggestion_threshold = Some(0.3),
        block_generic_words = true,
    ), text_signature = "(catalog, threshold=0.72, metric='similarity', ambiguity_margin=0.02, \
                          top_k=3, suggestion_threshold=0.3, block_generic_words=True)")]
    #[allow(clippy::too_many_arguments)]
    fn new(
        catalog: &Bound<'_, PyAny>,
        #[pyo3(from_py_with = threshold_arg)] threshold: f64,
        #[pyo3(from_py_with = metric_arg)] metric: Metric,
        #[pyo3(from_py_with = margin_arg)] ambiguity_margin: Option<f64>,
        #[pyo3(from_py_with = top_k_arg)] top_k: usize,
        #[pyo3(from_py_with = suggestion_arg)] suggestion_threshold: Option<f64>,
        block_generic_words: bool,
    ) -> Result<Self> {
        Self::build(
            catalog,
            ResolverConfig {
                threshold,
                metric,
                ambiguity_margin,
                top_k,
                suggestion_threshold,
                block_generic_words,
            },
        )
    }

    /// The resolver that makes the same decisions as the classic SQL ``WHERE name % $1
    /// ORDER BY similarity(name, $1) DESC, id LIMIT 1`` at `threshold`: no ambiguity rule, no
    /// generic-word rule, no suggestions, one candidate. Use it with a catalog built with
    /// ``normalizer="pg_trgm"``.
    #[staticmethod]
    #[pyo3(signature = (catalog, threshold = 0.72))]
    fn pg_trgm_compatible(
        catalog: &Bound<'_, PyAny>,
        #[pyo3(from_py_with = threshold_arg)] threshold: f64,
    ) -> Result<Self> {
        Self::build(catalog, ResolverConfig::pg_trgm_compatible(threshold))
    }

    /// Resolves one text (``str``) to a `Decision`.
    fn resolve(&self, py: Python<'_>, text: &Bound<'_, PyAny>) -> Result<PyDecision> {
        let text = as_text(text, "text")?;
        Ok(PyDecision(py.detach(|| self.inner.resolve(&text))))
    }

    /// Resolves every row of a string column (pyarrow, polars, pandas, or a list of
    /// ``str``/``None``) and returns a ``pyarrow.Table`` with one decision per row, in order.
    ///
    /// Columns: ``input``, ``normalized``, ``method``, ``status``, ``brand_id`` (int64),
    /// ``brand_name``, ``matched_text``, ``score`` (float32), ``runner_up_brand_id``,
    /// ``runner_up_score``, ``margin``, ``threshold`` (float64), ``reason``, ``quantities``
    /// (list of structs ``raw, value, unit, canonical_value, canonical_unit, pack_count``),
    /// ``candidates`` (list of structs ``brand_id, brand_name, matched_text, alias_type,
    /// score, threshold``), ``shared_trigrams``, ``missing_trigrams`` (lists of str),
    /// ``resolver_version``, ``catalog_fingerprint``.
    ///
    /// A null row gives a row with null ``input`` and ``normalized``, status ``unresolved``,
    /// method ``none`` and reason ``"null input"``. Runs in parallel with the GIL released;
    /// the result does not depend on the number of threads. `progress(done, total)` is
    /// called after every chunk of rows (the last call is ``(total, total)``; never for an
    /// empty column); an exception it raises (or ``KeyboardInterrupt``) stops the batch and
    /// propagates.
    #[pyo3(signature = (column, progress = None))]
    fn resolve_batch(
        &self,
        py: Python<'_>,
        column: &Bound<'_, PyAny>,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> Result<Py<PyAny>> {
        let chunks = tables::column_arg(column, "column")?;
        let progress = match progress {
            Some(p) if !p.is_callable() => {
                return Err(Error::wrong_type("progress", "a callable or None", p));
            }
            p => p.map(|p| p.clone().unbind()),
        };
        let resolver = &self.inner;
        let batch = py.detach(|| -> Result<RecordBatch> {
            let rows = crate::strings(&chunks, "column")?;
            let total = rows.len();
            let mut decisions: Vec<Option<Decision>> = Vec::with_capacity(total);
            for chunk in rows.chunks(BATCH_CHUNK) {
                let present: Vec<&str> = chunk.iter().flatten().copied().collect();
                let mut resolved = resolver.resolve_batch(&present, None).into_iter();
                decisions.extend(chunk.iter().map(|row| row.and_then(|_| resolved.next())));
                let done = decisions.len();
                Python::attach(|py| -> PyResult<()> {
                    py.check_signals()?;
                    if let Some(p) = &progress {
                        p.call1(py, (done, total))?;
                    }
                    Ok(())
                })?;
            }
            tables::decision_batch(
                &decisions,
                resolver.config().threshold,
                resolver.catalog().fingerprint(),
            )
        })?;
        tables::to_pyarrow(py, batch)
    }

    /// The catalog.
    #[getter]
    fn catalog(&self, py: Python<'_>) -> Py<PyCatalog> {
        self.catalog.clone_ref(py)
    }

    /// The fuzzy threshold.
    #[getter]
    fn threshold(&self) -> f64 {
        self.inner.config().threshold
    }

    /// The fuzzy metric.
    #[getter]
    fn metric(&self) -> &'static str {
        self.inner.config().metric.name()
    }

    /// The ambiguity margin (None: never ambiguous by margin).
    #[getter]
    fn ambiguity_margin(&self) -> Option<f64> {
        self.inner.config().ambiguity_margin
    }

    /// Candidates kept per decision.
    #[getter]
    fn top_k(&self) -> usize {
        self.inner.config().top_k
    }

    /// The suggestion threshold (None: only passing candidates).
    #[getter]
    fn suggestion_threshold(&self) -> Option<f64> {
        self.inner.config().suggestion_threshold
    }

    /// Do generic words stay unresolved?
    #[getter]
    fn block_generic_words(&self) -> bool {
        self.inner.config().block_generic_words
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyType>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let this = slf.get();
        let c = this.inner.config();
        let args = (
            this.catalog.clone_ref(py),
            c.threshold,
            c.metric.name(),
            c.ambiguity_margin,
            c.top_k,
            c.suggestion_threshold,
            c.block_generic_words,
        )
            .into_pyobject(py)?;
        Ok((slf.get_type(), args))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let c = self.inner.config();
        Ok(format!(
            "Resolver(threshold={}, metric='{}', ambiguity_margin={}, top_k={}, \
             suggestion_threshold={}, block_generic_words={}, catalog='{}')",
            repr(py, c.threshold)?,
            c.metric.name(),
            repr(py, c.ambiguity_margin)?,
            c.top_k,
            repr(py, c.suggestion_threshold)?,
            repr(py, c.block_generic_words)?,
            self.inner.catalog().fingerprint(),
        ))
    }
}

/// A size, volume, weight or pack count found in brand text (``raw``, ``value``, ``unit``,
/// ``canonical_value`` in ``canonical_unit`` (``ml``, ``g`` or ``count``), ``pack_count``).
#[pyclass(frozen, eq, module = "ces", name = "Quantity")]
#[derive(PartialEq)]
pub(crate) struct PyQuantity(Quantity);

#[pymethods]
impl PyQuantity {
    /// The text it was read from (``1,5 L``, ``6x330ml``).
    #[getter]
    fn raw(&self) -> &str {
        &self.0.raw
    }
    /// The number as written (for ``6x330ml``, the unit size 330).
    #[getter]
    fn value(&self) -> f64 {
        self.0.value
    }
    /// The unit as written, lower-cased.
    #[getter]
    fn unit(&self) -> &str {
        &self.0.unit
    }
    /// `value` in the canonical unit.
    #[getter]
    fn canonical_value(&self) -> f64 {
        self.0.canonical_value
    }
    /// ``ml``, ``g`` or ``count``.
    #[getter]
    fn canonical_unit(&self) -> &'static str {
        self.0.canonical_unit
    }
    /// Units per pack (6 for ``6x330ml``), or None.
    #[getter]
    fn pack_count(&self) -> Option<u32> {
        self.0.pack_count
    }
    /// The fields as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        quantity_dict(py, &self.0)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Quantity({})", fields_repr(&self.to_dict(py)?)?))
    }
}

fn quantity_dict<'py>(py: Python<'py>, q: &Quantity) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("raw", &q.raw)?;
    d.set_item("value", q.value)?;
    d.set_item("unit", &q.unit)?;
    d.set_item("canonical_value", q.canonical_value)?;
    d.set_item("canonical_unit", q.canonical_unit)?;
    d.set_item("pack_count", q.pack_count)?;
    Ok(d)
}

/// `key=repr(value), …` of a dict, for `__repr__`.
fn fields_repr(d: &Bound<'_, PyDict>) -> PyResult<String> {
    let mut parts = Vec::with_capacity(d.len());
    for (k, v) in d.iter() {
        parts.push(format!("{k}={}", v.repr()?));
    }
    Ok(parts.join(", "))
}

fn quantities_list<'py>(py: Python<'py>, qs: &[Quantity]) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for q in qs {
        out.append(quantity_dict(py, q)?)?;
    }
    Ok(out)
}

/// What the normaliser made of a text: ``text`` and the ``quantities`` pulled out of it.
#[pyclass(frozen, eq, module = "ces", name = "Normalized")]
#[derive(PartialEq)]
pub(crate) struct PyNormalized(Normalized);

#[pymethods]
impl PyNormalized {
    /// The normalised text.
    #[getter]
    fn text(&self) -> &str {
        &self.0.text
    }
    /// The quantities found (empty unless the ``quantities`` step ran).
    #[getter]
    fn quantities(&self) -> Vec<PyQuantity> {
        self.0.quantities.iter().cloned().map(PyQuantity).collect()
    }
    /// The fields as a dict (quantities as dicts).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("text", &self.0.text)?;
        d.set_item("quantities", quantities_list(py, &self.0.quantities)?)?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Normalized(text={}, quantities={})",
            repr(py, &self.0.text)?,
            repr(py, self.quantities())?
        ))
    }
}

/// Normalises `text` with `normalizer` (``"default"``, ``"pg_trgm"`` or a list of step
/// names, as for `Catalog`): a `Normalized` with the text and the quantities found.
#[pyfunction]
#[pyo3(signature = (text, normalizer = None), text_signature = "(text, normalizer='default')")]
fn normalize(
    py: Python<'_>,
    text: &Bound<'_, PyAny>,
    normalizer: Option<&Bound<'_, PyAny>>,
) -> Result<PyNormalized> {
    let normalizer = normalizer_spec(normalizer)?.build()?;
    let text = as_text(text, "text")?;
    Ok(PyNormalized(py.detach(|| normalizer.apply(&text))))
}

/// A candidate brand with its best-scoring catalog text.
#[pyclass(frozen, eq, module = "ces", name = "Candidate")]
#[derive(PartialEq)]
pub(crate) struct PyCandidate(Candidate);

#[pymethods]
impl PyCandidate {
    /// Brand id.
    #[getter]
    fn brand_id(&self) -> i64 {
        self.0.brand_id
    }
    /// Brand name.
    #[getter]
    fn brand_name(&self) -> &str {
        &self.0.brand_name
    }
    /// The catalog text that scored (the name or an alias), as loaded.
    #[getter]
    fn matched_text(&self) -> &str {
        &self.0.matched_text
    }
    /// Its alias type (``canonical`` for the brand's name).
    #[getter]
    fn alias_type(&self) -> &'static str {
        self.0.alias_type.name()
    }
    /// The score (the float32 pg_trgm value; 1.0 for exact and alias matches).
    #[getter]
    fn score(&self) -> f32 {
        self.0.score
    }
    /// The threshold this candidate had to reach.
    #[getter]
    fn threshold(&self) -> f64 {
        self.0.threshold
    }
    /// The fields as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        candidate_dict(py, &self.0)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Candidate({})", fields_repr(&self.to_dict(py)?)?))
    }
}

fn candidate_dict<'py>(py: Python<'py>, c: &Candidate) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("brand_id", c.brand_id)?;
    d.set_item("brand_name", &c.brand_name)?;
    d.set_item("matched_text", &c.matched_text)?;
    d.set_item("alias_type", c.alias_type.name())?;
    d.set_item("score", c.score)?;
    d.set_item("threshold", c.threshold)?;
    Ok(d)
}

fn candidates_list<'py>(py: Python<'py>, cs: &[Candidate]) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for c in cs {
        out.append(candidate_dict(py, c)?)?;
    }
    Ok(out)
}

fn candidates(cs: &[Candidate]) -> Vec<PyCandidate> {
    cs.iter().cloned().map(PyCandidate).collect()
}

/// Everything the resolver decided about one input, and why. ``status`` is ``resolved``,
/// ``ambiguous`` or ``unresolved``; ``method`` is ``exact``, ``alias``, ``fuzzy`` or
/// ``none``; ``reason`` says why a decision is not ``resolved`` (or which tie-break fired).
#[pyclass(frozen, eq, module = "ces", name = "Decision")]
#[derive(PartialEq)]
pub(crate) struct PyDecision(Decision);

#[pymethods]
impl PyDecision {
    /// The raw input, never altered.
    #[getter]
    fn input(&self) -> &str {
        &self.0.input
    }
    /// The input after the catalog's normaliser.
    #[getter]
    fn normalized(&self) -> &str {
        &self.0.normalized
    }
    /// Quantities pulled out of the input.
    #[getter]
    fn quantities(&self) -> Vec<PyQuantity> {
        self.0.quantities.iter().cloned().map(PyQuantity).collect()
    }
    /// Which rule decided: ``exact``, ``alias``, ``fuzzy`` or ``none``.
    #[getter]
    fn method(&self) -> &'static str {
        self.0.method.name()
    }
    /// ``resolved``, ``ambiguous`` or ``unresolved``.
    #[getter]
    fn status(&self) -> &'static str {
        self.0.status.name()
    }
    /// The chosen brand (``resolved``) or the leading one (``ambiguous``).
    #[getter]
    fn brand_id(&self) -> Option<i64> {
        self.0.brand_id
    }
    /// Its name.
    #[getter]
    fn brand_name(&self) -> Option<&str> {
        self.0.brand_name.as_deref()
    }
    /// The catalog text that matched.
    #[getter]
    fn matched_text(&self) -> Option<&str> {
        self.0.matched_text.as_deref()
    }
    /// The winning score.
    #[getter]
    fn score(&self) -> Option<f32> {
        self.0.score
    }
    /// The best other brand.
    #[getter]
    fn runner_up(&self) -> Option<PyCandidate> {
        self.0.runner_up.clone().map(PyCandidate)
    }
    /// ``score - runner_up.score``.
    #[getter]
    fn margin(&self) -> Option<f32> {
        self.0.margin
    }
    /// The threshold applied to the winner.
    #[getter]
    fn threshold(&self) -> f64 {
        self.0.threshold
    }
    /// Up to ``top_k`` candidate brands, best first.
    #[getter]
    fn candidates(&self) -> Vec<PyCandidate> {
        candidates(&self.0.candidates)
    }
    /// Trigrams shared by the normalised input and the matched text.
    #[getter]
    fn shared_trigrams(&self) -> Vec<String> {
        self.0.shared_trigrams.clone()
    }
    /// Trigrams of the normalised input missing from the matched text.
    #[getter]
    fn missing_trigrams(&self) -> Vec<String> {
        self.0.missing_trigrams.clone()
    }
    /// Why the decision is not ``resolved`` (or which tie-break fired).
    #[getter]
    fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    /// The resolver's version.
    #[getter]
    fn resolver_version(&self) -> &'static str {
        self.0.resolver_version
    }
    /// The catalog's fingerprint.
    #[getter]
    fn catalog_fingerprint(&self) -> &str {
        &self.0.catalog_fingerprint
    }
    /// Every field as a dict (``runner_up``, ``candidates`` and ``quantities`` as dicts).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = &self.0;
        let out = PyDict::new(py);
        out.set_item("input", &d.input)?;
        out.set_item("normalized", &d.normalized)?;
        out.set_item("quantities", quantities_list(py, &d.quantities)?)?;
        out.set_item("method", d.method.name())?;
        out.set_item("status", d.status.name())?;
        out.set_item("brand_id", d.brand_id)?;
        out.set_item("brand_name", d.brand_name.as_deref())?;
        out.set_item("matched_text", d.matched_text.as_deref())?;
        out.set_item("score", d.score)?;
        out.set_item(
            "runner_up",
            d.runner_up
                .as_ref()
                .map(|r| candidate_dict(py, r))
                .transpose()?,
        )?;
        out.set_item("margin", d.margin)?;
        out.set_item("threshold", d.threshold)?;
        out.set_item("candidates", candidates_list(py, &d.candidates)?)?;
        out.set_item("shared_trigrams", &d.shared_trigrams)?;
        out.set_item("missing_trigrams", &d.missing_trigrams)?;
        out.set_item("reason", d.reason.as_deref())?;
        out.set_item("resolver_version", d.resolver_version)?;
        out.set_item("catalog_fingerprint", &d.catalog_fingerprint)?;
        Ok(out)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let d = &self.0;
        Ok(format!(
            "Decision(input={}, status='{}', method='{}', brand_id={}, brand_name={}, \
             score={}, reason={})",
            repr(py, &d.input)?,
            d.status.name(),
            d.method.name(),
            repr(py, d.brand_id)?,
            repr(py, d.brand_name.as_deref())?,
            repr(py, d.score)?,
            repr(py, d.reason.as_deref())?,
        ))
    }
}

/// Decisions from a table of them (what `Resolver.resolve_batch` returns; at least a
/// ``status`` column) or an iterable of `Decision`s.
fn decisions_arg(obj: &Bound<'_, PyAny>, field: &'static str) -> Result<Vec<Decision>> {
    if tables::is_arrow(obj)? {
        return tables::decisions_from_table(&Table::from_py(obj, field)?);
    }
    let expected = "a table of decisions or a list of ces.Decision";
    if tables::is_text(obj) || obj.is_instance_of::<PyDecision>() {
        return Err(Error::wrong_type(field, expected, obj));
    }
    let items = obj
        .try_iter()
        .map_err(|_| Error::wrong_type(field, expected, obj))?;
    items
        .map(|item| {
            let item = item?;
            let d = item
                .cast::<PyDecision>()
                .map_err(|_| Error::wrong_type(field, expected, &item))?;
            Ok(d.get().0.clone())
        })
        .collect()
}

/// One distinct normalised input awaiting a person: how often and when it was seen, up to
/// three raw samples, the resolver's suggestions, and where it stands (``open``, ``mapped``
/// or ``ignored``).
#[pyclass(frozen, eq, module = "ces", name = "TriageItem")]
#[derive(PartialEq)]
pub(crate) struct PyTriageItem(TriageItem);

#[pymethods]
impl PyTriageItem {
    /// The normalised form (the key).
    #[getter]
    fn normalized(&self) -> &str {
        &self.0.normalized
    }
    /// How often it was seen.
    #[getter]
    fn count(&self) -> u64 {
        self.0.count
    }
    /// First time seen (the caller's clock).
    #[getter]
    fn first_seen(&self) -> i64 {
        self.0.first_seen
    }
    /// Last time seen.
    #[getter]
    fn last_seen(&self) -> i64 {
        self.0.last_seen
    }
    /// Up to three raw inputs, as first seen.
    #[getter]
    fn samples(&self) -> Vec<String> {
        self.0.samples.clone()
    }
    /// The resolver's verdict when last seen (``unresolved`` or ``ambiguous``).
    #[getter]
    fn last_status(&self) -> &'static str {
        self.0.last_status.name()
    }
    /// Best suggestions (one per brand), best first.
    #[getter]
    fn suggestions(&self) -> Vec<PyCandidate> {
        candidates(&self.0.suggestions)
    }
    /// ``open``, ``mapped`` or ``ignored``.
    #[getter]
    fn status(&self) -> &'static str {
        self.0.status.name()
    }
    /// The brand it was mapped to.
    #[getter]
    fn mapped_brand_id(&self) -> Option<i64> {
        self.0.mapped_brand_id
    }
    /// The fields as a dict (suggestions as dicts).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let i = &self.0;
        let d = PyDict::new(py);
        d.set_item("normalized", &i.normalized)?;
        d.set_item("count", i.count)?;
        d.set_item("first_seen", i.first_seen)?;
        d.set_item("last_seen", i.last_seen)?;
        d.set_item("samples", &i.samples)?;
        d.set_item("last_status", i.last_status.name())?;
        d.set_item("suggestions", candidates_list(py, &i.suggestions)?)?;
        d.set_item("status", i.status.name())?;
        d.set_item("mapped_brand_id", i.mapped_brand_id)?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let i = &self.0;
        Ok(format!(
            "TriageItem(normalized={}, count={}, status='{}', last_status='{}', \
             mapped_brand_id={})",
            repr(py, &i.normalized)?,
            i.count,
            i.status.name(),
            i.last_status.name(),
            repr(py, i.mapped_brand_id)?,
        ))
    }
}

/// Unresolved and ambiguous inputs grouped by normalised form, for a person to map (which
/// yields an alias to add to the catalog) or ignore. Resolved decisions and inputs without
/// text are not queued.
#[pyclass(module = "ces", name = "TriageQueue")]
#[derive(Default)]
pub(crate) struct PyTriageQueue(TriageQueue);

fn normalized_arg(obj: &Bound<'_, PyAny>) -> Result<String> {
    Ok(as_text(obj, "normalized")?.to_string())
}

#[pymethods]
impl PyTriageQueue {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// Adds `decision` (a `Decision`) seen at `seen_at` (your clock, e.g. epoch seconds).
    /// Returns whether it was queued.
    fn record(&mut self, decision: &Bound<'_, PyAny>, seen_at: i64) -> Result<bool> {
        let d = decision
            .cast::<PyDecision>()
            .map_err(|_| Error::wrong_type("decision", "a ces.Decision", decision))?;
        Ok(self.0.record(&d.get().0, seen_at))
    }

    /// Adds every decision of `decisions` (the table `Resolver.resolve_batch` returns, or a
    /// list of `Decision`) seen at `seen_at`. Returns how many were queued.
    fn record_batch(&mut self, decisions: &Bound<'_, PyAny>, seen_at: i64) -> Result<usize> {
        let mut queued = 0;
        for d in decisions_arg(decisions, "decisions")? {
            if self.0.record(&d, seen_at) {
                queued += 1;
            }
        }
        Ok(queued)
    }

    /// Every item, most frequent first (then by normalised form).
    fn items(&self) -> Vec<PyTriageItem> {
        self.0
            .items()
            .into_iter()
            .cloned()
            .map(PyTriageItem)
            .collect()
    }

    /// Open items only, most frequent first.
    fn open(&self) -> Vec<PyTriageItem> {
        self.0
            .open()
            .into_iter()
            .cloned()
            .map(PyTriageItem)
            .collect()
    }

    /// The item for a normalised form, or None.
    fn get(&self, normalized: &Bound<'_, PyAny>) -> Result<Option<PyTriageItem>> {
        Ok(self
            .0
            .get(&normalized_arg(normalized)?)
            .cloned()
            .map(PyTriageItem))
    }

    /// Maps the item to `brand_id`; returns the alias to add to the catalog as a row dict
    /// (``brand_id``, ``alias`` (the normalised form), ``alias_type`` ``"variant"``,
    /// ``threshold`` None). Accepting again for the same brand returns the same alias; a
    /// different brand, or an unknown item, raises ``InvalidArgumentError``.
    fn accept<'py>(
        &mut self,
        py: Python<'py>,
        normalized: &Bound<'py, PyAny>,
        brand_id: i64,
    ) -> Result<Bound<'py, PyDict>> {
        let alias = self.0.accept(&normalized_arg(normalized)?, brand_id)?;
        Ok(alias_dict(py, &alias)?)
    }

    /// Marks the item ignored (``InvalidArgumentError`` for an unknown item).
    fn reject(&mut self, normalized: &Bound<'_, PyAny>) -> Result<()> {
        Ok(self.0.reject(&normalized_arg(normalized)?)?)
    }

    fn __len__(&self) -> usize {
        self.0.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "TriageQueue(items={}, open={})",
            self.0.len(),
            self.0.open().len()
        )
    }
}

/// Precision, recall and F1 of ``score >= threshold`` at thresholds 0.00, 0.01, …, 1.00.
#[pyclass(frozen, module = "ces", name = "CalibrationReport")]
pub(crate) struct PyCalibrationReport(CalibrationReport);

#[pymethods]
impl PyCalibrationReport {
    /// One row per threshold, ascending, as a ``pyarrow.Table``: ``threshold`` (float64),
    /// ``true_positives``, ``false_positives``, ``false_negatives`` (uint64), ``precision``,
    /// ``recall``, ``f1`` (float64, null where undefined).
    #[getter]
    fn rows(&self, py: Python<'_>) -> Result<Py<PyAny>> {
        let rows = &self.0.rows;
        let columns: [(&str, ArrayRef, bool); 7] = [
            (
                "threshold",
                Arc::new(Float64Array::from_iter_values(
                    rows.iter().map(|r| r.threshold),
                )),
                false,
            ),
            (
                "true_positives",
                Arc::new(UInt64Array::from_iter_values(
                    rows.iter().map(|r| r.true_positives),
                )),
                false,
            ),
            (
                "false_positives",
                Arc::new(UInt64Array::from_iter_values(
                    rows.iter().map(|r| r.false_positives),
                )),
                false,
            ),
            (
                "false_negatives",
                Arc::new(UInt64Array::from_iter_values(
                    rows.iter().map(|r| r.false_negatives),
                )),
                false,
            ),
            (
                "precision",
                Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.precision))),
                true,
            ),
            (
                "recall",
                Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.recall))),
                true,
            ),
            (
                "f1",
                Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.f1))),
                true,
            ),
        ];
        let schema = Schema::new(
            columns
                .iter()
                .map(|(name, a, nullable)| Field::new(*name, a.data_type().clone(), *nullable))
                .collect::<Vec<_>>(),
        );
        let arrays = columns.into_iter().map(|(_, a, _)| a).collect();
        tables::to_pyarrow(py, RecordBatch::try_new(Arc::new(schema), arrays)?)
    }

    /// Index into `rows` of the best F1 (ties: the highest threshold), or None when no F1
    /// is defined.
    #[getter]
    fn best(&self) -> Option<usize> {
        self.0.best
    }

    /// The threshold with the best F1, or None.
    #[getter]
    fn best_threshold(&self) -> Option<f64> {
        self.best_row().map(|r| r.threshold)
    }

    /// The best F1, or None.
    #[getter]
    fn best_f1(&self) -> Option<f64> {
        self.best_row().and_then(|r| r.f1)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "CalibrationReport(best_threshold={}, best_f1={})",
            repr(py, self.best_threshold())?,
            repr(py, self.best_f1())?
        ))
    }
}

impl PyCalibrationReport {
    fn best_row(&self) -> Option<&ces::brands::CalibrationRow> {
        self.0.best.and_then(|i| self.0.rows.get(i))
    }
}

/// Sweeps thresholds 0.00 … 1.00 over labelled scores: `scores` (floats) and `labels`
/// (bools, or 1/0), aligned row by row: lists, NumPy arrays or Arrow columns. A score counts
/// as a predicted match when ``score >= threshold`` (compared as PostgreSQL does). Nulls
/// raise ``MissingValueError`` naming the row; different lengths ``LengthMismatchError``.
#[pyfunction]
fn calibrate(
    py: Python<'_>,
    scores: &Bound<'_, PyAny>,
    labels: &Bound<'_, PyAny>,
) -> Result<PyCalibrationReport> {
    let scores = tables::floats(&tables::column_arg(scores, "scores")?, "scores")?;
    let labels = tables::bools(&tables::column_arg(labels, "labels")?, "labels")?;
    if scores.len() != labels.len() {
        return Err(CesError::LengthMismatch {
            left_field: "scores".into(),
            left_len: scores.len(),
            right_field: "labels".into(),
            right_len: labels.len(),
        }
        .into());
    }
    let scored = scores
        .into_iter()
        .zip(labels)
        .enumerate()
        .map(|(row, (score, label))| {
            Ok((
                score.ok_or_else(|| missing("scores", row))? as f32,
                label.ok_or_else(|| missing("labels", row))?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(PyCalibrationReport(
        py.detach(|| ces::brands::calibrate(&scored)),
    ))
}

/// Accuracy of decisions against the truth.
#[pyclass(frozen, eq, module = "ces", name = "Accuracy")]
#[derive(PartialEq)]
pub(crate) struct PyAccuracy(Accuracy);

#[pymethods]
impl PyAccuracy {
    /// Resolved to the true brand.
    #[getter]
    fn correct(&self) -> u64 {
        self.0.correct
    }
    /// Resolved to a wrong brand, or resolved although no brand is meant.
    #[getter]
    fn wrong(&self) -> u64 {
        self.0.wrong
    }
    /// A brand was meant but the decision is not ``resolved``.
    #[getter]
    fn missed(&self) -> u64 {
        self.0.missed
    }
    /// No brand was meant and none was resolved.
    #[getter]
    fn correctly_unresolved(&self) -> u64 {
        self.0.correctly_unresolved
    }
    /// ``correct / (correct + wrong)``, or None.
    #[getter]
    fn precision(&self) -> Option<f64> {
        self.0.precision
    }
    /// ``correct / inputs that name a brand``, or None.
    #[getter]
    fn recall(&self) -> Option<f64> {
        self.0.recall
    }
    /// The fields as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let a = &self.0;
        let d = PyDict::new(py);
        d.set_item("correct", a.correct)?;
        d.set_item("wrong", a.wrong)?;
        d.set_item("missed", a.missed)?;
        d.set_item("correctly_unresolved", a.correctly_unresolved)?;
        d.set_item("precision", a.precision)?;
        d.set_item("recall", a.recall)?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Accuracy({})", fields_repr(&self.to_dict(py)?)?))
    }
}

/// Scores decisions (the table `Resolver.resolve_batch` returns, or a list of `Decision`)
/// against `truth`: the brand id each input really names, or None for no brand (a list or
/// an Arrow integer column, aligned row by row).
#[pyfunction]
fn evaluate(decisions: &Bound<'_, PyAny>, truth: &Bound<'_, PyAny>) -> Result<PyAccuracy> {
    let decisions = decisions_arg(decisions, "decisions")?;
    let truth = tables::ints(&tables::column_arg(truth, "truth")?, "truth")?;
    if decisions.len() != truth.len() {
        return Err(CesError::LengthMismatch {
            left_field: "decisions".into(),
            left_len: decisions.len(),
            right_field: "truth".into(),
            right_len: truth.len(),
        }
        .into());
    }
    Ok(PyAccuracy(ces::brands::evaluate(&decisions, &truth)))
}

/// Adds the brand-resolution classes, functions and constants to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<PyCatalog>()?;
    m.add_class::<PyResolver>()?;
    m.add_class::<PyDecision>()?;
    m.add_class::<PyCandidate>()?;
    m.add_class::<PyQuantity>()?;
    m.add_class::<PyNormalized>()?;
    m.add_class::<PyTriageQueue>()?;
    m.add_class::<PyTriageItem>()?;
    m.add_class::<PyCalibrationReport>()?;
    m.add_class::<PyAccuracy>()?;
    m.add_function(wrap_pyfunction!(normalize, m)?)?;
    m.add_function(wrap_pyfunction!(calibrate, m)?)?;
    m.add_function(wrap_pyfunction!(evaluate, m)?)?;
    m.add("RESOLVER_VERSION", RESOLVER_VERSION)?;
    m.add(
        "NORMALIZER_STEPS",
        PyTuple::new(py, Step::ALL.map(Step::name))?,
    )?;
    m.add(
        "DEFAULT_NORMALIZER",
        PyTuple::new(py, NormalizerSpec::default().steps.iter().map(|s| s.name()))?,
    )?;
    m.add(
        "ALIAS_TYPES",
        PyTuple::new(py, AliasType::ALL.map(AliasType::name))?,
    )?;
    // The core's defaults, so tests can check the signature defaults above never drift.
    let d = ces::brands::ResolverConfig::default();
    let defaults = pyo3::types::PyDict::new(py);
    defaults.set_item("threshold", d.threshold)?;
    defaults.set_item("metric", d.metric.name())?;
    defaults.set_item("ambiguity_margin", d.ambiguity_margin)?;
    defaults.set_item("top_k", d.top_k)?;
    defaults.set_item("suggestion_threshold", d.suggestion_threshold)?;
    defaults.set_item("block_generic_words", d.block_generic_words)?;
    m.add("RESOLVER_DEFAULTS", defaults)?;
    Ok(())
}
