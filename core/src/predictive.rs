//! Predictive scoring: an L2-regularised logistic regression on firmographics and early
//! engagement, trained with a time-based holdout, stored as a small JSON model that any build
//! (native or wasm) applies and explains feature by feature.
//!
//! **What it predicts.** For a lead created at `c`, the features describe the lead and its touches
//! in `[c, c + observe_days]`; the label is whether it reached the target (`sql`: the qualified
//! stage; `won`: a won deal) within `within_days` of `c`. Leads whose label window is not over by
//! `as_of` are left out of training, and so are leads that had already converted by the end of
//! their observation window (predicting the past is no test). The last 20% of leads by creation
//! time are the holdout.

use crate::order::Map;

use serde::{Deserialize, Serialize};

use crate::model::{AttrColumn, AttrValue, DealStatus, LeadIx, Team, Workspace};
use crate::scoring::{ScoringModel, score_lead};
use crate::stats::{Z95, round6};
use crate::symbols::Sym;
use crate::time::{Instant, MICROS_PER_DAY};

/// Model file format tag.
pub const FORMAT: &str = "baton-model/1";

/// What to train.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TrainOptions {
    /// `sql` (the qualified stage) or `won`.
    pub target: String,
    /// Label window after creation, days.
    pub within_days: f64,
    /// Observation window after creation, days.
    pub observe_days: f64,
    /// L2 penalty on standardised coefficients.
    pub l2: f64,
    /// Share of leads (latest created) held out.
    pub holdout: f64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            target: "sql".into(),
            within_days: 90.0,
            observe_days: 7.0,
            l2: 1.0,
            holdout: 0.2,
        }
    }
}

/// One model feature.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Feature {
    /// 1 when the attribute has this value (`(none)` missing, `(other)` any rare value).
    Category {
        /// Attribute (or `employee_band`).
        attribute: String,
        /// Value.
        value: String,
    },
    /// log(1 + employees), the training mean when missing.
    LogEmployees,
    /// 1 when `employees` is missing.
    EmployeesMissing,
    /// A boolean attribute: 1 true, 0 false or missing.
    Flag {
        /// Attribute.
        attribute: String,
    },
    /// Decayed count (half-life 7 days at the window's end) of touches on a channel.
    Channel {
        /// Channel.
        channel: String,
    },
    /// Decayed count of touches by a team.
    Team {
        /// Team.
        team: String,
    },
    /// log(1 + touches in the window).
    Touches,
    /// Days from the last touch to the window's end (the window length when none).
    DaysSinceLastTouch,
}

impl Feature {
    /// A short readable name.
    pub fn label(&self) -> String {
        match self {
            Feature::Category { attribute, value } => format!("{attribute} = {value}"),
            Feature::LogEmployees => "log employees".into(),
            Feature::EmployeesMissing => "employees missing".into(),
            Feature::Flag { attribute } => attribute.clone(),
            Feature::Channel { channel } => format!("touches on {channel}"),
            Feature::Team { team } => format!("{team} touches"),
            Feature::Touches => "touches (log)".into(),
            Feature::DaysSinceLastTouch => "days since last touch".into(),
        }
    }
}

/// A trained model: everything needed to apply it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Model {
    /// Format tag.
    pub format: String,
    /// Training options.
    pub options: TrainOptions,
    /// Features in order.
    pub features: Vec<Feature>,
    /// Training means (for standardisation).
    pub mean: Vec<f64>,
    /// Training standard deviations.
    pub std: Vec<f64>,
    /// Coefficients on standardised features.
    pub coefficients: Vec<f64>,
    /// Intercept.
    pub intercept: f64,
    /// Training report.
    pub report: TrainReport,
}

