//! Input that would cost too much, or that configuration should never accept: each is linear,
//! bounded, or refused with its key and line.

use std::time::{Duration, Instant};

use baton_core::{FileKind, Format, Framework, Loader, NoTexts};

fn refused(toml: &str, key: &str, words: &str) {
    let err = Framework::from_toml("baton.toml", toml)
        .expect_err("refused")
        .to_string();
    assert!(err.contains(&format!("`{key}`")), "{err:?} lacks key {key}");
    assert!(err.contains(words), "{err:?} lacks {words:?}");
}

#[test]
fn numbers_configuration_should_never_accept_are_refused() {
    let rule = |extra: &str| {
        format!(
            "[[scoring.rules]]\nname = \"r\"\nkind = \"engagement\"\n{extra}\nwhen = {{ fact = \"event.type\", operator = \"eq\", value = \"x\" }}\n"
        )
    };
    refused(
        &rule("points = 1e308"),
        "scoring.rules.0.points",
        "must be a finite number from -1e9 to 1e9",
    );
    refused(
        &rule("points = 5\nmax_points = -1"),
        "scoring.rules.0.max_points",
        "must be a finite number from 0 to 1e9",
    );
    refused(
        "[scoring]\nmin_score = 10\nmax_score = 5\n",
        "scoring.min_score",
        "min_score = 10 is above max_score = 5",
    );
    refused(
        "[calendar]\ndays = []\n",
        "calendar.days",
        "needs at least one working day",
    );
    refused(
        "[[qualification.sets]]\nname = \"BANT\"\n[[qualification.sets.criteria]]\nname = \"a\"\nwhen = { fact = \"employees\", operator = \"gt\", value = 1 }\n[[qualification.sets]]\nname = \"BANT\"\n[[qualification.sets.criteria]]\nname = \"b\"\nwhen = { fact = \"employees\", operator = \"gt\", value = 1 }\n",
        "qualification.sets.1.name",
        "set \"BANT\" is declared twice",
    );
    let err = Framework::from_toml("baton.toml", "[calendar]\ndays = []\n")
        .expect_err("refused")
        .to_string();
    assert!(err.starts_with("baton.toml:2:"), "{err}");
}

#[test]
fn ten_thousand_criteria_in_one_set_are_refused_at_once() {
    let mut toml = String::from("[[qualification.sets]]\nname = \"Huge\"\n");
    for i in 0..10_000 {
        toml.push_str(&format!(
            "[[qualification.sets.criteria]]\nname = \"c{i}\"\nwhen = {{ fact = \"employees\", operator = \"gt\", value = {i} }}\n"
        ));
    }
    let began = Instant::now();
    refused(
        &toml,
        "qualification.sets.0.criteria",
        "has 10000 criteria; the limit is 1000",
    );
    assert!(
        began.elapsed() < Duration::from_secs(20),
        "{:?}",
        began.elapsed()
    );
}

#[test]
fn a_counted_repetition_regex_is_refused_at_load() {
    let toml = "[[scoring.rules]]\nname = \"r\"\nkind = \"fit\"\npoints = 5\nwhen = { fact = \"title\", operator = \"matches\", value = \"a{100}{100}b\" }\n";
    let began = Instant::now();
    refused(
        toml,
        "scoring.rules.0.when",
        "larger than 65536 bytes compiled",
    );
    assert!(began.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_regex_reads_a_bounded_window_of_a_long_value() {
    let toml = "[[scoring.rules]]\nname = \"r\"\nkind = \"fit\"\npoints = 5\nwhen = { fact = \"title\", operator = \"matches\", value = \"(a|b)*c{20}\" }\n";
    let framework = Framework::from_toml("baton.toml", toml).expect("config");
    let mut loader = Loader::new(framework);
    let long = "ab".repeat(500_000);
    let leads = format!("lead_id,created_at,title\nL1,2026-01-01T00:00:00Z,{long}\n");
    loader
        .add(FileKind::Leads, "leads.csv", Format::Csv, leads.as_bytes())
        .expect("leads");
    let ws = loader.finish(&NoTexts).expect("workspace");
    let began = Instant::now();
    let model = baton_core::scoring::ScoringModel::compile(&ws).expect("compiles");
    let score = baton_core::scoring::score_lead(&model, &ws, 0, baton_core::Instant(0));
    assert_eq!(score.score, 0.0);
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "{:?}",
        began.elapsed()
    );
}

#[test]
fn stemming_a_megabyte_token_is_linear() {
    let analyzer = baton_core::text::Analyzer::new("english").expect("english");
    let text = "y".repeat(1 << 20);
    let began = Instant::now();
    let tokens = analyzer.tokens(&text);
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].stem.len(), 1 << 20);
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "{:?}",
        began.elapsed()
    );
}

