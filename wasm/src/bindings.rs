//! The JS surface: the `Baton` class and errors as JS `Error`s with `code`, `file`, `line`, `key`.

use baton_core::{Error, IngestError};
use wasm_bindgen::prelude::*;

use crate::MemoryWorkspace;

/// Turns an engine error into a JS `Error` carrying a machine-readable `code` and its location.
fn js_error(e: &Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    let set = |k: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(&err, &JsValue::from_str(k), &v);
    };
    set("code", JsValue::from_str(e.code()));
    match e {
        Error::Config(c) => {
            set("file", JsValue::from_str(&c.file));
            set("line", JsValue::from_f64(c.line as f64));
            set("key", JsValue::from_str(&c.key));
        }
        Error::Ingest(IngestError::MissingColumn { file, column, .. }) => {
            set("file", JsValue::from_str(file));
            set("column", JsValue::from_str(column));
        }
        Error::Ingest(IngestError::Unreadable { file, .. }) | Error::UnknownFile(file) => {
            set("file", JsValue::from_str(file));
        }
        _ => {}
    }
    err.into()
}

/// Baton's engine: give it `baton.toml` text and files, ask for the report.
#[wasm_bindgen]
pub struct Baton {
    inner: MemoryWorkspace,
}

#[wasm_bindgen]
impl Baton {
    /// Creates an engine from `baton.toml` text (empty string: every default).
    #[wasm_bindgen(constructor)]
    pub fn new(config_toml: &str) -> Result<Baton, JsValue> {
        MemoryWorkspace::new(config_toml)
            .map(|inner| Baton { inner })
            .map_err(|e| js_error(&e))
    }

    /// Adds a workspace file (`leads.csv`, `events.ndjson`, ... or an asset text by its path).
    #[wasm_bindgen(js_name = addFile)]
    pub fn add_file(&mut self, name: &str, bytes: &[u8]) {
        self.inner.add_file(name, bytes.to_vec());
    }

    /// Analyses the files and returns `report.json` as text (identical to the CLI's).
    #[wasm_bindgen(js_name = analyzeJson)]
    pub fn analyze_json(&self, as_of: Option<String>) -> Result<String, JsValue> {
        self.inner
            .analyze_json(as_of.as_deref())
            .map_err(|e| js_error(&e))
    }
}
