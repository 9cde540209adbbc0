//! Attribution from Python: thin wrappers over [`ces::attribution`].
//!
//! Arguments are converted here (windows, models, time zones, the range), tables through
//! [`crate::attribution_tables`]; the core runs with the interpreter detached (attached again
//! only for the `progress` callback and interrupt checks), errors go through
//! [`crate::error`], and results come back as Arrow tables, which the Python facade
//! (`python/ces/attribution.py`) wraps with frozen dataclasses. No attribution rule lives
//! here.

use ces::CesError;
use ces::attribution::{
    Attribution, AttributionConfig, Dimension, ExposureTable, Interaction,
    MAX_EXACT_SHAPLEY_CHANNELS, MAX_WINDOW_SECONDS, Model, PathTable, TransactionTable, Tz,
    UNATTRIBUTED, Window, WindowMode, Windows, attribute_with_progress, heuristics, markov,
    shapley_exact_values, shapley_simplified,
};
use ces::error::Row;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::as_text;
use crate::attribution_tables as at;
use crate::error::{Error, Result};
use crate::tables::{self, Table};

/// `InvalidArgumentError` for `value` of `field` (no row).
pub(crate) fn invalid(field: &str, value: String, reason: impl Into<String>) -> Error {
    CesError::InvalidArgument {
        row: Row(None),
        field: field.into(),
        value,
        reason: reason.into(),
    }
    .into()
}

pub(crate) fn repr(obj: &Bound<'_, PyAny>) -> String {
    obj.repr().map_or_else(|_| "?".into(), |r| r.to_string())
}

/// A `bool` argument (only `True` or `False`).
fn flag(obj: &Bound<'_, PyAny>, field: &str) -> Result<bool> {
    obj.cast::<PyBool>()
        .map(|b| b.is_true())
        .map_err(|_| Error::wrong_type_named(field, "a bool", obj))
}

fn click_beats_view_arg(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(flag(obj, "click_beats_view")?)
}

fn text_arg(obj: &Bound<'_, PyAny>, field: &'static str) -> Result<String> {
    Ok(as_text(obj, field)?.to_string())
}

fn key_arg(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(text_arg(obj, "key")?)
}

fn zone_arg(obj: &Bound<'_, PyAny>) -> PyResult<Tz> {
    Ok(at::zone(&text_arg(obj, "zone")?, "zone")?)
}

fn assume_zone_arg(obj: &Bound<'_, PyAny>) -> PyResult<Option<Tz>> {
    if obj.is_none() {
        return Ok(None);
    }
    Ok(Some(at::zone(
        &text_arg(obj, "assume_zone")?,
        "assume_zone",
    )?))
}

fn progress_arg(obj: &Bound<'_, PyAny>) -> PyResult<Option<Py<PyAny>>> {
    if obj.is_none() {
        return Ok(None);
    }
    if !obj.is_callable() {
        return Err(Error::wrong_type("progress", "a callable or None", obj).into());
    }
    Ok(Some(obj.clone().unbind()))
}

fn mode_arg(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(text_arg(obj, "mode")?)
}

fn dimension_arg(obj: &Bound<'_, PyAny>) -> PyResult<Dimension> {
    Ok(Dimension::parse(&as_text(obj, "by")?).map_err(Error::from)?)
}

fn sep_arg(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    let sep = text_arg(obj, "sep")?;
    if sep.is_empty() {
        return Err(invalid("sep", "\"\"".into(), "the separator must not be empty").into());
    }
    Ok(sep)
}

// ----------------------------------------------------------------------------------------
// Durations, windows and models.

