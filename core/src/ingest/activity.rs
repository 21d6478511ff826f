//! `events`, `stages` and `feedback`: dated rows about one lead each.

use rustc_hash::{FxHashMap, FxHashSet};

use super::{Col, Resolved, Resolver, Row, warn_adjustment};
use crate::config::Framework;
use crate::model::{Event, Feedback, FeedbackKind, StageEntry, Team};
use crate::quality::{Reason, Tally};
use crate::symbols::{Remap, Sym};
use crate::time::LocalAdjustment;

const E_LEAD: Col = Col::new(0, "lead_id");
const E_TS: Col = Col::new(1, "ts");
const E_TYPE: Col = Col::new(2, "type");
const E_CHANNEL: Col = Col::new(3, "channel");
const E_TEAM: Col = Col::new(4, "team");
const E_CAMPAIGN: Col = Col::new(5, "campaign");
const E_ASSET: Col = Col::new(6, "asset_id");
const E_ID: Col = Col::new(7, "event_id");

const S_LEAD: Col = Col::new(0, "lead_id");
const S_TS: Col = Col::new(1, "ts");
const S_STAGE: Col = Col::new(2, "stage");
const S_REASON: Col = Col::new(3, "reason");
const S_ACTOR: Col = Col::new(4, "actor");

const F_LEAD: Col = Col::new(0, "lead_id");
const F_TS: Col = Col::new(1, "ts");
const F_KIND: Col = Col::new(2, "kind");
const F_SCORE: Col = Col::new(3, "score");
const F_TEXT: Col = Col::new(4, "text");

/// Events, stage entries and feedback as read; `lead` holds the lead's symbol index until `finish`.
#[derive(Default)]
pub(super) struct ActivityRows {
    events: Vec<Event>,
    /// Source line of each event, parallel to `events` until `finish`.
    event_lines: Vec<u32>,
    /// Lines of events whose local time was adjusted for DST.
    event_adjustments: FxHashMap<u64, LocalAdjustment>,
    /// `event_id` → first row index, and the later rows that repeat an id.
    event_ids: FxHashMap<Box<str>, u32>,
    event_id_repeats: Vec<(u32, u32)>,
    stages: Vec<(StageEntry, Option<LocalAdjustment>)>,
    feedback: Vec<(Feedback, Option<LocalAdjustment>)>,
}

type Finished = (Vec<Event>, Vec<u32>, Vec<StageEntry>, Vec<Feedback>);

impl ActivityRows {
    /// Reserves room for about this many more events.
    pub(super) fn reserve_events(&mut self, n: usize) {
        self.events.reserve(n);
        self.event_lines.reserve(n);
    }

    pub(super) fn read_event(&mut self, row: &mut Row<'_>) {
        let Some(lead) = row.required_sym(&E_LEAD) else {
            return;
        };
        let Some((ts, adjustment)) = row.required_time(&E_TS) else {
            return;
        };
        let Some(kind) = row.required_sym(&E_TYPE) else {
            return;
        };
        let Some(channel) = row.required_sym(&E_CHANNEL) else {
            return;
        };
        let Some(team_text) = row.text(&E_TEAM) else {
            return;
        };
        let team = if team_text.is_empty() {
            None
        } else {
            match Team::parse(team_text) {
                Some(t) => Some(t),
                None => {
                    let example = format!("{team_text:?}: expected marketing, sales or cs");
                    row.reject(Reason::InvalidValue, &E_TEAM, &example);
                    return;
                }
            }
        };
        let Some(campaign) = row.optional_sym(&E_CAMPAIGN) else {
            return;
        };
        let Some(asset) = row.optional_sym(&E_ASSET) else {
            return;
        };
        let Some(event_id) = row.text(&E_ID) else {
            return;
        };
        let index = self.events.len() as u32;
        if !event_id.is_empty() {
            match self.event_ids.get(event_id) {
                Some(&first) => self.event_id_repeats.push((first, index)),
                None => {
                    self.event_ids.insert(event_id.into(), index);
                }
            }
        }
        if let Some(a) = adjustment {
            self.event_adjustments.insert(row.line, a);
        }
        self.events.push(Event {
            ts,
            lead: lead.index() as u32,
            kind,
            channel,
            team,
            campaign,
            asset,
        });
        self.event_lines.push(row.line as u32);
    }

