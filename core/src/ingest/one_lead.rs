//! One lead given as JSON objects (a page's lead and its touches) read straight into a one-lead
//! [`Workspace`], without the file reader: the fast path of the live calls.
//!
//! It only takes what the general ingestion would take without a word: when a value would be
//! rejected, warned about or read in a way this path does not repeat (a naive local time, an event
//! before the lead, a repeated `event_id`, a key written in another case, a nested value...), it
//! declines and the caller reads the objects as an NDJSON file ([`crate::load_from_json_rows`]),
//! which says what is wrong. What it builds equals what that reading builds (a test compares
//! the answers on generated leads).

use serde_json::{Map, Value};

use super::FileKind;
use super::activity::event_key;
use super::leads::type_single;
use crate::config::Framework;
use crate::model::{Attribute, Event, Lead, Team, Workspace};
use crate::quality::DataQuality;
use crate::symbols::{Sym, Symbols};
use crate::time::{Instant, TimeParser};

/// The one-lead workspace of a lead object and its event objects (JSON texts, as a page gives
/// them; `events` may be empty), with `facts` the lead does not have as empty attributes; `None`
/// when the input needs the general ingestion.
pub fn one_lead_workspace(
    framework: &std::sync::Arc<Framework>,
    facts: &[String],
    lead_json: &str,
    events_json: &str,
) -> Option<Workspace> {
    let Value::Object(lead) = serde_json::from_str::<Value>(lead_json).ok()? else {
        return None;
    };
    let events = if events_json.trim().is_empty() {
        Vec::new()
    } else {
        match serde_json::from_str::<Value>(events_json).ok()? {
            Value::Array(events) => events,
            _ => return None,
        }
    };
    Reader::new(framework).read(framework, facts, &lead, &events)
}

/// A lead or event field's text as the general reader has it (trimmed; `null` is empty).
fn text(value: &Value) -> Option<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    match value {
        // Text with surrounding spaces is left to the general reader (it trims it in places).
        Value::String(s) if s.trim().len() == s.len() => Some(Cow::Borrowed(s)),
        Value::Null => Some(Cow::Borrowed("")),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}

/// True when a key is written as the reader would read it: the exact name of a column of `kind`,
/// or (for leads) an attribute name that no column shares in another case.
fn plain_key(kind: FileKind, key: &str) -> bool {
    let columns = kind.required_columns().iter().chain(kind.optional_columns());
    let mut other_case = false;
    for column in columns {
        if *column == key {
            return true;
        }
        other_case |= column.eq_ignore_ascii_case(key);
    }
    !other_case
}

struct Reader {
    parser: TimeParser,
}

/// An event as read, before its symbols are numbered.
struct RawEvent<'a> {
    ts: Instant,
    kind: std::borrow::Cow<'a, str>,
    channel: std::borrow::Cow<'a, str>,
    team: Option<Team>,
    campaign: Option<std::borrow::Cow<'a, str>>,
    asset: Option<std::borrow::Cow<'a, str>>,
}

impl Reader {
    fn new(framework: &Framework) -> Self {
        Self {
            parser: TimeParser::new(framework.tz.clone()),
        }
    }

    /// A timestamp read without adjustment (a naive time moved by DST is warned about).
    fn time(&self, value: Option<&Value>) -> Option<Instant> {
        match self.parser.parse(&text(value?)?) {
            Ok((t, None)) => Some(t),
            _ => None,
        }
    }

