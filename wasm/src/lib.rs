//! Baton in the browser and in Node: a `Baton` class over `baton-core`.
//!
//! The class holds a validated configuration and the files handed to it; `analyzeJson` returns
//! the same `report.json` text, byte for byte, as `baton analyze` on the same files. WASM
//! plugins are a native-host feature: in the browser only declarative rules run.

#[cfg(target_arch = "wasm32")]
mod bindings;

use baton_core::{Error, Framework, TextSource, classify_file};

/// A workspace assembled in memory: configuration, data files, and the texts assets refer to.
#[derive(Debug, Clone)]
pub struct MemoryWorkspace {
    framework: Framework,
    data: Vec<(String, Vec<u8>)>,
    texts: Vec<(String, String)>,
}

impl MemoryWorkspace {
    /// A workspace with this `baton.toml` text (empty for the defaults).
    pub fn new(config_toml: &str) -> Result<Self, Error> {
        Ok(Self {
            framework: Framework::from_toml("baton.toml", config_toml)?,
            data: Vec::new(),
            texts: Vec::new(),
        })
    }

    /// Adds a file: a data file by its name (`events.csv`, ...), any other name as an asset text.
    pub fn add_file(&mut self, name: &str, bytes: Vec<u8>) {
        if classify_file(name).is_some() {
            self.data.push((name.to_string(), bytes));
        } else {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            self.texts.push((name.to_string(), text));
        }
    }

    /// Runs the analysis and returns `report.json`'s text; `as_of` defaults to the latest timestamp.
    pub fn analyze_json(&self, as_of: Option<&str>) -> Result<String, Error> {
        let workspace = baton_core::load_from_memory(
            self.framework.clone(),
            self.data.iter().map(|(n, b)| (n.as_str(), b.as_slice())),
            self,
        )?;
        let as_of = match as_of {
            Some(text) => baton_core::time::TimeParser::new(workspace.framework.tz.clone())
                .parse(text)
                .map(|(i, _)| i)
                .map_err(|_| Error::BadTime {
                    what: "asOf".into(),
                    text: text.into(),
                })?,
            None => workspace.latest_timestamp().ok_or_else(|| Error::BadTime {
                what: "asOf (the workspace has no timestamps)".into(),
                text: String::new(),
            })?,
        };
        Ok(baton_core::analyze(&workspace, as_of)?.to_json())
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
}
