//! The marketing→sales handoff: SLA clocks in business hours, acceptance and rejection, recycle
//! loops and ping-pong, stalled leads, out-of-hours arrivals, and what breaches cost.

use crate::order::CollectOrdered;
use crate::order::Map;

use serde::Serialize;

use crate::calendar::BusinessClock;
use crate::config::{Sla, SlaEnd};
use crate::journey::{lead_text, stage_entries};
use crate::model::{LeadIx, StageEntry, Team, Workspace};
use crate::outcomes::Outcomes;
use crate::stats::{Z95, median_p90, round6};
use crate::time::{Instant, MICROS_PER_DAY, MICROS_PER_HOUR};

/// Histogram bucket edges in business hours (the last bucket is open-ended).
pub const HISTOGRAM_EDGES: &[f64] = &[0.0, 0.25, 1.0, 2.0, 4.0, 8.0, 16.0, 24.0, 40.0];

/// `report.json` → `handoff`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HandoffReport {
    /// The handoff stage (last marketing stage).
    pub stage: Option<String>,
    /// One entry per `[sla.<name>]`, at `handoff.<name>`.
    #[serde(flatten)]
    pub slas: Map<String, SlaReport>,
    /// Acceptance, rejection, loops, stalls, out-of-hours arrivals.
    pub friction: Friction,
    /// What breaching the first-touch SLA costs (see docs/handoff.md).
    pub friction_cost: Option<FrictionCost>,
    /// Every stage entry and event up to `as_of` is at local midnight: the data has dates
    /// only, so business-hour clocks (and out-of-hours arrivals) cannot be measured from it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dates_only: bool,
}

/// One SLA's results.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SlaReport {
    /// The stage whose first entry starts the clock.
    pub from_stage: String,
    /// What stops the clock.
    pub until: String,
    /// The limit in business hours.
    pub within_business_hours: f64,
    /// Counts, compliance and percentiles over all handoffs.
    #[serde(flatten)]
    pub overall: SlaCounts,
    /// Stopped clocks by business hours; `untouched` counts clocks still running.
    pub histogram: Vec<Bucket>,
    /// Clocks not stopped by `as_of`.
    pub untouched: u64,
    /// By lead `source`.
    pub by_source: Map<String, SlaCounts>,
    /// By lead `owner`.
    pub by_owner: Map<String, SlaCounts>,
    /// By weekday the clock started (local time).
    pub by_weekday: Vec<ArrivalCell>,
    /// By weekday and hour the clock started (local time), non-empty cells only.
    pub by_arrival: Vec<ArrivalCell>,
}

/// Counts for a set of handoffs.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SlaCounts {
    /// Clocks started.
    pub handoffs: u64,
    /// Clocks stopped by `as_of`.
    pub touched: u64,
    /// Stopped within the limit.
    pub met: u64,
    /// Stopped after the limit, or still running past it at `as_of`.
    pub breached: u64,
    /// Still running and within the limit at `as_of`.
    pub pending: u64,
    /// met / (met + breached).
    pub compliance_rate: Option<f64>,
    /// Median business hours of stopped clocks.
    pub median_business_hours: Option<f64>,
    /// 90th percentile business hours of stopped clocks.
    pub p90_business_hours: Option<f64>,
}

/// A histogram bucket `[from_hours, to_hours)`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Bucket {
    /// Lower edge (business hours).
    pub from_hours: f64,
    /// Upper edge; `None` for the last bucket.
    pub to_hours: Option<f64>,
    /// Stopped clocks in the bucket.
    pub count: u64,
}

/// Handoffs that started in one weekday (and hour).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ArrivalCell {
    /// `mon` … `sun`.
    pub weekday: &'static str,
    /// Local hour 0–23 (absent in `by_weekday`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hour: Option<u8>,
    /// The counts.
    #[serde(flatten)]
    pub counts: SlaCounts,
}

/// `handoff.friction`.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Friction {
    /// Entries into the handoff stage (a lead handed over twice counts twice).
    pub handoff_entries: u64,
    /// Entries followed by a sales-owned stage.
    pub accepted: u64,
    /// Entries followed by an exit or a marketing stage.
    pub rejected: u64,
    /// Entries with nothing after them at `as_of`.
    pub undecided: u64,
    /// accepted / (accepted + rejected).
    pub acceptance_rate: Option<f64>,
    /// Rejections by the stage they went to and the `reason` given.
    pub rejection_reasons: Vec<RejectionReason>,
    /// Leads that entered an exit stage (recycled, disqualified, ...).
    pub exited_leads: u64,
    /// Leads that came back into the funnel after an exit: recycle loops.
    pub recycle_loops: u64,
    /// Leads handed over more than once.
    pub ping_pong_leads: u64,
    /// Leads by how many times they were handed over.
    pub handoffs_per_lead: Map<u64, u64>,
    /// Leads sitting in a sales stage with no activity.
    pub stalled: Stalled,
    /// Handoffs that arrived outside business hours, and the wall-clock time they waited for opening.
    pub out_of_hours: OutOfHours,
}