/// How training went, and how good the model is on the holdout.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TrainReport {
    /// Leads eligible (label window over by `as_of`, not converted before the window's end).
    pub eligible: u64,
    /// Leads left out because their label window was not over.
    pub censored: u64,
    /// Leads left out because they converted during the observation window.
    pub converted_while_observed: u64,
    /// Training leads and positives.
    pub train: (u64, u64),
    /// Holdout leads and positives.
    pub holdout: (u64, u64),
    /// Newton iterations.
    pub iterations: u32,
    /// Holdout AUC of the model.
    pub auc: Option<f64>,
    /// Its 95% interval (Hanley & McNeil).
    pub auc_interval: Option<(f64, f64)>,
    /// Holdout AUC of the rule score at the window's end.
    pub rule_score_auc: Option<f64>,
    /// Holdout log loss.
    pub log_loss: Option<f64>,
    /// Holdout log loss of always predicting the training base rate.
    pub base_rate_log_loss: Option<f64>,
    /// Holdout Brier score.
    pub brier: Option<f64>,
    /// Reliability table: ten equal-count bins of predicted probability.
    pub calibration: Vec<CalibrationBin>,
    /// The strongest features (standardised coefficients).
    pub top_features: Vec<(String, f64)>,
    /// True when the holdout AUC is not distinguishable from 0.5: the data carries no signal.
    pub no_signal: bool,
    /// A sentence for people.
    pub verdict: String,
}

/// One reliability bin.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CalibrationBin {
    /// Leads in the bin.
    pub n: u64,
    /// Mean predicted probability.
    pub predicted: f64,
    /// Observed conversion rate.
    pub observed: f64,
}

/// Why training could not produce a model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// Too few eligible leads or conversions to learn from.
    #[error("not enough data to train: {0}")]
    NotEnoughData(String),
    /// The target is not known.
    #[error("unknown target {0:?}: use sql or won")]
    UnknownTarget(String),
    /// The model file is not a Baton model of this format.
    #[error("not a {FORMAT} model: {0}")]
    BadModel(String),
}

/// Decay half-life of engagement features, days.
const HALF_LIFE_DAYS: f64 = 7.0;

fn band(n: f64) -> &'static str {
    match n {
        x if x <= 10.0 => "1-10",
        x if x <= 50.0 => "11-50",
        x if x <= 200.0 => "51-200",
        x if x <= 1000.0 => "201-1000",
        x if x <= 5000.0 => "1001-5000",
        _ => "5001+",
    }
}

fn category_of(ws: &Workspace, attribute: &str, lead: LeadIx) -> String {
    if attribute == "employee_band" {
        return match ws.attribute("employees").map(|a| a.values.get(lead)) {
            Some(AttrValue::Number(n)) => band(n).into(),
            _ => "(none)".into(),
        };
    }
    match ws.attribute(attribute).map(|a| a.values.get(lead)) {
        Some(AttrValue::Text(s)) => ws.text(s).to_string(),
        _ => "(none)".into(),
    }
}

/// Features resolved against one workspace's symbols, so rows are built without string work.
struct Plan {
    slots: Vec<Slot>,
    log_employees_mean: f64,
    employees: Option<usize>,
}

enum Slot {
    Text {
        col: Option<usize>,
        value: Option<Sym>,
        none: bool,
    },
    Band(&'static str),
    LogEmployees,
    EmployeesMissing,
    Flag(Option<usize>),
    Channel(Option<Sym>),
    Team(Option<Team>),
    Touches,
    DaysSinceLastTouch,
}

impl Plan {
    fn new(ws: &Workspace, features: &[Feature], log_employees_mean: f64) -> Plan {
        let col = |name: &str| ws.attributes.iter().position(|a| a.name == name);
        let slots = features
            .iter()
            .map(|f| match f {
                Feature::Category { attribute, value } if attribute == "employee_band" => {
                    Slot::Band(
                        BANDS
                            .iter()
                            .find(|b| *b == value)
                            .copied()
                            .unwrap_or("(none)"),
                    )
                }
                Feature::Category { attribute, value } => Slot::Text {
                    col: col(attribute),
                    value: ws.symbols.get(value),
                    none: value == "(none)",
                },
                Feature::LogEmployees => Slot::LogEmployees,
                Feature::EmployeesMissing => Slot::EmployeesMissing,
                Feature::Flag { attribute } => Slot::Flag(col(attribute)),
                Feature::Channel { channel } => Slot::Channel(ws.symbols.get(channel)),
                Feature::Team { team } => Slot::Team(Team::parse(team)),
                Feature::Touches => Slot::Touches,
                Feature::DaysSinceLastTouch => Slot::DaysSinceLastTouch,
            })
            .collect();
        Plan {
            slots,
            log_employees_mean,
            employees: col("employees"),
        }
    }

