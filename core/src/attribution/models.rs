//! Attribution models: their parameters, names and per-transaction weights.

use std::str::FromStr;

use crate::error::{CesError, Result, Row};

const DAY: f64 = 86_400.0;

/// An attribution model. Rule models weigh one transaction's eligible exposures
/// `e_1 … e_n` (oldest → newest); data-driven models ([`Model::Markov`], [`Model::Shapley`],
/// [`Model::ShapleyExact`]) learn channel values from all journeys first and then split each
/// transaction by them (per-path allocation).
#[derive(Clone, Debug, PartialEq)]
pub enum Model {
    /// `e_n` gets all the credit.
    LastTouch,
    /// The last click if there is one, else `e_n` (the ad platforms' "click beats view").
    LastClick,
    /// The last exposure whose channel is not excluded (e.g. `direct`, `retail_pos`); `e_n`
    /// when all are excluded.
    LastNonExcluded {
        /// Channels that cannot take last-touch credit.
        excluded: Vec<String>,
    },
    /// `e_1` gets all the credit.
    FirstTouch,
    /// `1/n` each.
    Linear,
    /// `first` to `e_1`, `last` to `e_n`, the rest split evenly over the middle; with two
    /// touches `first/(first+last)` and `last/(first+last)`; with one, 1.
    PositionBased {
        /// Share of the first touch.
        first: f64,
        /// Share of the last touch.
        last: f64,
    },
    /// `w_i ∝ 2^(−Δ_i/H)`, `Δ_i = T − τ_i` (0 for a flight still running at `T`).
    TimeDecay {
        /// Half-life `H` in seconds (Google's default: 7 days).
        half_life_seconds: f64,
        /// Round `Δ` down to whole days (calendar days in calendar-day mode).
        whole_days: bool,
    },
    /// Markov-chain removal effect of order `order` (states are the last `order` channels),
    /// solved exactly; each transaction's credit is split over its channels in proportion to
    /// their removal effects (per-path allocation). The global allocation is in
    /// [`super::MarkovReport`].
    Markov {
        /// Chain order, 1 to 4.
        order: usize,
    },
    /// Simplified Shapley (Zhao et al. 2018): each converting journey's credit split evenly
    /// over its distinct channels.
    Shapley,
    /// Exact Shapley values per converting channel set, with the conversion rate of
    /// journeys having exactly that set as the coalition's worth; each transaction's credit
    /// split in proportion to its channels' values (negative values count as 0).
    ShapleyExact,
}

impl Model {
    /// U-shaped position-based (40/20/40).
    pub const U_SHAPED: Model = Model::PositionBased {
        first: 0.4,
        last: 0.4,
    };
    /// J-shaped position-based (20 first, 60 last).
    pub const J_SHAPED: Model = Model::PositionBased {
        first: 0.2,
        last: 0.6,
    };
    /// Inverse-J position-based (60 first, 20 last).
    pub const INVERSE_J: Model = Model::PositionBased {
        first: 0.6,
        last: 0.2,
    };
    /// Time decay with Google's 7-day half-life, continuous.
    pub const TIME_DECAY: Model = Model::TimeDecay {
        half_life_seconds: 7.0 * DAY,
        whole_days: false,
    };

    /// Every rule model with its default parameters.
    pub fn rules() -> Vec<Model> {
        vec![
            Model::LastTouch,
            Model::LastClick,
            Model::FirstTouch,
            Model::Linear,
            Model::U_SHAPED,
            Model::TIME_DECAY,
        ]
    }

    /// The model's name, unique per parameter set: `last_touch`, `last_click`,
    /// `last_non_excluded`, `first_touch`, `linear`, `position_based` (U),
    /// `position_based_j`, `position_based_inverse_j`, `position_based_<f>_<l>`,
    /// `time_decay` (7 days), `time_decay_days`, `time_decay_<H>s[_days]`, `markov` (order
    /// 1), `markov_<k>`, `shapley`, `shapley_exact`.
    ///
    /// ```
    /// use ces::attribution::Model;
    /// assert_eq!(Model::J_SHAPED.name(), "position_based_j");
    /// assert_eq!("markov_2".parse::<Model>().unwrap(), Model::Markov { order: 2 });
    /// // Every name parses back to its model.
    /// let m = Model::PositionBased { first: 0.3, last: 0.5 };
    /// assert_eq!(m.name().parse::<Model>().unwrap(), m);
    /// let d = Model::TimeDecay { half_life_seconds: 43_200.0, whole_days: true };
    /// assert_eq!(d.name().parse::<Model>().unwrap(), d);
    /// ```
    pub fn name(&self) -> String {
        match self {
            Model::LastTouch => "last_touch".into(),
            Model::LastClick => "last_click".into(),
            Model::LastNonExcluded { .. } => "last_non_excluded".into(),
            Model::FirstTouch => "first_touch".into(),
            Model::Linear => "linear".into(),
            Model::PositionBased { first, last } => match (*first, *last) {
                (0.4, 0.4) => "position_based".into(),
                (0.2, 0.6) => "position_based_j".into(),
                (0.6, 0.2) => "position_based_inverse_j".into(),
                (f, l) => format!("position_based_{f}_{l}"),
            },
            Model::TimeDecay {
                half_life_seconds: h,
                whole_days,
            } => {
                let base = if *h == 7.0 * DAY {
                    "time_decay".to_string()
                } else {
                    format!("time_decay_{h}s")
                };
                if *whole_days {
                    format!("{base}_days")
                } else {
                    base
                }
            }
            Model::Markov { order: 1 } => "markov".into(),
            Model::Markov { order } => format!("markov_{order}"),
            Model::Shapley => "shapley".into(),
            Model::ShapleyExact => "shapley_exact".into(),
        }
    }

