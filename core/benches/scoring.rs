//! Rule scoring throughput: 10 rules (5 fit, 5 engagement) and 20 events per lead.

use std::fmt::Write as _;

use baton_core::scoring::{ScoringModel, score_lead, score_quick};
use baton_core::{Framework, Instant, NoTexts, load_from_memory};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const LEADS: usize = 50_000;
const EVENTS_PER_LEAD: usize = 20;

const RULES: &str = r#"
[[scoring.rules]]
name = "Enterprise"
kind = "fit"
points = 20
when = { fact = "employees", operator = "gte", value = 200 }
[[scoring.rules]]
name = "Target industry"
kind = "fit"
points = 10
when = { fact = "industry", operator = "in", value = ["software", "finance"] }
[[scoring.rules]]
name = "Buyer"
kind = "fit"
points = 15
when = { any = [ { fact = "persona", operator = "eq", value = "economic_buyer" }, { fact = "persona", operator = "eq", value = "champion" } ] }
[[scoring.rules]]
name = "Students"
kind = "fit"
points = -30
when = { fact = "persona", operator = "eq", value = "student" }
[[scoring.rules]]
name = "Not tiny retail"
kind = "fit"
points = 5
when = { not = { all = [ { fact = "industry", operator = "eq", value = "retail" }, { fact = "employees", operator = "lt", value = 10 } ] } }
[[scoring.rules]]
name = "Email"
kind = "engagement"
points = 5
half_life_days = 14
max_points = 25
when = { fact = "channel", operator = "eq", value = "email" }
[[scoring.rules]]
name = "Pricing"
kind = "engagement"
points = 15
half_life_days = 7
max_points = 30
when = { fact = "type", operator = "eq", value = "pricing_page_view" }
[[scoring.rules]]
name = "Webinar"
kind = "engagement"
points = 10
half_life_days = 30
max_points = 20
when = { fact = "type", operator = "in", value = ["webinar_attend", "webinar_register"] }
[[scoring.rules]]
name = "Recent sales touch"
kind = "engagement"
points = 8
max_points = 16
when = { all = [ { fact = "team", operator = "eq", value = "sales" }, { fact = "age_days", operator = "lte", value = 14 } ] }
[[scoring.rules]]
name = "Launch campaign"
kind = "engagement"
points = 3
half_life_days = 21
max_points = 9
when = { fact = "campaign", operator = "eq", value = "q1_launch" }
"#;

fn bench_scoring(c: &mut Criterion) {
    let mut leads = String::from("lead_id,created_at,industry,employees,persona\n");
    let mut events = String::from("lead_id,ts,type,channel,team,campaign\n");
    let types = [
        ("email_open", "email", "marketing"),
        ("page_view", "web", "marketing"),
        ("pricing_page_view", "web", "marketing"),
        ("webinar_attend", "webinar", "marketing"),
        ("call", "phone", "sales"),
    ];
    for i in 0..LEADS {
        let _ = writeln!(
            leads,
            "L{i:07},2026-01-01T00:00:00Z,{},{},{}",
            ["software", "retail", "finance"][i % 3],
            (i * 37) % 3000,
            ["champion", "student", "end_user", "economic_buyer"][i % 4]
        );
        for k in 0..EVENTS_PER_LEAD {
            let (t, ch, team) = types[(i + k) % types.len()];
            let _ = writeln!(
                events,
                "L{i:07},2026-02-{:02}T10:00:00Z,{t},{ch},{team},{}",
                1 + (i + k * 3) % 28,
                if k % 4 == 0 { "q1_launch" } else { "" }
            );
        }
    }
    let fw = Framework::from_toml("baton.toml", RULES).expect("config");
    let ws = load_from_memory(
        fw,
        [
            ("leads.csv", leads.as_bytes()),
            ("events.csv", events.as_bytes()),
        ],
        &NoTexts,
    )
    .expect("load");
    let model = ScoringModel::compile(&ws).expect("rules");
    let as_of = Instant::parse_rfc3339("2026-03-01T00:00:00Z").expect("as_of");
    let mut group = c.benchmark_group("scoring");
    group.sample_size(10);
    group.throughput(Throughput::Elements(LEADS as u64));
    group.bench_function("rules_10_events_20_leads_50k", |b| {
        b.iter(|| {
            (0..LEADS as u32)
                .map(|l| score_quick(&model, &ws, l, as_of).score)
                .sum::<f64>()
        })
    });
    group.bench_function("explained_rules_10_events_20_leads_50k", |b| {
        b.iter(|| {
            (0..LEADS as u32)
                .map(|l| score_lead(&model, &ws, l, as_of).score)
                .sum::<f64>()
        })
    });
    group.finish();
}

/// The site widget's path: `RULES` compiled to a program, one visitor with 8 touches.
fn bench_widget(c: &mut Criterion) {
    use baton_core::program::{AttrInput, Program, Touch, Visitor};
    let fw = Framework::from_toml("baton.toml", RULES).expect("config");
    let bytes = Program::for_widget(&fw.config)
        .expect("a widget program")
        .to_bytes();
    let day = 86_400_000_000i64;
    let as_of = Instant(60 * day);
    let touches: Vec<Touch<'static>> = (0..8)
        .map(|i| Touch {
            ts: Instant((50 + i) * day),
            kind: ["email_open", "pricing_page_view"][i as usize % 2],
            channel: ["email", "web"][i as usize % 2],
            team: None,
            campaign: (i % 4 == 0).then_some("q1_launch"),
            asset: None,
        })
        .collect();
    let visitor = || {
        let program = Program::from_bytes(&bytes).expect("program");
        let mut v = Visitor::new(program).expect("binds");
        v.set_attribute("employees", AttrInput::Number(800.0));
        v.set_attribute("industry", AttrInput::Text("software"));
        v.set_attribute("persona", AttrInput::Text("champion"));
        for t in &touches {
            v.add_touch(*t);
        }
        v
    };
    let mut group = c.benchmark_group("widget");
    let mut warm = visitor();
    group.bench_function("visitor_score_8_touches", |b| {
        b.iter(|| warm.score(as_of).quick.score)
    });
    group.bench_function("new_visitor_8_touches_and_score", |b| {
        b.iter(|| visitor().score(as_of).quick.score)
    });
    group.finish();
}

criterion_group!(benches, bench_scoring, bench_widget);
criterion_main!(benches);
