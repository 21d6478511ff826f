//! Rule scoring, conditions, qualification and routing on hand-computed cases.

use baton_core::conditions::RuleError;
use baton_core::qualification::{NoPlugins, QualificationModel, RoutingModel};
use baton_core::scoring::{ScoringModel, score_lead};
use baton_core::{Error, Framework, Instant, NoTexts, Workspace, load_from_memory};

const LEADS: &str = "lead_id,created_at,industry,employees,persona,title,vip,country\n\
L1,2026-01-01T00:00:00Z,Software,250,economic_buyer,VP Operations,true,US\n\
L2,2026-01-02T00:00:00Z,retail,5,student,Intern,false,DE\n\
L3,2026-01-03T00:00:00Z,finance,,champion,Head of RevOps,,US\n\
L4,2026-01-04T00:00:00Z,software,40,end_user,Analyst,false,US\n\
L5,2026-01-05T00:00:00Z,logistics,1200,champion,COO,true,FR\n";

/// Events: as_of is 2026-03-01T00:00:00Z. L1 has email events 0, 14 and 28 days old and a webinar.
const EVENTS: &str = "lead_id,ts,type,channel,team,campaign\n\
L1,2026-03-01T00:00:00Z,email_open,email,marketing,q1_launch\n\
L1,2026-02-15T00:00:00Z,email_click,email,marketing,q1_launch\n\
L1,2026-02-01T00:00:00Z,email_open,email,marketing,nurture\n\
L1,2026-02-20T00:00:00Z,webinar_attend,webinar,marketing,\n\
L2,2026-03-01T00:00:00Z,email_open,Email,marketing,\n\
L2,2026-03-01T00:00:00Z,email_open,email,marketing,\n\
L2,2026-03-01T00:00:00Z,email_open,email,marketing,\n\
L2,2026-02-28T00:00:00Z,call,phone,sales,\n";

fn workspace(toml: &str) -> Result<Workspace, Error> {
    let fw = Framework::from_toml("baton.toml", toml)?;
    load_from_memory(
        fw,
        [
            ("leads.csv", LEADS.as_bytes()),
            ("events.csv", EVENTS.as_bytes()),
        ],
        &NoTexts,
    )
}

fn as_of() -> Instant {
    Instant::parse_rfc3339("2026-03-01T00:00:00Z").expect("as_of")
}

fn lead(ws: &Workspace, id: &str) -> u32 {
    ws.lead_index(id).expect("lead")
}

fn model(toml: &str) -> (Workspace, ScoringModel) {
    let ws = workspace(toml).expect("workspace");
    let m = ScoringModel::compile(&ws).expect("rules compile");
    (ws, m)
}

#[test]
fn decay_at_one_half_life_and_cap() {
    let (ws, m) = model(
        "[[scoring.rules]]\nname = \"Email\"\nkind = \"engagement\"\npoints = 10\nhalf_life_days = 14\nmax_points = 100\nwhen = { fact = \"channel\", operator = \"eq\", value = \"email\" }\n\
         [[scoring.rules]]\nname = \"Capped\"\nkind = \"engagement\"\npoints = 10\nmax_points = 25\nwhen = { fact = \"type\", operator = \"eq\", value = \"email_open\" }\n",
    );
    // L1: ages 0, 14, 28 days → 10 + 5 + 2.5 = 17.5 for Email; Capped (no decay): 2 opens × 10 = 20.
    let s = score_lead(&m, &ws, lead(&ws, "L1"), as_of());
    let email = s
        .reasons
        .iter()
        .find(|r| r.rule == "Email")
        .expect("email fired");
    assert_eq!(
        (email.points, email.event_count, email.capped),
        (17.5, 3, false)
    );
    assert_eq!(email.events[0].points, 10.0);
    assert_eq!(
        email.events[1].points, 5.0,
        "exactly one half-life halves the points"
    );
    assert_eq!(email.events[1].age_days, 14.0);
    assert_eq!(s.engagement, 37.5);
    // L2: three opens (channel "Email" matches case-insensitively) → 30 uncapped, capped at 25.
    let s = score_lead(&m, &ws, lead(&ws, "L2"), as_of());
    let capped = s
        .reasons
        .iter()
        .find(|r| r.rule == "Capped")
        .expect("capped fired");
    assert_eq!(
        (capped.points, capped.uncapped_points, capped.capped),
        (25.0, 30.0, true)
    );
    assert_eq!(
        s.reasons
            .iter()
            .find(|r| r.rule == "Email")
            .expect("email")
            .points,
        30.0
    );
    assert_eq!(s.score, 55.0);
    assert!(s.mql, "55 ≥ the default threshold of 50");
}

