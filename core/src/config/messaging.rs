//! `[messaging]`: the pillars, retired and banned claims, and the severities of the messaging
//! check, as written in `baton.toml`, and their validation beyond serde's.

use serde::{Deserialize, Serialize};

/// `[messaging]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Messaging {
    /// Snowball language of the texts.
    pub language: String,
    /// The messaging pillars.
    pub pillars: Vec<Pillar>,
    /// Claims no longer approved.
    pub retired_claims: Vec<String>,
    /// Phrases that must never be used.
    pub banned: Vec<String>,
    /// `[messaging.severity]`: how much each kind of finding of `baton check` and
    /// `checkMessage` weighs.
    pub severity: FindingSeverities,
}

impl Default for Messaging {
    fn default() -> Self {
        Self {
            language: "english".into(),
            pillars: Vec::new(),
            retired_claims: Vec::new(),
            banned: Vec::new(),
            severity: FindingSeverities::default(),
        }
    }
}

/// How much a messaging finding weighs; `off` turns its rule off.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Not reported.
    Off,
    /// A hint.
    Info,
    /// Worth a look.
    Warning,
    /// Must be fixed.
    Error,
}

impl Severity {
    /// The name, as written in `baton.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Off => "off",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// `[messaging.severity]`: the severity of each rule.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct FindingSeverities {
    /// A retired claim still in use (default `error`).
    pub retired_claim: Severity,
    /// A banned phrase (default `error`).
    pub banned_claim: Severity,
    /// A number that differs from the pillar's approved one (default `error`).
    pub number_conflict: Severity,
    /// A text that covers no pillar (default `warning`).
    pub off_message: Severity,
    /// A pillar listed for the text's audience that the text does not cover (default `warning`).
    pub pillar_missed: Severity,
}

impl Default for FindingSeverities {
    fn default() -> Self {
        Self {
            retired_claim: Severity::Error,
            banned_claim: Severity::Error,
            number_conflict: Severity::Error,
            off_message: Severity::Warning,
            pillar_missed: Severity::Warning,
        }
    }
}

/// One `[[messaging.pillars]]` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Pillar {
    /// Pillar name.
    pub name: String,
    /// What the pillar says.
    #[serde(default)]
    pub description: String,
    /// Approved phrases.
    #[serde(default)]
    pub phrases: Vec<String>,
    /// Other words that signal the pillar.
    #[serde(default)]
    pub synonyms: Vec<String>,
    /// Audiences a text must cover this pillar for (a text declares its audience; none: the
    /// pillar is required for no audience in particular).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audiences: Vec<String>,
}

/// `[messaging]` beyond its language: pillar names given and distinct (ignoring case), no empty
/// pillar, and no phrase that is only stop words or numbers (it could never match): (key, message).
pub(super) fn check_messaging(m: &Messaging) -> Result<(), (String, String)> {
    let Some(analyzer) = crate::text::Analyzer::new(&m.language) else {
        return Ok(());
    };
    let matchable = |key: String, text: &str| {
        if analyzer.phrase(text).is_empty() {
            Err((
                key,
                format!(
                    "{text:?} has no word to match (only stop words or numbers): it could never be found"
                ),
            ))
        } else {
            Ok(())
        }
    };
    for (i, p) in m.pillars.iter().enumerate() {
        let key = format!("messaging.pillars.{i}");
        if p.name.trim().is_empty() {
            return Err((format!("{key}.name"), "a pillar needs a name".into()));
        }
        if let Some(j) = m.pillars[..i]
            .iter()
            .position(|q| q.name.trim().to_lowercase() == p.name.trim().to_lowercase())
        {
            return Err((
                format!("{key}.name"),
                format!("pillar {:?} is declared twice (also pillars.{j})", p.name),
            ));
        }
        if p.phrases.is_empty() && p.synonyms.is_empty() && p.description.trim().is_empty() {
            return Err((
                key,
                format!(
                    "pillar {:?} is empty: give it phrases, synonyms or a description",
                    p.name
                ),
            ));
        }
        for (list, items) in [("phrases", &p.phrases), ("synonyms", &p.synonyms)] {
            for (j, text) in items.iter().enumerate() {
                matchable(format!("{key}.{list}.{j}"), text)?;
            }
        }
    }
    for (list, items) in [("retired_claims", &m.retired_claims), ("banned", &m.banned)] {
        for (j, text) in items.iter().enumerate() {
            matchable(format!("messaging.{list}.{j}"), text)?;
        }
    }
    Ok(())
}
