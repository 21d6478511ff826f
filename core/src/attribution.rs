//! Multi-touch attribution by channel and by function (team): first and last touch, linear, time
//! decay, position-based (40/20/40), W-shaped, full path, Markov removal effect (exact, from the
//! absorbing chain) and Shapley values (exact up to 15 channels, seeded sampling beyond).
//!
//! A lead's **path** is the channel of each of its events (all teams) in time order, up to its
//! conversion (inclusive) or, for non-converters, up to `as_of`; consecutive repeats are kept;
//! `lookback_days` keeps only touches that many days before the path's end.

use crate::order::CollectOrdered;
use crate::order::Map;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::model::{DealStatus, LeadIx, Team, Workspace};
use crate::stats::round6;
use crate::time::{Instant, MICROS_PER_DAY};

/// Channels up to which Shapley values are computed exactly.
pub const SHAPLEY_EXACT_MAX: usize = 15;

/// Every model, in report order.
pub const MODELS: &[&str] = &[
    "first_touch",
    "last_touch",
    "linear",
    "time_decay",
    "position_based",
    "w_shaped",
    "full_path",
    "markov",
    "shapley",
];

/// The rule-based models: each splits a converting path's credit by fixed weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heuristic {
    /// All credit to the first touch.
    FirstTouch,
    /// All credit to the last touch.
    LastTouch,
    /// Equal credit to every touch.
    Linear,
    /// Credit halving every `half_life_days` before the end of the path.
    TimeDecay,
    /// U-shaped: 40 % first, 40 % last, 20 % spread over the middle.
    PositionBased,
    /// 30 % each to first touch, lead creation and deal creation; 10 % spread.
    WShaped,
    /// 22.5 % each to first touch, lead creation, deal creation and last touch; 10 % spread.
    FullPath,
}

impl Heuristic {
    /// Every heuristic model, in report order (the first seven of [`MODELS`]).
    pub const ALL: [Heuristic; 7] = [
        Heuristic::FirstTouch,
        Heuristic::LastTouch,
        Heuristic::Linear,
        Heuristic::TimeDecay,
        Heuristic::PositionBased,
        Heuristic::WShaped,
        Heuristic::FullPath,
    ];

    /// The model's name in `report.json`.
    pub fn name(self) -> &'static str {
        match self {
            Heuristic::FirstTouch => "first_touch",
            Heuristic::LastTouch => "last_touch",
            Heuristic::Linear => "linear",
            Heuristic::TimeDecay => "time_decay",
            Heuristic::PositionBased => "position_based",
            Heuristic::WShaped => "w_shaped",
            Heuristic::FullPath => "full_path",
        }
    }

    /// The model named `name`, if it is a heuristic one.
    pub fn from_name(name: &str) -> Option<Heuristic> {
        Heuristic::ALL.into_iter().find(|h| h.name() == name)
    }
}

/// Teams credited (index 3: touches without a team).
pub const TEAMS: [&str; 4] = ["marketing", "sales", "cs", "unassigned"];

/// One touch of a path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Touch {
    /// Index into [`PathSet::channels`].
    pub channel: u32,
    /// Index into [`TEAMS`].
    pub team: u8,
    /// Days from the touch to the path's end (conversion or `as_of`).
    pub days_before_end: f64,
}

impl Touch {
    fn ch(&self) -> usize {
        self.channel as usize
    }

    fn tm(&self) -> usize {
        self.team as usize
    }
}

/// One lead's path.
#[derive(Debug, Clone, PartialEq)]
pub struct PathRecord {
    /// Touches in time order.
    pub touches: Vec<Touch>,
    /// Whether the path ends in a conversion.
    pub converted: bool,
    /// Revenue of the conversion (won amount).
    pub revenue: f64,
    /// Index of the lead-creation touch (the last touch at or before the lead was created).
    pub lead_creation: Option<usize>,
    /// Index of the opportunity-creation touch (the last touch at or before the first deal).
    pub deal_creation: Option<usize>,
}

/// Paths over named channels.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PathSet {
    /// Channel names.
    pub channels: Vec<String>,
    /// The paths.
    pub paths: Vec<PathRecord>,
}

