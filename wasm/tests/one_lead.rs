//! The live calls' fast path (a lead and its events read straight into a one-lead workspace)
//! against the general ingestion (the same objects read as NDJSON files): on generated leads,
//! clean and dirty, the fast path either declines or builds the same workspace, and `scoreLead`
//! and `qualify` give the same bytes either way.

use baton_core::Workspace;
use baton_wasm::{MemoryWorkspace, live};

/// A small deterministic generator (xorshift64*), so the cases are the same on every run.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[(self.next() % options.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// JSON members of a lead: mostly what a page sends, sometimes what the ingestion refuses or warns about.
fn lead_json(g: &mut Gen, dirty: bool) -> String {
    let mut members = vec![format!(
        r#""lead_id":{}"#,
        if dirty {
            g.pick(&[r#""P1""#, r#""P1""#, r#"" P1""#, r#""""#, "7", "null"])
        } else {
            r#""P1""#
        }
    )];
    let created = if dirty {
        g.pick(&[
            r#""2026-01-01T00:00:00Z""#,
            r#""2026-01-01T09:30:00-05:00""#,
            r#""2026-01-01 08:00""#,
            r#""2026-03-08 02:30""#,
            r#""yesterday""#,
            "null",
        ])
    } else {
        g.pick(&[
            r#""2026-01-01T00:00:00Z""#,
            r#""2026-01-01T09:30:00-05:00""#,
        ])
    };
    if !(dirty && g.chance(5)) {
        members.push(format!(r#""created_at":{created}"#));
    }
    let attributes: &[(&str, &[&str])] = &[
        (
            "employees",
            &["800", "\"800\"", "12.5", "150", "\"\"", "null", "1e3"],
        ),
        (
            "industry",
            &[
                "\"software\"",
                "\"Software\"",
                "\"retail\"",
                "\"finance\"",
                "3",
            ],
        ),
        (
            "persona",
            &["\"champion\"", "\"student\"", "\"economic_buyer\"", "\"\""],
        ),
        ("title", &["\"VP Sales\"", "\"Head of Ops\"", "\"intern\""]),
        ("country", &["\"US\"", "\"DE\""]),
        (
            "source",
            &["\"webinar\"", "\"paid_search\"", "\"referral\""],
        ),
        (
            "region",
            &[
                "\"emea\"", "\"amer\"", "true", "false", "\"TRUE\"", "0", "\"0123\"",
            ],
        ),
        ("budget", &["50000", "\"50000\"", "-1", "\"yes\"", "\"\""]),
    ];
    for (name, values) in attributes {
        if g.chance(70) {
            members.push(format!(r#""{name}":{}"#, g.pick(values)));
        }
    }
    if dirty {
        let odd: &[&str] = &[
            r#""employees":"many""#,
            r#""Industry":"finance""#,
            r#""Region":"apac""#,
            r#""LEAD_ID":"P2""#,
            r#""tags":["a","b"]"#,
            r#""meta":{"a":1}"#,
            r#""industry":" software ""#,
            r#""type":"x""#,
            r#""":"x""#,
            r#"" region":"x""#,
        ];
        if g.chance(40) {
            members.push(g.pick(odd).to_string());
        }
    }
    // A repeated key keeps the last value in serde_json and the first in the reader: avoid it.
    let mut seen = std::collections::BTreeSet::new();
    members.retain(|m| seen.insert(m.split(':').next().unwrap_or_default().to_string()));
    format!("{{{}}}", members.join(","))
}

/// The JSON list of a lead's events.
fn events_json(g: &mut Gen, dirty: bool) -> String {
    let n = g.next() % 10;
    let mut events = Vec::new();
    for _ in 0..n {
        let day = 1 + g.next() % 28;
        let hour = g.next() % 24;
        let ts = if dirty && g.chance(15) {
            g.pick(&[
                r#""2026-01-03 10:00""#,
                r#""2025-12-30T10:00:00Z""#,
                r#""soon""#,
                r#""""#,
                "null",
                r#""2026-03-08 02:30""#,
            ])
            .to_string()
        } else if g.chance(20) {
            // Shared times: the canonical order breaks the tie.
            r#""2026-01-10T10:00:00Z""#.to_string()
        } else {
            format!(r#""2026-01-{day:02}T{hour:02}:00:00Z""#)
        };
        let mut members = vec![
            format!(r#""ts":{ts}"#),
            format!(
                r#""type":"{}""#,
                if dirty {
                    g.pick(&[
                        "pricing_page_view",
                        "email_open",
                        "webinar_attend",
                        "",
                        "Pricing_Page_View",
                    ])
                } else {
                    g.pick(&[
                        "pricing_page_view",
                        "email_open",
                        "webinar_attend",
                        "page_view",
                        "demo_request",
                    ])
                }
            ),
            format!(
                r#""channel":"{}""#,
                if dirty {
                    g.pick(&["web", "email", "", "Email"])
                } else {
                    g.pick(&["web", "email", "events"])
                }
            ),
        ];
        if g.chance(40) {
            members.push(format!(
                r#""team":"{}""#,
                if dirty {
                    g.pick(&["marketing", "Sales", "bogus", "", "cs"])
                } else {
                    g.pick(&["marketing", "sales", "cs", ""])
                }
            ));
        }
        if g.chance(30) {
            members.push(format!(
                r#""campaign":"{}""#,
                g.pick(&["spring", "q1-webinar", ""])
            ));
        }
        if g.chance(20) {
            members.push(format!(r#""asset_id":"{}""#, g.pick(&["A1", "A2"])));
        }
        if g.chance(20) {
            members.push(format!(
                r#""event_id":"{}""#,
                g.pick(&["e1", "e2", "e3", "e4", "e5"])
            ));
        }
        if g.chance(15) {
            members.push(r#""url":"/pricing""#.to_string());
        }
        if dirty && g.chance(10) {
            members.push(
                g.pick(&[r#""lead_id":"P2""#, r#""lead_id":"P1""#, r#""TS":"x""#])
                    .to_string(),
            );
        }
        events.push(format!("{{{}}}", members.join(",")));
    }
    format!("[{}]", events.join(","))
}

/// Everything the engine reads from a workspace, as text.
fn shape(ws: &Workspace) -> String {
    let symbols: Vec<&str> = (0..ws.symbols.len())
        .map(|i| ws.symbols.text(baton_core::symbols::Sym::from_index(i)))
        .collect();
    format!(
        "{symbols:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        ws.leads,
        ws.attributes,
        ws.events,
        ws.event_start,
        ws.stages,
        ws.stage_names,
        ws.deals,
        ws.assets,
        ws.feedback
    )
}

fn acme() -> MemoryWorkspace {
    let toml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/acme/baton.toml"
    ))
    .expect("acme baton.toml");
    let toml = toml
        .split("# WebAssembly plugins")
        .next()
        .unwrap_or_default();
    MemoryWorkspace::new(toml).expect("acme config")
}

#[test]
fn the_fast_path_builds_what_the_ingestion_builds_or_declines() {
    let engine = acme();
    let (framework, facts) = (engine.framework(), engine.facts());
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    let (mut fast, mut declined, mut compared) = (0, 0, 0);
    for case in 0..4000 {
        let dirty = case % 2 == 1;
        let lead = lead_json(&mut g, dirty);
        let events = events_json(&mut g, dirty);
        let as_of = ["2026-02-01T00:00:00Z", "2026-01-15T00:00:00Z"][case % 2];
        let general = live::lead_workspace_ingested(framework, facts, &lead, &events);
        let quick = baton_core::ingest::one_lead_workspace_json(framework, facts, &lead, &events);
        match &quick {
            Some(ws) => {
                fast += 1;
                let general = general.as_ref().unwrap_or_else(|e| {
                    panic!("fast path read what the ingestion refuses ({e}):\n{lead}\n{events}")
                });
                let dq = &general.data_quality;
                assert!(
                    dq.rejected == 0 && dq.warnings == 0,
                    "fast path read what the ingestion rejects or warns about:\n{lead}\n{events}\n{dq:?}"
                );
                assert_eq!(shape(ws), shape(general), "\n{lead}\n{events}");
            }
            None => declined += 1,
        }
        // The answers, through whichever path the live calls take, equal the ingestion's.
        let answer = |f: fn(&Workspace, Option<&str>) -> Result<String, baton_core::Error>,
                      ws: &Result<Workspace, baton_core::Error>| {
            ws.as_ref()
                .map_err(|e| e.to_string())
                .and_then(|ws| f(ws, Some(as_of)).map_err(|e| e.to_string()))
        };
        let live_score =
            live::score(framework, facts, &lead, &events, Some(as_of)).map_err(|e| e.to_string());
        assert_eq!(
            live_score,
            answer(live::score_workspace, &general),
            "\n{lead}\n{events}"
        );
        let live_qualify =
            live::qualify(framework, facts, &lead, &events, Some(as_of)).map_err(|e| e.to_string());
        assert_eq!(
            live_qualify,
            answer(live::qualify_workspace, &general),
            "\n{lead}\n{events}"
        );
        compared += 1;
    }
    // Both paths are exercised: clean leads take the fast one, dirty ones mostly do not.
    assert!(
        fast > 1500 && declined > 800,
        "fast {fast}, declined {declined} of {compared}"
    );
}

#[test]
fn the_browser_harness_lead_takes_the_fast_path() {
    let engine = acme();
    let lead = r#"{"lead_id":"P1","created_at":"2026-01-01T00:00:00Z","employees":800,"industry":"software","persona":"champion"}"#;
    let events = r#"[{"ts":"2026-01-02T10:00:00Z","type":"email_open","channel":"web"},{"ts":"2026-01-03T10:00:00Z","type":"pricing_page_view","channel":"web"}]"#;
    let ws = baton_core::ingest::one_lead_workspace_json(
        engine.framework(),
        engine.facts(),
        lead,
        events,
    )
    .expect("a clean lead is read straight");
    assert_eq!(ws.events.len(), 2);
    // Hand-computed: fit 20 + 10 + 15; one pricing view 29 days before as_of, half-life 7 days:
    // 15 * 2^(-(28 days + 14 h) / 7) = 15 * 2^(-4.083333) = 0.884882.
    let json = live::score_workspace(&ws, Some("2026-02-01T00:00:00Z")).expect("scored");
    assert!(json.contains(r#""score":45.884882"#), "{json}");
}

#[test]
fn a_lead_flattened_by_the_js_layer_reads_as_its_json_text() {
    let engine = acme();
    let (framework, facts) = (engine.framework(), engine.facts());
    // What `flatten` (bindings.rs) writes for these objects, and the JSON text JSON.stringify
    // writes for them: the same workspace, numbers written as serde_json writes them.
    let cases = [
        (
            "2 12\u{1e}\u{1f}lead_id\u{1d}sP1\u{1f}created_at\u{1d}s2026-01-01T00:00:00Z\u{1f}employees\u{1d}t800\u{1f}budget\u{1d}d12.5\u{1f}ratio\u{1d}d0.000001\u{1f}big\u{1d}d1e+21\u{1f}ok\u{1d}ttrue\u{1f}gone\u{1d}t\
             \u{1e}\u{1f}ts\u{1d}s2026-01-03T10:00:00Z\u{1f}type\u{1d}spricing_page_view\u{1f}channel\u{1d}sweb\u{1f}team\u{1d}t",
            r#"{"lead_id":"P1","created_at":"2026-01-01T00:00:00Z","employees":800,"budget":12.5,"ratio":0.000001,"big":1e+21,"ok":true,"gone":null}"#,
            r#"[{"ts":"2026-01-03T10:00:00Z","type":"pricing_page_view","channel":"web","team":null}]"#,
        ),
        (
            "1 2\u{1e}\u{1f}lead_id\u{1d}sP2\u{1f}created_at\u{1d}s2026-01-01T00:00:00Z",
            r#"{"lead_id":"P2","created_at":"2026-01-01T00:00:00Z"}"#,
            "",
        ),
    ];
    for (flat, lead, events) in cases {
        let flat = live::lead_workspace_flat(framework, facts, flat).expect("clean lead");
        let json = baton_core::ingest::one_lead_workspace_json(framework, facts, lead, events)
            .expect("clean lead");
        assert_eq!(shape(&flat), shape(&json));
    }
    let ws = live::lead_workspace_flat(framework, facts, cases[0].0).expect("clean lead");
    let texts: Vec<&str> = (0..ws.symbols.len())
        .map(|i| ws.symbols.text(baton_core::symbols::Sym::from_index(i)))
        .collect();
    assert!(
        texts.contains(&"12.5") && texts.contains(&"1e-6") && texts.contains(&"1e+21"),
        "{texts:?}"
    );
    // The JSON way instead: text with surrounding spaces, an unknown tag, a malformed text; a
    // separator inside a key or string (more objects or members than `flatten` counted, or a
    // second key end), U+FFFD (a lone surrogate arrives so), a missing or impossible count.
    let lead = "\u{1e}\u{1f}lead_id\u{1d}sP1\u{1f}created_at\u{1d}s2026-01-01T00:00:00Z";
    assert!(live::lead_workspace_flat(framework, facts, &format!("1 2{lead}")).is_some());
    for flat in [
        "1 2\u{1e}\u{1f}lead_id\u{1d}s P1\u{1f}created_at\u{1d}s2026-01-01T00:00:00Z",
        "1 2\u{1e}\u{1f}lead_id\u{1d}xP1\u{1f}created_at\u{1d}s2026-01-01T00:00:00Z",
        "1 2x\u{1e}\u{1f}lead_id\u{1d}sP1\u{1f}created_at\u{1d}s2026-01-01T00:00:00Z",
        "1 2\u{1e}x\u{1f}lead_id\u{1d}sP1\u{1f}created_at\u{1d}s2026-01-01T00:00:00Z",
        "1 3\u{1e}\u{1f}lead_id\u{1d}sP1\u{1f}created_at\u{1d}s2026-01-01T00:00:00Z\u{1f}bad",
        // A string `P1\u{1f}persona\u{1d}schampion` (3 members, where 2 were written).
        "1 2\u{1e}\u{1f}lead_id\u{1d}sP1\u{1f}persona\u{1d}schampion\u{1f}created_at\u{1d}s2026-01-01T00:00:00Z",
        // A string ending in `\u{1e}` (2 objects, where 1 was written).
        "1 2\u{1e}\u{1f}lead_id\u{1d}sP1\u{1e}\u{1f}created_at\u{1d}s2026-01-01T00:00:00Z",
        // A key `a\u{1d}sb`.
        "1 3\u{1e}\u{1f}a\u{1d}sb\u{1d}sc\u{1f}lead_id\u{1d}sP1\u{1f}created_at\u{1d}s2026-01-01T00:00:00Z",
        "1 2\u{1e}\u{1f}lead_id\u{1d}sP\u{fffd}\u{1f}created_at\u{1d}s2026-01-01T00:00:00Z",
        "2 2\u{1e}\u{1f}lead_id\u{1d}sP1\u{1f}created_at\u{1d}s2026-01-01T00:00:00Z",
        "\u{1e}\u{1f}lead_id\u{1d}sP1\u{1f}created_at\u{1d}s2026-01-01T00:00:00Z",
        "1\u{1e}\u{1f}lead_id\u{1d}sP1\u{1f}created_at\u{1d}s2026-01-01T00:00:00Z",
        "1 99999999999999999\u{1e}\u{1f}lead_id\u{1d}sP1\u{1f}created_at\u{1d}s2026-01-01T00:00:00Z",
        "0 0",
        "",
    ] {
        assert!(
            live::lead_workspace_flat(framework, facts, flat).is_none(),
            "{flat:?}"
        );
    }
}