/// A duration in seconds: a `datetime.timedelta`, a number of seconds (an `int`; a `float`
/// too unless `whole`), or text such as `30d`, `12h`, `90m`, `45s` or `2w`. With `whole`,
/// fractions of a second are an `InvalidArgumentError`.
fn seconds(obj: &Bound<'_, PyAny>, field: &str, whole: bool) -> Result<f64> {
    let py = obj.py();
    let expected = if whole {
        "a datetime.timedelta, an int number of seconds or a string such as '30d', '12h', \
         '90m' or '45s'"
    } else {
        "a datetime.timedelta, a number of seconds or a string such as '7d', '12h', '90m' or \
         '45s'"
    };
    if obj.is_instance_of::<PyBool>() {
        return Err(Error::wrong_type_named(field, expected, obj));
    }
    if obj.is_instance_of::<PyInt>() {
        let v = obj
            .extract::<i64>()
            .map_err(|_| invalid(field, repr(obj), "out of range"))?;
        return Ok(v as f64);
    }
    if obj.is_instance_of::<PyFloat>() && !whole {
        return Ok(obj.extract::<f64>()?);
    }
    if obj.is_instance_of::<PyString>() {
        let text = as_text(obj, "window")?;
        let t = text.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (digits, unit) = t.split_at(split);
        let per = match unit.trim() {
            "d" => 86_400,
            "h" => 3_600,
            "m" => 60,
            "s" => 1,
            "w" => 7 * 86_400,
            _ => 0,
        };
        return match digits.parse::<i64>() {
            Ok(n) if per > 0 => n
                .checked_mul(per)
                .map(|s| s as f64)
                .ok_or_else(|| invalid(field, format!("{t:?}"), "out of range")),
            _ => Err(invalid(
                field,
                format!("{t:?}"),
                "expected a whole number and a unit: d, h, m, s or w (e.g. '30d')",
            )),
        };
    }
    let timedelta = py
        .import(intern!(py, "datetime"))?
        .getattr(intern!(py, "timedelta"))?;
    if obj.is_instance(&timedelta)? {
        let part = |name: &Bound<'_, PyString>| -> PyResult<i64> { obj.getattr(name)?.extract() };
        let (days, secs, micros) = (
            part(intern!(py, "days"))?,
            part(intern!(py, "seconds"))?,
            part(intern!(py, "microseconds"))?,
        );
        if whole && micros != 0 {
            return Err(invalid(
                field,
                repr(obj),
                "a window is a whole number of seconds",
            ));
        }
        return Ok(days as f64 * 86_400.0 + secs as f64 + micros as f64 / 1e6);
    }
    Err(Error::wrong_type_named(field, expected, obj))
}

/// A window (see [`seconds`]), `0 ≤ w ≤` 10 years.
fn window(obj: &Bound<'_, PyAny>, field: &str) -> Result<Window> {
    let s = seconds(obj, field, true)?;
    Window::seconds(s as i64).map_err(|e| match e {
        CesError::InvalidArgument {
            row, value, reason, ..
        } => CesError::InvalidArgument {
            row,
            field: field.into(),
            value,
            reason,
        }
        .into(),
        other => other.into(),
    })
}

fn interaction(obj: &Bound<'_, PyAny>, field: &str) -> Result<Interaction> {
    let text = obj
        .cast::<PyString>()
        .map_err(|_| Error::wrong_type_named(field, "str", obj))?
        .to_cow()?
        .into_owned();
    Interaction::parse(&text).ok_or_else(|| {
        invalid(
            field,
            format!("{text:?}"),
            "unknown interaction (view, engaged_view or click)",
        )
    })
}

/// Checks that `dict` has no key outside `allowed` (a typo is an error, not a default).
fn known_keys(dict: &Bound<'_, PyDict>, field: &str, allowed: &[&str]) -> Result<()> {
    for key in dict.keys() {
        let name = key
            .cast::<PyString>()
            .map_err(|_| Error::wrong_type_named(field, "a dict with str keys", &key))?
            .to_cow()?
            .into_owned();
        if !allowed.contains(&name.as_str()) {
            return Err(invalid(
                field,
                format!("{name:?}"),
                format!("unknown key (expected {})", allowed.join(", ")),
            ));
        }
    }
    Ok(())
}