/// One rejection reason.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RejectionReason {
    /// The stage the lead went to.
    pub stage: String,
    /// The `reason` column (`(none)` when empty).
    pub reason: String,
    /// How many.
    pub count: u64,
}

/// Stalled leads.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Stalled {
    /// The threshold in days.
    pub after_days: f64,
    /// Leads stalled at `as_of`.
    pub leads: u64,
    /// By current stage.
    pub by_stage: Map<String, u64>,
    /// By owner.
    pub by_owner: Map<String, u64>,
    /// The longest-idle stalled leads (up to 20), with their idle days.
    pub longest: Vec<StalledLead>,
}

/// One stalled lead.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StalledLead {
    /// Lead id.
    pub lead_id: String,
    /// Current stage.
    pub stage: String,
    /// Days since the last activity.
    pub idle_days: f64,
}

/// Out-of-hours arrivals.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OutOfHours {
    /// Handoffs (first entries into the handoff stage).
    pub handoffs: u64,
    /// Of which outside business hours.
    pub arrived_out_of_hours: u64,
    /// Share outside business hours.
    pub share: Option<f64>,
    /// Wall-clock hours from arrival to the next opening, summed.
    pub wall_hours_waiting_total: f64,
    /// Median of those waits.
    pub median_wall_hours_waiting: Option<f64>,
}

/// `handoff.friction_cost`: conversion of handoffs that met the SLA against those that breached it,
/// and what the breached ones would have yielded at the compliant rate.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FrictionCost {
    /// The SLA it is measured on.
    pub sla: String,
    /// The stage counted as qualified.
    pub qualified_stage: String,
    /// Handoffs that met the SLA.
    pub met: u64,
    /// Handoffs that breached it.
    pub breached: u64,
    /// Qualification rate of met handoffs.
    pub qualified_rate_met: Option<f64>,
    /// Qualification rate of breached handoffs.
    pub qualified_rate_breached: Option<f64>,
    /// Win rate of met handoffs.
    pub won_rate_met: Option<f64>,
    /// Win rate of breached handoffs.
    pub won_rate_breached: Option<f64>,
    /// Extra qualified leads had breached handoffs converted at the met rate, with a 95% interval.
    pub extra_qualified: Estimate,
    /// Extra won deals, with a 95% interval.
    pub extra_won: Estimate,
    /// Extra revenue: extra won × the average won deal, with a 95% interval.
    pub extra_revenue: Estimate,
    /// Average won deal amount used.
    pub average_won_amount: Option<f64>,
}

/// A point estimate with a 95% interval.
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Estimate {
    /// Point estimate.
    pub value: f64,
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

/// How one SLA clock ended for one lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Stopped within the limit.
    Met,
    /// Stopped after the limit, or still running past it.
    Breached,
    /// Still running, within the limit.
    Pending,
}

impl Outcome {
    /// `met`, `breached` or `pending`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Met => "met",
            Outcome::Breached => "breached",
            Outcome::Pending => "pending",
        }
    }
}

/// One lead's clock for one SLA.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// When it started.
    pub started: Instant,
    /// When it stopped, if it did by `as_of`.
    pub stopped: Option<Instant>,
    /// Business hours to the stop (or to `as_of` while running).
    pub business_hours: f64,
    /// The outcome.
    pub outcome: Outcome,
}

