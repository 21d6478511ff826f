//! Attribution: every model hand-computed on a small path set (a one-touch path, a channel seen
//! only in non-converting paths), and Markov, Shapley, first/last/linear against an independent
//! Python computation (tests/fixtures/attribution/reference.py, numpy) on 400 paths.

use baton_core::attribution::{
    MarkovChain, PathRecord, PathSet, Touch, heuristic, markov, shapley,
};
use baton_tests::fixtures;

/// The heuristic model of this name.
fn h(name: &str) -> baton_core::attribution::Heuristic {
    baton_core::attribution::Heuristic::from_name(name).expect("a heuristic model")
}

/// The heuristic models' names are the first seven of the report's model list.
#[test]
fn heuristic_names_are_the_reports_first_seven_models() {
    let names: Vec<&str> = baton_core::attribution::Heuristic::ALL
        .map(|m| m.name())
        .to_vec();
    assert_eq!(names, baton_core::attribution::MODELS[..7]);
}

fn touch(channel: usize, team: usize, days: f64) -> Touch {
    Touch {
        channel: channel as u32,
        team: team as u8,
        days_before_end: days,
    }
}

/// A=0, B=1, C=2, D=3. P1: A B A C (won 100; lead created at B, deal at C). P2: B (won 50).
/// P3: C A and P4: D A do not convert (D appears only there).
fn small() -> PathSet {
    PathSet {
        channels: ["A", "B", "C", "D"].map(String::from).to_vec(),
        paths: vec![
            PathRecord {
                touches: vec![
                    touch(0, 0, 21.0),
                    touch(1, 1, 14.0),
                    touch(0, 0, 7.0),
                    touch(2, 1, 0.0),
                ],
                converted: true,
                revenue: 100.0,
                lead_creation: Some(1),
                deal_creation: Some(3),
            },
            PathRecord {
                touches: vec![touch(1, 1, 0.0)],
                converted: true,
                revenue: 50.0,
                lead_creation: Some(0),
                deal_creation: Some(0),
            },
            PathRecord {
                touches: vec![touch(2, 0, 3.0), touch(0, 0, 1.0)],
                converted: false,
                revenue: 0.0,
                lead_creation: Some(0),
                deal_creation: None,
            },
            PathRecord {
                touches: vec![touch(3, 0, 2.0), touch(0, 0, 1.0)],
                converted: false,
                revenue: 0.0,
                lead_creation: Some(0),
                deal_creation: None,
            },
        ],
    }
}

fn close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-12, "{got:?} vs {want:?}");
    }
}

#[test]
fn heuristic_models_by_hand() {
    let s = small();
    close(
        &heuristic(h("first_touch"), &s, 7.0).conversions,
        &[1.0, 1.0, 0.0, 0.0],
    );
    close(
        &heuristic(h("last_touch"), &s, 7.0).conversions,
        &[0.0, 1.0, 1.0, 0.0],
    );
    close(
        &heuristic(h("linear"), &s, 7.0).conversions,
        &[0.5, 1.25, 0.25, 0.0],
    );
    // Time decay, half-life 7: P1 weights 1/8, 1/4, 1/2, 1 over 15/8.
    close(
        &heuristic(h("time_decay"), &s, 7.0).conversions,
        &[(0.125 + 0.5) / 1.875, 0.25 / 1.875 + 1.0, 1.0 / 1.875, 0.0],
    );
    // 40/20/40: P1 A .4, B .1, A .1, C .4; a one-touch path gets everything.
    close(
        &heuristic(h("position_based"), &s, 7.0).conversions,
        &[0.5, 1.1, 0.4, 0.0],
    );
    // W: 30% first (A), lead creation (B), deal creation (C); 10% to the other touch (A).
    close(
        &heuristic(h("w_shaped"), &s, 7.0).conversions,
        &[0.4, 1.3, 0.3, 0.0],
    );
    // Full path: 22.5% ×4 with the close on C as well; 10% to the other touch.
    close(
        &heuristic(h("full_path"), &s, 7.0).conversions,
        &[0.325, 1.225, 0.45, 0.0],
    );
    // Revenue-weighted linear: P1 100 × (½, ¼, ¼), P2 50 to B.
    close(
        &heuristic(h("linear"), &s, 7.0).revenue,
        &[50.0, 75.0, 25.0, 0.0],
    );
    // By team: first touches are A (marketing) and B (sales).
    let teams = heuristic(h("first_touch"), &s, 7.0).teams;
    close(&teams, &[1.0, 1.0, 0.0, 0.0]);
}

