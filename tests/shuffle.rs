//! File order and row order do not matter: a shuffled workspace gives the same report, byte for byte.

use std::path::Path;

use baton::generate::{GenOptions, generate};
use baton_core::{Framework, NoTexts, Workspace, load_from_memory};
use baton_tests::fixtures;

/// A small deterministic permutation source (xorshift64*).
struct Shuffler(u64);

impl Shuffler {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// The workspace's files with their data rows shuffled (header kept first), in shuffled file order.
fn shuffled_files(dir: &Path, seed: u64) -> Vec<(String, Vec<u8>)> {
    let mut rng = Shuffler(seed);
    let (paths, _) = baton::workspace_dir::data_files(dir).expect("list");
    let mut files: Vec<(String, Vec<u8>)> = paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("read");
            // Generated and fixture files have no quoted newlines, so lines are rows.
            let mut lines: Vec<&str> = text.lines().collect();
            let header = lines.remove(0);
            rng.shuffle(&mut lines);
            let mut out = String::from(header);
            out.push('\n');
            for l in lines {
                out.push_str(l);
                out.push('\n');
            }
            (
                p.file_name().expect("name").to_string_lossy().to_string(),
                out.into_bytes(),
            )
        })
        .collect();
    rng.shuffle(&mut files);
    files
}

fn load(dir: &Path, files: &[(String, Vec<u8>)]) -> Workspace {
    let toml = std::fs::read_to_string(dir.join("baton.toml")).expect("toml");
    let fw = Framework::from_toml("baton.toml", &toml).expect("config");
    load_from_memory(
        fw,
        files.iter().map(|(n, b)| (n.as_str(), b.as_slice())),
        &NoTexts,
    )
    .expect("loads")
}

fn report_json(ws: &Workspace) -> String {
    let as_of = ws.latest_timestamp().expect("data");
    baton_core::analyze(ws, as_of).expect("analysis").to_json()
}

/// Every table rendered as text, so canonical order is compared, not just counts.
fn tables(ws: &Workspace) -> String {
    let mut s = String::new();
    for l in &ws.leads {
        s += &format!("{} {}\n", ws.text(l.id), l.created_at);
    }
    for a in &ws.attributes {
        s += &format!(
            "{} {:?}\n",
            a.name,
            (0..ws.leads.len() as u32)
                .map(|i| format!("{:?}", a.values.get(i)))
                .collect::<Vec<_>>()
        );
    }
    for e in &ws.events {
        s += &format!(
            "{} {} {} {} {:?}\n",
            ws.text(ws.leads[e.lead as usize].id),
            e.ts,
            ws.text(e.kind),
            ws.text(e.channel),
            e.team
        );
    }
    for st in &ws.stages {
        s += &format!(
            "{} {} {}\n",
            ws.text(ws.leads[st.lead as usize].id),
            st.ts,
            ws.stage_names[st.stage as usize]
        );
    }
    for d in &ws.deals {
        s += &format!("{} {:?} {:?}\n", ws.text(d.id), d.status, d.amount);
    }
    s
}

#[test]
fn generated_workspace_is_order_independent() {
    let dir = tempfile::tempdir().expect("tmp");
    generate(
        &GenOptions {
            leads: 400,
            seed: 11,
            ..GenOptions::default()
        },
        dir.path(),
    )
    .expect("gen");
    let original = load(
        dir.path(),
        &shuffled_files(dir.path(), 0)
            .into_iter()
            .collect::<Vec<_>>(),
    );
    for seed in [1, 2, 3] {
        let shuffled = load(dir.path(), &shuffled_files(dir.path(), seed));
        assert_eq!(
            report_json(&original),
            report_json(&shuffled),
            "seed {seed}"
        );
        assert_eq!(tables(&original), tables(&shuffled), "seed {seed}");
    }
    // And through the CLI's folder loader.
    let from_disk = baton::workspace_dir::load_workspace(dir.path(), true).expect("disk");
    assert_eq!(report_json(&original), report_json(&from_disk));
}

#[test]
fn dirty_workspace_is_order_independent_but_for_line_numbers() {
    let dir = fixtures().join("dirty");
    let strip = |ws: &Workspace| {
        let mut v: serde_json::Value = serde_json::from_str(&report_json(ws)).expect("json");
        for file in v["data_quality"]["files"]
            .as_object_mut()
            .expect("files")
            .values_mut()
        {
            for list in ["rejections", "warnings"] {
                for f in file[list].as_array_mut().expect("list") {
                    f["lines"] = serde_json::Value::Null;
                    f["example"] = serde_json::Value::Null;
                }
            }
        }
        v
    };
    let original = load(&dir, &shuffled_files(&dir, 0));
    for seed in [5, 6, 7, 8] {
        let shuffled = load(&dir, &shuffled_files(&dir, seed));
        assert_eq!(strip(&original), strip(&shuffled), "seed {seed}");
        assert_eq!(tables(&original), tables(&shuffled), "seed {seed}");
    }
}