    /// Calls `put(j, value)` for every non-zero feature of a lead whose window ends at `end`.
    fn row(&self, ws: &Workspace, lead: LeadIx, end: Instant, mut put: impl FnMut(usize, f64)) {
        let created = ws.leads[lead as usize].created_at;
        let all = ws.events_of(lead);
        let from = all.partition_point(|e| e.ts < created);
        let to = all.partition_point(|e| e.ts <= end).max(from);
        let window = &all[from..to];
        let decay = |ts: Instant| {
            (-((end.0 - ts.0) as f64 / MICROS_PER_DAY as f64) / HALF_LIFE_DAYS).exp2()
        };
        let employees = match self.employees.map(|c| ws.attributes[c].values.get(lead)) {
            Some(AttrValue::Number(n)) => Some(n),
            _ => None,
        };
        for (j, slot) in self.slots.iter().enumerate() {
            let v = match slot {
                Slot::Text { col, value, none } => {
                    let actual = col.map(|c| ws.attributes[c].values.get(lead));
                    let hit = match actual {
                        Some(AttrValue::Text(sym)) => Some(sym) == *value,
                        _ => *none,
                    };
                    f64::from(u8::from(hit))
                }
                Slot::Band(b) => f64::from(u8::from(employees.map_or("(none)", band) == *b)),
                Slot::LogEmployees => {
                    employees.map_or(self.log_employees_mean, |n| n.max(0.0).ln_1p())
                }
                Slot::EmployeesMissing => f64::from(u8::from(employees.is_none())),
                Slot::Flag(c) => f64::from(u8::from(
                    c.map(|c| ws.attributes[c].values.get(lead)) == Some(AttrValue::Bool(true)),
                )),
                Slot::Channel(sym) => window
                    .iter()
                    .filter(|e| Some(e.channel) == *sym)
                    .map(|e| decay(e.ts))
                    .sum(),
                Slot::Team(t) => window
                    .iter()
                    .filter(|e| e.team.is_some() && e.team == *t)
                    .map(|e| decay(e.ts))
                    .sum(),
                Slot::Touches => (window.len() as f64).ln_1p(),
                Slot::DaysSinceLastTouch => {
                    window
                        .last()
                        .map_or((end.0 - created.0) as f64, |e| (end.0 - e.ts.0) as f64)
                        / MICROS_PER_DAY as f64
                }
            };
            if v != 0.0 {
                put(j, v);
            }
        }
    }

    fn dense(&self, ws: &Workspace, lead: LeadIx, end: Instant) -> Vec<f64> {
        let mut x = vec![0.0; self.slots.len()];
        self.row(ws, lead, end, |j, v| x[j] = v);
        x
    }
}

const BANDS: [&str; 7] = [
    "1-10",
    "11-50",
    "51-200",
    "201-1000",
    "1001-5000",
    "5001+",
    "(none)",
];

/// Rows of a sparse design matrix.
#[derive(Debug, Clone, Default)]
pub struct SparseRows {
    /// Start of each row in `cols`/`vals`; one more entry than rows.
    pub offsets: Vec<usize>,
    /// Column of each stored value.
    pub cols: Vec<u32>,
    /// The stored (non-zero) values.
    pub vals: Vec<f64>,
}

impl SparseRows {
    /// Builds rows from dense row-major data with `d` columns.
    pub fn from_dense(x: &[f64], d: usize) -> Self {
        let mut rows = SparseRows {
            offsets: vec![0],
            ..Default::default()
        };
        for row in x.chunks(d) {
            for (j, &v) in row.iter().enumerate() {
                if v != 0.0 {
                    rows.cols.push(j as u32);
                    rows.vals.push(v);
                }
            }
            rows.offsets.push(rows.cols.len());
        }
        rows
    }

    fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let (a, b) = (self.offsets[i], self.offsets[i + 1]);
        (&self.cols[a..b], &self.vals[a..b])
    }
}