/// One lead's handoff record (a row of `handoffs.csv`).
#[derive(Debug, Clone)]
pub struct HandoffRow {
    /// The lead.
    pub lead: LeadIx,
    /// Entries into the handoff stage.
    pub handoffs: u64,
    /// What followed the first handoff: `accepted`, `rejected` or `undecided`.
    pub decision: &'static str,
    /// One clock per SLA, in `[sla]` name order (`None` when that clock never started).
    pub clocks: Vec<Option<Clock>>,
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn ratio(k: u64, n: u64) -> Option<f64> {
    (n > 0).then(|| round6(k as f64 / n as f64))
}

/// Accumulates clocks into counts.
#[derive(Default)]
struct Tally {
    counts: SlaCounts,
    hours: Vec<f64>,
}

impl Tally {
    fn add(&mut self, c: &Clock) {
        self.counts.handoffs += 1;
        if c.stopped.is_some() {
            self.counts.touched += 1;
            self.hours.push(c.business_hours);
        }
        match c.outcome {
            Outcome::Met => self.counts.met += 1,
            Outcome::Breached => self.counts.breached += 1,
            Outcome::Pending => self.counts.pending += 1,
        }
    }

    fn finish(mut self) -> SlaCounts {
        let (m, p) = median_p90(&mut self.hours);
        self.counts.compliance_rate =
            ratio(self.counts.met, self.counts.met + self.counts.breached);
        self.counts.median_business_hours = m.map(round6);
        self.counts.p90_business_hours = p.map(round6);
        self.counts
    }
}

/// Everything accumulated for one SLA: overall, histogram, by source, by owner, by weekday,
/// by weekday × hour.
type SlaTally = (
    Tally,
    Vec<u64>,
    Map<String, Tally>,
    Map<String, Tally>,
    Vec<Tally>,
    Vec<Tally>,
);

/// Where one SLA clock of one lead starts and stops.
fn clock_for(
    ws: &Workspace,
    sla: &Sla,
    lead: LeadIx,
    entries: &[StageEntry],
    as_of: Instant,
    clock: &BusinessClock,
) -> Option<Clock> {
    let from = ws.stage_names.iter().position(|s| *s == sla.from_stage)? as u16;
    let start_ix = entries.iter().position(|e| e.stage == from)?;
    let started = entries[start_ix].ts;
    let stopped = match sla.end() {
        SlaEnd::SalesTouch => {
            let evs = ws.events_of(lead);
            let i = evs.partition_point(|e| e.ts < started);
            evs[i..]
                .iter()
                .find(|e| e.team == Some(Team::Sales))
                .map(|e| e.ts)
        }
        SlaEnd::NextStage => entries.get(start_ix + 1).map(|e| e.ts),
        SlaEnd::Stage(stage) => {
            let target = ws.stage_names.iter().position(|s| s == stage)? as u16;
            entries[start_ix + 1..]
                .iter()
                .find(|e| e.stage == target)
                .map(|e| e.ts)
        }
    }
    .filter(|&t| t <= as_of);
    let end = stopped.unwrap_or(as_of);
    let business_hours = clock.business_hours(started, end);
    let outcome = if business_hours > sla.within_business_hours {
        Outcome::Breached
    } else if stopped.is_some() {
        Outcome::Met
    } else {
        Outcome::Pending
    };
    Some(Clock {
        started,
        stopped,
        business_hours,
        outcome,
    })
}

/// One lead's clock for each `[sla]` (in its order) at `as_of`, computed for that lead alone:
/// the clocks [`handoff_analysis`] gives it in its row.
pub fn lead_clocks(
    ws: &Workspace,
    lead: LeadIx,
    as_of: Instant,
    clock: &BusinessClock,
) -> Vec<Option<Clock>> {
    let entries = ws.stages_of(lead, as_of);
    ws.framework
        .config
        .sla
        .values()
        .map(|sla| clock_for(ws, sla, lead, entries, as_of, clock))
        .collect()
}

/// Computes `handoff` and the per-lead rows of `handoffs.csv`.
pub fn handoff_analysis(
    ws: &Workspace,
    as_of: Instant,
    clock: &BusinessClock,
    outcomes: &Outcomes,
) -> (HandoffReport, Vec<HandoffRow>) {
    let cfg = &ws.framework.config;
    let lc = &cfg.lifecycle;
    let funnel_len = lc.stages.len();
    let handoff_stage = lc
        .handoff_stage()
        .and_then(|h| ws.stage_names.iter().position(|s| s == h))
        .map(|i| i as u16);
    let slas: Vec<(&String, &Sla)> = cfg.sla.iter().collect();
    let tz = &ws.framework.tz;
    let is_exit = |s: u16| s as usize >= funnel_len;

    let mut rows = Vec::new();
    let mut tallies: Vec<SlaTally> = slas
        .iter()
        .map(|_| {
            (
                Tally::default(),
                vec![0u64; HISTOGRAM_EDGES.len()],
                Map::new(),
                Map::new(),
                (0..7).map(|_| Tally::default()).collect(),
                (0..7 * 24).map(|_| Tally::default()).collect(),
            )
        })
        .collect();
    let mut friction = Friction {
        stalled: Stalled {
            after_days: cfg.friction.stalled_after_days,
            ..Default::default()
        },
        ..Default::default()
    };
    let mut reasons: Map<(String, String), u64> = Map::new();
    let mut ooh_waits = Vec::new();
    let stall_micros = (cfg.friction.stalled_after_days * MICROS_PER_DAY as f64) as i64;
    let last_funnel = funnel_len.checked_sub(1).map(|i| i as u16);
    let mut stalled_list: Vec<(i64, LeadIx, u16)> = Vec::new();

    for (lead, entries) in stage_entries(ws, as_of) {
        if entries.is_empty() {
            continue;
        }
        // Friction over every entry into the handoff stage.
        let mut handoffs = 0u64;
        let mut decision = "undecided";
        let mut exited_before = false;
        let mut looped = false;
        for (i, e) in entries.iter().enumerate() {
            if is_exit(e.stage) {
                exited_before = true;
            } else if exited_before {
                looped = true;
            }
            if Some(e.stage) != handoff_stage {
                continue;
            }
            handoffs += 1;
            friction.handoff_entries += 1;
            let d = match entries.get(i + 1) {
                None => {
                    friction.undecided += 1;
                    "undecided"
                }
                Some(next) => {
                    let name = &ws.stage_names[next.stage as usize];
                    if lc.sales.contains(name) {
                        friction.accepted += 1;
                        "accepted"
                    } else {
                        friction.rejected += 1;
                        let reason = next.reason.map_or("(none)", |r| ws.text(r)).to_string();
                        *reasons.entry((name.clone(), reason)).or_insert(0) += 1;
                        "rejected"
                    }
                }
            };
            if handoffs == 1 {
                decision = d;
                let arrival = e.ts;
                friction.out_of_hours.handoffs += 1;
                if !clock.is_open(arrival) {
                    friction.out_of_hours.arrived_out_of_hours += 1;
                    let wait =
                        (clock.next_opening(arrival).0 - arrival.0) as f64 / MICROS_PER_HOUR as f64;
                    ooh_waits.push(wait);
                }
            }
        }
        if entries.iter().any(|e| is_exit(e.stage)) {
            friction.exited_leads += 1;
        }
        friction.recycle_loops += u64::from(looped);
        if handoffs > 0 {
            *friction.handoffs_per_lead.entry(handoffs).or_insert(0) += 1;
            friction.ping_pong_leads += u64::from(handoffs > 1);
        }
        // Stalled: the current stage is a sales stage short of the last funnel stage, and the
        // lead has no deal that was already closed (won or lost) with nothing open.
        if let Some(current) = entries.last()
            && lc.sales.contains(&ws.stage_names[current.stage as usize])
            && Some(current.stage) != last_funnel
            && !outcomes.deals_closed[lead as usize]
        {
            let evs = ws.events_of(lead);
            let last_event = evs[..evs.partition_point(|e| e.ts <= as_of)]
                .last()
                .map(|e| e.ts);
            let last_activity = last_event.map_or(current.ts, |t| t.max(current.ts));
            if as_of.0 - last_activity.0 > stall_micros {
                stalled_list.push((as_of.0 - last_activity.0, lead, current.stage));
            }
        }
        // SLA clocks.
        let clocks: Vec<Option<Clock>> = slas
            .iter()
            .map(|(_, sla)| clock_for(ws, sla, lead, entries, as_of, clock))
            .collect();
        if clocks.iter().all(Option::is_none) && handoffs == 0 {
            continue;
        }
        let source = lead_text(ws, "source", lead).to_string();
        let owner = lead_text(ws, "owner", lead).to_string();
        for (k, c) in clocks.iter().enumerate() {
            let Some(c) = c else { continue };
            let (overall, hist, by_source, by_owner, by_weekday, by_arrival) = &mut tallies[k];
            overall.add(c);
            if c.stopped.is_some() {
                let b = HISTOGRAM_EDGES
                    .partition_point(|&edge| edge <= c.business_hours)
                    .saturating_sub(1);
                hist[b] += 1;
            }
            by_source.entry(source.clone()).or_default().add(c);
            by_owner.entry(owner.clone()).or_default().add(c);
            let local = c.started.timestamp().to_zoned(tz.clone());
            let wd = local.weekday().to_monday_zero_offset() as usize;
            by_weekday[wd].add(c);
            by_arrival[wd * 24 + local.hour() as usize].add(c);
        }
        rows.push(HandoffRow {
            lead,
            handoffs,
            decision,
            clocks,
        });
    }

    friction.acceptance_rate = ratio(friction.accepted, friction.accepted + friction.rejected);
    let mut reasons: Vec<RejectionReason> = reasons
        .into_iter()
        .map(|((stage, reason), count)| RejectionReason {
            stage,
            reason,
            count,
        })
        .collect();
    crate::order::sort_by(&mut reasons, |a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| (&a.stage, &a.reason).cmp(&(&b.stage, &b.reason)))
    });
    friction.rejection_reasons = reasons;
    let ooh = &mut friction.out_of_hours;
    ooh.share = ratio(ooh.arrived_out_of_hours, ooh.handoffs);
    ooh.wall_hours_waiting_total = round6(ooh_waits.iter().sum());
    ooh.median_wall_hours_waiting = median_p90(&mut ooh_waits).0.map(round6);
    crate::order::sort_by(&mut stalled_list, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    friction.stalled.leads = stalled_list.len() as u64;
    for &(idle, lead, stage) in &stalled_list {
        *friction
            .stalled
            .by_stage
            .entry(ws.stage_names[stage as usize].clone())
            .or_insert(0) += 1;
        *friction
            .stalled
            .by_owner
            .entry(lead_text(ws, "owner", lead).to_string())
            .or_insert(0) += 1;
        if friction.stalled.longest.len() < 20 {
            friction.stalled.longest.push(StalledLead {
                lead_id: ws.text(ws.leads[lead as usize].id).to_string(),
                stage: ws.stage_names[stage as usize].clone(),
                idle_days: round6(idle as f64 / MICROS_PER_DAY as f64),
            });
        }
    }

    let mut sla_reports = Map::new();
    for ((name, sla), (overall, hist, by_source, by_owner, by_weekday, by_arrival)) in
        slas.iter().zip(tallies)
    {
        let overall = overall.finish();
        let untouched = overall.handoffs - overall.touched;
        let histogram = HISTOGRAM_EDGES
            .iter()
            .enumerate()
            .map(|(i, &from)| Bucket {
                from_hours: from,
                to_hours: HISTOGRAM_EDGES.get(i + 1).copied(),
                count: hist[i],
            })
            .collect();
        let by_weekday = by_weekday
            .into_iter()
            .enumerate()
            .filter(|(_, t)| t.counts.handoffs > 0)
            .map(|(wd, t)| ArrivalCell {
                weekday: WEEKDAYS[wd],
                hour: None,
                counts: t.finish(),
            })
            .collect();
        let by_arrival = by_arrival
            .into_iter()
            .enumerate()
            .filter(|(_, t)| t.counts.handoffs > 0)
            .map(|(i, t)| ArrivalCell {
                weekday: WEEKDAYS[i / 24],
                hour: Some((i % 24) as u8),
                counts: t.finish(),
            })
            .collect();
        sla_reports.insert(
            (*name).clone(),
            SlaReport {
                from_stage: sla.from_stage.clone(),
                until: sla.until.clone(),
                within_business_hours: sla.within_business_hours,
                overall,
                histogram,
                untouched,
                by_source: by_source
                    .into_iter()
                    .map(|(k, t)| (k, t.finish()))
                    .collect_map(),
                by_owner: by_owner
                    .into_iter()
                    .map(|(k, t)| (k, t.finish()))
                    .collect_map(),
                by_weekday,
                by_arrival,
            },
        );
    }

    let friction_cost = friction_cost(ws, &slas, &rows, outcomes);
    let report = HandoffReport {
        stage: lc.handoff_stage().map(String::from),
        slas: sla_reports,
        friction,
        friction_cost,
        dates_only: dates_only(ws, as_of),
    };
    (report, rows)
}

