//! Journey and handoff on a hand-computed fixture (tests/fixtures/journey): a lead arriving Friday
//! 18:00 across the spring DST change, a holiday, a lead never touched, same-timestamp events, a
//! lead that goes mql → recycled → mql → sal, and a clock still pending at `as_of`.
//! Every expected number below was worked out by hand from the fixture's rows.

use baton_tests::fixtures;
use serde_json::{Value, json};

fn report() -> Value {
    let r = baton::analyze_dir(&fixtures().join("journey"), Some("2026-07-10 17:00"), true)
        .expect("fixture analyses");
    serde_json::from_str(&r.to_json()).expect("json")
}

fn pick(v: &Value, keys: &[&str]) -> Value {
    Value::Object(
        keys.iter()
            .map(|k| (k.to_string(), v[*k].clone()))
            .collect(),
    )
}

#[test]
fn first_touch_sla() {
    let r = report();
    let ft = &r["handoff"]["first_touch"];
    // A: Fri 18:00 → Mon 09:30 = 0.5 h (weekend and DST skipped). B: Thu 16:00 → Mon 12:00 over the
    // Friday holiday = 1 + 3 = 4.0 h, exactly the limit: met. D: 10:00 → 15:00 = 5 h: breached.
    // C: never touched, clock far past 4 h: breached. F: 2 h at as_of: pending.
    assert_eq!(
        pick(
            ft,
            &[
                "handoffs",
                "touched",
                "met",
                "breached",
                "pending",
                "compliance_rate",
                "median_business_hours",
                "p90_business_hours",
                "untouched"
            ]
        ),
        json!({"handoffs": 5, "touched": 3, "met": 2, "breached": 2, "pending": 1, "compliance_rate": 0.5,
               "median_business_hours": 4.0, "p90_business_hours": 4.8, "untouched": 2})
    );
    let counts: Vec<u64> = ft["histogram"]
        .as_array()
        .expect("hist")
        .iter()
        .map(|b| b["count"].as_u64().unwrap_or(99))
        .collect();
    assert_eq!(counts, vec![0, 1, 0, 0, 2, 0, 0, 0, 0]);
    assert_eq!(ft["by_source"]["webinar"]["handoffs"], 3);
    assert_eq!(ft["by_source"]["webinar"]["breached"], 1);
    assert_eq!(ft["by_owner"]["ben"]["met"], 1);
    // A arrived Friday 18:00 local.
    let fri18 = ft["by_arrival"]
        .as_array()
        .expect("cells")
        .iter()
        .find(|c| c["weekday"] == "fri" && c["hour"] == 18)
        .expect("fri 18");
    assert_eq!(
        pick(fri18, &["handoffs", "met"]),
        json!({"handoffs": 1, "met": 1})
    );
}

#[test]
fn acceptance_sla_until_next_stage() {
    let r = report();
    let acc = &r["handoff"]["acceptance"];
    // A 2.0 (sal Mon 11:00), B 5.0 (disqualified Mon 13:00), D 8.0 (recycled Tue 10:00); C breached, F pending.
    assert_eq!(
        pick(
            acc,
            &[
                "handoffs",
                "touched",
                "met",
                "breached",
                "pending",
                "compliance_rate",
                "median_business_hours",
                "p90_business_hours"
            ]
        ),
        json!({"handoffs": 5, "touched": 3, "met": 3, "breached": 1, "pending": 1, "compliance_rate": 0.75,
               "median_business_hours": 5.0, "p90_business_hours": 7.4})
    );
}

