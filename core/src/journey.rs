//! The customer journey: lifecycle stages (transitions, time in stage, funnel, variants), the
//! touchpoint directly-follows graph, and who touches a lead in which stage.

use crate::order::CollectOrdered;
use crate::order::Map;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::model::{LeadIx, StageEntry, Team, Workspace};
use crate::stats::{median_p90, round6};
use crate::symbols::Sym;
use crate::time::{Instant, MICROS_PER_HOUR};

/// How many path variants the report lists.
pub const TOP_VARIANTS: usize = 10;

/// `journey`: the stage journey, the touchpoint graph and channel coordination.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Journey {
    /// Lifecycle stages.
    pub stages: StageJourney,
    /// Touchpoint directly-follows graph.
    pub touchpoints: TouchpointJourney,
    /// Channel × stage × team, and where the teams overlap.
    pub channels: ChannelCoordination,
}

/// `journey.stages`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StageJourney {
    /// Leads with at least one stage entry at or before `as_of`.
    pub leads_with_stages: u64,
    /// Leads with no stage entry.
    pub leads_without_stages: u64,
    /// Directly-follows transitions between consecutive stage entries of a lead.
    pub transitions: Vec<StageTransition>,
    /// Per stage: entries, outcomes, time in stage.
    pub stages: Vec<StageStats>,
    /// Leads reaching each funnel stage, overall, by cohort and by source.
    pub funnel: Funnel,
    /// The most frequent whole stage paths.
    pub variants: Vec<Variant>,
}

/// One directly-follows stage transition.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StageTransition {
    /// From stage.
    pub from: String,
    /// To stage.
    pub to: String,
    /// Occurrences.
    pub count: u64,
    /// Distinct leads.
    pub leads: u64,
    /// Median hours between the two entries.
    pub median_hours: Option<f64>,
    /// 90th percentile hours.
    pub p90_hours: Option<f64>,
}

/// Outcomes of the visits to one stage.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StageStats {
    /// Stage name.
    pub stage: String,
    /// `funnel` or `exit`.
    pub kind: &'static str,
    /// `marketing`, `sales` or `none`.
    pub owner: &'static str,
    /// Entries (visits).
    pub entered: u64,
    /// Distinct leads that entered.
    pub leads: u64,
    /// Visits followed by a later funnel stage (for exits: by any funnel stage, a re-entry).
    pub moved_forward: u64,
    /// Visits followed by the same or an earlier funnel stage.
    pub moved_back: u64,
    /// Visits followed by an exit stage.
    pub exited: u64,
    /// Visits still open at `as_of`.
    pub still_there: u64,
    /// Share of leads that entered this stage and later entered the next funnel stage.
    pub conversion_to_next: Option<f64>,
    /// Median hours in the stage, over closed visits.
    pub median_hours_in_stage: Option<f64>,
    /// 90th percentile hours in the stage, over closed visits.
    pub p90_hours_in_stage: Option<f64>,
}

/// `journey.stages.funnel`: leads reaching each funnel stage (entering it or any later one).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Funnel {
    /// Funnel stages in order.
    pub stages: Vec<String>,
    /// Leads reaching each stage.
    pub total: Vec<u64>,
    /// Leads with an entry into each stage itself; `total − entered` reached it only by
    /// entering a later stage (implied, e.g. `sql` in data that records none).
    pub entered: Vec<u64>,
    /// By month the lead was created (workspace time zone), `YYYY-MM`.
    pub by_cohort: Map<String, Vec<u64>>,
    /// By lead `source` (`(none)` when empty).
    pub by_source: Map<String, Vec<u64>>,
}

/// A whole stage path and how many leads followed it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Variant {
    /// Stages in order.
    pub path: Vec<String>,
    /// Leads.
    pub count: u64,
    /// Share of leads with stages.
    pub share: f64,
}

/// What the touchpoint graph is built over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum TouchpointKey {
    /// Event `type`.
    #[default]
    Type,
    /// Event `channel`.
    Channel,
}

/// `journey.touchpoints`: the directly-follows graph of events per lead (pm4py's `discover_dfg`).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TouchpointJourney {
    /// `type` or `channel`.
    pub by: TouchpointKey,
    /// Leads with at least one event.
    pub cases: u64,
    /// Events counted (at or before `as_of`).
    pub events: u64,
    /// Events per activity.
    pub activities: Map<String, u64>,
    /// Leads whose first event is this activity.
    pub start: Map<String, u64>,
    /// Leads whose last event is this activity.
    pub end: Map<String, u64>,
    /// Directly-follows pairs.
    pub transitions: Vec<TouchTransition>,
}

/// One directly-follows touchpoint pair.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TouchTransition {
    /// Earlier activity.
    pub from: String,
    /// Next activity.
    pub to: String,
    /// Occurrences.
    pub count: u64,
    /// Median hours between them.
    pub median_hours: Option<f64>,
}