/// Attribution options.
#[derive(Debug, Clone, Copy)]
pub struct AttributionOptions {
    /// Half-life of the time-decay model, days.
    pub half_life_days: f64,
    /// Seed for sampled Shapley values.
    pub seed: u64,
    /// Permutations sampled beyond [`SHAPLEY_EXACT_MAX`] channels.
    pub shapley_samples: u32,
}

/// `report.json` → `attribution`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AttributionReport {
    /// What counts as a conversion.
    pub conversion: String,
    /// Lookback window, days.
    pub lookback_days: Option<u32>,
    /// Converting paths with at least one touch (credits sum to this).
    pub conversions: u64,
    /// Conversions with no touch in their path (not attributable).
    pub conversions_without_touches: u64,
    /// Non-converting paths with at least one touch (used by Markov).
    pub non_converting_paths: u64,
    /// Revenue of the attributable conversions.
    pub revenue: f64,
    /// Mean touches per converting path.
    pub mean_path_length: Option<f64>,
    /// How Shapley values were computed.
    pub shapley_method: String,
    /// Model → channel → conversions credited.
    pub by_channel: Map<String, Map<String, f64>>,
    /// Model → channel → revenue credited.
    pub revenue_by_channel: Map<String, Map<String, f64>>,
    /// Model → team → conversions credited (the function contribution).
    pub by_team: Map<String, Map<String, f64>>,
    /// Markov: channel → removal effect RE(c) = 1 − P(conv | c removed) / P(conv).
    pub removal_effects: Map<String, f64>,
}

/// Per-model credits per channel (conversions and revenue) and per team.
#[derive(Debug, Clone)]
pub struct Credits {
    /// Conversions per channel.
    pub conversions: Vec<f64>,
    /// Revenue per channel.
    pub revenue: Vec<f64>,
    /// Conversions per team.
    pub teams: [f64; 4],
}

impl Credits {
    fn new(channels: usize) -> Self {
        Self {
            conversions: vec![0.0; channels],
            revenue: vec![0.0; channels],
            teams: [0.0; 4],
        }
    }
}

/// Touch weights (summing to 1) of a heuristic model for one converting path.
pub fn heuristic_weights(model: Heuristic, p: &PathRecord, half_life_days: f64) -> Vec<f64> {
    let n = p.touches.len();
    let mut w = vec![0.0; n];
    if n == 0 {
        return w;
    }
    match model {
        Heuristic::FirstTouch => w[0] = 1.0,
        Heuristic::LastTouch => w[n - 1] = 1.0,
        Heuristic::Linear => w.iter_mut().for_each(|x| *x = 1.0 / n as f64),
        Heuristic::TimeDecay => {
            for (x, t) in w.iter_mut().zip(&p.touches) {
                *x = (-t.days_before_end / half_life_days).exp2();
            }
            let sum: f64 = w.iter().sum();
            w.iter_mut().for_each(|x| *x /= sum);
        }
        Heuristic::PositionBased => match n {
            1 => w[0] = 1.0,
            2 => {
                w[0] = 0.5;
                w[1] = 0.5;
            }
            _ => {
                w[0] = 0.4;
                w[n - 1] = 0.4;
                for x in &mut w[1..n - 1] {
                    *x = 0.2 / (n - 2) as f64;
                }
            }
        },
        Heuristic::WShaped | Heuristic::FullPath => {
            let lead = p.lead_creation.unwrap_or(0);
            let deal = p.deal_creation.unwrap_or(n - 1);
            let (anchors, share): (Vec<usize>, f64) = if model == Heuristic::WShaped {
                (vec![0, lead, deal], 0.3)
            } else {
                (vec![0, lead, deal, n - 1], 0.225)
            };
            for &a in &anchors {
                w[a] += share;
            }
            let spread = 1.0 - share * anchors.len() as f64;
            let others: Vec<usize> = (0..n).filter(|i| !anchors.contains(i)).collect();
            if others.is_empty() {
                w.iter_mut().for_each(|x| *x += spread / n as f64);
            } else {
                for i in &others {
                    w[*i] += spread / others.len() as f64;
                }
            }
        }
    }
    w
}

/// Credits of a heuristic model.
pub fn heuristic(model: Heuristic, set: &PathSet, half_life_days: f64) -> Credits {
    let mut c = Credits::new(set.channels.len());
    for p in set
        .paths
        .iter()
        .filter(|p| p.converted && !p.touches.is_empty())
    {
        for (t, w) in p
            .touches
            .iter()
            .zip(heuristic_weights(model, p, half_life_days))
        {
            c.conversions[t.ch()] += w;
            c.revenue[t.ch()] += w * p.revenue;
            c.teams[t.tm()] += w;
        }
    }
    c
}

