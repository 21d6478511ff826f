//! What each lead reached by `as_of`: the furthest funnel stage, the stages entered, a won deal.

use crate::journey::stage_entries;
use crate::model::{DealStatus, Workspace};
use crate::time::Instant;

/// Per-lead outcomes at `as_of`, indexed by lead.
#[derive(Debug, Clone)]
pub struct Outcomes {
    /// Index of the furthest funnel stage entered (`None` when none).
    pub furthest: Vec<Option<u16>>,
    /// Bit `s` set when stage `s` (funnel or exit) was entered.
    pub entered: Vec<u64>,
    /// Won-deal revenue by `as_of` (`Some(0.0)` for a won deal without amount; `None` when not won).
    pub won: Vec<Option<f64>>,
    /// True when the lead has deals and every one of them was closed (won or lost) by `as_of`.
    pub deals_closed: Vec<bool>,
}

impl Outcomes {
    /// Computes the outcomes of every lead at `as_of`.
    pub fn new(ws: &Workspace, as_of: Instant) -> Self {
        let n = ws.leads.len();
        let funnel_len = ws.framework.config.lifecycle.stages.len();
        let mut furthest = vec![None; n];
        let mut entered = vec![0u64; n];
        for (lead, entries) in stage_entries(ws, as_of) {
            for e in entries {
                if (e.stage as usize) < 64 {
                    entered[lead as usize] |= 1 << e.stage;
                }
                if (e.stage as usize) < funnel_len {
                    let f = &mut furthest[lead as usize];
                    *f = Some(f.map_or(e.stage, |x: u16| x.max(e.stage)));
                }
            }
        }
        let mut won = vec![None; n];
        let mut open = vec![0u32; n];
        let mut closed = vec![0u32; n];
        for d in &ws.deals {
            if d.created_at > as_of {
                continue;
            }
            if d.status != DealStatus::Open && d.closed_at.is_some_and(|c| c <= as_of) {
                closed[d.lead as usize] += 1;
            } else {
                open[d.lead as usize] += 1;
            }
            if d.status == DealStatus::Won && d.closed_at.is_some_and(|c| c <= as_of) {
                let w = &mut won[d.lead as usize];
                *w = Some(w.unwrap_or(0.0) + d.amount.unwrap_or(0.0));
            }
        }
        let deals_closed = open
            .iter()
            .zip(&closed)
            .map(|(&o, &c)| o == 0 && c > 0)
            .collect();
        Self {
            furthest,
            entered,
            won,
            deals_closed,
        }
    }

    /// True when the lead entered funnel stage `stage` or a later one.
    pub fn reached(&self, lead: u32, stage: usize) -> bool {
        self.furthest[lead as usize].is_some_and(|f| f as usize >= stage)
    }

    /// True when the lead has a won deal by `as_of`.
    pub fn is_won(&self, lead: u32) -> bool {
        self.won[lead as usize].is_some()
    }
}