/// Whether every stage entry and event up to `as_of` lies at local midnight (and there is one).
fn dates_only(ws: &Workspace, as_of: Instant) -> bool {
    let tz = &ws.framework.tz;
    let mut times = ws
        .stages
        .iter()
        .map(|s| s.ts)
        .chain(ws.events.iter().map(|e| e.ts))
        .filter(|t| *t <= as_of)
        .peekable();
    if times.peek().is_none() {
        return false;
    }
    times.all(|t| {
        jiff::Timestamp::from_microsecond(t.0)
            .is_ok_and(|ts| ts.to_zoned(tz.clone()).time() == jiff::civil::Time::midnight())
    })
}

/// The SLA friction cost is measured on: `first_touch` if configured, else the first by name.
fn cost_sla_index(slas: &[(&String, &Sla)]) -> Option<usize> {
    slas.iter()
        .position(|(n, _)| n.as_str() == "first_touch")
        .or((!slas.is_empty()).then_some(0))
}

fn friction_cost(
    ws: &Workspace,
    slas: &[(&String, &Sla)],
    rows: &[HandoffRow],
    outcomes: &Outcomes,
) -> Option<FrictionCost> {
    let k = cost_sla_index(slas)?;
    let qualified = ws.framework.qualified_stage()?;
    let q_index = ws
        .framework
        .config
        .lifecycle
        .stages
        .iter()
        .position(|s| s == qualified)?;
    let (mut met, mut breached) = ((0u64, 0u64, 0u64), (0u64, 0u64, 0u64));
    for r in rows {
        let Some(c) = r.clocks[k] else { continue };
        let slot = match c.outcome {
            Outcome::Met => &mut met,
            Outcome::Breached => &mut breached,
            Outcome::Pending => continue,
        };
        slot.0 += 1;
        slot.1 += u64::from(outcomes.reached(r.lead, q_index));
        slot.2 += u64::from(outcomes.is_won(r.lead));
    }
    let won_amounts: Vec<f64> = outcomes.won.iter().flatten().copied().collect();
    let average_won_amount = (!won_amounts.is_empty())
        .then(|| won_amounts.iter().sum::<f64>() / won_amounts.len() as f64);
    let extra = |k_met: u64, k_breached: u64| -> Estimate {
        if met.0 == 0 || breached.0 == 0 {
            return Estimate::default();
        }
        let (p1, n1) = (k_met as f64 / met.0 as f64, met.0 as f64);
        let (p2, n2) = (k_breached as f64 / breached.0 as f64, breached.0 as f64);
        let diff = p1 - p2;
        let se = (p1 * (1.0 - p1) / n1 + p2 * (1.0 - p2) / n2).sqrt();
        Estimate {
            value: round6(diff * n2),
            low: round6((diff - Z95 * se) * n2),
            high: round6((diff + Z95 * se) * n2),
        }
    };
    let extra_qualified = extra(met.1, breached.1);
    let extra_won = extra(met.2, breached.2);
    let avg = average_won_amount.unwrap_or(0.0);
    let extra_revenue = Estimate {
        value: round6(extra_won.value * avg),
        low: round6(extra_won.low * avg),
        high: round6(extra_won.high * avg),
    };
    Some(FrictionCost {
        sla: slas[k].0.clone(),
        qualified_stage: qualified.to_string(),
        met: met.0,
        breached: breached.0,
        qualified_rate_met: ratio(met.1, met.0),
        qualified_rate_breached: ratio(breached.1, breached.0),
        won_rate_met: ratio(met.2, met.0),
        won_rate_breached: ratio(breached.2, breached.0),
        extra_qualified,
        extra_won,
        extra_revenue,
        average_won_amount: average_won_amount.map(round6),
    })
}

