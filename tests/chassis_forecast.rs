//! Business Chassis, forecast, recommendations and the weekly comparison on hand-computed data.

use baton_core::{Framework, Instant, NoTexts, load_from_memory};

const LEADS: &str = "lead_id,created_at,source\nL1,2026-01-01T00:00:00Z,web\nL2,2026-01-02T00:00:00Z,email\nL3,2026-01-03T00:00:00Z,web\nL4,2026-01-04T00:00:00Z,web\nL5,2026-01-05T00:00:00Z,email\nL6,2026-01-06T00:00:00Z,web\n";
const STAGES: &str = "lead_id,ts,stage\nL1,2026-01-05T00:00:00Z,mql\nL2,2026-01-05T00:00:00Z,mql\nL3,2026-01-05T00:00:00Z,mql\nL4,2026-01-05T00:00:00Z,mql\n";
const DEALS: &str = "deal_id,lead_id,created_at,status,closed_at,amount,currency,margin\n\
D1,L1,2026-01-10T00:00:00Z,won,2026-01-20T00:00:00Z,1000,USD,0.5\n\
D2,L1,2026-01-10T00:00:00Z,won,2026-02-09T00:00:00Z,3000,USD,0.7\n\
D3,L2,2026-01-15T00:00:00Z,won,2026-02-04T00:00:00Z,2000,USD,\n\
D4,L3,2026-01-15T00:00:00Z,lost,2026-02-01T00:00:00Z,500,USD,\n\
D5,L4,2026-02-18T00:00:00Z,open,,2000,USD,\n";

fn report() -> baton_core::Report {
    let ws = load_from_memory(
        Framework::default(),
        [
            ("leads.csv", LEADS.as_bytes()),
            ("stages.csv", STAGES.as_bytes()),
            ("deals.csv", DEALS.as_bytes()),
        ],
        &NoTexts,
    )
    .expect("loads");
    baton_core::analyze(
        &ws,
        Instant::parse_rfc3339("2026-02-28T00:00:00Z").expect("as_of"),
    )
    .expect("analysis")
}

#[test]
fn chassis_levers_multiply_to_profit() {
    let r = report();
    let levers: Vec<(&str, f64)> = r
        .chassis
        .levers
        .iter()
        .map(|l| (l.lever, l.value))
        .collect();
    // 6 prospects, 4 reached mql, 2 customers, 6000 over 3 won deals, margin (0.5·1000 + 0.7·3000)/4000.
    assert_eq!(
        levers,
        vec![
            ("prospects", 6.0),
            ("lead_conversion", 0.666667),
            ("client_conversion", 0.5),
            ("average_spend", 2000.0),
            ("transaction_frequency", 1.5),
            ("margin", 0.65)
        ]
    );
    assert!(
        (r.chassis.profit - 3900.0).abs() < 1e-6,
        "{}",
        r.chassis.profit
    );
    assert_eq!(r.chassis.revenue, 6000.0);
    let all = r.chassis.sensitivity.last().expect("all");
    assert!((all.profit_plus_10 - 3900.0 * 1.1f64.powi(6)).abs() < 1e-4);
}

#[test]
fn forecast_by_hand() {
    let f = report().forecast;
    // 3 won of 4 closed; won cycles 10, 20, 30 days; the open deal is 10 days old: both longer
    // cycles end within 30 more days, so p = 0.75 and the expected win is 1500 ± 1.96·√(0.1875·2000²).
    assert_eq!(
        (f.open_deals, f.pipeline, f.win_rate, f.median_days_to_win),
        (1, 2000.0, Some(0.75), Some(20.0))
    );
    assert_eq!(f.next_period_revenue, 1500.0);
    assert_eq!(f.next_period_low, 0.0);
    assert!(
        (f.next_period_high - (1500.0 + 1.959_963_984_540_054 * 750_000f64.sqrt())).abs() < 1e-5
    );
    assert_eq!(f.clv_by_source.get("web"), Some(&2600.0));
    assert_eq!(f.clv_by_source.get("email"), Some(&1300.0));
}

#[test]
fn weekly_comparison() {
    let r = report();
    let mut previous = r.kpis.clone();
    previous.win_rate = Some(0.5);
    previous.pipeline_by_source.insert("web".into(), 500.0);
    previous.pipeline_by_source.insert("partner".into(), 100.0);
    let c = r.kpis.compare(&previous, "2026-02-21T00:00:00Z");
    let win = c
        .kpis
        .iter()
        .find(|k| k.name == "win_rate")
        .expect("win rate");
    assert_eq!(win.change, Some(0.25));
    let names: Vec<(&str, Option<f64>)> = c
        .pipeline_by_source
        .iter()
        .map(|k| (k.name.as_str(), k.change))
        .collect();
    assert_eq!(
        names,
        vec![("partner", Some(-100.0)), ("web", Some(1500.0))]
    );
}

#[test]
fn recommendations_are_ranked_and_carry_evidence() {
    let analyzed = baton::analyze_dir(
        &baton_tests::repo_root().join("examples").join("acme"),
        None,
        true,
    )
    .expect("acme");
    let recs = &analyzed.recommendations;
    assert!(recs.len() >= 2, "{recs:#?}");
    for w in recs.windows(2) {
        assert!(w[0].profit_effect.value >= w[1].profit_effect.value);
    }
    for r in recs {
        assert!(!r.evidence.is_empty() && !r.action.is_empty());
        assert!(
            r.profit_effect.low <= r.profit_effect.value
                && r.profit_effect.value <= r.profit_effect.high,
            "{r:#?}"
        );
        assert!(["marketing", "sales", "both"].contains(&r.owner));
        assert!(baton_core::chassis::LEVERS.contains(&r.lever));
    }
}
