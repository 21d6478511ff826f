//! Messaging on hand-written texts: inflections, a retired claim inside a longer sentence,
//! conflicting numbers, another language, an empty text, and a 1 MB text.

use baton_core::config::{Messaging, Pillar};
use baton_core::messaging::Lexicon;

fn lexicon() -> Lexicon {
    let pillar = |name: &str, description: &str, phrases: &[&str], synonyms: &[&str]| Pillar {
        name: name.into(),
        description: description.into(),
        phrases: phrases.iter().map(|s| s.to_string()).collect(),
        synonyms: synonyms.iter().map(|s| s.to_string()).collect(),
        audiences: vec![],
    };
    Lexicon::from_config(&Messaging {
        language: "english".into(),
        pillars: vec![
            pillar(
                "Faster onboarding",
                "Teams cut onboarding time by 40%.",
                &["cut onboarding time by 40%"],
                &["onboarding"],
            ),
            pillar(
                "Integrations",
                "More than 200 native integrations.",
                &["200 native integrations"],
                &["integration", "API"],
            ),
            pillar(
                "Proven ROI",
                "A 3x return on investment within 12 months.",
                &["3x return on investment"],
                &["ROI"],
            ),
        ],
        retired_claims: vec!["#1 rated workflow tool".into()],
        banned: vec!["guaranteed results".into()],
        severity: Default::default(),
    })
    .expect("english")
}

#[test]
fn inflections_and_spans() {
    let check = lexicon().check(
        "Acme integrates with Slack. Integrations are native.",
        "champion",
    );
    let hit = check
        .pillars_hit
        .iter()
        .find(|p| p.pillar == "Integrations")
        .expect("integrations");
    let spans: Vec<(&str, usize, usize)> = hit
        .evidence
        .iter()
        .map(|s| (s.text.as_str(), s.start, s.end))
        .collect();
    // The description's "native integrations" matches in any order, so the second sentence's
    // evidence spans both of its words.
    assert_eq!(
        spans,
        vec![("integrates", 5, 15), ("Integrations are native", 28, 51)]
    );
    assert_eq!(
        check.pillars_missed,
        vec!["Faster onboarding", "Proven ROI"]
    );
    assert_eq!(check.audience, "champion");
    assert!((check.score - 100.0 / 3.0).abs() < 1e-5);
}

#[test]
fn retired_claim_inside_a_longer_sentence() {
    let text =
        "According to several analysts we were, in fact, the #1 rated workflow tool of 2024.";
    let check = lexicon().check(text, "");
    assert_eq!(check.claims.len(), 1);
    let c = &check.claims[0];
    assert_eq!(
        (c.kind, c.claim.as_str(), c.span.text.as_str()),
        ("retired", "#1 rated workflow tool", "rated workflow tool")
    );
    assert_eq!(
        &text
            .chars()
            .skip(c.span.start)
            .take(c.span.end - c.span.start)
            .collect::<String>(),
        "rated workflow tool"
    );
    let banned = lexicon().check("Sign today: guaranteed results in 30 days.", "");
    assert_eq!(banned.claims[0].kind, "banned");
    assert_eq!(
        banned.score, 0.0,
        "no pillar hit and a banned claim: floored at 0"
    );
}

#[test]
fn conflicting_numbers_for_one_pillar() {
    let lex = lexicon();
    let ok = lex.check("Our customers cut onboarding time by 40%.", "");
    assert!(ok.conflicts.is_empty());
    let bad = lex.check("Our customers cut onboarding time by 50 percent.", "");
    assert_eq!(bad.conflicts.len(), 1);
    let c = &bad.conflicts[0];
    assert_eq!(
        (
            c.pillar.as_str(),
            c.kind.as_str(),
            c.value,
            c.span.text.as_str()
        ),
        ("Faster onboarding", "percent", 50.0, "50 percent")
    );
    let half = lex.check("We cut onboarding in half for teams like yours.", "");
    assert_eq!(half.conflicts[0].value, 50.0, "'in half' is 50%");
    // 3x ROI matches the approved multiple; 5x does not.
    assert!(lex.check("Expect a 3x ROI.", "").conflicts.is_empty());
    assert_eq!(
        lex.check("Expect a 5x ROI.", "").conflicts[0].kind,
        "multiple"
    );
    // A count for another unit is not compared with "200 integrations".
    assert!(
        lex.check("Over 300 customers rely on our integrations.", "")
            .conflicts
            .is_empty()
    );
    assert_eq!(
        lex.check("We offer 150 native integrations.", "").conflicts[0].value,
        150.0
    );
}