#[test]
fn friction() {
    let r = report();
    let f = &r["handoff"]["friction"];
    assert_eq!(
        pick(
            f,
            &[
                "handoff_entries",
                "accepted",
                "rejected",
                "undecided",
                "acceptance_rate",
                "exited_leads",
                "recycle_loops",
                "ping_pong_leads",
                "handoffs_per_lead"
            ]
        ),
        json!({"handoff_entries": 6, "accepted": 2, "rejected": 2, "undecided": 2, "acceptance_rate": 0.5,
               "exited_leads": 2, "recycle_loops": 1, "ping_pong_leads": 1, "handoffs_per_lead": {"1": 4, "2": 1}})
    );
    assert_eq!(
        f["rejection_reasons"],
        json!([{"stage": "disqualified", "reason": "no budget", "count": 1}, {"stage": "recycled", "reason": "bad timing", "count": 1}])
    );
    // A and D sit in sal with no activity since March.
    assert_eq!(f["stalled"]["leads"], 2);
    assert_eq!(
        f["stalled"]["longest"][0],
        json!({"lead_id": "D", "stage": "sal", "idle_days": 127.208333})
    );
    assert_eq!(
        f["stalled"]["longest"][1],
        json!({"lead_id": "A", "stage": "sal", "idle_days": 123.25})
    );
    // A arrived Friday 18:00 EST and waited until Monday 09:00 EDT: 63 h less the DST hour.
    assert_eq!(
        f["out_of_hours"],
        json!({"handoffs": 5, "arrived_out_of_hours": 1, "share": 0.2, "wall_hours_waiting_total": 62.0, "median_wall_hours_waiting": 62.0})
    );
}

#[test]
fn stage_journey() {
    let r = report();
    let s = &r["journey"]["stages"];
    assert_eq!(
        s["transitions"],
        json!([
            {"from": "lead", "to": "mql", "count": 5, "leads": 5, "median_hours": 24.0, "p90_hours": 29.6},
            {"from": "mql", "to": "sal", "count": 2, "leads": 2, "median_hours": 32.5, "p90_hours": 57.7},
            {"from": "mql", "to": "recycled", "count": 1, "leads": 1, "median_hours": 24.0, "p90_hours": 24.0},
            {"from": "mql", "to": "disqualified", "count": 1, "leads": 1, "median_hours": 93.0, "p90_hours": 93.0},
            {"from": "recycled", "to": "mql", "count": 1, "leads": 1, "median_hours": 48.0, "p90_hours": 48.0}
        ])
    );
    assert_eq!(
        s["stages"][1],
        json!({"stage": "mql", "kind": "funnel", "owner": "marketing", "entered": 6, "leads": 5, "moved_forward": 2,
               "moved_back": 0, "exited": 2, "still_there": 2, "conversion_to_next": 0.4,
               "median_hours_in_stage": 44.0, "p90_hours_in_stage": 84.3})
    );
    assert_eq!(s["funnel"]["total"], json!([6, 5, 2, 0, 0, 0]));
    assert_eq!(
        s["funnel"]["by_cohort"]["2026-03"],
        json!([4, 3, 2, 0, 0, 0])
    );
    assert_eq!(
        s["funnel"]["by_source"]["webinar"],
        json!([3, 3, 1, 0, 0, 0])
    );
    assert_eq!(
        s["variants"][0],
        json!({"path": ["lead", "mql"], "count": 2, "share": 0.333333})
    );
    assert_eq!(
        s["variants"][3]["path"],
        json!(["lead", "mql", "recycled", "mql", "sal"])
    );
}

#[test]
fn touchpoint_dfg() {
    let r = report();
    let t = &r["journey"]["touchpoints"];
    // E's call and email_open share a timestamp: ties are ordered by type name (call first).
    assert_eq!(
        t["transitions"],
        json!([
            {"from": "call", "to": "email_open", "count": 2, "median_hours": 21.5},
            {"from": "email_open", "to": "call", "count": 1, "median_hours": 24.5},
            {"from": "email_open", "to": "page_view", "count": 1, "median_hours": 1.0},
            {"from": "form_submit", "to": "call", "count": 4, "median_hours": 38.25}
        ])
    );
    assert_eq!(t["start"], json!({"form_submit": 6}));
    assert_eq!(
        t["end"],
        json!({"call": 3, "form_submit": 2, "page_view": 1})
    );
    assert_eq!(
        t["activities"],
        json!({"call": 5, "email_open": 2, "form_submit": 6, "page_view": 1})
    );
}