    pub(super) fn read_stage(&mut self, row: &mut Row<'_>, framework: &Framework) {
        let Some(lead) = row.required_sym(&S_LEAD) else {
            return;
        };
        let Some((ts, adjustment)) = row.required_time(&S_TS) else {
            return;
        };
        let Some(stage_text) = row.required(&S_STAGE) else {
            return;
        };
        let lifecycle = &framework.config.lifecycle;
        let Some(stage) = lifecycle
            .stages
            .iter()
            .chain(lifecycle.exits.iter())
            .position(|s| s.eq_ignore_ascii_case(stage_text))
        else {
            let example = format!(
                "{stage_text:?} is not in [lifecycle] stages {:?} or exits {:?}",
                lifecycle.stages, lifecycle.exits
            );
            row.reject(Reason::UnknownStage, &S_STAGE, &example);
            return;
        };
        let Some(reason) = row.optional_sym(&S_REASON) else {
            return;
        };
        let Some(actor) = row.optional_sym(&S_ACTOR) else {
            return;
        };
        self.stages.push((
            StageEntry {
                ts,
                lead: lead.index() as u32,
                stage: stage as u16,
                reason,
                actor,
                line: row.line as u32,
            },
            adjustment,
        ));
    }

    pub(super) fn read_feedback(&mut self, row: &mut Row<'_>) {
        let Some(lead) = row.required_sym(&F_LEAD) else {
            return;
        };
        let Some((ts, adjustment)) = row.required_time(&F_TS) else {
            return;
        };
        let Some(kind_text) = row.required(&F_KIND) else {
            return;
        };
        let kind = match kind_text.to_ascii_lowercase().as_str() {
            "nps" => FeedbackKind::Nps,
            "csat" => FeedbackKind::Csat,
            "comment" => FeedbackKind::Comment,
            _ => {
                let example = format!("{kind_text:?}: expected nps, csat or comment");
                row.reject(Reason::InvalidValue, &F_KIND, &example);
                return;
            }
        };
        let Some(score) = row.number(&F_SCORE) else {
            return;
        };
        let range = match kind {
            FeedbackKind::Nps => Some(0.0..=10.0),
            FeedbackKind::Csat => Some(1.0..=5.0),
            FeedbackKind::Comment => None,
        };
        if let Some(range) = range {
            match score {
                None => {
                    row.reject(
                        Reason::EmptyRequiredField,
                        &F_SCORE,
                        "nps and csat need a score",
                    );
                    return;
                }
                Some(s) if !range.contains(&s) => {
                    let example = format!(
                        "{s} is outside {}..{} for {kind_text}",
                        range.start(),
                        range.end()
                    );
                    row.reject(Reason::OutOfRange, &F_SCORE, &example);
                    return;
                }
                Some(_) => {}
            }
        }
        let Some(text) = row.text(&F_TEXT) else {
            return;
        };
        let text = (!text.is_empty()).then(|| text.to_string());
        self.feedback.push((
            Feedback {
                ts,
                lead: lead.index() as u32,
                kind,
                score,
                text,
                line: row.line,
            },
            adjustment,
        ));
    }