/// One rule as a dict: `channel` with `interaction`, or `campaign` with an optional
/// `interaction` (None: all three); and `window`.
fn rule_dict(d: &Bound<'_, PyDict>, i: usize, windows: Windows) -> Result<Windows> {
    let field = format!("windows.rules[{i}]");
    known_keys(d, &field, &["channel", "campaign", "interaction", "window"])?;
    let get = |k: &str| -> Result<Option<Bound<'_, PyAny>>> {
        Ok(d.get_item(k)?.filter(|v| !v.is_none()))
    };
    let text = |k: &str| -> Result<Option<String>> {
        get(k)?
            .map(|v| {
                v.cast::<PyString>()
                    .map_err(|_| Error::wrong_type_named(&format!("{field}.{k}"), "str", &v))
                    .and_then(|s| Ok(s.to_cow()?.into_owned()))
            })
            .transpose()
    };
    let w = match get("window")? {
        Some(w) => window(&w, &format!("{field}.window"))?,
        None => {
            return Err(CesError::MissingValue {
                row: Row(Some(i as u64)),
                field: "windows.rules.window".into(),
            }
            .into());
        }
    };
    let inter = get("interaction")?
        .map(|v| interaction(&v, &format!("{field}.interaction")))
        .transpose()?;
    Ok(match (text("channel")?, text("campaign")?) {
        (Some(channel), None) => {
            let inter = inter.ok_or_else(|| {
                Error::from(CesError::MissingValue {
                    row: Row(Some(i as u64)),
                    field: "windows.rules.interaction".into(),
                })
            })?;
            windows.group(&channel, inter, w)
        }
        (None, Some(campaign)) => windows.campaign(&campaign, inter, w),
        (ch, cp) => {
            return Err(CesError::InvalidArgument {
                row: Row(Some(i as u64)),
                field: "windows.rules".into(),
                value: format!("channel {ch:?}, campaign {cp:?}"),
                reason: "a rule names a channel or a campaign (exactly one)".into(),
            }
            .into());
        }
    })
}

/// The `windows` argument: `"standard"` ([`Windows::standard`]), `"none"` or `None` (no
/// defaults), or a dict with `defaults` (absent: the standard ones; None: none; a dict from
/// interaction to window: exactly those) and `rules` (a list of rule dicts, or a table).
fn windows_arg(obj: &Bound<'_, PyAny>) -> PyResult<Windows> {
    Ok(windows_of(obj)?)
}

fn windows_of(obj: &Bound<'_, PyAny>) -> Result<Windows> {
    if obj.is_none() {
        return Ok(Windows::new());
    }
    if obj.is_instance_of::<PyString>() {
        let name = text_arg(obj, "windows")?;
        return match name.trim() {
            "standard" => Ok(Windows::standard()),
            "none" => Ok(Windows::new()),
            other => Err(invalid(
                "windows",
                format!("{other:?}"),
                "expected \"standard\", \"none\", None or a dict with defaults and rules",
            )),
        };
    }
    let d = obj.cast::<PyDict>().map_err(|_| {
        Error::wrong_type(
            "windows",
            "\"standard\", \"none\", None or a dict with `defaults` and `rules`",
            obj,
        )
    })?;
    known_keys(d, "windows", &["defaults", "rules"])?;
    let mut windows = match d.get_item("defaults")? {
        None => Windows::standard(),
        Some(v) if v.is_none() => Windows::new(),
        Some(v) => {
            let defaults = v.cast::<PyDict>().map_err(|_| {
                Error::wrong_type_named(
                    "windows.defaults",
                    "a dict from interaction (view, engaged_view, click) to window, or None",
                    &v,
                )
            })?;
            let mut w = Windows::new();
            for (k, v) in defaults.iter() {
                let inter = interaction(&k, "windows.defaults")?;
                let field = format!("windows.defaults.{}", inter.as_str());
                let value = if v.is_none() {
                    None
                } else {
                    Some(window(&v, &field)?)
                };
                w = w.default_for(inter, value);
            }
            w
        }
    };
    if let Some(rules) = d.get_item("rules")?.filter(|r| !r.is_none()) {
        if tables::is_arrow(&rules)? {
            let table = Table::from_py(&rules, "windows.rules")?;
            for (rule, _) in at::window_rules(&table)? {
                windows = windows.rule(rule);
            }
        } else {
            if tables::is_text(&rules) || rules.cast::<PyDict>().is_ok() {
                return Err(Error::wrong_type(
                    "windows.rules",
                    "a list of rule dicts or a table",
                    &rules,
                ));
            }
            let items = rules.try_iter().map_err(|_| {
                Error::wrong_type("windows.rules", "a list of rule dicts or a table", &rules)
            })?;
            for (i, item) in items.enumerate() {
                let item = item?;
                let rule = item.cast::<PyDict>().map_err(|_| {
                    Error::wrong_type_named(&format!("windows.rules[{i}]"), "a dict", &item)
                })?;
                windows = rule_dict(rule, i, windows)?;
            }
        }
    }
    Ok(windows)
}

