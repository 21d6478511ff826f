//! `baton check` on a generated content repository: 10,000 Markdown files of about 500 words
//! (headings, lists, links, emphasis, front matter; a retired claim or a conflicting number in
//! some), checked against acme's messaging on every core. Prints files/s and the total time.
//! `BATON_CHECK_FILES` changes the count.

use std::fmt::Write as _;
use std::time::Instant;

use baton::messaging_check::{self, Format};
use rand::{Rng, SeedableRng};

const SENTENCES: &[&str] = &[
    "Most customers cut onboarding time by 40% and go live in 30 days.",
    "The platform integrates with the tools you already run, with 200 native integrations.",
    "Security teams like that we are SOC 2 Type II certified and support SSO.",
    "Customers see a 3x return on investment within 12 months.",
    "Our quarterly roadmap review is open to every customer on the enterprise plan.",
    "Read how a logistics company rolled the product out to four regions in a single week.",
    "The team behind the release spent the summer talking to revenue operations leaders.",
    "Webhooks and an open REST API cover everything else your stack needs.",
    "Audit logs record every change, and encryption is on by default.",
    "Pricing is per seat, billed yearly, with a discount for nonprofits and schools.",
    "Join the webinar next Thursday to see the new forecasting views in action.",
    "Payback usually comes within the first two quarters of use.",
];

fn file(rng: &mut rand_pcg::Pcg64, i: usize) -> String {
    let mut out = String::new();
    let audience = ["champion", "economic_buyer", "end_user"][i % 3];
    let _ = write!(
        out,
        "---\ntitle: Post {i}\naudience: {audience}\n---\n# Post {i}: what teams learn\n\n"
    );
    let mut words = 0;
    while words < 500 {
        let s = SENTENCES[rng.random_range(0..SENTENCES.len())];
        words += s.split_whitespace().count();
        match rng.random_range(0..10) {
            0 => {
                let _ = write!(out, "\n## A section\n\n- {s}\n");
            }
            1 => {
                let _ = writeln!(
                    out,
                    "See [the guide](https://example.test/{i}) for *more*: {s}"
                );
            }
            _ => {
                let _ = write!(out, "{s} ");
            }
        }
        if rng.random_range(0..200) == 0 {
            out.push_str("It is free forever. ");
        }
        if rng.random_range(0..200) == 0 {
            out.push_str("Onboarding is cut by 70 percent. ");
        }
    }
    out.push('\n');
    out
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n: usize = std::env::var("BATON_CHECK_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("tmp");
    let mut rng = rand_pcg::Pcg64::seed_from_u64(7);
    let mut bytes = 0;
    for i in 0..n {
        let sub = dir.path().join(format!("d{:03}", i % 100));
        std::fs::create_dir_all(&sub).expect("dir");
        let text = file(&mut rng, i);
        bytes += text.len();
        std::fs::write(sub.join(format!("post-{i}.md")), text).expect("write");
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/acme");
    let framework = baton::workspace_dir::load_framework(&root).expect("acme");
    let lexicon =
        baton_core::messaging::Lexicon::from_config(&framework.config.messaging).expect("english");
    let began = Instant::now();
    let (files, skipped) = messaging_check::collect(&[dir.path().to_path_buf()]).expect("collect");
    let run = messaging_check::check(&lexicon, &files, skipped, None).expect("check");
    let text = messaging_check::render(&run, Format::Text);
    let secs = began.elapsed().as_secs_f64();
    println!(
        "baton check: {n} Markdown files ({:.1} MB, ~500 words each) in {secs:.2} s = {:.0} files/s on {} threads; {} findings, {} bytes of output",
        bytes as f64 / 1e6,
        n as f64 / secs,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        run.findings.len(),
        text.len()
    );
}
