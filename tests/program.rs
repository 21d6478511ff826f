//! The widget's scoring program: compiled from `baton.toml`, written as bytes, read back and run
//! for one visitor at a time, it gives the engine's score on every lead of acme and of two
//! generated workspaces (score, fit, engagement, grade, priority, MQL and each rule's points).
//! Corrupt bytes, another format version and rules the widget cannot run are refused by name.

use std::path::Path;

use baton::generate::{GenOptions, generate};
use baton_core::model::{AttrColumn, Workspace};
use baton_core::program::{AttrInput, FORMAT_VERSION, Program, ProgramError, Touch, Visitor};
use baton_core::qualification::{NoPlugins, QualificationModel};
use baton_core::scoring::{ScoringModel, score_lead};

/// A visitor holding lead `lead`'s attributes and events, built from the program's bytes.
fn visitor_of(bytes: &[u8], ws: &Workspace, lead: u32) -> Visitor {
    let program = Program::from_bytes(bytes).expect("program bytes");
    let mut v = Visitor::new(program).expect("binds");
    for a in &ws.attributes {
        let value = match &a.values {
            AttrColumn::Number(col) => {
                col[lead as usize].map_or(AttrInput::Missing, AttrInput::Number)
            }
            AttrColumn::Bool(col) => col[lead as usize].map_or(AttrInput::Missing, AttrInput::Bool),
            AttrColumn::Text(col) => {
                col[lead as usize].map_or(AttrInput::Missing, |s| AttrInput::Text(ws.text(s)))
            }
        };
        v.set_attribute(&a.name, value);
    }
    for e in ws.events_of(lead) {
        v.add_touch(Touch {
            ts: e.ts,
            kind: ws.text(e.kind),
            channel: ws.text(e.channel),
            team: e.team,
            campaign: e.campaign.map(|s| ws.text(s)),
            asset: e.asset.map(|s| ws.text(s)),
        });
    }
    v
}

/// Compares every lead's program score with the engine's; returns how many leads were compared.
fn program_agrees_with_engine(name: &str, dir: &Path) -> usize {
    let ws = baton::workspace_dir::load_workspace(dir, true).expect("workspace");
    let bytes = Program::for_widget(&ws.framework.config)
        .expect("a widget program")
        .to_bytes();
    let model = ScoringModel::compile(&ws).expect("rules");
    let qualification = QualificationModel::compile(&ws).expect("criteria");
    let mut qualified = 0;
    // At the latest row, and mid-way (later touches then do not count; fewer have decayed).
    let mut instants: Vec<_> = ws.events.iter().map(|e| e.ts).collect();
    instants.sort();
    let mid = instants[instants.len() / 2];
    let mut mqls = 0;
    for as_of in [ws.latest_timestamp().expect("rows"), mid] {
        for lead in 0..ws.leads.len() as u32 {
            let want = score_lead(&model, &ws, lead, as_of);
            let mut visitor = visitor_of(&bytes, &ws, lead);
            let got = visitor.score(as_of);
            // Qualification: every set's verdict, criteria, missing data and what to ask.
            let verdicts = visitor.qualify(as_of);
            let engine = qualification.qualify(&ws, lead, as_of, &NoPlugins);
            assert_eq!(
                serde_json::to_value(&verdicts).expect("json"),
                serde_json::to_value(&engine).expect("json"),
                "{name} lead {lead}: verdicts"
            );
            qualified += verdicts.iter().filter(|v| v.qualified).count();
            let id = &want.lead_id;
            assert_eq!(got.quick.score, want.score, "{name} {id}: score");
            assert_eq!(got.quick.fit, want.fit, "{name} {id}: fit");
            assert_eq!(
                got.quick.engagement, want.engagement,
                "{name} {id}: engagement"
            );
            assert_eq!(got.grade, want.grade, "{name} {id}: grade");
            assert_eq!(
                got.grade.map(|g| format!("{g}{}", got.tier)),
                want.priority,
                "{name} {id}: priority"
            );
            assert_eq!(got.mql, want.mql, "{name} {id}: mql");
            mqls += usize::from(want.mql);
            let fired: Vec<(&str, f64)> = model
                .rules
                .iter()
                .zip(&got.points)
                .filter(|(_, p)| !p.is_nan())
                .map(|(r, &p)| (r.name.as_str(), p))
                .collect();
            let mut reasons: Vec<(&str, f64)> = want
                .reasons
                .iter()
                .map(|r| (r.rule.as_str(), r.points))
                .collect();
            let mut fired_sorted = fired.clone();
            reasons.sort_by(|a, b| a.partial_cmp(b).expect("numbers"));
            fired_sorted.sort_by(|a, b| a.partial_cmp(b).expect("numbers"));
            assert_eq!(fired_sorted, reasons, "{name} {id}: rules that gave points");
        }
    }
    assert!(
        mqls > 0,
        "{name}: some lead is an MQL, so the comparison covers the threshold"
    );
    assert!(qualified > 0, "{name}: some verdict is qualified");
    ws.leads.len()
}