/// When each lead reached the target (`None`: not by `as_of`).
fn target_times(
    ws: &Workspace,
    target: &str,
    as_of: Instant,
) -> Result<Vec<Option<Instant>>, TrainError> {
    let mut out = vec![None; ws.leads.len()];
    match target {
        "won" => {
            for d in &ws.deals {
                if d.status == DealStatus::Won
                    && let Some(c) = d.closed_at.filter(|&c| c <= as_of)
                {
                    let slot = &mut out[d.lead as usize];
                    *slot = Some(slot.map_or(c, |x: Instant| x.min(c)));
                }
            }
        }
        "sql" => {
            let q = ws
                .framework
                .qualified_stage()
                .ok_or_else(|| TrainError::UnknownTarget(target.into()))?;
            let funnel = &ws.framework.config.lifecycle.stages;
            let qi = funnel
                .iter()
                .position(|s| s == q)
                .ok_or_else(|| TrainError::UnknownTarget(q.into()))? as u16;
            for s in ws
                .stages
                .iter()
                .filter(|s| s.ts <= as_of && (s.stage as usize) < funnel.len() && s.stage >= qi)
            {
                let slot = &mut out[s.lead as usize];
                *slot = Some(slot.map_or(s.ts, |x: Instant| x.min(s.ts)));
            }
        }
        other => return Err(TrainError::UnknownTarget(other.into())),
    }
    Ok(out)
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        z.exp() / (1.0 + z.exp())
    }
}

/// Solves `a x = b` for a symmetric positive-definite `a` (Cholesky); `None` when not SPD.
fn solve_spd(a: &[f64], b: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut sum = a[i * n + j];
            for k in 0..j {
                sum -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if sum <= 0.0 {
                    return None;
                }
                l[i * n + i] = sum.sqrt();
            } else {
                l[i * n + j] = sum / l[j * n + j];
            }
        }
    }
    let mut y = vec![0.0; n];
    for i in 0..n {
        let mut sum = b[i];
        for k in 0..i {
            sum -= l[i * n + k] * y[k];
        }
        y[i] = sum / l[i * n + i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let mut sum = y[i];
        for k in i + 1..n {
            sum -= l[k * n + i] * x[k];
        }
        x[i] = sum / l[i * n + i];
    }
    Some(x)
}

/// The penalised negative log-likelihood of weights `w` (intercept first).
fn objective(x: &SparseRows, y: &[f64], w: &[f64], penalty: &[f64]) -> f64 {
    let mut loss = 0.0;
    for (i, &yi) in y.iter().enumerate() {
        let (c, v) = x.row(i);
        let z = w[0]
            + c.iter()
                .zip(v)
                .map(|(&j, &v)| w[j as usize + 1] * v)
                .sum::<f64>();
        // log(1 + e^z) − y·z, computed stably.
        loss += if z > 0.0 {
            z + (-z).exp().ln_1p()
        } else {
            z.exp().ln_1p()
        } - yi * z;
    }
    loss + 0.5
        * w[1..]
            .iter()
            .zip(penalty)
            .map(|(b, p)| p * b * b)
            .sum::<f64>()
}

