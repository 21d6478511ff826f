//! The messaging audit on a labeled set of sentences (`tests/fixtures/messaging/labeled.jsonl`,
//! written for it: exact phrases, paraphrases, inflections, mixed-pillar sentences, numbers in
//! digits and words, and distractors), scored by precision and recall of the pillars each sentence
//! covers and of the numbers attributed to a pillar. Fails below recall 0.85 or precision 0.90.

use baton_core::config::Framework;
use baton_core::messaging::Lexicon;
use serde_json::Value;

/// Precision and recall from true positives, false positives and false negatives.
fn scores(tp: usize, fp: usize, fn_: usize) -> (f64, f64) {
    let p = if tp + fp == 0 {
        1.0
    } else {
        tp as f64 / (tp + fp) as f64
    };
    let r = if tp + fn_ == 0 {
        1.0
    } else {
        tp as f64 / (tp + fn_) as f64
    };
    (p, r)
}

fn pillar_name(key: &str) -> &'static str {
    match key {
        "O" => "Faster onboarding",
        "I" => "Integrates with your stack",
        "S" => "Enterprise-grade security",
        "R" => "Proven ROI",
        other => panic!("unknown pillar key {other:?} in labeled.jsonl"),
    }
}

#[test]
fn labeled_set_meets_its_precision_and_recall() {
    let dir = baton_tests::repo_root().join("tests/fixtures/messaging");
    let toml = std::fs::read_to_string(dir.join("baton.toml")).expect("baton.toml");
    let framework = Framework::from_toml("baton.toml", &toml).expect("valid configuration");
    let lexicon = Lexicon::from_config(&framework.config.messaging).expect("english");
    let lines = std::fs::read_to_string(dir.join("labeled.jsonl")).expect("labeled.jsonl");
    let (mut p_tp, mut p_fp, mut p_fn) = (0, 0, 0);
    let (mut n_tp, mut n_fp, mut n_fn) = (0, 0, 0);
    let mut sentences = 0;
    let mut misses = Vec::new();
    for (i, line) in lines.lines().enumerate() {
        let row: Value = serde_json::from_str(line).expect("a JSON line");
        let text = row["text"].as_str().expect("text");
        sentences += 1;
        let found = lexicon.analyze(text);
        let want: Vec<&str> = row["pillars"]
            .as_array()
            .expect("pillars")
            .iter()
            .map(|p| pillar_name(p.as_str().expect("key")))
            .collect();
        let got: Vec<&str> = found.pillars.iter().map(|p| p.pillar.as_str()).collect();
        for w in &want {
            if got.contains(w) {
                p_tp += 1;
            } else {
                p_fn += 1;
                misses.push(format!("line {}: missed {w:?}: {text}", i + 1));
            }
        }
        for g in &got {
            if !want.contains(g) {
                p_fp += 1;
                misses.push(format!("line {}: wrongly {g:?}: {text}", i + 1));
            }
        }
        // Numbers: a found number is right when its value, kind and pillar are labeled.
        let labeled: Vec<(f64, String, &str)> = row["numbers"]
            .as_array()
            .expect("numbers")
            .iter()
            .map(|n| {
                (
                    n["value"].as_f64().expect("value"),
                    n["kind"].as_str().expect("kind").to_string(),
                    pillar_name(n["pillar"].as_str().expect("pillar")),
                )
            })
            .collect();
        let mut unmatched = labeled.clone();
        for n in &found.numbers {
            let at = unmatched
                .iter()
                .position(|(v, k, p)| (v - n.value).abs() < 1e-9 && *k == n.kind && *p == n.pillar);
            match at {
                Some(k) => {
                    unmatched.remove(k);
                    n_tp += 1;
                }
                None => {
                    n_fp += 1;
                    misses.push(format!(
                        "line {}: number {} {} wrongly for {:?}: {text}",
                        i + 1,
                        n.value,
                        n.kind,
                        n.pillar
                    ));
                }
            }
        }
        for (v, k, p) in unmatched {
            n_fn += 1;
            misses.push(format!(
                "line {}: number {v} {k} for {p:?} missed: {text}",
                i + 1
            ));
        }
    }
    let (pp, pr) = scores(p_tp, p_fp, p_fn);
    let (np, nr) = scores(n_tp, n_fp, n_fn);
    eprintln!(
        "{sentences} sentences: pillars precision {pp:.3} recall {pr:.3} ({p_tp} right, {p_fp} wrong, {p_fn} missed); \
         numbers precision {np:.3} recall {nr:.3} ({n_tp} right, {n_fp} wrong, {n_fn} missed)"
    );
    for m in &misses {
        eprintln!("  {m}");
    }
    assert!(sentences >= 150, "the set has {sentences} sentences");
    assert!(pr >= 0.85, "pillar recall {pr:.3} is below 0.85");
    assert!(pp >= 0.90, "pillar precision {pp:.3} is below 0.90");
    assert!(nr >= 0.85, "number recall {nr:.3} is below 0.85");
    assert!(np >= 0.90, "number precision {np:.3} is below 0.90");
}