#[test]
fn program_scores_equal_the_engines_on_acme_and_generated_workspaces() {
    let acme = program_agrees_with_engine("acme", &baton_tests::repo_root().join("examples/acme"));
    assert!(acme > 1000, "acme has {acme} leads");
    for (seed, leads, error_rate) in [(7, 1500, 0.0), (11, 1200, 0.05)] {
        let dir = tempfile::tempdir().expect("tmp");
        let options = GenOptions {
            leads,
            seed,
            error_rate,
            quiet: true,
            ..GenOptions::default()
        };
        generate(&options, dir.path()).expect("generate");
        // The generator writes no rules: every kind of condition, on the generated columns.
        let config = dir.path().join("baton.toml");
        let text = std::fs::read_to_string(&config).expect("baton.toml");
        std::fs::write(&config, format!("{text}\n{GENERATED_SCORING}")).expect("write");
        let n = program_agrees_with_engine(&format!("generated-{seed}"), dir.path());
        assert!(n as u64 * 10 >= leads * 9, "generated-{seed}: {n} leads");
    }
}

/// Rules over the generated workspace's columns using every operator the widget runs, nesting,
/// negative points, decay, caps, a score cap and floor, and the event's age, team and campaign.
const GENERATED_SCORING: &str = r#"
[scoring]
mql_threshold = 45
max_score = 95
min_score = -10
[[scoring.rules]]
name = "Large company"
kind = "fit"
points = 15
when = { all = [{ fact = "employees", operator = "gte", value = 200 }, { not = { fact = "country", operator = "in", value = ["BR", "IN"] } }] }
[[scoring.rules]]
name = "Target industry"
kind = "fit"
points = 10
when = { fact = "industry", operator = "in", value = ["Software", "finance", "logistics"] }
[[scoring.rules]]
name = "Ops title"
kind = "fit"
points = 8
when = { any = [{ fact = "title", operator = "contains", value = "ops" }, { fact = "title", operator = "starts_with", value = "head of" }, { fact = "title", operator = "ends_with", value = "MANAGER" }] }
[[scoring.rules]]
name = "Budget known"
kind = "fit"
points = 4
when = { fact = "budget_confirmed", operator = "exists" }
[[scoring.rules]]
name = "Budget confirmed"
kind = "fit"
points = 6
when = { fact = "budget_confirmed", operator = "eq", value = true }
[[scoring.rules]]
name = "Small shop"
kind = "fit"
points = -12
when = { fact = "employees", operator = "lt", value = 20 }
[[scoring.rules]]
name = "Email engagement"
kind = "engagement"
points = 2
half_life_days = 14
max_points = 12
when = { fact = "channel", operator = "eq", value = "email" }
[[scoring.rules]]
name = "Pricing"
kind = "engagement"
points = 12
half_life_days = 21
max_points = 36
when = { fact = "type", operator = "eq", value = "pricing_page_view" }
[[scoring.rules]]
name = "Recent sales touch"
kind = "engagement"
points = 5
when = { all = [{ fact = "team", operator = "eq", value = "sales" }, { fact = "age_days", operator = "lte", value = 30 }] }
[[scoring.rules]]
name = "Partner campaign, big company"
kind = "engagement"
points = 3
half_life_days = 30
when = { all = [{ fact = "campaign", operator = "in", value = ["partner_cosell", "abm_enterprise"] }, { fact = "employees", operator = "gte", value = 500 }] }
[[scoring.rules]]
name = "Not web"
kind = "engagement"
points = 1
max_points = 5
when = { fact = "channel", operator = "not_in", value = ["web", "paid_social"] }