/// A model as a dict: `model` (a name) and the parameters of its family: `first`, `last`
/// (position-based), `half_life`, `whole_days` (time decay), `excluded` (last non-excluded),
/// `order` (Markov).
fn model_dict(d: &Bound<'_, PyDict>, i: usize) -> Result<Model> {
    let field = format!("models[{i}]");
    let name = match d.get_item("model")? {
        Some(v) => v
            .cast::<PyString>()
            .map_err(|_| Error::wrong_type_named(&format!("{field}.model"), "str", &v))?
            .to_cow()?
            .into_owned(),
        None => {
            return Err(invalid(
                &field,
                repr(d.as_any()),
                "a model dict needs a `model` name",
            ));
        }
    };
    let mut model: Model = name.parse()?;
    let allowed: &[&str] = match model {
        Model::PositionBased { .. } => &["model", "first", "last"],
        Model::TimeDecay { .. } => &["model", "half_life", "whole_days"],
        Model::LastNonExcluded { .. } => &["model", "excluded"],
        Model::Markov { .. } => &["model", "order"],
        _ => &["model"],
    };
    known_keys(d, &field, allowed)?;
    let number = |k: &str| -> Result<Option<f64>> {
        d.get_item(k)?
            .map(|v| {
                if v.is_instance_of::<PyBool>() {
                    return Err(Error::wrong_type_named(
                        &format!("{field}.{k}"),
                        "a number",
                        &v,
                    ));
                }
                v.extract::<f64>()
                    .map_err(|_| Error::wrong_type_named(&format!("{field}.{k}"), "a number", &v))
            })
            .transpose()
    };
    match &mut model {
        Model::PositionBased { first, last } => {
            if let Some(f) = number("first")? {
                *first = f;
            }
            if let Some(l) = number("last")? {
                *last = l;
            }
        }
        Model::TimeDecay {
            half_life_seconds,
            whole_days,
        } => {
            if let Some(h) = d.get_item("half_life")? {
                *half_life_seconds = seconds(&h, &format!("{field}.half_life"), false)?;
            }
            if let Some(w) = d.get_item("whole_days")? {
                *whole_days = flag(&w, &format!("{field}.whole_days"))?;
            }
        }
        Model::LastNonExcluded { excluded } => {
            if let Some(e) = d.get_item("excluded")? {
                *excluded = crate::brands::text_items(&e, "excluded")?;
            }
        }
        Model::Markov { order } => {
            if let Some(o) = d.get_item("order")? {
                let k = o.extract::<i64>().map_err(|_| {
                    Error::wrong_type_named(&format!("{field}.order"), "an int", &o)
                })?;
                *order = usize::try_from(k).unwrap_or(0);
                if k < 1 {
                    return Err(invalid(
                        &format!("{field}.order"),
                        k.to_string(),
                        "the order must be 1, 2, 3 or 4",
                    ));
                }
            }
        }
        _ => {}
    }
    model.validate()?;
    Ok(model)
}

/// The `models` argument: a list of names and dicts (None: [`Model::rules`]).
fn models_arg(obj: &Bound<'_, PyAny>) -> PyResult<Vec<Model>> {
    Ok(models_of(obj)?)
}

fn models_of(obj: &Bound<'_, PyAny>) -> Result<Vec<Model>> {
    if obj.is_none() {
        return Ok(Model::rules());
    }
    let expected = "a list of model names or dicts";
    if tables::is_text(obj) || obj.cast::<PyDict>().is_ok() {
        return Err(Error::wrong_type("models", expected, obj));
    }
    let items = obj
        .try_iter()
        .map_err(|_| Error::wrong_type("models", expected, obj))?;
    let mut out = Vec::new();
    for (i, item) in items.enumerate() {
        let item = item?;
        if let Ok(d) = item.cast::<PyDict>() {
            out.push(model_dict(d, i)?);
        } else if let Ok(s) = item.cast::<PyString>() {
            out.push(s.to_cow()?.parse::<Model>()?);
        } else {
            return Err(Error::wrong_type_named(
                &format!("models[{i}]"),
                "a model name or a dict",
                &item,
            ));
        }
    }
    Ok(out)
}

// ----------------------------------------------------------------------------------------
// The range.

/// A `datetime.datetime` as µs since the epoch, UTC: aware, or naive read in `assume_zone`.
fn instant(obj: &Bound<'_, PyAny>, field: &str, assume_zone: Option<&Tz>) -> Result<i64> {
    instant_of(obj, field, assume_zone, "a datetime.datetime or None")
}

