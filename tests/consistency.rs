//! On generated data every count adds up: funnel, stage outcomes, transitions, SLA outcomes,
//! friction, touchpoints, and every handoff appears once in handoffs.csv.

use std::collections::BTreeSet;

use baton::generate::{GenOptions, generate};
use serde_json::Value;

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

#[test]
fn generated_workspace_counts_add_up() {
    let dir = tempfile::tempdir().expect("tmp");
    generate(
        &GenOptions {
            leads: 3000,
            seed: 21,
            ..GenOptions::default()
        },
        dir.path(),
    )
    .expect("gen");
    let analyzed = baton::analyze_dir_with(dir.path(), None, &Default::default(), None, true)
        .expect("analyses");
    let r: Value = serde_json::from_str(&analyzed.report.to_json()).expect("json");
    let st = &r["journey"]["stages"];

    // Funnel: non-increasing, and the breakdowns add up to the total.
    let total: Vec<u64> = st["funnel"]["total"]
        .as_array()
        .expect("total")
        .iter()
        .map(u)
        .collect();
    assert!(total.windows(2).all(|w| w[0] >= w[1]), "{total:?}");
    assert_eq!(total[0], u(&st["leads_with_stages"]));
    for key in ["by_cohort", "by_source"] {
        let mut sum = vec![0u64; total.len()];
        for row in st["funnel"][key].as_object().expect("groups").values() {
            for (i, n) in row.as_array().expect("row").iter().enumerate() {
                sum[i] += u(n);
            }
        }
        assert_eq!(sum, total, "{key}");
    }

    // Every visit ends exactly one way, and transitions out of a stage are its ended visits.
    for s in st["stages"].as_array().expect("stages") {
        let ended = u(&s["moved_forward"]) + u(&s["moved_back"]) + u(&s["exited"]);
        assert_eq!(ended + u(&s["still_there"]), u(&s["entered"]), "{s}");
        let out: u64 = st["transitions"]
            .as_array()
            .expect("t")
            .iter()
            .filter(|t| t["from"] == s["stage"])
            .map(|t| u(&t["count"]))
            .sum();
        assert_eq!(out, ended, "{}", s["stage"]);
    }

    // SLA outcomes partition the handoffs; the histogram holds the stopped clocks.
    let ft = &r["handoff"]["first_touch"];
    let handoffs = u(&ft["handoffs"]);
    assert_eq!(
        u(&ft["met"]) + u(&ft["breached"]) + u(&ft["pending"]),
        handoffs
    );
    let hist: u64 = ft["histogram"]
        .as_array()
        .expect("h")
        .iter()
        .map(|b| u(&b["count"]))
        .sum();
    assert_eq!(hist, u(&ft["touched"]));
    assert_eq!(hist + u(&ft["untouched"]), handoffs);
    let by_source: u64 = ft["by_source"]
        .as_object()
        .expect("s")
        .values()
        .map(|c| u(&c["handoffs"]))
        .sum();
    assert_eq!(by_source, handoffs);
    let by_arrival: u64 = ft["by_arrival"]
        .as_array()
        .expect("a")
        .iter()
        .map(|c| u(&c["handoffs"]))
        .sum();
    assert_eq!(by_arrival, handoffs);
    // The handoff stage is mql: one first-touch clock per lead that reached it.
    assert_eq!(handoffs, total[1]);

    // Friction: decisions partition the handoff entries.
    let f = &r["handoff"]["friction"];
    assert_eq!(
        u(&f["accepted"]) + u(&f["rejected"]) + u(&f["undecided"]),
        u(&f["handoff_entries"])
    );
    let entries: u64 = f["handoffs_per_lead"]
        .as_object()
        .expect("h")
        .iter()
        .map(|(k, v)| k.parse::<u64>().expect("n") * u(v))
        .sum();
    assert_eq!(entries, u(&f["handoff_entries"]));
    let mql = st["stages"]
        .as_array()
        .expect("s")
        .iter()
        .find(|s| s["stage"] == "mql")
        .expect("mql");
    assert_eq!(u(&f["handoff_entries"]), u(&mql["entered"]));

    // Touchpoints: every event is one activity; every lead with events starts and ends once.
    let t = &r["journey"]["touchpoints"];
    let sum = |v: &Value| -> u64 { v.as_object().expect("map").values().map(u).sum() };
    assert_eq!(sum(&t["activities"]), u(&t["events"]));
    assert_eq!(sum(&t["start"]), u(&t["cases"]));
    assert_eq!(sum(&t["end"]), u(&t["cases"]));
    let pairs: u64 = t["transitions"]
        .as_array()
        .expect("t")
        .iter()
        .map(|x| u(&x["count"]))
        .sum();
    assert_eq!(pairs, u(&t["events"]) - u(&t["cases"]));
    let cells: u64 = r["journey"]["channels"]["matrix"]
        .as_array()
        .expect("m")
        .iter()
        .map(|c| u(&c["events"]))
        .sum();
    assert_eq!(cells, u(&t["events"]));

    // Lead quality's first step starts from the same MQLs.
    assert_eq!(
        u(&r["lead_quality"]["overall"]["mql_to_sql"]["n"]),
        total[1]
    );
    assert_eq!(
        u(&r["lead_quality"]["overall"]["mql_to_sql"]["k"]),
        total[3]
    );

    // handoffs.csv: one row per lead, and every started first-touch clock is there once.
    let mut lines = analyzed.handoffs_csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let started = header
        .iter()
        .position(|h| *h == "first_touch_started_at")
        .expect("column");
    let mut ids = BTreeSet::new();
    let mut with_clock = 0;
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        assert!(ids.insert(fields[0].to_string()), "{} twice", fields[0]);
        with_clock += u64::from(!fields[started].is_empty());
    }
    assert_eq!(with_clock, handoffs);
}