/// Solves `a x = b` (dense, row-major, n × n) by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<f64>, mut b: Vec<f64>, n: usize) -> Option<Vec<f64>> {
    for col in 0..n {
        let pivot =
            (col..n).max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))?;
        if a[pivot * n + col].abs() < 1e-300 {
            return None;
        }
        if pivot != col {
            for k in 0..n {
                a.swap(col * n + k, pivot * n + k);
            }
            b.swap(col, pivot);
        }
        for row in col + 1..n {
            let f = a[row * n + col] / a[col * n + col];
            if f != 0.0 {
                for k in col..n {
                    a[row * n + k] -= f * a[col * n + k];
                }
                b[row] -= f * b[col];
            }
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row * n + k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row * n + row];
    }
    Some(x)
}

/// The first-order Markov chain of the paths: transition counts between start (0), channels
/// (1..=C), conversion (C+1) and null (C+2).
pub struct MarkovChain {
    channels: usize,
    counts: Vec<f64>,
}

impl MarkovChain {
    /// Counts the transitions of every path with at least one touch.
    pub fn new(set: &PathSet) -> Self {
        let c = set.channels.len();
        let s = c + 3;
        let mut counts = vec![0.0; s * s];
        for p in set.paths.iter().filter(|p| !p.touches.is_empty()) {
            let mut from = 0;
            for t in &p.touches {
                counts[from * s + t.ch() + 1] += 1.0;
                from = t.ch() + 1;
            }
            let end = if p.converted { c + 1 } else { c + 2 };
            counts[from * s + end] += 1.0;
        }
        Self {
            channels: c,
            counts,
        }
    }

    /// A chain from transition counts: `(from, to)` with 0 = start, `c + 1` = channel `c`,
    /// `channels + 1` = conversion, `channels + 2` = null.
    pub fn from_counts(
        channels: usize,
        transitions: impl IntoIterator<Item = ((usize, usize), f64)>,
    ) -> Self {
        let s = channels + 3;
        let mut counts = vec![0.0; s * s];
        for ((from, to), n) in transitions {
            counts[from * s + to] += n;
        }
        Self { channels, counts }
    }

    /// Every non-zero transition count.
    pub fn transitions(&self) -> impl Iterator<Item = ((usize, usize), f64)> + '_ {
        let s = self.channels + 3;
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, n)| **n != 0.0)
            .map(move |(i, &n)| ((i / s, i % s), n))
    }

    /// P(conversion) from start; with `removed`, that channel's visits end in null.
    pub fn conversion_probability(&self, removed: Option<usize>) -> f64 {
        let c = self.channels;
        let s = c + 3;
        let n = c + 1; // transient: start + channels
        let mut a = vec![0.0; n * n];
        let mut b = vec![0.0; n];
        for i in 0..n {
            a[i * n + i] = 1.0;
            if removed.is_some_and(|r| i == r + 1) {
                continue;
            }
            let row = &self.counts[i * s..(i + 1) * s];
            let total: f64 = row.iter().sum();
            if total == 0.0 {
                continue;
            }
            for j in 0..n {
                if removed.is_some_and(|r| j == r + 1) {
                    continue; // into a removed channel: absorbed in null
                }
                a[i * n + j] -= row[j] / total;
            }
            b[i] = row[c + 1] / total;
        }
        solve(a, b, n).map_or(0.0, |x| x[0])
    }

    /// RE(c) for every channel.
    pub fn removal_effects(&self) -> Vec<f64> {
        let base = self.conversion_probability(None);
        (0..self.channels)
            .map(|c| {
                if base > 0.0 {
                    (1.0 - self.conversion_probability(Some(c)) / base).max(0.0)
                } else {
                    0.0
                }
            })
            .collect()
    }
}

/// Markov credits: removal effects normalised and multiplied by the conversions (and revenue).
pub fn markov(set: &PathSet) -> (Credits, Vec<f64>) {
    markov_with(&MarkovChain::new(set), set)
}

