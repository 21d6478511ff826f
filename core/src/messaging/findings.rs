//! Findings: what `baton check` and `checkMessage` report about one text, each with its rule and
//! the severity `[messaging.severity]` gives it.

use serde::Serialize;

use super::{Lexicon, NumberClaim, Span, TextFindings};
use crate::config::Severity;

/// The rules of the messaging check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum MessageRule {
    /// A retired claim still in use.
    RetiredClaim,
    /// A banned phrase.
    BannedClaim,
    /// A number that differs from the one its pillar approves.
    NumberConflict,
    /// A text that covers no pillar.
    OffMessage,
    /// A pillar required for the text's audience that it does not cover.
    PillarMissed,
}

impl MessageRule {
    /// The rule's name, as in `[messaging.severity]` and in `[rule]` of each finding.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageRule::RetiredClaim => "retired_claim",
            MessageRule::BannedClaim => "banned_claim",
            MessageRule::NumberConflict => "number_conflict",
            MessageRule::OffMessage => "off_message",
            MessageRule::PillarMissed => "pillar_missed",
        }
    }
}

/// One finding about a text.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MessageFinding {
    /// The rule.
    pub rule: MessageRule,
    /// Its severity.
    pub severity: Severity,
    /// What is wrong, for people.
    pub message: String,
    /// Where; none for a finding about the whole text.
    pub span: Option<Span>,
}

impl Lexicon {
    /// The findings of a text already analysed: whole-text findings (off message, pillars
    /// missed for `audience`) first, then claims and conflicting numbers in text order.
    pub(super) fn findings(
        &self,
        f: &TextFindings,
        conflicts: &[NumberClaim],
        missed: &[String],
        audience: &str,
    ) -> Vec<MessageFinding> {
        let mut whole = Vec::new();
        if f.pillars.is_empty() && !self.names.is_empty() {
            whole.push((
                MessageRule::OffMessage,
                format!("covers no messaging pillar ({})", self.names.join(", ")),
            ));
        }
        let audience = audience.trim().to_lowercase();
        if !audience.is_empty() {
            for (k, name) in self.names.iter().enumerate() {
                if missed.contains(name) && self.audiences[k].contains(&audience) {
                    whole.push((
                        MessageRule::PillarMissed,
                        format!(
                            "does not cover pillar {name:?}, required for audience {audience:?}"
                        ),
                    ));
                }
            }
        }
        let claims = f.claims.iter().map(|c| {
            let (rule, what) = match c.kind {
                "banned" => (MessageRule::BannedClaim, "banned phrase"),
                _ => (MessageRule::RetiredClaim, "retired claim"),
            };
            let message = format!("{what} {:?} (matched {:?})", c.claim, c.span.text);
            (rule, message, &c.span)
        });
        let numbers = conflicts.iter().map(|n| {
            let approved: Vec<String> = self
                .approved_written(self.position(&n.pillar), &n.kind, &n.unit)
                .into_iter()
                .map(|w| format!("{w:?}"))
                .collect();
            let message = format!(
                "{:?} for pillar {:?} differs from the approved {}",
                n.span.text,
                n.pillar,
                approved.join(" or ")
            );
            (MessageRule::NumberConflict, message, &n.span)
        });
        // Both lists are in text order: merged, a claim first where they start together.
        let (mut claims, mut numbers) = (claims.peekable(), numbers.peekable());
        let mut placed: Vec<(MessageRule, String, &Span)> = Vec::new();
        loop {
            let take_claim = match (claims.peek(), numbers.peek()) {
                (Some(c), Some(n)) => c.2.start <= n.2.start,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            placed.extend(if take_claim {
                claims.next()
            } else {
                numbers.next()
            });
        }
        let whole = whole
            .into_iter()
            .map(|(rule, message)| (rule, message, None));
        let placed = placed
            .into_iter()
            .map(|(rule, message, span)| (rule, message, Some(span.clone())));
        whole
            .chain(placed)
            .filter_map(|(rule, message, span)| {
                let severity = self.severity(rule);
                (severity != Severity::Off).then_some(MessageFinding {
                    rule,
                    severity,
                    message,
                    span,
                })
            })
            .collect()
    }

    fn position(&self, pillar: &str) -> usize {
        self.names.iter().position(|n| n == pillar).unwrap_or(0)
    }
}
