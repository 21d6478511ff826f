//! One lead given as objects (a page's lead and its touches, as key → text members) read straight
//! into a one-lead [`Workspace`], without the file reader: the fast path of the live calls.
//!
//! It only takes what the general ingestion would take without a word: when a value would be
//! rejected, warned about or read in a way this path does not repeat (a naive local time, an event
//! before the lead, a repeated `event_id`, a key written in another case, a nested value...), it
//! declines and the caller reads the objects as an NDJSON file ([`crate::load_from_json_rows`]),
//! which says what is wrong. What it builds equals what that reading builds (`wasm/tests/one_lead.rs`
//! compares the workspaces and the answers on 4,000 generated leads).

use std::borrow::Cow;

use serde_json::Value;

use super::FileKind;
use super::activity::event_key;
use super::leads::type_single;
use crate::config::Framework;
use crate::model::{Attribute, Event, Lead, Team, Workspace};
use crate::quality::DataQuality;
use crate::symbols::{Sym, Symbols};
use crate::time::{Instant, TimeParser};

/// One object of a page's input: its members as (key, text), the text as the general reader
/// reads the value (a string as written, a number as serde_json writes it, `true`/`false`,
/// empty for `null`).
pub type Fields<'a> = [(&'a str, Cow<'a, str>)];

/// The one-lead workspace of a lead and its events, with `facts` the lead does not have as empty
/// attributes; `None` when the input needs the general ingestion.
pub fn one_lead_workspace(
    framework: &std::sync::Arc<Framework>,
    facts: &[String],
    lead: &Fields<'_>,
    events: &[Vec<(&str, Cow<'_, str>)>],
) -> Option<Workspace> {
    Reader {
        parser: TimeParser::new(framework.tz.clone()),
    }
    .read(framework, facts, lead, events)
}

/// [`one_lead_workspace`] of a lead object and a list of event objects given as JSON texts
/// (`events` may be empty).
pub fn one_lead_workspace_json(
    framework: &std::sync::Arc<Framework>,
    facts: &[String],
    lead_json: &str,
    events_json: &str,
) -> Option<Workspace> {
    let lead = serde_json::from_str::<Value>(lead_json).ok()?;
    let events = if events_json.trim().is_empty() {
        Value::Array(Vec::new())
    } else {
        serde_json::from_str::<Value>(events_json).ok()?
    };
    let lead = json_fields(&lead)?;
    let events = match &events {
        Value::Array(events) => events.iter().map(json_fields).collect::<Option<Vec<_>>>()?,
        _ => return None,
    };
    one_lead_workspace(framework, facts, &lead, &events)
}

/// The members of a JSON object as [`Fields`]; `None` for anything else, or a nested value.
fn json_fields(value: &Value) -> Option<Vec<(&str, Cow<'_, str>)>> {
    let Value::Object(map) = value else {
        return None;
    };
    map.iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => Cow::Borrowed(s.as_str()),
                Value::Null => Cow::Borrowed(""),
                Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
                Value::Number(n) => Cow::Owned(n.to_string()),
                _ => return None,
            };
            Some((k.as_str(), text))
        })
        .collect()
}

/// True when a key is written as the reader would read it: the exact name of a column of `kind`,
/// or any other name (an attribute, a key the reader ignores) that no column shares in another
/// case; not empty, no surrounding spaces.
fn plain_key(kind: FileKind, key: &str) -> bool {
    if key.is_empty() || spaced(key) {
        return false;
    }
    // Columns are lowercase: only a key with an uppercase letter can name one in another case.
    !key.bytes().any(|b| b.is_ascii_uppercase())
        || !kind
            .required_columns()
            .iter()
            .chain(kind.optional_columns())
            .any(|column| column.eq_ignore_ascii_case(key))
}

/// Text the general reader reads as it is: no surrounding spaces (it trims them in places).
fn plain_text<'a>(text: &'a Cow<'a, str>) -> Option<&'a Cow<'a, str>> {
    (!spaced(text)).then_some(text)
}

/// True when `trim` would take something: white space at either end.
fn spaced(text: &str) -> bool {
    let bytes = text.as_bytes();
    match (bytes.first(), bytes.last()) {
        // ASCII at both ends (the usual case): its white space, without decoding a char.
        (Some(&first), Some(&last)) if first.is_ascii() && last.is_ascii() => {
            let white = |b: u8| matches!(b, b'\t'..=b'\r' | b' ');
            white(first) || white(last)
        }
        _ => text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace),
    }
}