#[test]
fn markov_removal_effect_by_hand() {
    let s = small();
    let chain = MarkovChain::new(&s);
    // Solved by hand: x_A = 1/3, x_B = x_C = 2/3, x_D = 1/3, start = 1/2.
    assert!((chain.conversion_probability(None) - 0.5).abs() < 1e-12);
    close(
        &chain.removal_effects(),
        &[0.5, 4.0 / 7.0, 4.0 / 7.0, 1.0 / 6.0],
    );
    let (credits, _) = markov(&s);
    // RE normalised over 76/42 and scaled to 2 conversions; D, seen only in non-converting
    // paths, still carries credit because removing it lowers P(conv) from start.
    close(
        &credits.conversions,
        &[42.0 / 76.0, 48.0 / 76.0, 48.0 / 76.0, 14.0 / 76.0],
    );
    assert!((credits.conversions.iter().sum::<f64>() - 2.0).abs() < 1e-12);
}

#[test]
fn shapley_by_hand() {
    // v(S) = [B ∈ S] + [A, B, C ∈ S]: B gets 1 + 1/3, A and C 1/3 each, D nothing.
    let (credits, method) = shapley(&small(), 1000, 1);
    assert_eq!(method, "exact");
    close(
        &credits.conversions,
        &[1.0 / 3.0, 4.0 / 3.0, 1.0 / 3.0, 0.0],
    );
}

fn reference() -> (PathSet, serde_json::Value) {
    let dir = fixtures().join("attribution");
    let text = std::fs::read_to_string(dir.join("paths.csv")).expect("paths");
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected.json")).expect("expected"),
    )
    .expect("json");
    let channels: Vec<String> = ["display", "email", "events", "paid_search", "social", "web"]
        .map(String::from)
        .to_vec();
    let paths = text
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let touches: Vec<Touch> = f[0]
                .split('>')
                .map(|c| {
                    touch(
                        channels.iter().position(|x| x == c).expect("channel"),
                        0,
                        0.0,
                    )
                })
                .collect();
            PathRecord {
                touches,
                converted: f[1] == "1",
                revenue: f[2].parse().expect("revenue"),
                lead_creation: Some(0),
                deal_creation: None,
            }
        })
        .collect();
    (PathSet { channels, paths }, expected)
}

fn expect(expected: &serde_json::Value, model: &str, channels: &[String], got: &[f64], tol: f64) {
    for (c, g) in channels.iter().zip(got) {
        let want = expected[model][c].as_f64().expect("number");
        assert!((g - want).abs() < tol, "{model} {c}: {g} vs {want}");
    }
}

#[test]
fn independent_reference_on_400_paths() {
    let (set, expected) = reference();
    let (m, re) = markov(&set);
    expect(&expected, "markov", &set.channels, &m.conversions, 1e-9);
    expect(&expected, "removal_effects", &set.channels, &re, 1e-9);
    let (sh, _) = shapley(&set, 1000, 1);
    expect(&expected, "shapley", &set.channels, &sh.conversions, 1e-9);
    for model in ["first_touch", "last_touch", "linear"] {
        expect(
            &expected,
            model,
            &set.channels,
            &heuristic(h(model), &set, 7.0).conversions,
            1e-9,
        );
    }
    let total: f64 = sh.conversions.iter().sum();
    assert!((total - expected["conversions"].as_f64().expect("n")).abs() < 1e-9);
}

#[test]
fn sampled_shapley_is_seeded_and_close_to_exact() {
    // 16 channels: beyond the exact limit. The game is additive here (one-channel paths), so
    // every permutation gives the exact answer: channel i earns its own conversions.
    let channels: Vec<String> = (0..16).map(|i| format!("c{i:02}")).collect();
    let paths = (0..16)
        .flat_map(|i| {
            (0..=i).map(move |_| PathRecord {
                touches: vec![touch(i, 0, 0.0)],
                converted: true,
                revenue: 1.0,
                lead_creation: None,
                deal_creation: None,
            })
        })
        .collect();
    let set = PathSet { channels, paths };
    let (a, method) = shapley(&set, 200, 9);
    let (b, _) = shapley(&set, 200, 9);
    assert_eq!(method, "sampled: 200 permutations, seed 9");
    assert_eq!(a.conversions, b.conversions, "same seed, same answer");
    for (i, v) in a.conversions.iter().enumerate() {
        assert!((v - (i + 1) as f64).abs() < 1e-9, "{i}: {v}");
    }
}
