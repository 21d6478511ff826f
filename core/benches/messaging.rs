//! The live message check on a 300-word email (target ≤ 1 ms).

use baton_core::config::{Messaging, Pillar};
use baton_core::messaging::Lexicon;
use criterion::{Criterion, criterion_group, criterion_main};

fn bench_check(c: &mut Criterion) {
    let pillar = |name: &str, description: &str, phrases: &[&str], synonyms: &[&str]| Pillar {
        name: name.into(),
        description: description.into(),
        phrases: phrases.iter().map(|s| s.to_string()).collect(),
        synonyms: synonyms.iter().map(|s| s.to_string()).collect(),
        audiences: vec![],
    };
    let lex = Lexicon::from_config(&Messaging {
        language: "english".into(),
        pillars: vec![
            pillar(
                "Faster onboarding",
                "Teams cut onboarding time by 40% and go live in 30 days.",
                &["cut onboarding time by 40%", "go live in 30 days"],
                &["onboarding", "time to value"],
            ),
            pillar(
                "Integrations",
                "More than 200 native integrations plus an open API.",
                &["200 native integrations", "open REST API"],
                &["integration", "API", "webhooks", "connect"],
            ),
            pillar(
                "Security",
                "SOC 2 Type II, SSO, encryption.",
                &["SOC 2 Type II", "enterprise-grade security"],
                &["security", "SSO", "encryption", "audit logs"],
            ),
            pillar(
                "ROI",
                "A 3x return on investment within 12 months.",
                &["3x return on investment", "3x ROI"],
                &["ROI", "savings", "payback"],
            ),
        ],
        retired_claims: vec!["#1 rated workflow tool".into(), "free forever".into()],
        banned: vec!["guaranteed results".into()],
        severity: Default::default(),
    })
    .expect("english");
    let paragraph = "Hi Dana, thanks for the call yesterday. As promised, here is a short summary of how teams like yours use Acme Flow. Most customers cut onboarding time by 40% and go live in about a month, because the platform integrates with the tools you already run: Salesforce, Slack, SAP and more than 200 native integrations, plus webhooks and an open REST API for everything else. Security teams like that we are SOC 2 Type II certified, support SSO and keep audit logs for every change. ";
    let email = paragraph.repeat(4);
    let words = email.split_whitespace().count();
    assert!((280..=340).contains(&words), "{words} words");
    c.bench_function("messaging/check_300_word_email", |b| {
        b.iter(|| lex.check(&email, "champion"))
    });
}

criterion_group!(benches, bench_check);
criterion_main!(benches);