/// A timezone-aware datetime (or a naive one with `assume_zone`) as µs since the epoch;
/// `expected` names what the argument may be in the type error.
pub(crate) fn instant_of(
    obj: &Bound<'_, PyAny>,
    field: &str,
    assume_zone: Option<&Tz>,
    expected: &str,
) -> Result<i64> {
    let py = obj.py();
    let dt = py.import(intern!(py, "datetime"))?;
    if !obj.is_instance(&dt.getattr(intern!(py, "datetime"))?)? {
        return Err(Error::wrong_type_named(field, expected, obj));
    }
    let utc = dt
        .getattr(intern!(py, "timezone"))?
        .getattr(intern!(py, "utc"))?;
    let naive = obj.getattr(intern!(py, "utcoffset"))?.call0()?.is_none();
    let zone = match (naive, assume_zone) {
        (false, _) => None,
        (true, Some(z)) => Some(z),
        (true, None) => {
            return Err(invalid(
                field,
                repr(obj),
                "a datetime without a time zone is ambiguous: make it aware, or pass \
                 assume_zone",
            ));
        }
    };
    // Wall-clock fields of a naive datetime are read as if in UTC, then placed in the zone.
    let aware = if naive {
        let kwargs = PyDict::new(py);
        kwargs.set_item("tzinfo", &utc)?;
        obj.call_method(intern!(py, "replace"), (), Some(&kwargs))?
    } else {
        obj.clone()
    };
    let epoch = dt
        .getattr(intern!(py, "datetime"))?
        .call1((1970, 1, 1, 0, 0, 0, 0, &utc))?;
    let delta = aware.sub(&epoch)?;
    let part = |name: &Bound<'_, PyString>| -> PyResult<i64> { delta.getattr(name)?.extract() };
    let us = part(intern!(py, "days"))? * 86_400_000_000
        + part(intern!(py, "seconds"))? * 1_000_000
        + part(intern!(py, "microseconds"))?;
    match zone {
        None => Ok(us),
        Some(z) => at::local_to_utc(z, us).ok_or_else(|| invalid(field, repr(obj), "out of range")),
    }
}

/// `range=(start, end)`: transactions with `start ≤ time < end` (either may be None: open).
fn range_of(obj: &Bound<'_, PyAny>, assume_zone: Option<&Tz>) -> Result<Option<(i64, i64)>> {
    if obj.is_none() {
        return Ok(None);
    }
    let expected = "a (start, end) tuple of datetimes (or None), or None";
    let pair = obj
        .cast::<PyTuple>()
        .ok()
        .filter(|t| t.len() == 2)
        .cloned()
        .or_else(|| {
            obj.cast::<PyList>()
                .ok()
                .filter(|l| l.len() == 2)
                .map(|l| l.to_tuple())
        })
        .ok_or_else(|| Error::wrong_type("range", expected, obj))?;
    let end = |i: usize, field: &str, open: i64| -> Result<i64> {
        let v = pair.get_item(i)?;
        if v.is_none() {
            Ok(open)
        } else {
            instant(&v, field, assume_zone)
        }
    };
    Ok(Some((
        end(0, "range.start", i64::MIN)?,
        end(1, "range.end", i64::MAX)?,
    )))
}

// ----------------------------------------------------------------------------------------
// attribute.

/// Attributes `transactions` to `exposures` (`ces.attribution.attribute` documents the
/// arguments). Converting and attributing run with the interpreter released;
/// `progress(done, total)` (transactions swept, of those in range) is called with the
/// interpreter on the calling thread before the sweep and after each batch of key
/// partitions. An exception it raises (or a `KeyboardInterrupt`) skips the later calls and is
/// raised when the run returns.
#[pyfunction]
#[pyo3(signature = (
    exposures, transactions, *,
    key = String::from("key"),
    models = Model::rules(),
    windows = Windows::standard(),
    mode = String::from("exact"),
    zone = Tz::UTC,
    click_beats_view = false,
    range = None,
    assume_zone = None,
    progress = None,
), text_signature = "(exposures, transactions, *, key='key', models=None, windows='standard', \
                     mode='exact', zone='UTC', click_beats_view=False, range=None, \
                     assume_zone=None, progress=None)")]