#[test]
fn ndjson_objects_with_100k_keys_are_rejected_at_once() {
    let mut line = String::from("{\"lead_id\":\"L1\",\"created_at\":\"2026-01-01T00:00:00Z\"");
    for i in 0..100_000 {
        line.push_str(&format!(",\"k{i}\":{i}"));
    }
    line.push_str("}\n{\"lead_id\":\"L2\",\"created_at\":\"2026-01-01T00:00:00Z\"}\n");
    let began = Instant::now();
    let mut loader = Loader::new(Framework::default());
    loader
        .add(
            FileKind::Leads,
            "leads.ndjson",
            Format::Ndjson,
            line.as_bytes(),
        )
        .expect("readable");
    let ws = loader.finish(&NoTexts).expect("workspace");
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "{:?}",
        began.elapsed()
    );
    let q = serde_json::to_value(&ws.data_quality).expect("json");
    let leads = &q["files"]["leads"];
    assert_eq!(
        (leads["rows"].as_u64(), leads["rejected"].as_u64()),
        (Some(2), Some(1)),
        "{leads}"
    );
    let example = leads["rejections"][0]["example"].as_str().expect("example");
    assert!(example.contains("more than 5000 keys"), "{example}");
}

#[test]
fn a_csv_with_100k_columns_is_refused_naming_the_limit() {
    let mut header = String::from("lead_id,created_at");
    for i in 0..100_000 {
        header.push_str(&format!(",c{i}"));
    }
    header.push_str("\nL1,2026-01-01T00:00:00Z\n");
    let began = Instant::now();
    let mut loader = Loader::new(Framework::default());
    let err = loader
        .add(FileKind::Leads, "leads.csv", Format::Csv, header.as_bytes())
        .expect_err("refused")
        .to_string();
    assert!(err.contains("100002 columns; the limit is 5000"), "{err}");
    assert!(began.elapsed() < Duration::from_secs(10));
}

#[test]
fn one_far_future_date_is_named_when_it_sets_as_of() {
    let mut loader = Loader::new(Framework::default());
    loader
        .add(
            FileKind::Leads,
            "leads.csv",
            Format::Csv,
            &b"lead_id,created_at\nL1,2026-01-01T00:00:00Z\nL2,2026-02-01T00:00:00Z\nL3,9999-12-30T00:00:00Z\n"[..],
        )
        .expect("leads");
    let ws = loader.finish(&NoTexts).expect("workspace");
    let far = ws.far_latest_timestamp(366).expect("far");
    assert_eq!(far.row, "leads.csv line 4 (lead L3)");
    assert_eq!(far.next.to_string(), "2026-02-01T00:00:00Z");
    let mut loader = Loader::new(Framework::default());
    loader
        .add(
            FileKind::Leads,
            "leads.csv",
            Format::Csv,
            &b"lead_id,created_at\nL1,2026-01-01T00:00:00Z\nL2,2026-02-01T00:00:00Z\n"[..],
        )
        .expect("leads");
    let ws = loader.finish(&NoTexts).expect("workspace");
    assert_eq!(ws.far_latest_timestamp(366), None);
}