/// Markov credits from a chain counted elsewhere (e.g. while streaming non-converting paths).
pub fn markov_with(chain: &MarkovChain, set: &PathSet) -> (Credits, Vec<f64>) {
    let re = chain.removal_effects();
    let total_re: f64 = re.iter().sum();
    let conv: Vec<&PathRecord> = set
        .paths
        .iter()
        .filter(|p| p.converted && !p.touches.is_empty())
        .collect();
    let conversions = conv.len() as f64;
    let revenue: f64 = conv.iter().map(|p| p.revenue).sum();
    let mut c = Credits::new(set.channels.len());
    if total_re > 0.0 {
        for (i, r) in re.iter().enumerate() {
            c.conversions[i] = r / total_re * conversions;
            c.revenue[i] = r / total_re * revenue;
        }
    }
    c.teams = split_by_team(set, &c.conversions);
    (c, re)
}

/// Splits channel credits across teams in proportion to each channel's touches by team in
/// converting paths.
fn split_by_team(set: &PathSet, per_channel: &[f64]) -> [f64; 4] {
    let mut touches = vec![[0.0f64; 4]; set.channels.len()];
    for p in set.paths.iter().filter(|p| p.converted) {
        for t in &p.touches {
            touches[t.ch()][t.tm()] += 1.0;
        }
    }
    let mut teams = [0.0; 4];
    for (ch, credit) in per_channel.iter().enumerate() {
        let total: f64 = touches[ch].iter().sum();
        if total > 0.0 {
            for k in 0..4 {
                teams[k] += credit * touches[ch][k] / total;
            }
        }
    }
    teams
}

/// Shapley values where a coalition's worth is the conversions (or revenue) of converting paths
/// whose channels all belong to it. Exact up to 15 channels; beyond, `samples` seeded permutations.
pub fn shapley(set: &PathSet, samples: u32, seed: u64) -> (Credits, String) {
    let n = set.channels.len();
    let mut c = Credits::new(n);
    if n == 0 {
        return (c, "exact".into());
    }
    if n > 64 {
        return (c, format!("not computed: {n} channels (at most 64)"));
    }
    let mut by_mask: FxHashMap<u64, (f64, f64)> = FxHashMap::default();
    for p in set
        .paths
        .iter()
        .filter(|p| p.converted && !p.touches.is_empty())
    {
        let mask = p.touches.iter().fold(0u64, |m, t| m | (1 << t.ch()));
        let e = by_mask.entry(mask).or_default();
        e.0 += 1.0;
        e.1 += p.revenue;
    }
    let method;
    if n <= SHAPLEY_EXACT_MAX {
        let size = 1usize << n;
        let (mut v, mut r) = (vec![0.0; size], vec![0.0; size]);
        for (&m, &(k, rev)) in &by_mask {
            v[m as usize] += k;
            r[m as usize] += rev;
        }
        // Zeta transform: v(S) = Σ_{T ⊆ S} w(T).
        for i in 0..n {
            for s in 0..size {
                if s & (1 << i) != 0 {
                    v[s] += v[s ^ (1 << i)];
                    r[s] += r[s ^ (1 << i)];
                }
            }
        }
        // Weight of a coalition of size s not containing i: s!(n−s−1)!/n! = 1 / (n · C(n−1, s)).
        let mut weight = vec![0.0; n];
        let mut binom = 1.0;
        for (s, w) in weight.iter_mut().enumerate() {
            *w = 1.0 / (n as f64 * binom);
            binom = binom * (n - 1 - s) as f64 / (s + 1) as f64;
        }
        for s in 0..size {
            let k = (s as u64).count_ones() as usize;
            if k == n {
                continue;
            }
            for i in 0..n {
                if s & (1 << i) == 0 {
                    let with = s | (1 << i);
                    c.conversions[i] += weight[k] * (v[with] - v[s]);
                    c.revenue[i] += weight[k] * (r[with] - r[s]);
                }
            }
        }
        method = "exact".to_string();
    } else {
        let masks: Vec<(u64, f64, f64)> = by_mask.iter().map(|(&m, &(k, r))| (m, k, r)).collect();
        let worth = |s: u64| {
            masks
                .iter()
                .filter(|(m, _, _)| m & !s == 0)
                .fold((0.0, 0.0), |a, (_, k, r)| (a.0 + k, a.1 + r))
        };
        let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            // splitmix64
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let mut order: Vec<usize> = (0..n).collect();
        for _ in 0..samples {
            for i in (1..n).rev() {
                let j = (next() % (i as u64 + 1)) as usize;
                order.swap(i, j);
            }
            let mut s = 0u64;
            let mut prev = (0.0, 0.0);
            for &i in &order {
                s |= 1 << i;
                let now = worth(s);
                c.conversions[i] += (now.0 - prev.0) / samples as f64;
                c.revenue[i] += (now.1 - prev.1) / samples as f64;
                prev = now;
            }
        }
        method = format!("sampled: {samples} permutations, seed {seed}");
    }
    c.teams = split_by_team(set, &c.conversions);
    (c, method)
}