/// `journey.channels`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ChannelCoordination {
    /// Events per channel, stage at the time (`(none)` before the first entry) and team.
    pub matrix: Vec<ChannelCell>,
    /// Marketing touches on leads in a sales-owned stage.
    pub marketing_touches_in_sales_stages: Overlap,
    /// Sales touches on leads marketing still owns (marketing stages before the handoff stage).
    pub sales_touches_in_marketing_stages: Overlap,
}

/// One cell of the channel × stage × team matrix.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ChannelCell {
    /// Channel.
    pub channel: String,
    /// The lead's stage when touched.
    pub stage: String,
    /// Team (`unassigned` when not given).
    pub team: String,
    /// Events.
    pub events: u64,
}

/// Touches by the "wrong" team.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Overlap {
    /// Events.
    pub events: u64,
    /// Distinct leads.
    pub leads: u64,
    /// Events per channel.
    pub by_channel: Map<String, u64>,
}

/// A lead's stage entries at or before `as_of`, in order.
pub fn stage_entries(
    ws: &Workspace,
    as_of: Instant,
) -> impl Iterator<Item = (LeadIx, &[StageEntry])> {
    ws.stages
        .chunk_by(|a, b| a.lead == b.lead)
        .map(move |chunk| {
            let n = chunk.partition_point(|s| s.ts <= as_of);
            (chunk[0].lead, &chunk[..n])
        })
}

fn hours(from: Instant, to: Instant) -> f64 {
    (to.0 - from.0) as f64 / MICROS_PER_HOUR as f64
}

fn opt6(x: Option<f64>) -> Option<f64> {
    x.map(round6)
}

/// The text of a lead's attribute (`(none)` when missing or not text).
pub fn lead_text<'w>(ws: &'w Workspace, attribute: &str, lead: LeadIx) -> &'w str {
    match ws.attribute(attribute).map(|a| a.values.get(lead)) {
        Some(crate::model::AttrValue::Text(s)) => ws.text(s),
        _ => "(none)",
    }
}

/// The local month (`YYYY-MM`) of an instant in the workspace zone.
pub fn month_of(ws: &Workspace, t: Instant) -> String {
    let z = t.timestamp().to_zoned(ws.framework.tz.clone());
    format!("{:04}-{:02}", z.year(), z.month())
}

