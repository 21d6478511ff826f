//! A lead's score with its explanation, its qualification verdicts and route, a draft's message
//! check, and the content to send next: typed answers every caller serializes as it needs.

use serde::Serialize;

use super::lead::{InputWarning, bad_input, input_warnings};
use crate::content::Suggestion;
use crate::messaging::{Lexicon, MessageCheck};
use crate::outcomes::Outcomes;
use crate::qualification::{NoPlugins, QualificationModel, RoutingModel};
use crate::scoring::{ScoringModel, score_lead};
use crate::{Error, Instant, Workspace};

/// `scoreLead`'s answer: the score with its explanation, and what was read with a caveat.
#[derive(Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LiveScore {
    /// The score, as the CLI's `scored_leads.csv` has it, with every point explained.
    #[serde(flatten)]
    pub score: crate::scoring::LeadScore,
    /// Values used with a caveat (a non-numeric `employees` left empty, a local time moved by a
    /// DST change, an event dated before the lead): the page's counterpart of `data_quality`.
    pub warnings: Vec<InputWarning>,
}

/// The score of a one-lead workspace's lead ([`super::lead_workspace`]) at `as_of`.
pub fn score(ws: &Workspace, as_of: Instant) -> Result<LiveScore, Error> {
    let model = ScoringModel::compile(ws)?;
    Ok(LiveScore {
        score: score_lead(&model, ws, 0, as_of),
        warnings: input_warnings(ws),
    })
}

/// `qualify`'s answer.
#[derive(Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Qualification {
    /// Every set's verdict.
    pub verdicts: Vec<crate::qualification::Verdict>,
    /// The route (first matching routing rule, or the default).
    pub route_to: Option<String>,
    /// Values used with a caveat, as `scoreLead` gives them.
    pub warnings: Vec<InputWarning>,
}

/// Every criteria set's verdict (what passed, failed, and what to ask) and the route of a
/// one-lead workspace's lead at `as_of`.
pub fn qualify(ws: &Workspace, as_of: Instant) -> Result<Qualification, Error> {
    let q = QualificationModel::compile(ws)?;
    let routing = RoutingModel::compile(ws)?;
    Ok(Qualification {
        verdicts: q.qualify(ws, 0, as_of, &NoPlugins),
        route_to: routing.route_all(ws, as_of).into_iter().next().flatten(),
        warnings: input_warnings(ws),
    })
}

/// Pillar coverage, retired or banned claims and conflicting numbers of a draft, with spans as
/// character offsets into `text`.
pub fn check_message(ws: &Workspace, text: &str, audience: &str) -> Result<MessageCheck, Error> {
    let lexicon = Lexicon::new(ws).ok_or_else(|| {
        bad_input(
            "checkMessage",
            "baton.toml has no [messaging] pillars to check against",
        )
    })?;
    Ok(lexicon.check(text, audience))
}

/// The assets to send a lead next, with the reasons.
pub fn next_best_content(
    ws: &Workspace,
    lead_id: &str,
    as_of: Instant,
) -> Result<Vec<Suggestion>, Error> {
    let lead = ws.lead_index(lead_id).ok_or_else(|| {
        bad_input(
            "nextBestContent",
            format!("no lead {lead_id:?} in the workspace"),
        )
    })?;
    let outcomes = Outcomes::new(ws, as_of);
    let report = crate::content::content_report(ws, as_of, &outcomes);
    let reading = crate::content::AssetReading::new(ws, Lexicon::new(ws).as_ref());
    Ok(crate::content::next_best_content(
        ws, lead, as_of, &report, &reading,
    ))
}