    /// Resolves leads, drops repeated event ids, orders everything canonically.
    pub(super) fn finish(
        mut self,
        remap: &Remap,
        resolver: &Resolver<'_>,
        lead_count: usize,
        asset_ids: Option<&FxHashSet<Sym>>,
        [event_tally, stage_tally, feedback_tally]: [&mut Tally; 3],
    ) -> Finished {
        let sym = |i: u32| remap.map(Sym::from_index(i as usize));
        for e in &mut self.events {
            e.lead = sym(e.lead).index() as u32;
            e.kind = remap.map(e.kind);
            e.channel = remap.map(e.channel);
            e.campaign = remap.map_opt(e.campaign);
            e.asset = remap.map_opt(e.asset);
        }
        // Repeated event ids: the row whose content sorts first is kept, the others rejected.
        let mut dropped = vec![false; self.events.len()];
        let mut groups: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
        for &(first, other) in &self.event_id_repeats {
            groups
                .entry(first)
                .or_insert_with(|| vec![first])
                .push(other);
        }
        drop(self.event_ids);
        for (_, members) in groups {
            let key = |i: u32| event_key(&self.events[i as usize]);
            let Some(&winner) = members.iter().min_by_key(|&&i| key(i)) else {
                continue;
            };
            for &m in &members {
                if m != winner {
                    dropped[m as usize] = true;
                    let example = format!(
                        "event_id repeats line {}",
                        self.event_lines[winner as usize]
                    );
                    let line = u64::from(self.event_lines[m as usize]);
                    event_tally.reject(Reason::DuplicateId, "event_id", line, &example);
                }
            }
        }
        let mut i = 0;
        let lines = std::mem::take(&mut self.event_lines);
        self.events.retain_mut(|e| {
            let keep = !dropped[i];
            let line = u64::from(lines[i]);
            i += 1;
            if !keep {
                return false;
            }
            let lead_sym = Sym::from_index(e.lead as usize);
            match resolver.resolve(lead_sym, e.ts) {
                Resolved::Rejected(reason) => {
                    let example = resolver.example(reason, lead_sym);
                    event_tally.reject(reason, field_of(reason, "lead_id", "ts"), line, &example);
                    false
                }
                Resolved::Lead(ix, early) => {
                    e.lead = ix;
                    if early {
                        event_tally.warn(
                            Reason::BeforeLeadCreated,
                            "ts",
                            line,
                            "event dated before the lead's created_at",
                        );
                    }
                    if let (Some(ids), Some(asset)) = (asset_ids, e.asset)
                        && !ids.contains(&asset)
                    {
                        event_tally.warn(
                            Reason::UnknownAsset,
                            "asset_id",
                            line,
                            "asset_id not in assets",
                        );
                    }
                    warn_adjustment(
                        event_tally,
                        self.event_adjustments.get(&line).copied(),
                        "ts",
                        line,
                    );
                    true
                }
            }
        });
        crate::order::sort_unstable_by_key(&mut self.events, event_key);
        let mut event_start = Vec::with_capacity(lead_count + 1);
        let mut k = 0usize;
        for lead in 0..=lead_count as u32 {
            while k < self.events.len() && self.events[k].lead < lead {
                k += 1;
            }
            event_start.push(k as u32);
        }

        let mut stages: Vec<StageEntry> = Vec::with_capacity(self.stages.len());
        for (mut s, adj) in self.stages {
            s.reason = remap.map_opt(s.reason);
            s.actor = remap.map_opt(s.actor);
            match resolver.resolve(sym(s.lead), s.ts) {
                Resolved::Rejected(reason) => {
                    let example = resolver.example(reason, sym(s.lead));
                    stage_tally.reject(
                        reason,
                        field_of(reason, "lead_id", "ts"),
                        u64::from(s.line),
                        &example,
                    );
                }
                Resolved::Lead(ix, early) => {
                    s.lead = ix;
                    if early {
                        stage_tally.warn(
                            Reason::BeforeLeadCreated,
                            "ts",
                            u64::from(s.line),
                            "stage entry dated before the lead's created_at",
                        );
                    }
                    warn_adjustment(stage_tally, adj, "ts", u64::from(s.line));
                    stages.push(s);
                }
            }
        }
        crate::order::sort_unstable_by_key(&mut stages, |s| {
            (s.lead, s.ts, s.stage, s.reason, s.actor, s.line)
        });

        let mut feedback: Vec<Feedback> = Vec::with_capacity(self.feedback.len());
        for (mut f, adj) in self.feedback {
            match resolver.resolve(sym(f.lead), f.ts) {
                Resolved::Rejected(reason) => {
                    let example = resolver.example(reason, sym(f.lead));
                    feedback_tally.reject(
                        reason,
                        field_of(reason, "lead_id", "ts"),
                        f.line,
                        &example,
                    );
                }
                Resolved::Lead(ix, early) => {
                    f.lead = ix;
                    if early {
                        feedback_tally.warn(
                            Reason::BeforeLeadCreated,
                            "ts",
                            f.line,
                            "feedback dated before the lead's created_at",
                        );
                    }
                    warn_adjustment(feedback_tally, adj, "ts", f.line);
                    feedback.push(f);
                }
            }
        }
        crate::order::sort_unstable_by(&mut feedback, |a, b| {
            (a.lead, a.ts, a.kind)
                .cmp(&(b.lead, b.ts, b.kind))
                .then(
                    a.score
                        .partial_cmp(&b.score)
                        .unwrap_or(std::cmp::Ordering::Equal),
                )
                .then_with(|| a.text.cmp(&b.text))
                .then(a.line.cmp(&b.line))
        });
        (self.events, event_start, stages, feedback)
    }
}

/// The canonical sort key of an event (everything but its line).
#[allow(clippy::type_complexity)]
pub(super) fn event_key(
    e: &Event,
) -> (
    u32,
    crate::time::Instant,
    Sym,
    Sym,
    Option<Team>,
    Option<Sym>,
    Option<Sym>,
) {
    (e.lead, e.ts, e.kind, e.channel, e.team, e.campaign, e.asset)
}

/// The field a rejection is about: the lead reference, or the timestamp for pre-creation rows.
fn field_of(reason: Reason, lead_field: &'static str, ts_field: &'static str) -> &'static str {
    if reason == Reason::BeforeLeadCreated {
        ts_field
    } else {
        lead_field
    }
}
