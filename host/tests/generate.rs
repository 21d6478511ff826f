//! The generator's output is a consistent workspace: it loads clean, and its funnel holds together.

use std::collections::BTreeMap;

use baton::generate::{GenOptions, generate};

#[test]
fn generated_workspace_is_clean_and_consistent() {
    let dir = tempfile::tempdir().expect("tmp");
    let stats = generate(
        &GenOptions {
            leads: 2000,
            seed: 3,
            ..GenOptions::default()
        },
        dir.path(),
    )
    .expect("gen");
    let ws = baton::workspace_dir::load_workspace(dir.path(), true).expect("loads");
    assert_eq!(ws.data_quality.rejected, 0, "{:#?}", ws.data_quality);
    assert_eq!(ws.data_quality.warnings, 0);
    assert_eq!(ws.leads.len() as u64, stats.leads);
    assert_eq!(ws.events.len() as u64, stats.events);
    assert_eq!(ws.stages.len() as u64, stats.stages);
    assert_eq!(ws.deals.len() as u64, stats.deals);
    assert!(
        stats.events as f64 / stats.leads as f64 > 6.0,
        "about ten touches per lead"
    );

    // Per lead: stage entries are in time order and the funnel is respected.
    let mut reached: BTreeMap<&str, usize> = BTreeMap::new();
    for lead in 0..ws.leads.len() as u32 {
        let stages: Vec<&str> = ws
            .stages
            .iter()
            .filter(|s| s.lead == lead)
            .map(|s| ws.stage_names[s.stage as usize].as_str())
            .collect();
        assert_eq!(stages.first(), Some(&"lead"));
        for s in &stages {
            *reached.entry(s).or_default() += 1;
        }
        if stages.contains(&"customer") {
            assert!(
                stages.contains(&"opportunity")
                    && stages.contains(&"sql")
                    && stages.contains(&"sal")
            );
        }
        if stages.contains(&"sal") {
            assert!(stages.contains(&"mql"));
        }
    }
    assert_eq!(reached["lead"], 2000);
    let mql = reached["mql"] as f64 / 2000.0;
    assert!((0.15..0.5).contains(&mql), "MQL rate {mql}");
    // Every deal's lead reached opportunity; won deals made customers.
    for d in &ws.deals {
        let has = |name: &str| {
            ws.stages
                .iter()
                .any(|s| s.lead == d.lead && ws.stage_names[s.stage as usize] == name)
        };
        assert!(has("opportunity"));
        if d.status == baton_core::model::DealStatus::Won {
            assert!(has("customer"));
            assert!(d.closed_at.is_some() && d.amount.is_some());
        }
    }
    // Sales first touches land inside business hours most of the time (nights are the exception).
    let tz = &ws.framework.tz;
    let sales: Vec<_> = ws
        .events
        .iter()
        .filter(|e| e.team == Some(baton_core::model::Team::Sales))
        .collect();
    let in_hours = sales
        .iter()
        .filter(|e| {
            let z = e.ts.timestamp().to_zoned(tz.clone());
            (9..17).contains(&z.hour()) && z.weekday().to_monday_one_offset() <= 5
        })
        .count();
    assert!(
        in_hours as f64 / sales.len() as f64 > 0.85,
        "{in_hours} of {}",
        sales.len()
    );
}

#[test]
fn error_rate_breaks_rows_that_analysis_reports() {
    let dir = tempfile::tempdir().expect("tmp");
    let stats = generate(
        &GenOptions {
            leads: 1000,
            seed: 9,
            error_rate: 0.01,
            ..GenOptions::default()
        },
        dir.path(),
    )
    .expect("gen");
    assert!(stats.broken_rows > 20);
    let ws = baton::workspace_dir::load_workspace(dir.path(), true).expect("loads");
    // Each broken row is rejected; a lead with a broken date also takes its events with it.
    assert!(
        ws.data_quality.rejected >= stats.broken_rows,
        "{} < {}",
        ws.data_quality.rejected,
        stats.broken_rows
    );
    let events = &ws.data_quality.files["events"];
    assert!(events.rejections.iter().any(|f| f.field == "team"));
    assert!(events.rejections.iter().any(|f| f.field == "lead_id"));
}