/// Computes `journey.stages`.
pub fn stage_journey(ws: &Workspace, as_of: Instant) -> StageJourney {
    let lc = &ws.framework.config.lifecycle;
    let funnel_len = lc.stages.len();
    let n_stages = ws.stage_names.len();
    #[derive(Default)]
    struct Acc {
        count: u64,
        leads: u64,
        last_lead: Option<LeadIx>,
        durations: Vec<f64>,
    }
    let mut transitions: FxHashMap<(u16, u16), Acc> = FxHashMap::default();
    let mut entered = vec![0u64; n_stages];
    let mut leads_in = vec![0u64; n_stages];
    let mut forward = vec![0u64; n_stages];
    let mut back = vec![0u64; n_stages];
    let mut exited = vec![0u64; n_stages];
    let mut still = vec![0u64; n_stages];
    let mut to_next = vec![0u64; n_stages];
    let mut in_stage: Vec<Vec<f64>> = vec![Vec::new(); n_stages];
    let mut total = vec![0u64; funnel_len];
    let mut by_cohort: Map<String, Vec<u64>> = Map::new();
    let mut by_source: Map<String, Vec<u64>> = Map::new();
    let mut variants: FxHashMap<Vec<u16>, u64> = FxHashMap::default();
    let mut with_stages = 0u64;
    let mut seen = vec![false; n_stages];
    let mut first_entry: Vec<Option<Instant>> = vec![None; n_stages];

    for (lead, entries) in stage_entries(ws, as_of) {
        if entries.is_empty() {
            continue;
        }
        with_stages += 1;
        seen.iter_mut().for_each(|s| *s = false);
        first_entry.iter_mut().for_each(|s| *s = None);
        let mut max_funnel: Option<usize> = None;
        for (i, e) in entries.iter().enumerate() {
            let s = e.stage as usize;
            entered[s] += 1;
            if !seen[s] {
                seen[s] = true;
                leads_in[s] += 1;
                first_entry[s] = Some(e.ts);
            }
            if s < funnel_len {
                max_funnel = Some(max_funnel.map_or(s, |m| m.max(s)));
            }
            match entries.get(i + 1) {
                None => still[s] += 1,
                Some(next) => {
                    let n = next.stage as usize;
                    let d = hours(e.ts, next.ts);
                    in_stage[s].push(d);
                    if n >= funnel_len {
                        exited[s] += 1;
                    } else if s >= funnel_len || n > s {
                        forward[s] += 1;
                    } else {
                        back[s] += 1;
                    }
                    let acc = transitions.entry((e.stage, next.stage)).or_default();
                    acc.count += 1;
                    if acc.last_lead != Some(lead) {
                        acc.last_lead = Some(lead);
                        acc.leads += 1;
                    }
                    acc.durations.push(d);
                }
            }
        }
        for s in 0..funnel_len.saturating_sub(1) {
            if let (Some(a), Some(b)) = (
                first_entry[s],
                entries
                    .iter()
                    .filter(|e| e.stage as usize == s + 1)
                    .map(|e| e.ts)
                    .max(),
            ) && b >= a
            {
                to_next[s] += 1;
            }
        }
        let path: Vec<u16> = entries.iter().map(|e| e.stage).collect();
        *variants.entry(path).or_insert(0) += 1;
        if let Some(m) = max_funnel {
            let cohort = month_of(ws, ws.leads[lead as usize].created_at);
            let source = lead_text(ws, "source", lead).to_string();
            let c = by_cohort
                .entry(cohort)
                .or_insert_with(|| vec![0; funnel_len]);
            for j in 0..=m {
                total[j] += 1;
                c[j] += 1;
            }
            let s = by_source
                .entry(source)
                .or_insert_with(|| vec![0; funnel_len]);
            for x in s.iter_mut().take(m + 1) {
                *x += 1;
            }
        }
    }

    let mut transitions: Vec<((u16, u16), Acc)> = transitions.into_iter().collect();
    crate::order::sort_by_key(&mut transitions, |(k, _)| *k);
    let transitions: Vec<StageTransition> = transitions
        .into_iter()
        .map(|((from, to), mut acc)| {
            let (m, p) = median_p90(&mut acc.durations);
            StageTransition {
                from: ws.stage_names[from as usize].clone(),
                to: ws.stage_names[to as usize].clone(),
                count: acc.count,
                leads: acc.leads,
                median_hours: opt6(m),
                p90_hours: opt6(p),
            }
        })
        .collect();

    let stages = (0..n_stages)
        .map(|s| {
            let name = &ws.stage_names[s];
            let (m, p) = median_p90(&mut in_stage[s]);
            StageStats {
                stage: name.clone(),
                kind: if s < funnel_len { "funnel" } else { "exit" },
                owner: if lc.marketing.contains(name) {
                    "marketing"
                } else if lc.sales.contains(name) {
                    "sales"
                } else {
                    "none"
                },
                entered: entered[s],
                leads: leads_in[s],
                moved_forward: forward[s],
                moved_back: back[s],
                exited: exited[s],
                still_there: still[s],
                conversion_to_next: (s + 1 < funnel_len && leads_in[s] > 0)
                    .then(|| round6(to_next[s] as f64 / leads_in[s] as f64)),
                median_hours_in_stage: opt6(m),
                p90_hours_in_stage: opt6(p),
            }
        })
        .collect();

    let mut variants: Vec<(Vec<String>, u64)> = variants
        .into_iter()
        .map(|(path, n)| {
            (
                path.iter()
                    .map(|&s| ws.stage_names[s as usize].clone())
                    .collect(),
                n,
            )
        })
        .collect();
    crate::order::sort_by(&mut variants, |a, b| {
        b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0))
    });
    let variants = variants
        .into_iter()
        .take(TOP_VARIANTS)
        .map(|(path, count)| Variant {
            path,
            count,
            share: round6(count as f64 / with_stages.max(1) as f64),
        })
        .collect();

    StageJourney {
        leads_with_stages: with_stages,
        leads_without_stages: ws.leads.len() as u64 - with_stages,
        transitions,
        stages,
        funnel: Funnel {
            stages: lc.stages.clone(),
            total,
            entered: leads_in[..funnel_len].to_vec(),
            by_cohort,
            by_source,
        },
        variants,
    }
}