#[allow(clippy::too_many_arguments)]
fn attribute(
    py: Python<'_>,
    exposures: &Bound<'_, PyAny>,
    transactions: &Bound<'_, PyAny>,
    #[pyo3(from_py_with = key_arg)] key: String,
    #[pyo3(from_py_with = models_arg)] models: Vec<Model>,
    #[pyo3(from_py_with = windows_arg)] windows: Windows,
    #[pyo3(from_py_with = mode_arg)] mode: String,
    #[pyo3(from_py_with = zone_arg)] zone: Tz,
    #[pyo3(from_py_with = click_beats_view_arg)] click_beats_view: bool,
    range: Option<&Bound<'_, PyAny>>,
    #[pyo3(from_py_with = assume_zone_arg)] assume_zone: Option<Tz>,
    #[pyo3(from_py_with = progress_arg)] progress: Option<Py<PyAny>>,
) -> Result<PyAttributionRun> {
    let mode = match mode.trim() {
        "exact" => WindowMode::Exact,
        "calendar" | "calendar_days" => WindowMode::CalendarDays(zone),
        other => {
            return Err(invalid(
                "mode",
                format!("{other:?}"),
                "expected \"exact\" or \"calendar\"",
            ));
        }
    };
    let range = match range {
        Some(r) => range_of(r, assume_zone.as_ref())?,
        None => None,
    };
    let config = AttributionConfig {
        windows: windows.mode(mode),
        models,
        click_beats_view,
        range,
        zone,
    };
    let exposures = Table::from_py(exposures, "exposures")?;
    let transactions = Table::from_py(transactions, "transactions")?;
    let run = py.detach(|| -> Result<Attribution> {
        let z = assume_zone.as_ref();
        let (ex, tx) = if ces::parallel::enabled() && exposures.len() + transactions.len() > 200_000
        {
            std::thread::scope(|scope| {
                let tx = scope.spawn(|| at::transactions(&transactions, &key, z));
                let ex = at::exposures(&exposures, &key, z);
                (ex, tx.join())
            })
        } else {
            (
                at::exposures(&exposures, &key, z),
                Ok(at::transactions(&transactions, &key, z)),
            )
        };
        // The exposures' error first, whichever conversion failed.
        let ex = ex?;
        let tx = tx.map_err(|_| Error::internal("an Arrow conversion thread panicked"))??;
        let (ex, tx) = at::resolve(ex, tx);
        drop((exposures, transactions));
        let (ex, tx) = (ExposureTable::new(ex)?, TransactionTable::new(tx)?);
        let mut failure: Option<PyErr> = None;
        let out = attribute_with_progress(ex, tx, &config, &mut |p| {
            if failure.is_some() {
                return;
            }
            Python::attach(|py| {
                let called = py.check_signals().and_then(|()| match &progress {
                    Some(f) => f.call1(py, (p.done, p.total)).map(drop),
                    None => Ok(()),
                });
                failure = called.err();
            });
        });
        if let Some(err) = failure {
            return Err(err.into());
        }
        Ok(out?)
    })?;
    Ok(PyAttributionRun(run))
}

/// The result of `attribute` (wrapped by `ces.attribution.Attribution`).
#[pyclass(frozen, module = "ces._ces", name = "AttributionRun")]
pub(crate) struct PyAttributionRun(Attribution);

impl PyAttributionRun {
    fn model(&self, name: &str) -> Result<usize> {
        Ok(self.0.model_index(name)?)
    }
}

fn model_name_arg(obj: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    if obj.is_none() {
        return Ok(None);
    }
    Ok(Some(text_arg(obj, "model")?))
}

fn link_model_arg(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(text_arg(obj, "model")?)
}

/// A Markov report as `(model, order, states, conversion_probability, table)`.
type MarkovTuple = (String, usize, usize, f64, Py<PyAny>);

fn markov_tuple(
    py: Python<'_>,
    name: String,
    rep: &ces::attribution::MarkovReport,
) -> Result<MarkovTuple> {
    Ok((
        name,
        rep.order,
        rep.states,
        rep.conversion_probability,
        tables::to_pyarrow(py, at::markov_batch(rep)?)?,
    ))
}

#[pymethods]
impl PyAttributionRun {
    /// The models' names, in the order requested.
    #[getter]
    fn models(&self) -> Vec<String> {
        self.0.models().iter().map(Model::name).collect()
    }