[[qualification.sets]]
name = "BANT"
policy = "at_least"
at_least = 2
[[qualification.sets.criteria]]
name = "Budget"
ask = "Is there budget?"
when = { fact = "budget_confirmed", operator = "eq", value = true }
[[qualification.sets.criteria]]
name = "Authority"
when = { fact = "persona", operator = "in", value = ["economic_buyer", "Champion"] }
[[qualification.sets.criteria]]
name = "Need"
ask = "Which process hurts?"
when = { any = [{ fact = "industry", operator = "eq", value = "software" }, { fact = "title", operator = "contains", value = "ops" }] }

[[qualification.sets]]
name = "Fit"
policy = "weighted"
threshold = 0.5
[[qualification.sets.criteria]]
name = "Size"
weight = 3
when = { fact = "employees", operator = "gte", value = 100 }
[[qualification.sets.criteria]]
name = "Champion named"
weight = 1
ask = "Who is selling this inside?"
when = { fact = "champion_named", operator = "eq", value = true }

[[qualification.sets]]
name = "Anything"
policy = "any"
[[qualification.sets.criteria]]
name = "Not a student"
when = { not = { fact = "persona", operator = "eq", value = "student" } }
[[qualification.sets.criteria]]
name = "Country known"
when = { fact = "country", operator = "exists" }

[[qualification.sets]]
name = "All"
policy = "all"
[[qualification.sets.criteria]]
name = "US or CA"
when = { fact = "country", operator = "in", value = ["US", "CA"] }
[[qualification.sets.criteria]]
name = "Budget known"
when = { fact = "budget_confirmed", operator = "exists" }
"#;

fn program_of(toml: &str) -> Result<Program, baton_core::program::WidgetRefusal> {
    let framework = baton_core::Framework::from_toml("baton.toml", toml).expect("config");
    Program::for_widget(&framework.config)
}

const RULES: &str = r#"
[scoring]
mql_threshold = 30
max_score = 100
[[scoring.rules]]
name = "Big company"
kind = "fit"
points = 20
when = { all = [{ fact = "employees", operator = "gte", value = 200 }, { not = { fact = "country", operator = "in", value = ["XX", "YY"] } }] }
[[scoring.rules]]
name = "Pricing"
kind = "engagement"
points = 15
half_life_days = 7
max_points = 40
when = { fact = "type", operator = "eq", value = "Pricing_Page_View" }
[[qualification.sets]]
name = "Fit"
policy = "all"
[[qualification.sets.criteria]]
name = "Size"
ask = "How many people work there?"
when = { fact = "employees", operator = "gte", value = 100 }
[[qualification.sets]]
name = "Weighted"
policy = "weighted"
threshold = 0.75
[[qualification.sets.criteria]]
name = "Size"
weight = 3
when = { fact = "employees", operator = "gte", value = 100 }
[[qualification.sets.criteria]]
name = "Country"
when = { fact = "country", operator = "eq", value = "DE" }
"#;

#[test]
fn program_bytes_round_trip_and_refuse_what_they_are_not() {
    let program = program_of(RULES).expect("compiles");
    let bytes = program.to_bytes();
    assert_eq!(&bytes[..4], b"BTNP");
    assert_eq!(u16::from_le_bytes([bytes[4], bytes[5]]), FORMAT_VERSION);
    assert_eq!(Program::from_bytes(&bytes).expect("reads"), program);
    // Every shorter prefix is refused, none panics.
    for end in 0..bytes.len() {
        assert!(
            Program::from_bytes(&bytes[..end]).is_err(),
            "prefix of {end} bytes"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        Program::from_bytes(&longer),
        Err(ProgramError::Corrupt {
            what: "bytes after the last criteria set",
            ..
        })
    ));
    let mut other = bytes.clone();
    other[4..6].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let err = Program::from_bytes(&other).expect_err("another version");
    assert_eq!(
        err,
        ProgramError::Version {
            found: FORMAT_VERSION + 1
        }
    );
    assert!(
        err.to_string()
            .contains(&format!("format {}", FORMAT_VERSION + 1))
    );
    assert!(
        err.to_string()
            .contains(&format!("reads format {FORMAT_VERSION}"))
    );
    assert_eq!(
        Program::from_bytes(b"{\"scoring\":1}"),
        Err(ProgramError::NotAProgram)
    );
}