/// Computes `journey.touchpoints` over `key`.
pub fn touchpoint_journey(ws: &Workspace, as_of: Instant, key: TouchpointKey) -> TouchpointJourney {
    let pick = |e: &crate::model::Event| match key {
        TouchpointKey::Type => e.kind,
        TouchpointKey::Channel => e.channel,
    };
    let mut pairs: FxHashMap<(Sym, Sym), (u64, Vec<f64>)> = FxHashMap::default();
    let mut activities: FxHashMap<Sym, u64> = FxHashMap::default();
    let mut start: FxHashMap<Sym, u64> = FxHashMap::default();
    let mut end: FxHashMap<Sym, u64> = FxHashMap::default();
    let (mut cases, mut events) = (0u64, 0u64);
    for lead in 0..ws.leads.len() as LeadIx {
        let all = ws.events_of(lead);
        let evs = &all[..all.partition_point(|e| e.ts <= as_of)];
        let (Some(first), Some(last)) = (evs.first(), evs.last()) else {
            continue;
        };
        cases += 1;
        events += evs.len() as u64;
        *start.entry(pick(first)).or_insert(0) += 1;
        *end.entry(pick(last)).or_insert(0) += 1;
        for e in evs {
            *activities.entry(pick(e)).or_insert(0) += 1;
        }
        for w in evs.windows(2) {
            let acc = pairs.entry((pick(&w[0]), pick(&w[1]))).or_default();
            acc.0 += 1;
            acc.1.push(hours(w[0].ts, w[1].ts));
        }
    }
    let named = |m: FxHashMap<Sym, u64>| -> Map<String, u64> {
        m.into_iter()
            .map(|(s, n)| (ws.text(s).to_string(), n))
            .collect_map()
    };
    let mut transitions: Vec<((Sym, Sym), TouchTransition)> = pairs
        .into_iter()
        .map(|((a, b), (count, mut d))| {
            let (m, _) = median_p90(&mut d);
            (
                (a, b),
                TouchTransition {
                    from: ws.text(a).into(),
                    to: ws.text(b).into(),
                    count,
                    median_hours: opt6(m),
                },
            )
        })
        .collect();
    crate::order::sort_by_key(&mut transitions, |(k, _)| *k);
    TouchpointJourney {
        by: key,
        cases,
        events,
        activities: named(activities),
        start: named(start),
        end: named(end),
        transitions: transitions.into_iter().map(|(_, t)| t).collect(),
    }
}

/// Channel, stage index (`u16::MAX` before the first entry) and team of one matrix cell.
type CellKey = (Sym, u16, Option<Team>);

/// Computes `journey.channels`.
pub fn channel_coordination(ws: &Workspace, as_of: Instant) -> ChannelCoordination {
    let lc = &ws.framework.config.lifecycle;
    let handoff = lc.handoff_stage();
    let none = u16::MAX;
    let stage_owner = |s: u16| -> Option<Team> {
        let name = ws.stage_names.get(s as usize)?;
        if lc.sales.contains(name) {
            Some(Team::Sales)
        } else if lc.marketing.contains(name) && Some(name.as_str()) != handoff {
            Some(Team::Marketing)
        } else {
            None
        }
    };
    let mut cells: FxHashMap<CellKey, u64> = FxHashMap::default();
    let mut mkt = Overlap::default();
    let mut sales = Overlap::default();
    let mut stage_iter = stage_entries(ws, as_of).peekable();
    for lead in 0..ws.leads.len() as LeadIx {
        let entries: &[StageEntry] = match stage_iter.peek() {
            Some((l, _)) if *l == lead => stage_iter.next().map_or(&[], |(_, e)| e),
            _ => &[],
        };
        let all = ws.events_of(lead);
        let evs = &all[..all.partition_point(|e| e.ts <= as_of)];
        let mut k = 0;
        let (mut mkt_hit, mut sales_hit) = (false, false);
        for e in evs {
            while k < entries.len() && entries[k].ts <= e.ts {
                k += 1;
            }
            let stage = if k == 0 { none } else { entries[k - 1].stage };
            *cells.entry((e.channel, stage, e.team)).or_insert(0) += 1;
            let owner = if stage == none {
                None
            } else {
                stage_owner(stage)
            };
            match (e.team, owner) {
                (Some(Team::Marketing), Some(Team::Sales)) => {
                    mkt.events += 1;
                    *mkt.by_channel
                        .entry(ws.text(e.channel).to_string())
                        .or_insert(0) += 1;
                    mkt_hit = true;
                }
                (Some(Team::Sales), Some(Team::Marketing)) => {
                    sales.events += 1;
                    *sales
                        .by_channel
                        .entry(ws.text(e.channel).to_string())
                        .or_insert(0) += 1;
                    sales_hit = true;
                }
                _ => {}
            }
        }
        mkt.leads += u64::from(mkt_hit);
        sales.leads += u64::from(sales_hit);
    }
    let mut matrix: Vec<(CellKey, u64)> = cells.into_iter().collect();
    crate::order::sort_by_key(&mut matrix, |(k, _)| *k);
    ChannelCoordination {
        matrix: matrix
            .into_iter()
            .map(|((c, s, t), n)| ChannelCell {
                channel: ws.text(c).into(),
                stage: if s == none {
                    "(none)".into()
                } else {
                    ws.stage_names[s as usize].clone()
                },
                team: t.map_or("unassigned", Team::as_str).into(),
                events: n,
            })
            .collect(),
        marketing_touches_in_sales_stages: mkt,
        sales_touches_in_marketing_stages: sales,
    }
}