/// The paths of a workspace as of `as_of`, and (converting, without touches) counts.
/// The attributable paths of a workspace: the converting paths (kept whole), the Markov chain
/// counted over every path (non-converting ones are streamed into it, not stored), the count of
/// conversions without touches, and the count of non-converting paths.
pub fn paths_from_workspace(ws: &Workspace, as_of: Instant) -> (PathSet, MarkovChain, u64, u64) {
    let cfg = &ws.framework.config.attribution;
    let n = ws.leads.len();
    // Conversion instant and revenue per lead.
    let mut conversion: Vec<Option<Instant>> = vec![None; n];
    let mut revenue = vec![0.0; n];
    let mut first_deal: Vec<Option<Instant>> = vec![None; n];
    for d in &ws.deals {
        if d.created_at <= as_of {
            let f = &mut first_deal[d.lead as usize];
            *f = Some(f.map_or(d.created_at, |x: Instant| x.min(d.created_at)));
        }
        if d.status == DealStatus::Won
            && let Some(c) = d.closed_at.filter(|&c| c <= as_of)
        {
            revenue[d.lead as usize] += d.amount.unwrap_or(0.0);
            if cfg.conversion == "won" {
                let slot = &mut conversion[d.lead as usize];
                *slot = Some(slot.map_or(c, |x: Instant| x.min(c)));
            }
        }
    }
    if cfg.conversion != "won"
        && let Some(stage) = ws.stage_names.iter().position(|s| *s == cfg.conversion)
    {
        for s in ws
            .stages
            .iter()
            .filter(|s| s.stage as usize == stage && s.ts <= as_of)
        {
            let slot = &mut conversion[s.lead as usize];
            *slot = Some(slot.map_or(s.ts, |x: Instant| x.min(s.ts)));
        }
    }
    let mut channel_ix: FxHashMap<crate::symbols::Sym, usize> = FxHashMap::default();
    let mut syms: Vec<crate::symbols::Sym> = Vec::new();
    let mut paths = Vec::new();
    let mut without = 0u64;
    let mut non_converting = 0u64;
    // Transitions of non-converting paths with provisional channel ids: 0 start, id + 1 a channel,
    // u32::MAX null.
    let mut streamed: FxHashMap<(u32, u32), f64> = FxHashMap::default();
    let lookback = cfg.lookback_days.map(|d| i64::from(d) * MICROS_PER_DAY);
    for lead in 0..n as LeadIx {
        let end = conversion[lead as usize].unwrap_or(as_of);
        let all = ws.events_of(lead);
        let hi = all.partition_point(|e| e.ts <= end);
        let lo = lookback.map_or(0, |lb| all.partition_point(|e| e.ts.0 < end.0 - lb));
        let evs = &all[lo..hi.max(lo)];
        let converted = conversion[lead as usize].is_some();
        if evs.is_empty() {
            without += u64::from(converted);
            continue;
        }
        let mut id_of = |sym: crate::symbols::Sym| -> usize {
            let next = channel_ix.len();
            *channel_ix.entry(sym).or_insert_with(|| {
                syms.push(sym);
                next
            })
        };
        if !converted {
            non_converting += 1;
            let mut from = 0u32;
            for e in evs {
                let to = id_of(e.channel) as u32 + 1;
                *streamed.entry((from, to)).or_insert(0.0) += 1.0;
                from = to;
            }
            *streamed.entry((from, u32::MAX)).or_insert(0.0) += 1.0;
            continue;
        }
        let created = ws.leads[lead as usize].created_at;
        let touches: Vec<Touch> = evs
            .iter()
            .map(|e| {
                let ch = id_of(e.channel);
                let team = match e.team {
                    Some(Team::Marketing) => 0,
                    Some(Team::Sales) => 1,
                    Some(Team::Cs) => 2,
                    None => 3,
                };
                Touch {
                    channel: ch as u32,
                    team,
                    days_before_end: (end.0 - e.ts.0) as f64 / MICROS_PER_DAY as f64,
                }
            })
            .collect();
        let last_at_or_before = |t: Instant| evs.iter().rposition(|e| e.ts <= t);
        paths.push(PathRecord {
            touches,
            converted,
            revenue: if converted {
                revenue[lead as usize]
            } else {
                0.0
            },
            lead_creation: last_at_or_before(created),
            deal_creation: first_deal[lead as usize].and_then(last_at_or_before),
        });
    }
    // Channels in name order (symbols are canonical, so sorting symbols sorts names).
    let mut order: Vec<usize> = (0..syms.len()).collect();
    crate::order::sort_by_key(&mut order, |&i| syms[i]);
    let mut rank = vec![0; syms.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r;
    }
    for p in &mut paths {
        for t in &mut p.touches {
            t.channel = rank[t.ch()] as u32;
        }
    }
    let channels: Vec<String> = order
        .iter()
        .map(|&i| ws.text(syms[i]).to_string())
        .collect();
    let c = channels.len();
    let state = |id: u32| -> usize {
        match id {
            0 => 0,
            u32::MAX => c + 2,
            k => rank[k as usize - 1] + 1,
        }
    };
    let set = PathSet { channels, paths };
    let converting = MarkovChain::new(&set);
    let chain = MarkovChain::from_counts(
        c,
        streamed
            .into_iter()
            .map(|((f, t), n)| ((state(f), state(t)), n))
            .chain(converting.transitions()),
    );
    (set, chain, without, non_converting)
}