    /// Counts and totals as a dict (the core's `AttributionSummary`, field for field).
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.0.summary();
        let d = PyDict::new(py);
        d.set_item("transactions", s.transactions)?;
        d.set_item("attributed", s.attributed)?;
        d.set_item("unattributed", s.unattributed)?;
        d.set_item("value", s.value)?;
        d.set_item("units", s.units)?;
        d.set_item("unattributed_value", s.unattributed_value)?;
        d.set_item("unattributed_units", s.unattributed_units)?;
        d.set_item("out_of_range", s.out_of_range)?;
        d.set_item("exposures", s.exposures)?;
        d.set_item("exposures_considered", s.exposures_considered)?;
        d.set_item("duplicate_exposures", s.duplicate_exposures)?;
        d.set_item("touches", s.touches)?;
        Ok(d)
    }

    /// Credit rows of one model (None: every model, in model order).
    #[pyo3(signature = (model = None))]
    fn credits(
        &self,
        py: Python<'_>,
        #[pyo3(from_py_with = model_name_arg)] model: Option<String>,
    ) -> Result<Py<PyAny>> {
        let models: Vec<usize> = match model {
            Some(name) => vec![self.model(&name)?],
            None => (0..self.0.models().len()).collect(),
        };
        let batch = py.detach(|| at::credits_batch(&self.0, &models))?;
        tables::to_pyarrow(py, batch)
    }

    /// The join fields of one model's credited touches.
    #[pyo3(signature = (model = String::from("last_touch")), text_signature = "(self, model='last_touch')")]
    fn links(
        &self,
        py: Python<'_>,
        #[pyo3(from_py_with = link_model_arg)] model: String,
    ) -> Result<Py<PyAny>> {
        let m = self.model(&model)?;
        let batch = py.detach(|| at::links_batch(&self.0, m))?;
        tables::to_pyarrow(py, batch)
    }

    /// Credit per group for every model, the unattributed bucket included.
    #[pyo3(signature = (by = Dimension::Channel), text_signature = "(self, by='channel')")]
    fn rollup(
        &self,
        py: Python<'_>,
        #[pyo3(from_py_with = dimension_arg)] by: Dimension,
    ) -> Result<Py<PyAny>> {
        let batch = py.detach(|| at::rollup_batch(&self.0.rollup(by)))?;
        tables::to_pyarrow(py, batch)
    }

    /// Seeded percentile-bootstrap intervals on credit per group.
    #[pyo3(
        signature = (by = Dimension::Channel, replicates = 200, seed = 0, level = 0.95),
        text_signature = "(self, by='channel', replicates=200, seed=0, level=0.95)"
    )]
    fn bootstrap(
        &self,
        py: Python<'_>,
        #[pyo3(from_py_with = dimension_arg)] by: Dimension,
        replicates: i64,
        seed: u64,
        level: f64,
    ) -> Result<Py<PyAny>> {
        let replicates = usize::try_from(replicates).map_err(|_| {
            invalid(
                "replicates",
                replicates.to_string(),
                "must be between 2 and 100,000",
            )
        })?;
        let batch = py.detach(|| -> Result<_> {
            at::intervals_batch(&self.0.bootstrap(by, replicates, seed, level)?)
        })?;
        tables::to_pyarrow(py, batch)
    }

    /// Transactions in range without an eligible exposure.
    fn unattributed(&self, py: Python<'_>) -> Result<Py<PyAny>> {
        let batch = py.detach(|| at::unattributed_batch(&self.0))?;
        tables::to_pyarrow(py, batch)
    }

    /// Exposures dropped as duplicates.
    fn duplicates(&self, py: Python<'_>) -> Result<Py<PyAny>> {
        let batch = py.detach(|| at::duplicates_batch(&self.0))?;
        tables::to_pyarrow(py, batch)
    }

    /// The Markov models' reports: `(model, order, states, conversion_probability, table)`.
    fn markov(&self, py: Python<'_>) -> Result<Vec<MarkovTuple>> {
        self.0
            .markov_reports()
            .iter()
            .map(|(name, rep)| markov_tuple(py, name.clone(), rep))
            .collect()
    }

    fn __repr__(&self) -> String {
        let s = self.0.summary();
        format!(
            "AttributionRun(models={:?}, transactions={}, attributed={}, unattributed={})",
            self.models(),
            s.transactions,
            s.attributed,
            s.unattributed
        )
    }
}

// ----------------------------------------------------------------------------------------
// Path-level models.

