//! What a page asks about one lead or one draft, live: score and qualify a lead given as objects,
//! check a message, suggest content, read a lead's SLA clocks, attribute given paths. The answers
//! are [`baton_core::live`]'s, the same the CLI and the service give; this layer reads the page's
//! input (the flat text of `flatten`), writes each answer as JSON text (the JS layer parses it),
//! and turns message spans into UTF-16 offsets.

use std::sync::Arc;

use baton_core::live::{self, AsOfError};
use baton_core::messaging::{MessageCheck, Span};
use baton_core::{Error, Framework, Instant, Workspace};
use serde::Serialize;

pub use baton_core::live::{
    Attribution, AttributionPath, AttributionTouch, InputWarning, LiveScore, ModelCredits,
    Qualification, SlaClock, lead_workspace, lead_workspace_ingested, placeholder_workspace,
    rule_facts,
};

fn to_json<T: Serialize>(value: &T) -> String {
    let mut out = Answer(Vec::with_capacity(2048));
    match serde_json::to_writer(&mut out, value) {
        Ok(()) => String::from_utf8(out.0).unwrap_or_default(),
        Err(e) => format!("{{\"error\":\"{e}\"}}"),
    }
}

/// An answer's JSON text as serde_json writes it: most pieces are a byte (a quote, a colon, a
/// comma), pushed as such rather than appended as a slice (a reserve and a copy each).
struct Answer(Vec<u8>);