#[test]
fn negative_rule_nesting_grades_and_caps() {
    let (ws, m) = model(
        "[scoring]\nmql_threshold = 30\nmin_score = -10\n\
         [[scoring.rules]]\nname = \"Enterprise\"\nkind = \"fit\"\npoints = 20\nwhen = { all = [ { fact = \"employees\", operator = \"gte\", value = 200 } ] }\n\
         [[scoring.rules]]\nname = \"Not retail nor tiny\"\nkind = \"fit\"\npoints = 20\nwhen = { not = { any = [ { fact = \"industry\", operator = \"eq\", value = \"retail\" }, { fact = \"employees\", operator = \"lt\", value = 10 } ] } }\n\
         [[scoring.rules]]\nname = \"Students\"\nkind = \"fit\"\npoints = -30\nwhen = { fact = \"persona\", operator = \"eq\", value = \"student\" }\n",
    );
    let l1 = score_lead(&m, &ws, lead(&ws, "L1"), as_of());
    assert_eq!(
        (l1.fit, l1.score, l1.grade, l1.priority.as_deref()),
        (40.0, 40.0, Some('A'), Some("A3"))
    );
    assert_eq!(l1.top_reasons(3), "Enterprise +20; Not retail nor tiny +20");
    // L2: retail and 5 employees → the `not any` rule fails; student −30; floored at −10.
    let l2 = score_lead(&m, &ws, lead(&ws, "L2"), as_of());
    assert_eq!((l2.fit, l2.score, l2.grade), (-30.0, -10.0, Some('D')));
    assert_eq!(l2.reasons[0].rule, "Students");
    // L4: 40 employees software → only "Not retail nor tiny": 20 of 40 → B.
    let l4 = score_lead(&m, &ws, lead(&ws, "L4"), as_of());
    assert_eq!((l4.fit, l4.grade), (20.0, Some('B')));
    // L3 has no employees: the Enterprise rule is undecided, not failed; `not any` is undecided too.
    let l3 = score_lead(&m, &ws, lead(&ws, "L3"), as_of());
    assert_eq!(l3.fit, 0.0);
    let undecided: Vec<(&str, &str)> = l3
        .undecided
        .iter()
        .map(|u| (u.rule.as_str(), u.missing.as_str()))
        .collect();
    assert_eq!(
        undecided,
        vec![
            ("Enterprise", "employees"),
            ("Not retail nor tiny", "employees")
        ]
    );
}

#[test]
fn text_operators() {
    let (ws, m) = model(
        "[[scoring.rules]]\nname = \"contains\"\nkind = \"fit\"\npoints = 1\nwhen = { fact = \"title\", operator = \"contains\", value = \"ops\" }\n\
         [[scoring.rules]]\nname = \"starts\"\nkind = \"fit\"\npoints = 2\nwhen = { fact = \"title\", operator = \"starts_with\", value = \"vp\" }\n\
         [[scoring.rules]]\nname = \"ends\"\nkind = \"fit\"\npoints = 4\nwhen = { fact = \"title\", operator = \"ends_with\", value = \"OPERATIONS\" }\n\
         [[scoring.rules]]\nname = \"regex\"\nkind = \"fit\"\npoints = 8\nwhen = { fact = \"title\", operator = \"matches\", value = \"^(vp|head|c.o)\\\\b\" }\n\
         [[scoring.rules]]\nname = \"not_in\"\nkind = \"fit\"\npoints = 16\nwhen = { fact = \"country\", operator = \"not_in\", value = [\"DE\", \"FR\"] }\n\
         [[scoring.rules]]\nname = \"exists\"\nkind = \"fit\"\npoints = 32\nwhen = { fact = \"vip\", operator = \"exists\" }\n\
         [[scoring.rules]]\nname = \"vip\"\nkind = \"fit\"\npoints = 64\nwhen = { fact = \"vip\", operator = \"eq\", value = true }\n\
         [[scoring.rules]]\nname = \"ne\"\nkind = \"fit\"\npoints = 128\nwhen = { fact = \"industry\", operator = \"ne\", value = \"SOFTWARE\" }\n",
    );
    let fit = |id: &str| score_lead(&m, &ws, lead(&ws, id), as_of()).fit;
    // L1 "VP Operations", US, vip: starts vp, ends operations, regex, not_in, exists, vip
    // ("operations" does not contain "ops"); industry Software equals SOFTWARE case-insensitively.
    assert_eq!(fit("L1"), 2.0 + 4.0 + 8.0 + 16.0 + 32.0 + 64.0);
    // L3 "Head of RevOps": contains "ops" (RevOps), regex (head); US; vip missing; finance ≠ software.
    assert_eq!(fit("L3"), 1.0 + 8.0 + 16.0 + 128.0);
    // L5 "COO", FR, vip: regex c.o; exists; vip; logistics.
    assert_eq!(fit("L5"), 8.0 + 32.0 + 64.0 + 128.0);
}