/// `handoffs.csv`: one row per lead with a handoff or a started SLA clock.
pub fn handoffs_csv(ws: &Workspace, rows: &[HandoffRow]) -> String {
    let names: Vec<&String> = ws.framework.config.sla.keys().collect();
    let mut header = vec![
        "lead_id".to_string(),
        "source".into(),
        "owner".into(),
        "handoffs".into(),
        "decision".into(),
    ];
    for n in &names {
        for col in ["started_at", "stopped_at", "business_hours", "outcome"] {
            header.push(format!("{n}_{col}"));
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(&header);
    for r in rows {
        let text = |t: &str| crate::cells::spreadsheet_text(t).into_owned();
        let mut rec = vec![
            text(ws.text(ws.leads[r.lead as usize].id)),
            text(lead_text(ws, "source", r.lead)),
            text(lead_text(ws, "owner", r.lead)),
            r.handoffs.to_string(),
            r.decision.to_string(),
        ];
        for c in &r.clocks {
            match c {
                Some(c) => {
                    rec.push(c.started.to_string());
                    rec.push(c.stopped.map(|s| s.to_string()).unwrap_or_default());
                    rec.push(format!("{}", round6(c.business_hours)));
                    rec.push(c.outcome.as_str().to_string());
                }
                None => rec.extend(std::iter::repeat_n(String::new(), 4)),
            }
        }
        let _ = w.write_record(&rec);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