/// Runs every model.
pub fn attribute(
    set: &PathSet,
    chain: &MarkovChain,
    options: &AttributionOptions,
) -> (Vec<(&'static str, Credits)>, Vec<f64>, String) {
    let mut out = Vec::new();
    for m in Heuristic::ALL {
        out.push((m.name(), heuristic(m, set, options.half_life_days)));
    }
    let (mk, re) = markov_with(chain, set);
    out.push(("markov", mk));
    let (sh, method) = shapley(set, options.shapley_samples, options.seed);
    out.push(("shapley", sh));
    (out, re, method)
}

/// Computes `report.json` → `attribution`.
pub fn attribution_report(ws: &Workspace, as_of: Instant) -> AttributionReport {
    let cfg = &ws.framework.config.attribution;
    let (set, chain, without, non_converting) = paths_from_workspace(ws, as_of);
    let options = AttributionOptions {
        half_life_days: cfg.half_life_days,
        seed: cfg.seed,
        shapley_samples: cfg.shapley_samples,
    };
    let (credits, re, method) = attribute(&set, &chain, &options);
    let conv: Vec<&PathRecord> = set.paths.iter().filter(|p| p.converted).collect();
    let named = |v: &[f64]| -> Map<String, f64> {
        set.channels
            .iter()
            .cloned()
            .zip(v.iter().map(|x| round6(*x)))
            .collect_map()
    };
    AttributionReport {
        conversion: cfg.conversion.clone(),
        lookback_days: cfg.lookback_days,
        conversions: conv.len() as u64,
        conversions_without_touches: without,
        non_converting_paths: non_converting,
        revenue: round6(conv.iter().map(|p| p.revenue).sum()),
        mean_path_length: (!conv.is_empty()).then(|| {
            round6(conv.iter().map(|p| p.touches.len() as f64).sum::<f64>() / conv.len() as f64)
        }),
        shapley_method: method,
        by_channel: credits
            .iter()
            .map(|(m, c)| (m.to_string(), named(&c.conversions)))
            .collect_map(),
        revenue_by_channel: credits
            .iter()
            .map(|(m, c)| (m.to_string(), named(&c.revenue)))
            .collect_map(),
        by_team: credits
            .iter()
            .map(|(m, c)| {
                (
                    m.to_string(),
                    TEAMS
                        .iter()
                        .zip(c.teams)
                        .map(|(t, v)| (t.to_string(), round6(v)))
                        .collect_map(),
                )
            })
            .collect_map(),
        removal_effects: named(&re),
    }
}