#[test]
fn another_language_is_not_mis_flagged() {
    let check = lexicon().check(
        "Wir verkürzen die Einarbeitungszeit um 50 Prozent und bieten garantierte Ergebnisse.",
        "",
    );
    assert!(check.claims.is_empty());
    assert!(check.conflicts.is_empty());
    assert!(check.pillars_hit.is_empty());
}

#[test]
fn empty_text() {
    let check = lexicon().check("", "");
    assert!(check.pillars_hit.is_empty() && check.claims.is_empty() && check.conflicts.is_empty());
    assert_eq!(check.pillars_missed.len(), 3);
    assert_eq!(check.score, 0.0);
}

#[test]
fn one_megabyte_sentence_of_numbers_is_linear() {
    // One sentence (no full stop) of numbers and evidence: each number looks at the evidence
    // next to it, not at all of the sentence's.
    let text = "API 40% ROI 3x, ".repeat(1_000_000 / 16 + 1);
    let began = std::time::Instant::now();
    let f = lexicon().analyze(&text);
    assert_eq!(f.numbers.len(), 2 * (1_000_000 / 16 + 1));
    assert!(
        f.numbers
            .iter()
            .step_by(2)
            .all(|n| n.pillar == "Integrations")
    );
    assert!(
        f.numbers
            .iter()
            .skip(1)
            .step_by(2)
            .all(|n| n.pillar == "Proven ROI")
    );
    assert!(
        began.elapsed().as_secs() < 60,
        "quadratic: {:?}",
        began.elapsed()
    );
}

#[test]
fn one_megabyte_text_is_linear() {
    let sentence = "Our API integrates with everything and we cut onboarding time by 40%. ";
    let n = 1_000_000 / sentence.len() + 1;
    let text = sentence.repeat(n);
    assert!(text.len() >= 1_000_000);
    let f = lexicon().analyze(&text);
    let integrations = f
        .pillars
        .iter()
        .find(|p| p.pillar == "Integrations")
        .expect("hit");
    assert_eq!(
        integrations.evidence.len(),
        2 * n,
        "API and integrates in every sentence"
    );
    assert_eq!(f.numbers.len(), n);
    assert!(f.numbers.iter().all(|x| x.approved == Some(true)));
}

#[test]
fn sample_workspace_inconsistencies_are_found() {
    let report = baton::analyze_dir(
        &baton_tests::repo_root().join("examples").join("acme"),
        None,
        true,
    )
    .expect("acme");
    let m = report.messaging.expect("messaging");
    // "cut onboarding in half" in the discovery-call talk track vs the approved 40%.
    let c = m
        .conflicts
        .iter()
        .find(|c| c.pillar == "Faster onboarding")
        .expect("conflict");
    assert!(
        c.found
            .iter()
            .any(|f| f.asset_id == "trk_discovery_call" && f.value == 50.0)
    );
    // Retired and banned claims still in use.
    let claim = |id: &str| {
        m.items
            .iter()
            .find(|i| i.asset_id == id)
            .map(|i| i.findings.claims.iter().map(|c| c.kind).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    assert_eq!(claim("trk_pricing_email"), vec!["retired"], "free forever");
    assert_eq!(
        claim("ast_launch_announcement"),
        vec!["retired"],
        "#1 rated workflow tool"
    );
    assert_eq!(
        claim("trk_cold_outbound"),
        vec!["banned"],
        "guaranteed results"
    );
    // Off-message items.
    assert!(m.off_message.contains(&"trk_renewal_call".to_string()));
    assert!(
        m.off_message
            .contains(&"ast_unused_infographic".to_string())
    );
    assert!((0.0..=100.0).contains(&m.consistency_score));
}

#[test]
fn phrases_that_stem_alike_give_one_piece_of_evidence() {
    // "integration", "integrations" and "integrates" all stem to "integr": one span each time
    // the words occur, not one per phrase; evidence that overlaps is merged.
    let lexicon = Lexicon::from_config(&Messaging {
        language: "english".into(),
        pillars: vec![Pillar {
            name: "Integrations".into(),
            description: String::new(),
            phrases: vec!["native integrations".into()],
            synonyms: vec!["integration".into(), "integrates".into()],
            audiences: vec![],
        }],
        retired_claims: vec![],
        banned: vec![],
        severity: Default::default(),
    })
    .expect("english");
    let check = lexicon.check("200 native integrations. It integrates.", "");
    let spans: Vec<(&str, usize, usize)> = check.pillars_hit[0]
        .evidence
        .iter()
        .map(|s| (s.text.as_str(), s.start, s.end))
        .collect();
    assert_eq!(
        spans,
        vec![("native integrations", 4, 23), ("integrates", 28, 38)]
    );
}