    /// The `scout.attributions.model` family: `last_touch`, `first_touch`, `linear`,
    /// `time_decay`, `position_based` or `data_driven` (`custom` for the other last-touch
    /// variants).
    pub fn family(&self) -> &'static str {
        match self {
            Model::LastTouch => "last_touch",
            Model::LastClick | Model::LastNonExcluded { .. } => "custom",
            Model::FirstTouch => "first_touch",
            Model::Linear => "linear",
            Model::PositionBased { .. } => "position_based",
            Model::TimeDecay { .. } => "time_decay",
            Model::Markov { .. } | Model::Shapley | Model::ShapleyExact => "data_driven",
        }
    }

    /// Does the model credit exactly one exposure per transaction?
    pub fn is_single_touch(&self) -> bool {
        matches!(
            self,
            Model::LastTouch | Model::LastClick | Model::LastNonExcluded { .. } | Model::FirstTouch
        )
    }

    /// Is it learned from all journeys (needs non-converting journeys too)?
    pub fn is_data_driven(&self) -> bool {
        matches!(
            self,
            Model::Markov { .. } | Model::Shapley | Model::ShapleyExact
        )
    }

    /// Checks the parameters.
    pub fn validate(&self) -> Result<()> {
        let bad = |value: String, reason: &str| {
            Err(CesError::InvalidArgument {
                row: Row(None),
                field: "model".into(),
                value,
                reason: reason.into(),
            })
        };
        match self {
            Model::PositionBased { first, last }
                if !(first.is_finite()
                    && last.is_finite()
                    && *first >= 0.0
                    && *last >= 0.0
                    && first + last <= 1.0
                    && first + last > 0.0) =>
            {
                bad(
                    format!("position_based({first}, {last})"),
                    "shares must be ≥ 0 with 0 < first + last ≤ 1",
                )
            }
            Model::TimeDecay {
                half_life_seconds: h,
                ..
            } if !(h.is_finite() && *h > 0.0) => bad(
                format!("time_decay({h})"),
                "the half-life must be a positive number of seconds",
            ),
            Model::Markov { order } if !(1..=4).contains(order) => {
                bad(format!("markov({order})"), "the order must be 1, 2, 3 or 4")
            }
            _ => Ok(()),
        }
    }
}

impl FromStr for Model {
    type Err = CesError;

    fn from_str(s: &str) -> Result<Model> {
        let m = match s.trim() {
            "last_touch" => Model::LastTouch,
            "last_click" => Model::LastClick,
            "last_non_excluded" => Model::LastNonExcluded {
                excluded: vec!["direct".into()],
            },
            "first_touch" => Model::FirstTouch,
            "linear" => Model::Linear,
            "position_based" | "position_based_u" => Model::U_SHAPED,
            "position_based_j" => Model::J_SHAPED,
            "position_based_inverse_j" => Model::INVERSE_J,
            "time_decay" => Model::TIME_DECAY,
            "time_decay_days" => Model::TimeDecay {
                half_life_seconds: 7.0 * DAY,
                whole_days: true,
            },
            "markov" => Model::Markov { order: 1 },
            "shapley" => Model::Shapley,
            "shapley_exact" => Model::ShapleyExact,
            other => match parse_parametrised(other) {
                Some(m) => m,
                None => {
                    return Err(CesError::InvalidArgument {
                        row: Row(None),
                        field: "model".into(),
                        value: other.into(),
                        reason: "unknown model (last_touch, last_click, last_non_excluded, first_touch, linear, position_based[_j|_inverse_j], time_decay[_days], markov[_k], shapley, shapley_exact)".into(),
                    });
                }
            },
        };
        m.validate()?;
        Ok(m)
    }
}

/// `markov_<k>`, `position_based_<f>_<l>`, `time_decay_<H>s[_days]`: the names
/// [`Model::name`] gives to parameters without a preset.
fn parse_parametrised(s: &str) -> Option<Model> {
    if let Some(k) = s.strip_prefix("markov_") {
        return k.parse().ok().map(|order| Model::Markov { order });
    }
    if let Some(rest) = s.strip_prefix("position_based_") {
        let (f, l) = rest.split_once('_')?;
        return Some(Model::PositionBased {
            first: f.parse().ok()?,
            last: l.parse().ok()?,
        });
    }
    if let Some(rest) = s.strip_prefix("time_decay_") {
        let (h, whole_days) = match rest.strip_suffix("_days") {
            Some(h) => (h, true),
            None => (rest, false),
        };
        return Some(Model::TimeDecay {
            half_life_seconds: h.strip_suffix('s')?.parse().ok()?,
            whole_days,
        });
    }
    None
}

/// Position-based weights for `n` touches into `out`.
pub(crate) fn position_weights(first: f64, last: f64, n: usize, out: &mut Vec<f64>) {
    match n {
        0 => {}
        1 => out.push(1.0),
        2 => {
            out.push(first / (first + last));
            out.push(last / (first + last));
        }
        _ => {
            let mid = (1.0 - first - last) / (n - 2) as f64;
            out.push(first);
            out.extend(std::iter::repeat_n(mid, n - 2));
            out.push(last);
        }
    }
}

/// Time-decay weights from `Δ` in seconds into `out`: `2^(−(Δ_i − Δ_min)/H) / Σ`.
pub(crate) fn decay_weights(deltas: &[f64], half_life: f64, out: &mut Vec<f64>) {
    let min = deltas.iter().copied().fold(f64::INFINITY, f64::min);
    let start = out.len();
    let mut sum = 0.0;
    for &d in deltas {
        let w = 2f64.powf(-(d - min) / half_life);
        sum += w;
        out.push(w);
    }
    for w in &mut out[start..] {
        *w /= sum;
    }
}
