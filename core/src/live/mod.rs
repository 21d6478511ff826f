//! What a caller asks about one lead, live — the CLI's `score`, the service's lead card and the
//! browser's sidebar and widget all call these, so each answers the same: the lead's score with
//! its explanation, its qualification verdicts and route, its SLA clocks, the content to send
//! next, a draft's message check, attribution of given paths, and the `as_of` they are computed at.
//!
//! Answers are typed values; each caller serializes them (JSON for the page and the service).

mod answers;
mod as_of;
mod attribution;
mod card;
mod lead;
mod sla;

pub use answers::{LiveScore, Qualification, check_message, next_best_content, qualify, score};
pub use as_of::{AsOf, AsOfError, FAR_TIMESTAMP_DAYS, resolve_as_of};
pub use attribution::{Attribution, AttributionPath, AttributionTouch, ModelCredits, attribution};
pub use card::{CardContext, LeadCard, PluginCall, TimelineEntry, lead_card};
pub use lead::{
    InputWarning, lead_workspace, lead_workspace_ingested, placeholder_workspace, rule_facts,
};
pub use sla::{ClockInstants, HandoffInstants, SlaClock, handoff_instants, sla_clocks};