#[test]
fn engagement_facts_mix_event_and_lead() {
    let (ws, m) = model(
        "[[scoring.rules]]\nname = \"Recent sales touch\"\nkind = \"engagement\"\npoints = 7\nwhen = { all = [ { fact = \"team\", operator = \"eq\", value = \"sales\" }, { fact = \"age_days\", operator = \"lte\", value = 2 } ] }\n\
         [[scoring.rules]]\nname = \"Launch campaign for software\"\nkind = \"engagement\"\npoints = 1\nwhen = { all = [ { fact = \"campaign\", operator = \"eq\", value = \"q1_launch\" }, { fact = \"industry\", operator = \"eq\", value = \"software\" } ] }\n",
    );
    assert_eq!(
        score_lead(&m, &ws, lead(&ws, "L2"), as_of()).engagement,
        7.0
    );
    assert_eq!(
        score_lead(&m, &ws, lead(&ws, "L1"), as_of()).engagement,
        2.0
    );
}

fn rule_error(toml: &str) -> RuleError {
    let ws = workspace(toml).expect("workspace");
    ScoringModel::compile(&ws).expect_err("must not compile")
}

fn config_error(toml: &str) -> baton_core::ConfigError {
    match workspace(toml) {
        Err(Error::Config(e)) => e,
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[test]
fn invalid_rules_name_the_rule_and_field() {
    let e = rule_error(
        "[[scoring.rules]]\nname = \"Size\"\nkind = \"fit\"\npoints = 1\nwhen = { fact = \"headcount\", operator = \"gte\", value = 10 }\n",
    );
    assert_eq!((e.rule.as_str(), e.field.as_str()), ("Size", "headcount"));
    assert!(
        e.message.starts_with(
            "unknown fact (lead attributes: country, employees, industry, persona, title, vip)"
        ),
        "{}",
        e.message
    );
    let e = rule_error(
        "[[scoring.rules]]\nname = \"Type\"\nkind = \"fit\"\npoints = 1\nwhen = { fact = \"industry\", operator = \"gte\", value = 10 }\n",
    );
    assert_eq!(
        (e.field.as_str(), e.message.as_str()),
        (
            "industry",
            "operator `gte` needs a number fact (`industry` is text)"
        )
    );
    let e = rule_error(
        "[[scoring.rules]]\nname = \"Num\"\nkind = \"fit\"\npoints = 1\nwhen = { fact = \"employees\", operator = \"eq\", value = \"many\" }\n",
    );
    assert_eq!(
        e.message,
        "`eq` needs a number, got \"many\" (`employees` is a number)"
    );
    let e = rule_error(
        "[[scoring.rules]]\nname = \"Fit on events\"\nkind = \"fit\"\npoints = 1\nwhen = { fact = \"channel\", operator = \"eq\", value = \"email\" }\n",
    );
    assert!(
        e.message
            .contains("event fields are only for engagement rules"),
        "{}",
        e.message
    );
}

#[test]
fn comparisons_wrong_whatever_their_fact_refuse_the_configuration_at_their_line() {
    let cases = [
        (
            r#"{ fact = "employees", operator = "bigger", value = 10 }"#,
            "`operator` of `employees`: unknown operator \"bigger\" (expected one of eq, ne,",
        ),
        (
            r#"{ fact = "employees", operator = "gte" }"#,
            "`value` of `employees`: operator `gte` needs a `value`",
        ),
        (
            r#"{ fact = "employees", operator = "gte", value = "many" }"#,
            "`value` of `employees`: `gte` needs a number, got \"many\"",
        ),
        (
            r#"{ fact = "industry", operator = "in", value = "software" }"#,
            "`value` of `industry`: `in` needs a list, got \"software\"",
        ),
        (
            r#"{ fact = "title", operator = "contains", value = 3 }"#,
            "`value` of `title`: `contains` needs a string, got 3",
        ),
        (
            r#"{ fact = "vip", operator = "exists", value = "yes" }"#,
            "`value` of `vip`: `exists` takes true or false, got \"yes\"",
        ),
        (
            r#"{ fact = "title", operator = "matches", value = "(unclosed" }"#,
            "`value` of `title`: invalid regular expression",
        ),
    ];
    for (when, message) in cases {
        // On line 6, inside an `all`: the key path goes into it.
        let e = config_error(&format!(
            "[[scoring.rules]]\nname = \"R\"\nkind = \"fit\"\npoints = 1\n\nwhen = {{ all = [ {when} ] }}\n"
        ));
        assert_eq!(
            (e.key.as_str(), e.line),
            ("scoring.rules.0.when.all.0", 6),
            "{when}"
        );
        assert!(e.message.starts_with(message), "{when}: {}", e.message);
    }
}

#[test]
fn qualification_policies_and_missing_data() {
    let toml = "[[plugins]]\nname = \"champion-check\"\npath = \"x.wasm\"\n\
        [[qualification.sets]]\nname = \"BANT\"\npolicy = \"at_least\"\nat_least = 2\n\
        [[qualification.sets.criteria]]\nname = \"Budget\"\nask = \"Is budget approved?\"\nwhen = { fact = \"vip\", operator = \"eq\", value = true }\n\
        [[qualification.sets.criteria]]\nname = \"Authority\"\nwhen = { fact = \"persona\", operator = \"in\", value = [\"economic_buyer\", \"champion\"] }\n\
        [[qualification.sets.criteria]]\nname = \"Need\"\nwhen = { fact = \"employees\", operator = \"gte\", value = 50 }\n\
        [[qualification.sets]]\nname = \"Weighted\"\npolicy = \"weighted\"\nthreshold = 0.6\n\
        [[qualification.sets.criteria]]\nname = \"Big\"\nweight = 3\nwhen = { fact = \"employees\", operator = \"gte\", value = 1000 }\n\
        [[qualification.sets.criteria]]\nname = \"Champion\"\nweight = 2\nplugin = \"champion-check\"\n";
    let ws = workspace(toml).expect("workspace");
    let q = QualificationModel::compile(&ws).expect("compiles");
    let v = q.qualify(&ws, lead(&ws, "L3"), as_of(), &NoPlugins);
    // L3: vip missing, champion passes authority, employees missing → 1 pass, 2 missing: not qualified.
    assert!(!v[0].qualified);
    assert_eq!(v[0].passed, vec!["Authority"]);
    assert!(v[0].failed.is_empty(), "missing data is not a failure");
    let missing: Vec<(&str, &str)> = v[0]
        .missing_data
        .iter()
        .map(|m| (m.criterion.as_str(), m.missing.as_str()))
        .collect();
    assert_eq!(missing, vec![("Budget", "vip"), ("Need", "employees")]);
    assert_eq!(
        v[0].missing_data[0].ask.as_deref(),
        Some("Is budget approved?")
    );
    // L1: vip, economic buyer, 250 employees → 3 of 3.
    assert!(q.qualify(&ws, lead(&ws, "L1"), as_of(), &NoPlugins)[0].qualified);
    // Weighted: L5 has 1200 employees (3 of 5 = 0.6 ≥ 0.6) while the plugin did not run here.
    let w = &q.qualify(&ws, lead(&ws, "L5"), as_of(), &NoPlugins)[1];
    assert!(w.qualified);
    assert!(
        w.missing_data[0]
            .missing
            .contains("plugins run in the native host")
    );
}

#[test]
fn routing_first_match_round_robin_and_default() {
    let toml = "[routing]\ndefault = \"queue\"\nseed = 1\n\
        [[routing.rules]]\nname = \"Enterprise\"\nwhen = { fact = \"employees\", operator = \"gte\", value = 1000 }\nroute_to = \"enterprise\"\n\
        [[routing.rules]]\nname = \"US\"\nwhen = { fact = \"country\", operator = \"eq\", value = \"US\" }\nround_robin = [\"ana\", \"ben\"]\n";
    let ws = workspace(toml).expect("workspace");
    let r = RoutingModel::compile(&ws)
        .expect("compiles")
        .route_all(&ws, as_of());
    let route = |id: &str| r[lead(&ws, id) as usize].clone();
    // US leads in created order L1, L3, L4 rotate starting at seed 1: ben, ana, ben.
    assert_eq!(route("L1").as_deref(), Some("ben"));
    assert_eq!(route("L3").as_deref(), Some("ana"));
    assert_eq!(route("L4").as_deref(), Some("ben"));
    assert_eq!(route("L5").as_deref(), Some("enterprise"));
    assert_eq!(route("L2").as_deref(), Some("queue"));
}

#[test]
fn quick_and_explained_scores_agree_on_the_sample() {
    let ws = baton::workspace_dir::load_workspace(
        &baton_tests::repo_root().join("examples").join("acme"),
        true,
    )
    .expect("acme");
    let m = ScoringModel::compile(&ws).expect("rules");
    let as_of = ws.latest_timestamp().expect("data");
    for l in 0..ws.leads.len() as u32 {
        let full = score_lead(&m, &ws, l, as_of);
        let quick = baton_core::scoring::score_quick(&m, &ws, l, as_of);
        assert_eq!(
            (quick.score, quick.fit, quick.engagement),
            (full.score, full.fit, full.engagement),
            "{}",
            full.lead_id
        );
        let fired = m
            .rules
            .iter()
            .enumerate()
            .filter(|(i, _)| quick.fired & (1 << i) != 0)
            .count();
        assert_eq!(fired, full.reasons.len(), "{}", full.lead_id);
    }
}