#[test]
fn channels_and_feedback() {
    let r = report();
    let c = &r["journey"]["channels"];
    // E was called while still a plain lead: a sales touch on a lead marketing owns.
    assert_eq!(
        c["sales_touches_in_marketing_stages"],
        json!({"events": 1, "leads": 1, "by_channel": {"phone": 1}})
    );
    assert_eq!(c["marketing_touches_in_sales_stages"]["events"], 0);
    let fb = &r["journey"]["feedback"]["by_sla_outcome"];
    assert_eq!(fb["met"]["nps"], 100.0);
    assert_eq!(fb["breached"]["nps"], -100.0);
    assert_eq!(fb["met"]["csat_mean"], 4.0);
}

#[test]
fn handoffs_csv_lists_every_handoff_once() {
    let dir = fixtures().join("journey");
    let analyzed = baton::analyze_dir_with(
        &dir,
        Some("2026-07-10 17:00"),
        &Default::default(),
        None,
        true,
    )
    .expect("analyses");
    let lines: Vec<&str> = analyzed.handoffs_csv.lines().collect();
    assert_eq!(lines.len(), 6, "header + A, B, C, D, F");
    assert_eq!(
        lines[1],
        "A,webinar,ana,1,accepted,2026-03-06T23:00:00Z,2026-03-09T15:00:00Z,2,met,2026-03-06T23:00:00Z,2026-03-09T13:30:00Z,0.5,met"
    );
    assert_eq!(
        lines[4],
        "D,referral,ben,2,rejected,2026-03-02T15:00:00Z,2026-03-03T15:00:00Z,8,met,2026-03-02T15:00:00Z,2026-03-02T20:00:00Z,5,breached"
    );
}

/// A lead's SLA clocks computed for that lead alone (`live::sla_clocks`, what the sidebar and the
/// service ask) are the clocks the whole handoff analysis gives it, for every lead of acme and of
/// the journey fixture, at the data's end and at an instant mid-way.
#[test]
fn one_leads_sla_clocks_are_the_handoff_analysis_clocks() {
    use baton_core::calendar::BusinessClock;
    use baton_core::outcomes::Outcomes;
    let acme = baton_tests::repo_root().join("examples/acme");
    for dir in [fixtures().join("journey"), acme] {
        let ws = baton::workspace_dir::load_workspace(&dir, true).expect("loads");
        let end = ws.latest_timestamp().expect("timestamps");
        let start = ws.earliest_timestamp().expect("timestamps");
        for now in [end, baton_core::Instant(start.0 + (end.0 - start.0) / 2)] {
            let clock = BusinessClock::new(&ws.framework, start.min(now), end.max(now));
            let outcomes = Outcomes::new(&ws, now);
            let (_, rows) = baton_core::handoff::handoff_analysis(&ws, now, &clock, &outcomes);
            let mut compared = 0;
            for (lead, l) in ws.leads.iter().enumerate() {
                let id = ws.text(l.id);
                let live = baton_core::live::sla_clocks(&ws, id, now).expect("a lead");
                let row = rows.iter().find(|r| r.lead as usize == lead);
                for (i, c) in live.iter().enumerate() {
                    let whole = row.and_then(|r| r.clocks[i].as_ref());
                    assert_eq!(c.started, whole.map(|w| w.started), "{id} {}", c.sla);
                    assert_eq!(c.stopped, whole.and_then(|w| w.stopped), "{id}");
                    let hours = whole.map(|w| baton_core::stats::round6(w.business_hours));
                    assert_eq!(c.business_hours, hours, "{id} {}", c.sla);
                    let status = whole.map_or("not_started", |w| w.outcome.as_str());
                    assert_eq!(c.status, status, "{id}");
                    assert_eq!(c.open_now, clock.is_open(now));
                    compared += usize::from(whole.is_some());
                }
            }
            assert!(compared > 0, "{}: no clock compared", dir.display());
        }
    }
}