    fn read(
        &self,
        framework: &std::sync::Arc<Framework>,
        facts: &[String],
        lead: &Map<String, Value>,
        events: &[Value],
    ) -> Option<Workspace> {
        let id = text(lead.get("lead_id")?)?;
        if id.is_empty() {
            return None;
        }
        let created_at = self.time(lead.get("created_at"))?;
        // Attributes: the lead's keys but `lead_id` and `created_at`, and the facts it lacks.
        let mut attributes: Vec<(&str, std::borrow::Cow<'_, str>)> = Vec::new();
        for (key, value) in lead {
            if !plain_key(FileKind::Leads, key) {
                return None;
            }
            if key != "lead_id" && key != "created_at" {
                attributes.push((key, text(value)?));
            }
        }
        for fact in facts {
            if !lead.contains_key(fact) {
                if !plain_key(FileKind::Leads, fact) || matches!(fact.as_str(), "lead_id" | "created_at") {
                    return None;
                }
                attributes.push((fact, "".into()));
            }
        }
        crate::order::sort_unstable_by(&mut attributes, |a, b| a.0.cmp(b.0));
        // Two names that differ only in case are merged or ignored by the general reader.
        if attributes
            .windows(2)
            .any(|w| w[0].0.eq_ignore_ascii_case(w[1].0))
        {
            return None;
        }

        let mut raw = Vec::with_capacity(events.len());
        let mut event_ids: Vec<std::borrow::Cow<'_, str>> = Vec::new();
        for event in events {
            let Value::Object(event) = event else {
                return None;
            };
            let mut e = RawEvent {
                ts: Instant(i64::MIN),
                kind: "".into(),
                channel: "".into(),
                team: None,
                campaign: None,
                asset: None,
            };
            let mut has_ts = false;
            for (key, value) in event {
                if !plain_key(FileKind::Events, key) {
                    return None;
                }
                match key.as_str() {
                    "lead_id" if text(value)? != id => return None,
                    "ts" => {
                        e.ts = self.time(Some(value))?;
                        has_ts = true;
                    }
                    "type" => e.kind = text(value)?,
                    "channel" => e.channel = text(value)?,
                    "team" => {
                        let t = text(value)?;
                        e.team = if t.is_empty() {
                            None
                        } else {
                            Some(Team::parse(&t)?)
                        };
                    }
                    "campaign" => e.campaign = Some(text(value)?).filter(|t| !t.is_empty()),
                    "asset_id" => e.asset = Some(text(value)?).filter(|t| !t.is_empty()),
                    "event_id" => {
                        let t = text(value)?;
                        if !t.is_empty() {
                            event_ids.push(t);
                        }
                    }
                    _ => {}
                }
            }
            // A missing or early time, an empty type or channel: the general reader says why.
            if !has_ts || e.ts < created_at || e.kind.is_empty() || e.channel.is_empty() {
                return None;
            }
            raw.push(e);
        }
        crate::order::sort_unstable(&mut event_ids);
        if event_ids.windows(2).any(|w| w[0] == w[1]) {
            return None;
        }

        // Symbols in lexicographic order, as the general reader's canonical table has them.
        let mut texts: Vec<&str> = Vec::with_capacity(2 + attributes.len() + 2 * raw.len());
        texts.push(&id);
        texts.extend(attributes.iter().map(|(_, v)| &**v).filter(|v| !v.is_empty()));
        for e in &raw {
            texts.extend([&*e.kind, &*e.channel]);
            texts.extend(e.campaign.as_deref());
            texts.extend(e.asset.as_deref());
        }
        crate::order::sort_unstable(&mut texts);
        texts.dedup();
        let mut symbols = Symbols::default();
        for t in &texts {
            symbols.intern(t);
        }
        let sym = |t: &str| symbols.get(t).unwrap_or(Sym::from_index(0));

        let mut typed = Vec::with_capacity(attributes.len());
        for (name, value) in &attributes {
            let value = (!value.is_empty()).then(|| sym(value));
            typed.push(Attribute {
                name: (*name).to_string(),
                values: type_single(name, value, &symbols)?,
            });
        }
        let mut events: Vec<Event> = raw
            .iter()
            .map(|e| Event {
                ts: e.ts,
                lead: 0,
                kind: sym(&e.kind),
                channel: sym(&e.channel),
                team: e.team,
                campaign: e.campaign.as_deref().map(sym),
                asset: e.asset.as_deref().map(sym),
            })
            .collect();
        crate::order::sort_unstable_by_key(&mut events, event_key);
        let lead = Lead {
            id: sym(&id),
            created_at,
            line: 1,
        };
        let lifecycle = &framework.config.lifecycle;
        let mut stage_names = lifecycle.stages.clone();
        stage_names.extend(lifecycle.exits.iter().cloned());
        let event_start = vec![0, events.len() as u32];
        Some(Workspace {
            framework: framework.clone(),
            symbols,
            leads: vec![lead],
            attributes: typed,
            events,
            event_start,
            stages: Vec::new(),
            stage_names,
            deals: Vec::new(),
            assets: Vec::new(),
            feedback: Vec::new(),
            data_quality: DataQuality::default(),
        })
    }
}