/// Fits an L2-regularised logistic regression by Newton's method (IRLS) on sparse rows with `d`
/// columns. `penalty[j]` multiplies ½β_j² (the intercept is not penalised). Returns
/// (intercept, β, iterations).
pub fn fit_logistic(x: &SparseRows, y: &[f64], d: usize, penalty: &[f64]) -> (f64, Vec<f64>, u32) {
    let n = x.len();
    let p = d + 1;
    let mut w = vec![0.0; p];
    let base = (y.iter().sum::<f64>() / n.max(1) as f64).clamp(1e-6, 1.0 - 1e-6);
    w[0] = (base / (1.0 - base)).ln();
    let mut iterations = 0;
    let mut cols: Vec<usize> = Vec::with_capacity(p);
    let mut vals: Vec<f64> = Vec::with_capacity(p);
    for it in 0..100 {
        iterations = it + 1;
        let mut grad = vec![0.0; p];
        let mut hess = vec![0.0; p * p];
        for (i, &yi) in y.iter().enumerate().take(n) {
            let (c, v) = x.row(i);
            cols.clear();
            vals.clear();
            cols.push(0);
            vals.push(1.0);
            cols.extend(c.iter().map(|&j| j as usize + 1));
            vals.extend_from_slice(v);
            let z: f64 = cols.iter().zip(&vals).map(|(&j, &v)| w[j] * v).sum();
            let mu = sigmoid(z);
            let r = mu - yi;
            let weight = (mu * (1.0 - mu)).max(1e-12);
            for (a, (&ja, &va)) in cols.iter().zip(&vals).enumerate() {
                grad[ja] += r * va;
                let wa = weight * va;
                for (&jb, &vb) in cols[..=a].iter().zip(&vals[..=a]) {
                    hess[ja * p + jb] += wa * vb;
                }
            }
        }
        for a in 1..p {
            grad[a] += penalty[a - 1] * w[a];
            hess[a * p + a] += penalty[a - 1];
        }
        for a in 0..p {
            for b in 0..a {
                hess[b * p + a] = hess[a * p + b];
            }
        }
        let Some(step) = solve_spd(&hess, &grad, p) else {
            break;
        };
        // Damped Newton: halve the step until the penalised loss does not increase.
        let current = objective(x, y, &w, penalty);
        let mut t = 1.0;
        let mut next = w.clone();
        loop {
            for a in 0..p {
                next[a] = w[a] - t * step[a];
            }
            if objective(x, y, &next, penalty) <= current + 1e-12 * current.abs() || t < 1e-6 {
                break;
            }
            t *= 0.5;
        }
        let biggest = step.iter().fold(0.0f64, |m, s| m.max((t * s).abs()));
        w.copy_from_slice(&next);
        if biggest < 1e-8 {
            break;
        }
    }
    (w[0], w[1..].to_vec(), iterations)
}

/// Area under the ROC curve (ties count half).
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    crate::order::sort_by(&mut idx, |&a, &b| scores[a].total_cmp(&scores[b]));
    let (pos, neg) = labels.iter().fold(
        (0u64, 0u64),
        |(p, n), &l| if l { (p + 1, n) } else { (p, n + 1) },
    );
    if pos == 0 || neg == 0 {
        return None;
    }
    // Mann–Whitney U with average ranks for ties.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if labels[k] {
                rank_sum += avg;
            }
        }
        i = j + 1;
    }
    let (p, n) = (pos as f64, neg as f64);
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