struct Reader {
    parser: TimeParser,
}

/// An event as read, before its symbols are numbered.
struct RawEvent<'a> {
    ts: Instant,
    kind: &'a str,
    channel: &'a str,
    team: Option<Team>,
    campaign: Option<&'a str>,
    asset: Option<&'a str>,
}

impl Reader {
    /// A timestamp read without adjustment (a naive time moved by DST is warned about).
    fn time(&self, text: &str) -> Option<Instant> {
        match self.parser.parse(text) {
            Ok((t, None)) => Some(t),
            _ => None,
        }
    }

    fn read<'a>(
        &self,
        framework: &std::sync::Arc<Framework>,
        facts: &'a [String],
        lead: &'a Fields<'a>,
        events: &'a [Vec<(&'a str, Cow<'a, str>)>],
    ) -> Option<Workspace> {
        let field = |key: &str| lead.iter().find(|(k, _)| *k == key).map(|(_, v)| v);
        let id: &str = plain_text(field("lead_id")?)?;
        if id.is_empty() {
            return None;
        }
        let created_at = self.time(plain_text(field("created_at")?)?)?;
        // Attributes: the lead's keys but `lead_id` and `created_at`, and the facts it lacks.
        let mut attributes: Vec<(&str, &str)> = Vec::with_capacity(lead.len() + facts.len());
        for (key, value) in lead {
            if !plain_key(FileKind::Leads, key) {
                return None;
            }
            if *key != "lead_id" && *key != "created_at" {
                attributes.push((key, plain_text(value)?));
            }
        }
        for fact in facts {
            if field(fact).is_none() {
                if !plain_key(FileKind::Leads, fact)
                    || matches!(fact.as_str(), "lead_id" | "created_at")
                {
                    return None;
                }
                attributes.push((fact, ""));
            }
        }
        crate::order::sort_unstable(&mut attributes);
        // Two names that differ only in case are merged or ignored by the general reader.
        if attributes
            .windows(2)
            .any(|w| w[0].0.eq_ignore_ascii_case(w[1].0))
        {
            return None;
        }

        let mut raw = Vec::with_capacity(events.len());
        let mut event_ids: Vec<&str> = Vec::new();
        for event in events {
            let mut e = RawEvent {
                ts: Instant(i64::MIN),
                kind: "",
                channel: "",
                team: None,
                campaign: None,
                asset: None,
            };
            let mut has_ts = false;
            for (key, value) in event {
                if !plain_key(FileKind::Events, key) {
                    return None;
                }
                let text: &str = plain_text(value)?;
                match *key {
                    "lead_id" if text != id => return None,
                    "ts" => {
                        e.ts = self.time(text)?;
                        has_ts = true;
                    }
                    "type" => e.kind = text,
                    "channel" => e.channel = text,
                    "team" if !text.is_empty() => e.team = Some(Team::parse(text)?),
                    "campaign" => e.campaign = Some(text).filter(|t| !t.is_empty()),
                    "asset_id" => e.asset = Some(text).filter(|t| !t.is_empty()),
                    "event_id" if !text.is_empty() => event_ids.push(text),
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
        texts.push(id);
        texts.extend(attributes.iter().map(|&(_, v)| v).filter(|v| !v.is_empty()));
        for e in &raw {
            texts.extend([e.kind, e.channel]);
            texts.extend(e.campaign);
            texts.extend(e.asset);
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
                kind: sym(e.kind),
                channel: sym(e.channel),
                team: e.team,
                campaign: e.campaign.map(sym),
                asset: e.asset.map(sym),
            })
            .collect();
        crate::order::sort_unstable_by_key(&mut events, event_key);
        let lead = Lead {
            id: sym(id),
            created_at,
            line: 1,
        };
        let stage_names = framework.stage_names.clone();
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

#[cfg(test)]
mod tests {
    use super::spaced;

    #[test]
    fn spaced_is_what_trim_would_take() {
        for text in [
            "",
            " ",
            "a",
            "ab",
            " a",
            "a ",
            "\ta",
            "a\n",
            "\u{b}a",
            "a\u{c}",
            "\ra",
            "\u{1f}a",
            "\u{a0}a",
            "a\u{a0}",
            "\u{85}x",
            "x\u{2003}",
            "\u{3000}",
            "é",
            "éa",
            "aé",
            "é ",
            " é",
            "日本",
            "a\u{200b}",
        ] {
            assert_eq!(spaced(text), text.trim().len() != text.len(), "{text:?}");
        }
    }
}
