//! Attribution of paths a caller gives: the nine models over them, with the configuration's
//! half-life, seed and Shapley sample count.

use serde::{Deserialize, Serialize};

use crate::Framework;
use crate::attribution::{
    AttributionOptions, MarkovChain, PathRecord, PathSet, TEAMS, Touch, attribute,
};
use crate::order::Map;

/// A path given to `attribution`.
#[derive(Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AttributionPath {
    /// Touches in time order.
    pub touches: Vec<AttributionTouch>,
    /// Whether the path ends in a conversion.
    pub converted: bool,
    /// Revenue of the conversion.
    #[serde(default)]
    pub revenue: f64,
}

/// One touch of a path given to `attribution`.
#[derive(Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AttributionTouch {
    /// Channel.
    pub channel: String,
    /// `marketing`, `sales` or `cs`.
    #[serde(default)]
    pub team: Option<String>,
    /// Days from the touch to the end of the path (time-decay model).
    #[serde(default)]
    pub days_before_end: f64,
}

/// One model's credit per channel.
#[derive(Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ModelCredits {
    /// Conversions credited per channel.
    pub conversions: Map<String, f64>,
    /// Revenue credited per channel.
    pub revenue: Map<String, f64>,
}

/// What `attribution` answers.
#[derive(Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Attribution {
    /// Per model (`first_touch`, `last_touch`, `linear`, `time_decay`, `u_shaped`, `w_shaped`,
    /// `full_path`, `markov`, `shapley`): credits per channel.
    pub models: Map<&'static str, ModelCredits>,
    /// Markov removal effect per channel.
    pub removal_effects: Map<String, f64>,
    /// `exact` or how Shapley values were sampled.
    pub shapley_method: String,
}

/// The nine models (first/last touch, linear, time decay, U, W, full path, Markov, Shapley) over
/// the given paths.
pub fn attribution(framework: &Framework, paths: &[AttributionPath]) -> Attribution {
    let mut channels: Vec<String> = paths
        .iter()
        .flat_map(|p| p.touches.iter().map(|t| t.channel.clone()))
        .collect();
    crate::order::sort(&mut channels);
    channels.dedup();
    let set = PathSet {
        paths: paths
            .iter()
            .map(|p| PathRecord {
                touches: p
                    .touches
                    .iter()
                    .map(|t| Touch {
                        channel: channels.binary_search(&t.channel).unwrap_or(0) as u32,
                        team: t
                            .team
                            .as_deref()
                            .and_then(|n| TEAMS.iter().position(|x| *x == n))
                            .unwrap_or(TEAMS.len() - 1) as u8,
                        days_before_end: t.days_before_end,
                    })
                    .collect(),
                converted: p.converted,
                revenue: p.revenue,
                lead_creation: None,
                deal_creation: None,
            })
            .collect(),
        channels,
    };
    let cfg = &framework.config.attribution;
    let options = AttributionOptions {
        half_life_days: cfg.half_life_days,
        seed: cfg.seed,
        shapley_samples: cfg.shapley_samples,
    };
    let chain = MarkovChain::new(&set);
    let (models, removal, method) = attribute(&set, &chain, &options);
    let round = crate::stats::round6;
    let named = |v: &[f64]| -> Map<String, f64> {
        set.channels
            .iter()
            .zip(v)
            .map(|(c, x)| (c.clone(), round(*x)))
            .collect()
    };
    Attribution {
        models: models
            .iter()
            .map(|(m, c)| {
                (
                    *m,
                    ModelCredits {
                        conversions: named(&c.conversions),
                        revenue: named(&c.revenue),
                    },
                )
            })
            .collect(),
        removal_effects: named(&removal),
        shapley_method: method,
    }
}