impl Model {
    /// Trains a model on `ws` as of `as_of`.
    pub fn train(
        ws: &Workspace,
        as_of: Instant,
        options: &TrainOptions,
    ) -> Result<Model, TrainError> {
        let reached = target_times(ws, &options.target, as_of)?;
        let window = (options.within_days * MICROS_PER_DAY as f64) as i64;
        let observe = (options.observe_days * MICROS_PER_DAY as f64) as i64;
        let (mut censored, mut early) = (0u64, 0u64);
        let mut eligible: Vec<LeadIx> = Vec::new();
        for (i, l) in ws.leads.iter().enumerate() {
            if l.created_at.0 + window > as_of.0 {
                censored += 1;
            } else if reached[i].is_some_and(|t| t.0 <= l.created_at.0 + observe) {
                early += 1;
            } else {
                eligible.push(i as LeadIx);
            }
        }
        crate::order::sort_by_key(&mut eligible, |&l| {
            (ws.leads[l as usize].created_at, ws.leads[l as usize].id)
        });
        let label = |l: LeadIx| {
            reached[l as usize].is_some_and(|t| t.0 <= ws.leads[l as usize].created_at.0 + window)
        };
        let split = ((eligible.len() as f64) * (1.0 - options.holdout)).round() as usize;
        let (train, test) = eligible.split_at(split.min(eligible.len()));
        let train_pos = train.iter().filter(|&&l| label(l)).count() as u64;
        if train.len() < 50 || train_pos < 10 || (train.len() as u64 - train_pos) < 10 {
            return Err(TrainError::NotEnoughData(format!(
                "{} training leads with {train_pos} conversions (need at least 50 leads and 10 of each outcome); {censored} leads are too recent for a {}-day label window",
                train.len(),
                options.within_days
            )));
        }
        // Features from the training leads only.
        let mut features = Vec::new();
        for attribute in ["source", "industry", "persona", "country", "employee_band"] {
            if attribute != "employee_band"
                && !matches!(
                    ws.attribute(attribute).map(|a| &a.values),
                    Some(AttrColumn::Text(_))
                )
            {
                continue;
            }
            let mut counts: Map<String, u64> = Map::new();
            for &l in train {
                *counts.entry(category_of(ws, attribute, l)).or_insert(0) += 1;
            }
            let min = ((train.len() as f64) * 0.01).max(10.0) as u64;
            for (value, n) in counts {
                if n >= min {
                    features.push(Feature::Category {
                        attribute: attribute.into(),
                        value,
                    });
                }
            }
        }
        if matches!(
            ws.attribute("employees").map(|a| &a.values),
            Some(AttrColumn::Number(_))
        ) {
            features.push(Feature::LogEmployees);
            features.push(Feature::EmployeesMissing);
        }
        for a in &ws.attributes {
            if matches!(a.values, AttrColumn::Bool(_)) {
                features.push(Feature::Flag {
                    attribute: a.name.clone(),
                });
            }
        }
        let mut channel_counts: Map<String, u64> = Map::new();
        for e in &ws.events {
            *channel_counts
                .entry(ws.text(e.channel).to_string())
                .or_insert(0) += 1;
        }
        let min_events = (ws.events.len() as f64 * 0.01) as u64;
        for (channel, n) in channel_counts {
            if n >= min_events.max(1) {
                features.push(Feature::Channel { channel });
            }
        }
        for team in ["marketing", "sales", "cs"] {
            features.push(Feature::Team { team: team.into() });
        }
        features.push(Feature::Touches);
        features.push(Feature::DaysSinceLastTouch);

        let log_emp: Vec<f64> = train
            .iter()
            .filter_map(
                |&l| match ws.attribute("employees").map(|a| a.values.get(l)) {
                    Some(AttrValue::Number(n)) => Some(n.max(0.0).ln_1p()),
                    _ => None,
                },
            )
            .collect();
        let log_mean = if log_emp.is_empty() {
            0.0
        } else {
            log_emp.iter().sum::<f64>() / log_emp.len() as f64
        };
        let d = features.len();
        let plan = Plan::new(ws, &features, log_mean);
        let mut xt = SparseRows {
            offsets: vec![0],
            ..Default::default()
        };
        for &l in train {
            plan.row(
                ws,
                l,
                Instant(ws.leads[l as usize].created_at.0 + observe),
                |j, v| {
                    xt.cols.push(j as u32);
                    xt.vals.push(v);
                },
            );
            xt.offsets.push(xt.cols.len());
        }
        let n = train.len() as f64;
        let (mut sum, mut sum_sq) = (vec![0.0; d], vec![0.0; d]);
        for (&j, &v) in xt.cols.iter().zip(&xt.vals) {
            sum[j as usize] += v;
            sum_sq[j as usize] += v * v;
        }
        let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
        let std: Vec<f64> = sum_sq
            .iter()
            .zip(&mean)
            .map(|(q, m)| {
                let var = (q / n - m * m).max(0.0);
                if var > 1e-12 { var.sqrt() } else { 1.0 }
            })
            .collect();
        // Fitting raw features with penalty l2·std² equals fitting standardised ones with l2,
        // and keeps one-hot rows sparse.
        let penalty: Vec<f64> = std.iter().map(|s| options.l2 * s * s).collect();
        let yt: Vec<f64> = train
            .iter()
            .map(|&l| f64::from(u8::from(label(l))))
            .collect();
        let (raw_intercept, raw, iterations) = fit_logistic(&xt, &yt, d, &penalty);
        drop(xt);
        let coefficients: Vec<f64> = raw.iter().zip(&std).map(|(b, s)| b * s).collect();
        let intercept = raw_intercept + raw.iter().zip(&mean).map(|(b, m)| b * m).sum::<f64>();
        let mut model = Model {
            format: FORMAT.into(),
            options: options.clone(),
            features,
            mean,
            std,
            coefficients,
            intercept,
            report: TrainReport {
                eligible: eligible.len() as u64,
                censored,
                converted_while_observed: early,
                train: (train.len() as u64, train_pos),
                holdout: (
                    test.len() as u64,
                    test.iter().filter(|&&l| label(l)).count() as u64,
                ),
                iterations,
                auc: None,
                auc_interval: None,
                rule_score_auc: None,
                log_loss: None,
                base_rate_log_loss: None,
                brier: None,
                calibration: Vec::new(),
                top_features: Vec::new(),
                no_signal: false,
                verdict: String::new(),
            },
        };
        // Holdout metrics.
        let test_plan = model.plan(ws);
        let probs: Vec<f64> = test
            .iter()
            .map(|&l| {
                model.probability_with(
                    &test_plan,
                    ws,
                    l,
                    Instant(ws.leads[l as usize].created_at.0 + observe),
                )
            })
            .collect();
        let labels: Vec<bool> = test.iter().map(|&l| label(l)).collect();
        let rules = ScoringModel::compile(ws).ok();
        let rule_scores: Option<Vec<f64>> = rules.map(|m| {
            test.iter()
                .map(|&l| {
                    score_lead(
                        &m,
                        ws,
                        l,
                        Instant(ws.leads[l as usize].created_at.0 + observe),
                    )
                    .score
                })
                .collect()
        });
        let r = &mut model.report;
        r.auc = auc(&probs, &labels).map(round6);
        r.rule_score_auc = rule_scores
            .as_ref()
            .filter(|_| !ws.framework.config.scoring.rules.is_empty())
            .and_then(|s| auc(s, &labels))
            .map(round6);
        if !labels.is_empty() {
            let ll = |p: f64, y: bool| -> f64 {
                let p = p.clamp(1e-15, 1.0 - 1e-15);
                if y { -p.ln() } else { -(1.0 - p).ln() }
            };
            let base = (train_pos as f64 / n).clamp(1e-6, 1.0 - 1e-6);
            r.log_loss = Some(round6(
                probs
                    .iter()
                    .zip(&labels)
                    .map(|(&p, &y)| ll(p, y))
                    .sum::<f64>()
                    / labels.len() as f64,
            ));
            r.base_rate_log_loss = Some(round6(
                labels.iter().map(|&y| ll(base, y)).sum::<f64>() / labels.len() as f64,
            ));
            r.brier = Some(round6(
                probs
                    .iter()
                    .zip(&labels)
                    .map(|(&p, &y)| (p - f64::from(u8::from(y))).powi(2))
                    .sum::<f64>()
                    / labels.len() as f64,
            ));
            let mut order: Vec<usize> = (0..probs.len()).collect();
            crate::order::sort_by(&mut order, |&a, &b| probs[a].total_cmp(&probs[b]));
            for chunk in order.chunks(order.len().div_ceil(10).max(1)) {
                let k = chunk.len() as f64;
                r.calibration.push(CalibrationBin {
                    n: chunk.len() as u64,
                    predicted: round6(chunk.iter().map(|&i| probs[i]).sum::<f64>() / k),
                    observed: round6(chunk.iter().filter(|&&i| labels[i]).count() as f64 / k),
                });
            }
        }
        if let Some(a) = r.auc {
            // Hanley & McNeil (1982) standard error.
            let (p, q) = (r.holdout.1 as f64, (r.holdout.0 - r.holdout.1) as f64);
            let q1 = a / (2.0 - a);
            let q2 = 2.0 * a * a / (1.0 + a);
            let se = ((a * (1.0 - a) + (p - 1.0) * (q1 - a * a) + (q - 1.0) * (q2 - a * a))
                / (p * q))
                .max(0.0)
                .sqrt();
            r.auc_interval = Some((round6(a - Z95 * se), round6(a + Z95 * se)));
            r.no_signal = a - Z95 * se <= 0.5;
        } else {
            r.no_signal = true;
        }
        let mut ranked: Vec<(String, f64)> = model
            .features
            .iter()
            .zip(&model.coefficients)
            .map(|(f, &c)| (f.label(), round6(c)))
            .collect();
        crate::order::sort_by(&mut ranked, |a, b| {
            b.1.abs().total_cmp(&a.1.abs()).then_with(|| a.0.cmp(&b.0))
        });
        ranked.truncate(10);
        let r = &mut model.report;
        r.top_features = ranked;
        r.verdict = match (r.no_signal, r.auc, r.rule_score_auc) {
            (true, a, _) => format!(
                "no signal: the holdout AUC ({}) is not distinguishable from chance; do not use these probabilities",
                a.map_or("undefined".into(), |a| format!("{a:.3}"))
            ),
            (false, Some(a), Some(rs)) if a > rs => format!(
                "the model ranks leads better than the rule score on the holdout (AUC {a:.3} vs {rs:.3})"
            ),
            (false, Some(a), Some(rs)) => format!(
                "the model does not beat the rule score on the holdout (AUC {a:.3} vs {rs:.3})"
            ),
            (false, Some(a), None) => format!("holdout AUC {a:.3}"),
            _ => String::new(),
        };
        Ok(model)
    }