fn paths_arg(py: Python<'_>, paths: &Bound<'_, PyAny>, sep: &str) -> Result<PathTable> {
    let table = Table::from_py(paths, "paths")?;
    py.detach(|| at::paths(&table, sep))
}

fn order_arg(obj: &Bound<'_, PyAny>) -> PyResult<usize> {
    if obj.is_instance_of::<PyBool>() {
        return Err(Error::wrong_type("order", "an int", obj).into());
    }
    let k = obj
        .extract::<i64>()
        .map_err(|_| Error::wrong_type("order", "an int", obj))?;
    Ok(usize::try_from(k)
        .ok()
        .filter(|&k| k >= 1)
        .ok_or_else(|| invalid("order", k.to_string(), "the order must be 1, 2, 3 or 4"))?)
}

/// The exact Markov removal-effect model of `order` on journeys:
/// `(model, order, states, conversion_probability, table)`.
#[pyfunction]
#[pyo3(
    signature = (paths, order = 1, *, sep = String::from(" > ")),
    text_signature = "(paths, order=1, *, sep=' > ')"
)]
fn attribution_markov(
    py: Python<'_>,
    paths: &Bound<'_, PyAny>,
    #[pyo3(from_py_with = order_arg)] order: usize,
    #[pyo3(from_py_with = sep_arg)] sep: String,
) -> Result<MarkovTuple> {
    let paths = paths_arg(py, paths, &sep)?;
    let rep = py.detach(|| markov(&paths, order))?;
    markov_tuple(py, Model::Markov { order }.name(), &rep)
}

/// First-touch, last-touch, linear and position-based credit per channel on journeys.
#[pyfunction]
#[pyo3(
    signature = (paths, first = 0.4, last = 0.4, *, sep = String::from(" > ")),
    text_signature = "(paths, first=0.4, last=0.4, *, sep=' > ')"
)]
fn attribution_heuristics(
    py: Python<'_>,
    paths: &Bound<'_, PyAny>,
    first: f64,
    last: f64,
    #[pyo3(from_py_with = sep_arg)] sep: String,
) -> Result<Py<PyAny>> {
    let paths = paths_arg(py, paths, &sep)?;
    let batch = py.detach(|| at::heuristics_batch(&heuristics(&paths, first, last)?))?;
    tables::to_pyarrow(py, batch)
}

fn exact_arg(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(flag(obj, "exact")?)
}

/// Shapley credit per channel on journeys: simplified, or exact per converting set.
#[pyfunction]
#[pyo3(
    signature = (paths, exact = false, *, sep = String::from(" > ")),
    text_signature = "(paths, exact=False, *, sep=' > ')"
)]
fn attribution_shapley(
    py: Python<'_>,
    paths: &Bound<'_, PyAny>,
    #[pyo3(from_py_with = exact_arg)] exact: bool,
    #[pyo3(from_py_with = sep_arg)] sep: String,
) -> Result<Py<PyAny>> {
    let paths = paths_arg(py, paths, &sep)?;
    let batch = py.detach(|| -> Result<_> {
        let credit = if exact {
            shapley_exact_values(&paths)?.credit
        } else {
            shapley_simplified(&paths)
        };
        at::channel_credit_batch(paths.channels(), &credit)
    })?;
    tables::to_pyarrow(py, batch)
}

/// Adds the attribution functions, class and constants to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<PyAttributionRun>()?;
    m.add_function(wrap_pyfunction!(attribute, m)?)?;
    m.add_function(wrap_pyfunction!(attribution_markov, m)?)?;
    m.add_function(wrap_pyfunction!(attribution_heuristics, m)?)?;
    m.add_function(wrap_pyfunction!(attribution_shapley, m)?)?;
    let rules: Vec<String> = Model::rules().iter().map(Model::name).collect();
    m.add("ATTRIBUTION_RULE_MODELS", PyTuple::new(py, rules)?)?;
    m.add("ATTRIBUTION_UNATTRIBUTED", UNATTRIBUTED)?;
    m.add("ATTRIBUTION_MAX_WINDOW_SECONDS", MAX_WINDOW_SECONDS)?;
    m.add(
        "ATTRIBUTION_MAX_EXACT_SHAPLEY_CHANNELS",
        MAX_EXACT_SHAPLEY_CHANNELS,
    )?;
    Ok(())
}