#[test]
fn a_visitor_is_scored_by_hand() {
    let mut v = Visitor::new(program_of(RULES).expect("compiles")).expect("binds");
    let day = 86_400_000_000i64;
    let at = |d: i64| baton_core::Instant(d * day);
    // Nothing known: nothing fits, nothing engaged, and qualification says what to ask.
    let s = v.score(at(10));
    assert_eq!((s.quick.score, s.grade, s.mql), (0.0, Some('D'), false));
    let q = v.qualify(at(10));
    assert_eq!((q[0].set.as_str(), q[0].qualified), ("Fit", false));
    assert_eq!(q[0].missing_data[0].missing, "employees");
    assert_eq!(
        q[0].missing_data[0].ask.as_deref(),
        Some("How many people work there?")
    );
    assert!(v.set_attribute("employees", AttrInput::Text("250")));
    assert!(v.set_attribute("country", AttrInput::Text("DE")));
    assert!(
        !v.set_attribute("favourite_colour", AttrInput::Text("blue")),
        "no rule reads it"
    );
    // Case is ignored, as the engine ignores it; one pricing view 7 days old is worth 7.5.
    v.add_touch(Touch {
        ts: at(3),
        kind: "pricing_page_view",
        channel: "web",
        team: None,
        campaign: None,
        asset: None,
    });
    let s = v.score(at(10));
    assert_eq!(
        (s.quick.fit, s.quick.engagement, s.quick.score),
        (20.0, 7.5, 27.5)
    );
    assert_eq!((s.grade, s.tier, s.mql), (Some('A'), 3, false));
    assert_eq!(s.points, vec![20.0, 7.5]);
    // Two more views today: 7.5 + 15 + 15 = 37.5, capped at 40? no: 37.5; MQL at 30.
    for _ in 0..2 {
        v.add_touch(Touch {
            ts: at(10),
            kind: "PRICING_PAGE_VIEW",
            channel: "web",
            team: None,
            campaign: None,
            asset: None,
        });
    }
    let s = v.score(at(10));
    assert_eq!(
        (s.quick.engagement, s.quick.score, s.mql),
        (37.5, 57.5, true)
    );
    // A country in the excluded list: the fit rule no longer holds.
    v.set_attribute("country", AttrInput::Text("xx"));
    let s = v.score(at(10));
    assert_eq!((s.quick.fit, s.grade), (0.0, Some('D')));
    assert!(s.points[0].is_nan());
    // A number attribute given a text that is not one is left empty (unknown), as a lead file leaves it.
    v.set_attribute("employees", AttrInput::Text("many"));
    v.set_attribute("country", AttrInput::Text("DE"));
    assert_eq!(v.score(at(10)).quick.fit, 0.0);
}

#[test]
fn what_the_widget_cannot_run_is_refused_naming_the_rule() {
    let regex = RULES.replace(
        r#"when = { fact = "type", operator = "eq", value = "Pricing_Page_View" }"#,
        r#"when = { fact = "type", operator = "matches", value = "^pricing" }"#,
    );
    let e = program_of(&regex).expect_err("matches is refused");
    assert_eq!(e.rule, "Pricing");
    assert!(e.reason.contains("no regular-expression engine"), "{e}");
    let conflict = format!(
        "{RULES}\n[[scoring.rules]]\nname = \"Named size\"\nkind = \"fit\"\npoints = 5\nwhen = {{ fact = \"employees\", operator = \"eq\", value = \"large\" }}\n"
    );
    let e = program_of(&conflict).expect_err("two types");
    assert_eq!(e.rule, "Named size");
    assert!(
        e.reason.contains("`employees` as text") && e.reason.contains("\"Big company\""),
        "{e}"
    );
    let team = format!(
        "{RULES}\n[[scoring.rules]]\nname = \"Finance touches\"\nkind = \"engagement\"\npoints = 5\nwhen = {{ fact = \"team\", operator = \"eq\", value = \"finance\" }}\n"
    );
    let criterion = format!(
        "{RULES}\n[[qualification.sets]]\nname = \"Titles\"\n[[qualification.sets.criteria]]\nname = \"Ops\"\nwhen = {{ fact = \"title\", operator = \"matches\", value = \"ops$\" }}\n"
    );
    let e = program_of(&criterion).expect_err("matches in a criterion");
    assert_eq!(
        (e.what, e.rule.as_str()),
        ("[qualification] criterion", "Titles / Ops")
    );
    assert!(
        e.to_string()
            .starts_with("[qualification] criterion \"Titles / Ops\": `title` uses `matches`"),
        "{e}"
    );
    let e = program_of(&team).expect_err("no such team");
    assert_eq!(e.rule, "Finance touches");
    assert!(e.reason.contains("not a team"), "{e}");
}