    /// Parses a model file.
    pub fn from_json(text: &str) -> Result<Model, TrainError> {
        let m: Model =
            serde_json::from_str(text).map_err(|e| TrainError::BadModel(e.to_string()))?;
        if m.format != FORMAT
            || m.coefficients.len() != m.features.len()
            || m.mean.len() != m.features.len()
            || m.std.len() != m.features.len()
        {
            return Err(TrainError::BadModel(format!(
                "format {:?} with {} features",
                m.format,
                m.features.len()
            )));
        }
        Ok(m)
    }

    /// The model as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    fn log_employees_mean(&self) -> f64 {
        self.features
            .iter()
            .position(|f| *f == Feature::LogEmployees)
            .map_or(0.0, |i| self.mean[i])
    }

    fn plan(&self, ws: &Workspace) -> Plan {
        Plan::new(ws, &self.features, self.log_employees_mean())
    }

    /// Probability with the observation window ending at `end`.
    fn probability_with(&self, plan: &Plan, ws: &Workspace, lead: LeadIx, end: Instant) -> f64 {
        // Standardised: z = b0 + Σ β_j (x_j − m_j)/s_j; zero features contribute −β_j m_j / s_j.
        let mut z = self.intercept
            - (0..self.features.len())
                .map(|j| self.coefficients[j] * self.mean[j] / self.std[j])
                .sum::<f64>();
        plan.row(ws, lead, end, |j, v| {
            z += self.coefficients[j] * v / self.std[j]
        });
        sigmoid(z)
    }

    fn probability_at(&self, ws: &Workspace, lead: LeadIx, end: Instant) -> f64 {
        self.probability_with(&self.plan(ws), ws, lead, end)
    }

    /// The probability for a lead, its observation window ending `observe_days` after creation
    /// (or at `as_of` if that comes first).
    pub fn probability(&self, ws: &Workspace, lead: LeadIx, as_of: Instant) -> f64 {
        let end = self.window_end(ws, lead, as_of);
        round6(self.probability_at(ws, lead, end))
    }

    /// Every lead's probability, in lead order.
    pub fn probabilities(&self, ws: &Workspace, as_of: Instant) -> Vec<f64> {
        let plan = self.plan(ws);
        (0..ws.leads.len() as LeadIx)
            .map(|l| round6(self.probability_with(&plan, ws, l, self.window_end(ws, l, as_of))))
            .collect()
    }

    fn window_end(&self, ws: &Workspace, lead: LeadIx, as_of: Instant) -> Instant {
        let observe = (self.options.observe_days * MICROS_PER_DAY as f64) as i64;
        Instant((ws.leads[lead as usize].created_at.0 + observe).min(as_of.0))
    }

    /// Each feature's contribution to the log-odds for a lead, largest first.
    pub fn explain(&self, ws: &Workspace, lead: LeadIx, as_of: Instant) -> Vec<(String, f64)> {
        let x = self
            .plan(ws)
            .dense(ws, lead, self.window_end(ws, lead, as_of));
        let mut c: Vec<(String, f64)> = self
            .features
            .iter()
            .enumerate()
            .map(|(j, f)| {
                (
                    f.label(),
                    round6(self.coefficients[j] * (x[j] - self.mean[j]) / self.std[j]),
                )
            })
            .filter(|(_, v)| *v != 0.0)
            .collect();
        crate::order::sort_by(&mut c, |a, b| {
            b.1.abs().total_cmp(&a.1.abs()).then_with(|| a.0.cmp(&b.0))
        });
        c
    }
}