impl std::io::Write for Answer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf).map(|()| buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match buf {
            [byte] => self.0.push(*byte),
            _ => self.0.extend_from_slice(buf),
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The one-lead workspace of a lead and its events handed over as one text by the JS layer
/// (`flatten` in `bindings.rs`): how many objects and members it wrote (`9 31`), then each
/// object: `\u{1e}`, and per member `\u{1f}`, the key, `\u{1d}`, a tag (`s` a string, `t` text to
/// read as it is, `d` a non-integer number) and the text; `None` when the input needs the general
/// ingestion.
pub fn lead_workspace_flat(
    framework: &Arc<Framework>,
    facts: &[String],
    flat: &str,
) -> Option<Workspace> {
    let (lead, events) = unflatten(flat)?;
    baton_core::ingest::one_lead_workspace(framework, facts, &lead, &events)
}

/// One object's members as the JS layer flattened them.
type Members<'a> = Vec<(&'a str, std::borrow::Cow<'a, str>)>;

/// The lead's members and each event's from `flatten`'s text, in one pass over its bytes.
///
/// `flatten` does not look inside keys and strings: a separator in one shows as more objects or
/// members than it counted, or as a second key end in a member, and a lone surrogate as U+FFFD
/// (how it reaches Rust); all of them, and a real U+FFFD, are declined (the JSON way reads them).
fn unflatten(flat: &str) -> Option<(Members<'_>, Vec<Members<'_>>)> {
    let body = flat.find('\u{1e}')?;
    let (objects_written, members_written) = flat[..body].split_once(' ')?;
    let count = <usize as std::str::FromStr>::from_str;
    let (objects_written, members_written) =
        (count(objects_written).ok()?, count(members_written).ok()?);
    // Each object and member takes a byte of the text at least.
    if objects_written > flat.len() || members_written > flat.len() {
        return None;
    }
    let bytes = flat.as_bytes();
    let mut objects: Vec<Members<'_>> = Vec::with_capacity(objects_written);
    objects.push(Vec::with_capacity(members_written.min(16)));
    let mut members = 0;
    // The separator that opened the piece being read, and the end of its key when it is a member.
    let (mut open, mut key_end) = (body, None);
    for (at, &byte) in bytes.iter().enumerate().skip(body + 1) {
        if byte > MEMBER && byte != 0xEF {
            continue;
        }
        match byte {
            KEY_END if key_end.is_none() => key_end = Some(at),
            KEY_END => return None,
            OBJECT | MEMBER => {
                members += close_piece(flat, &mut objects, open, key_end, at)?;
                if byte == OBJECT {
                    objects.push(Vec::new());
                }
                (open, key_end) = (at, None);
            }
            // U+FFFD (EF BF BD).
            0xEF if bytes[at..].starts_with("\u{fffd}".as_bytes()) => return None,
            _ => {}
        }
    }
    members += close_piece(flat, &mut objects, open, key_end, bytes.len())?;
    if objects.len() != objects_written || members != members_written {
        return None;
    }
    let mut objects = objects.into_iter();
    let lead = objects.next()?;
    Some((lead, objects.collect()))
}

/// `flatten`'s separator before an object.
const OBJECT: u8 = 0x1e;
/// `flatten`'s separator before a member.
const MEMBER: u8 = 0x1f;
/// `flatten`'s separator after a member's key.
const KEY_END: u8 = 0x1d;

/// Reads the piece of `flat` opened by the separator at `open` and ending at `at`: a member
/// goes into the last object (1, the members read); an object's opening piece must be empty (0).
fn close_piece<'a>(
    flat: &'a str,
    objects: &mut [Members<'a>],
    open: usize,
    key_end: Option<usize>,
    at: usize,
) -> Option<usize> {
    if flat.as_bytes()[open] == MEMBER {
        let key_end = key_end?;
        let value = member(&flat[key_end + 1..at])?;
        objects.last_mut()?.push((&flat[open + 1..key_end], value));
        Some(1)
    } else if at > open + 1 {
        None
    } else {
        Some(0)
    }
}

/// A member's value: a tag and the text.
fn member(value: &str) -> Option<std::borrow::Cow<'_, str>> {
    let (tag, text) = value.split_at_checked(1)?;
    Some(match tag {
        "s" | "t" => std::borrow::Cow::Borrowed(text),
        // As serde_json writes the number JSON.stringify wrote.
        "d" => serde_json::Number::from_f64(text.parse().ok()?)?
            .to_string()
            .into(),
        _ => return None,
    })
}

/// Parses `asOf` in the workspace zone, or takes the workspace's latest timestamp.
pub fn resolve_as_of(ws: &Workspace, as_of: Option<&str>) -> Result<Instant, Error> {
    live::resolve_as_of(ws, as_of)
        .map(|a| a.at)
        .map_err(|e| match e {
            AsOfError::Unreadable(text) => Error::BadTime {
                what: "asOf".into(),
                text,
            },
            AsOfError::NoTimestamps(why) => Error::BadTime {
                what: format!("asOf (the data has no timestamps: {why})"),
                text: String::new(),
            },
        })
}

/// `scoreLead`: the lead's score with its explanation.
pub fn score(
    framework: &Arc<Framework>,
    facts: &[String],
    lead: &str,
    events: &str,
    as_of: Option<&str>,
) -> Result<String, Error> {
    score_workspace(&lead_workspace(framework, facts, lead, events)?, as_of)
}

/// [`score`] on a one-lead workspace ([`lead_workspace`]).
pub fn score_workspace(ws: &Workspace, as_of: Option<&str>) -> Result<String, Error> {
    Ok(to_json(&live::score(ws, resolve_as_of(ws, as_of)?)?))
}

/// `qualify`: every criteria set's verdict (what passed, failed, and what to ask) and the route.
pub fn qualify(
    framework: &Arc<Framework>,
    facts: &[String],
    lead: &str,
    events: &str,
    as_of: Option<&str>,
) -> Result<String, Error> {
    qualify_workspace(&lead_workspace(framework, facts, lead, events)?, as_of)
}

/// [`qualify`] on a one-lead workspace ([`lead_workspace`]).
pub fn qualify_workspace(ws: &Workspace, as_of: Option<&str>) -> Result<String, Error> {
    Ok(to_json(&live::qualify(ws, resolve_as_of(ws, as_of)?)?))
}

/// `checkMessage`: pillar coverage, retired or banned claims and conflicting numbers, with spans
/// as UTF-16 code-unit offsets (what JavaScript strings index by).
pub fn check_message(ws: &Workspace, text: &str, audience: &str) -> Result<String, Error> {
    let mut check = live::check_message(ws, text, audience)?;
    to_utf16(text, &mut check);
    Ok(to_json(&check))
}

/// Character offsets of a message check as UTF-16 code-unit offsets.
fn to_utf16(text: &str, check: &mut MessageCheck) {
    let mut offsets = Vec::with_capacity(text.len() + 1);
    let mut at = 0usize;
    for c in text.chars() {
        offsets.push(at);
        at += c.len_utf16();
    }
    offsets.push(at);
    let fix = |s: &mut Span| {
        s.start = offsets.get(s.start).copied().unwrap_or(at);
        s.end = offsets.get(s.end).copied().unwrap_or(at);
    };
    for p in &mut check.pillars_hit {
        p.evidence.iter_mut().for_each(fix);
    }
    for c in &mut check.claims {
        fix(&mut c.span);
    }
    for c in &mut check.conflicts {
        fix(&mut c.span);
    }
    for f in &mut check.findings {
        if let Some(s) = &mut f.span {
            fix(s);
        }
    }
}

/// `nextBestContent`: assets to send this lead next, with the reasons.
pub fn next_best_content(
    ws: &Workspace,
    lead_id: &str,
    as_of: Option<&str>,
) -> Result<String, Error> {
    let as_of = resolve_as_of(ws, as_of)?;
    Ok(to_json(&live::next_best_content(ws, lead_id, as_of)?))
}

/// `slaClock`: every SLA clock of a lead at `now`, in business hours on the workspace calendar.
pub fn sla_clock(ws: &Workspace, lead_id: &str, now: Option<&str>) -> Result<String, Error> {
    let now = resolve_as_of(ws, now)?;
    Ok(to_json(&live::sla_clocks(ws, lead_id, now)?))
}

/// `attribution`: the nine models (first/last touch, linear, time decay, U, W, full path,
/// Markov, Shapley) over the paths given as JSON.
pub fn attribution(framework: &Framework, paths_json: &str) -> Result<String, Error> {
    let paths: Vec<AttributionPath> =
        serde_json::from_str(paths_json).map_err(|e| Error::Input {
            what: "attribution".into(),
            message: e.to_string(),
        })?;
    Ok(to_json(&live::attribution(framework, &paths)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryWorkspace;
    use serde_json::{Value, json};

    #[test]
    fn rule_facts_are_the_lead_attributes_the_conditions_name() {
        let toml = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/acme/baton.toml"
        ))
        .expect("acme config");
        let engine = MemoryWorkspace::new(toml.split("# WebAssembly plugins").next().unwrap_or(""))
            .expect("valid");
        // Scoring, qualification criteria and routing rules, nested all/any/not included; event
        // fields (type, channel) left out.
        assert_eq!(
            engine.facts(),
            [
                "budget_confirmed",
                "champion_named",
                "country",
                "employees",
                "industry",
                "persona"
            ]
        );
    }

    fn fixture(name: &str) -> MemoryWorkspace {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures")
            .join(name);
        let toml = std::fs::read_to_string(dir.join("baton.toml")).unwrap_or_default();
        let mut ws = MemoryWorkspace::new(&toml).expect("config");
        for entry in std::fs::read_dir(&dir).expect("fixture") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            if name != "baton.toml" && path.is_file() {
                ws.add_file(&name, std::fs::read(&path).expect("read"));
            }
        }
        ws
    }

    fn parse(s: Result<String, Error>) -> Value {
        serde_json::from_str(&s.expect("answer")).expect("json")
    }

    const RULES: &str = r#"
[scoring]
mql_threshold = 10
[[scoring.rules]]
name = "Big company"
kind = "fit"
points = 10
when = { fact = "employees", operator = "gte", value = 1000 }
[[scoring.rules]]
name = "Demo"
kind = "engagement"
points = 5
when = { fact = "type", operator = "eq", value = "demo" }
[[qualification.sets]]
name = "Size"
policy = "all"
[[qualification.sets.criteria]]
name = "Big"
ask = "How many employees?"
when = { fact = "employees", operator = "gte", value = 1000 }
[routing]
default = "inbound"
"#;

    #[test]
    fn scores_and_qualifies_a_lead_given_as_objects() {
        let ws = MemoryWorkspace::new(RULES).expect("config");
        let lead = r#"{"lead_id": "X", "created_at": "2026-01-01T00:00:00Z", "employees": 5000}"#;
        let events = r#"[{"ts": "2026-01-02T00:00:00Z", "type": "demo", "channel": "video"}]"#;
        let s = parse(score(
            ws.framework(),
            ws.facts(),
            lead,
            events,
            Some("2026-01-03T00:00:00Z"),
        ));
        // 10 fit + 5 engagement (no decay configured).
        assert_eq!(
            (s["score"].as_f64(), s["fit"].as_f64(), s["mql"].as_bool()),
            (Some(15.0), Some(10.0), Some(true))
        );
        assert_eq!(s["reasons"][0]["rule"], "Big company");
        let q = parse(qualify(ws.framework(), ws.facts(), lead, events, None));
        assert_eq!(q["verdicts"][0]["qualified"], true);
        assert_eq!(q["route_to"], "inbound");
        // A lead without the attribute a criterion reads: undecided, with the question to ask.
        let unknown = r#"{"lead_id": "Y", "created_at": "2026-01-01T00:00:00Z"}"#;
        let q = parse(qualify(ws.framework(), ws.facts(), unknown, "", None));
        assert_eq!(
            q["verdicts"][0]["missing_data"][0]["ask"],
            "How many employees?"
        );
        let e = score(ws.framework(), ws.facts(), "{}", "", None).expect_err("no id");
        assert_eq!(e.code(), "input");
    }

    #[test]
    fn a_lead_or_event_the_engine_cannot_use_is_an_error_naming_it() {
        let ws = MemoryWorkspace::new(RULES).expect("config");
        let ask = |lead: &str, events: &str| {
            let e = score(ws.framework(), ws.facts(), lead, events, Some("2026-02-01"))
                .expect_err("refused");
            let q = qualify(ws.framework(), ws.facts(), lead, events, Some("2026-02-01"))
                .expect_err("refused");
            assert_eq!((e.code(), e.to_string()), (q.code(), q.to_string()));
            e.to_string()
        };
        // A lead whose created_at cannot be read (the loader rejects the row: no lead to score).
        assert_eq!(
            ask(r#"{"lead_id": "X", "created_at": "soon"}"#, ""),
            "lead: `created_at`: \"soon\": not an RFC 3339 timestamp or local date-time (bad_timestamp)"
        );
        let lead = r#"{"lead_id": "X", "created_at": "2026-01-01"}"#;
        // The second of three events has no channel, the third an unknown team: the first is named,
        // with how many cannot be used.
        let events = r#"[{"ts": "2026-01-02", "type": "demo", "channel": "web"},
            {"ts": "2026-01-03", "type": "demo"},
            {"ts": "2026-01-04", "type": "demo", "channel": "web", "team": "partners"}]"#;
        assert_eq!(
            ask(lead, events),
            "events[1]: `channel`: empty (empty_required_field) (2 of the 3 events given cannot be used)"
        );
        // An event of another lead.
        assert_eq!(
            ask(
                lead,
                r#"[{"ts": "2026-01-02", "type": "demo", "channel": "web", "lead_id": "Y"}]"#
            ),
            "events[0]: `lead_id`: lead_id \"Y\" is not in leads (or its lead row was rejected) (unknown_lead)"
        );
    }

    #[test]
    fn odd_values_from_a_page_are_answers_or_errors_never_panics() {
        // A panic is a trap in the wasm build (panic = abort): the page's engine is gone.
        let ws = MemoryWorkspace::new(RULES).expect("config");
        let leads = [
            "null",
            "[]",
            "1",
            "\"x\"",
            "{}",
            r#"{"lead_id":{}}"#,
            r#"{"lead_id":"a","created_at":"9999-12-31T23:59:59Z"}"#,
            r#"{"lead_id":"a","created_at":"-009999-01-01T00:00:00Z"}"#,
            r#"{"lead_id":"a","created_at":"2026-01-01","employees":1e308}"#,
            r#"{"lead_id":"a","created_at":"2026-01-01","employees":["x"]}"#,
            r#"{"lead_id":"a","created_at":"2026-01-01T00:00:00+25:00"}"#,
            r#"[{"lead_id":"a","created_at":"2026-01-01"},{"lead_id":"b","created_at":"2026-01-01"}]"#,
        ];
        let events = [
            "",
            "null",
            "{}",
            "[null]",
            "[{}]",
            r#"[{"ts":"0001-01-01","type":"demo","channel":"b"}]"#,
            r#"[{"ts":"9999-12-31T23:59:59Z","type":"demo","channel":"b","event_id":"1"},
                {"ts":"9999-12-31T23:59:59Z","type":"demo","channel":"b","event_id":"1"}]"#,
        ];
        let as_ofs = [
            None,
            Some(""),
            Some("garbage"),
            Some("9999-12-31T23:59:59Z"),
            Some("-009999-01-01T00:00:00Z"),
        ];
        let mut answers = 0;
        for lead in leads {
            for events in events {
                for as_of in as_ofs {
                    let s = score(ws.framework(), ws.facts(), lead, events, as_of);
                    let q = qualify(ws.framework(), ws.facts(), lead, events, as_of);
                    answers += usize::from(s.is_ok()) + usize::from(q.is_ok());
                }
            }
        }
        // Some of them are answers (a valid lead, no or valid events, a readable asOf).
        assert!(answers > 0);
        for paths in [
            "",
            "[]",
            "[{}]",
            r#"[{"touches":[],"converted":true,"revenue":1e308}]"#,
            r#"[{"touches":[{"channel":"a","days_before_end":-1e308}],"converted":true,"revenue":1e308}]"#,
        ] {
            let _ = attribution(ws.framework(), paths);
        }
        for text in ["", "\u{0}", &"é".repeat(10_000), "100% 200% 3x 1e308%"] {
            let _ = ws.check_message_json(text, "champion");
        }
    }

    #[test]
    fn values_used_with_a_caveat_come_back_as_warnings() {
        let toml = "[workspace]\ntimezone = \"America/New_York\"\n[[scoring.rules]]\nname = \"Big\"\nkind = \"fit\"\npoints = 10\nwhen = { fact = \"employees\", operator = \"gte\", value = 500 }\n";
        let engine = MemoryWorkspace::new(toml).expect("valid");
        let lead = r#"{"lead_id":"P1","created_at":"2026-03-08 02:30","employees":"many"}"#;
        // The first event is dated before the lead; the second is a New York local time that
        // exists twice (the November fold); the third is clean.
        let events = r#"[{"ts":"2026-03-01T10:00:00Z","type":"visit","channel":"web"},
            {"ts":"2026-11-01 01:30","type":"visit","channel":"web"},
            {"ts":"2026-03-09T10:00:00Z","type":"visit","channel":"web"}]"#;
        let scored = parse(score(
            engine.framework(),
            engine.facts(),
            lead,
            events,
            None,
        ));
        // `employees` could not be read: the fit rule is undecided, and the warning says why.
        assert_eq!(
            scored["undecided"],
            json!([{"rule": "Big", "missing": "employees"}])
        );
        let warnings = scored["warnings"].as_array().expect("warnings");
        let found: Vec<(&str, &str, Vec<&str>)> = warnings
            .iter()
            .map(|w| {
                (
                    w["reason"].as_str().unwrap_or(""),
                    w["field"].as_str().unwrap_or(""),
                    w["inputs"]
                        .as_array()
                        .map(|a| a.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default(),
                )
            })
            .collect();
        // 2026-03-08 02:30 does not exist in New York (spring forward): moved to 03:30.
        assert!(
            found.contains(&("bad_number", "employees", vec!["lead"])),
            "{found:?}"
        );
        assert!(
            found.contains(&("local_time_in_gap", "created_at", vec!["lead"])),
            "{found:?}"
        );
        assert!(
            found.contains(&("before_lead_created", "ts", vec!["events[0]"])),
            "{found:?}"
        );
        assert!(
            found.contains(&("local_time_in_fold", "ts", vec!["events[1]"])),
            "{found:?}"
        );
        assert_eq!(found.len(), 4, "{found:?}");
        let bad = warnings
            .iter()
            .find(|w| w["reason"] == "bad_number")
            .expect("bad_number");
        assert_eq!(
            bad["example"],
            "\"many\" is not a number; the attribute is left empty"
        );
        assert_eq!(bad["count"], 1);
        // qualify gives the same warnings; a clean lead gives none.
        let q = parse(qualify(
            engine.framework(),
            engine.facts(),
            lead,
            events,
            None,
        ));
        assert_eq!(q["warnings"], scored["warnings"]);
        let clean = r#"{"lead_id":"P1","created_at":"2026-01-01T00:00:00Z","employees":800}"#;
        let s = parse(score(engine.framework(), engine.facts(), clean, "[]", None));
        assert_eq!(
            (s["warnings"].clone(), s["score"].clone()),
            (json!([]), json!(10.0))
        );
    }

    #[test]
    fn sla_clocks_match_the_hand_computed_journey_fixture() {
        let journey = fixture("journey");
        let ws = journey.workspace().expect("loads");
        let a = parse(sla_clock(ws, "A", Some("2026-07-10 17:00")));
        assert_eq!(a[0]["sla"], "acceptance");
        let first = a
            .as_array()
            .expect("clocks")
            .iter()
            .find(|c| c["sla"] == "first_touch")
            .expect("first_touch");
        // Fri 18:00 → Mon 09:30 across the weekend and the DST change: 0.5 business hours, met.
        assert_eq!(
            (first["business_hours"].as_f64(), first["status"].as_str()),
            (Some(0.5), Some("met"))
        );
        let f = parse(sla_clock(ws, "F", Some("2026-07-10 17:00")));
        let first = f
            .as_array()
            .expect("clocks")
            .iter()
            .find(|c| c["sla"] == "first_touch")
            .expect("first_touch");
        assert_eq!(
            (
                first["business_hours"].as_f64(),
                first["remaining_business_hours"].as_f64(),
                first["status"].as_str()
            ),
            (Some(2.0), Some(2.0), Some("pending"))
        );
    }

    #[test]
    fn attribution_on_given_paths_matches_hand_computed_credits() {
        let ws = MemoryWorkspace::new("").expect("defaults");
        let paths = json!([
            {"touches": [{"channel": "ads"}, {"channel": "email"}], "converted": true, "revenue": 100},
            {"touches": [{"channel": "ads"}], "converted": false}
        ]);
        let a = parse(attribution(ws.framework(), &paths.to_string()));
        assert_eq!(
            a["models"]["first_touch"]["conversions"],
            json!({"ads": 1.0, "email": 0.0})
        );
        assert_eq!(
            a["models"]["last_touch"]["revenue"],
            json!({"ads": 0.0, "email": 100.0})
        );
        assert_eq!(
            a["models"]["linear"]["conversions"],
            json!({"ads": 0.5, "email": 0.5})
        );
        // Markov: removing either channel breaks the only converting path.
        assert_eq!(a["removal_effects"], json!({"ads": 1.0, "email": 1.0}));
        assert_eq!(
            a["models"]["shapley"]["conversions"],
            json!({"ads": 0.5, "email": 0.5})
        );
    }

    #[test]
    fn message_spans_are_utf16_offsets() {
        let toml = "[messaging]\n[[messaging.pillars]]\nname = \"Speed\"\nphrases = [\"fast onboarding\"]\n";
        let ws = MemoryWorkspace::new(toml).expect("config");
        // "🚀 " is two UTF-16 units plus a space: the phrase starts at unit 3 (scalar offset 2).
        let c = parse(ws.check_message_json("🚀 fast onboarding for teams", ""));
        let span = &c["pillars_hit"][0]["evidence"][0];
        assert_eq!(
            (span["start"].as_u64(), span["end"].as_u64()),
            (Some(3), Some(18))
        );
        assert_eq!(span["text"], "fast onboarding");
    }
}
