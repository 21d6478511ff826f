//! Predictive scoring: the logistic fit equals scikit-learn's, AUC equals roc_auc_score, the model
//! beats the rules on realistic data, is calibrated, and says so when the data carries no signal.

use baton_core::predictive::{Model, SparseRows, TrainOptions, auc, fit_logistic};
use baton_tests::{fixtures, repo_root};

fn read_fixture() -> (Vec<f64>, Vec<f64>) {
    let text = std::fs::read_to_string(fixtures().join("logistic").join("data.csv")).expect("data");
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for line in text.lines().skip(1) {
        let v: Vec<f64> = line
            .split(',')
            .map(|s| s.parse().expect("number"))
            .collect();
        x.extend_from_slice(&v[..3]);
        y.push(v[3]);
    }
    (x, y)
}

#[test]
fn logistic_fit_matches_scikit_learn() {
    // sklearn 1.9.1: LogisticRegression(C=1.0, tol=1e-12).fit(X, y) on tests/fixtures/logistic/data.csv
    let (x, y) = read_fixture();
    let rows = SparseRows::from_dense(&x, 3);
    let (b0, b, _) = fit_logistic(&rows, &y, 3, &[1.0, 1.0, 1.0]);
    let expected = [
        1.142_946_320_613_238_2,
        -0.262_768_000_411_413_46,
        0.465_199_089_112_027_45,
    ];
    assert!((b0 - -1.219_157_181_285_141_4).abs() < 1e-6, "{b0}");
    for (got, want) in b.iter().zip(expected) {
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
    }
    // roc_auc_score(y, predict_proba(X)[:, 1]) == 0.7994717977740048
    let probs: Vec<f64> = x
        .chunks(3)
        .map(|r| 1.0 / (1.0 + (-(b0 + r[0] * b[0] + r[1] * b[1] + r[2] * b[2])).exp()))
        .collect();
    let labels: Vec<bool> = y.iter().map(|&v| v == 1.0).collect();
    let a = auc(&probs, &labels).expect("both classes");
    assert!((a - 0.799_471_797_774_004_8).abs() < 1e-12, "{a}");
}

#[test]
fn auc_with_ties_counts_half() {
    // Positives 0.8, 0.5; negatives 0.5, 0.2: pairs (0.8>0.5, 0.8>0.2, 0.5=0.5, 0.5>0.2) = 3.5 / 4.
    assert_eq!(
        auc(&[0.8, 0.5, 0.5, 0.2], &[true, true, false, false]),
        Some(0.875)
    );
    assert_eq!(auc(&[0.1, 0.2], &[true, true]), None);
}

#[test]
fn model_beats_rules_on_the_sample_and_is_calibrated() {
    let ws = baton::workspace_dir::load_workspace(&repo_root().join("examples").join("acme"), true)
        .expect("acme");
    let as_of = ws.latest_timestamp().expect("data");
    let model = Model::train(&ws, as_of, &TrainOptions::default()).expect("trains");
    let r = &model.report;
    let (auc, rules) = (r.auc.expect("auc"), r.rule_score_auc.expect("rule auc"));
    assert!(auc > rules, "model {auc} vs rules {rules}");
    assert!(!r.no_signal);
    assert_eq!(r.calibration.len(), 10);
    assert_eq!(r.calibration.iter().map(|b| b.n).sum::<u64>(), r.holdout.0);
    // Calibrated: over the holdout the mean prediction is close to the observed rate.
    let predicted: f64 = r
        .calibration
        .iter()
        .map(|b| b.predicted * b.n as f64)
        .sum::<f64>()
        / r.holdout.0 as f64;
    let observed = r.holdout.1 as f64 / r.holdout.0 as f64;
    assert!(
        (predicted - observed).abs() < 0.05,
        "{predicted} vs {observed}"
    );
    // The JSON artifact round-trips and applies with an explanation.
    let back = Model::from_json(&model.to_json()).expect("parses");
    assert_eq!(back, model);
    let lead = ws.lead_index("L0000003").expect("lead");
    let p = back.probability(&ws, lead, as_of);
    assert!((0.0..1.0).contains(&p));
    let explained = back.explain(&ws, lead, as_of);
    let z: f64 = back.intercept + explained.iter().map(|(_, c)| c).sum::<f64>();
    assert!(
        (1.0 / (1.0 + (-z).exp()) - p).abs() < 1e-4,
        "contributions add up to the probability"
    );
}

#[test]
fn no_signal_is_reported() {
    // Stage histories shuffled across leads: outcomes no longer relate to the leads' features.
    let dir = tempfile::tempdir().expect("tmp");
    baton::generate::generate(
        &baton::generate::GenOptions {
            leads: 4000,
            seed: 31,
            ..Default::default()
        },
        dir.path(),
    )
    .expect("gen");
    let stages = std::fs::read_to_string(dir.path().join("stages.csv")).expect("stages");
    let shuffled: String = stages
        .lines()
        .enumerate()
        .map(|(i, line)| {
            if i == 0 {
                return format!("{line}\n");
            }
            let (id, rest) = line.split_once(',').expect("row");
            let n: u64 = id[1..].parse().expect("id");
            // A fixed bijection on 1..=4000 that scatters neighbours.
            let m = (n * 2_654_435_761 % 4001).max(1);
            format!("L{m:07},{rest}\n")
        })
        .collect();
    std::fs::write(dir.path().join("stages.csv"), shuffled).expect("write");
    std::fs::remove_file(dir.path().join("deals.csv")).expect("rm");
    std::fs::remove_file(dir.path().join("feedback.csv")).expect("rm");
    let ws = baton::workspace_dir::load_workspace(dir.path(), true).expect("loads");
    let as_of = ws.latest_timestamp().expect("data");
    let model = Model::train(&ws, as_of, &TrainOptions::default()).expect("trains");
    assert!(
        model.report.no_signal,
        "{:?} {:?}",
        model.report.auc, model.report.auc_interval
    );
    assert!(
        model.report.verdict.starts_with("no signal"),
        "{}",
        model.report.verdict
    );
}
