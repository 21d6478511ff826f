//! The JS surface: the `Baton` class and errors as JS `Error`s with `code`, `file`, `line`, `key`.

use baton_core::{Error, IngestError, Workspace};
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

/// Parses JSON text produced by the engine into a JS value (maps become plain objects).
fn parsed(json: Result<String, Error>) -> Result<JsValue, JsValue> {
    let text = json.map_err(|e| js_error(&e))?;
    js_sys::JSON::parse(&text)
}

// A page's lead and its events handed over as one text, instead of two JSON texts parsed again:
// the members of each object as the JSON text would give them, or undefined for anything that
// reads otherwise in JSON (nested values, `toJSON`, integers past 2^53), which then goes the JSON
// way. Keys and strings are not searched here: the text starts with how many objects and members
// were written, and Rust declines it when a separator inside a key or string shows up as more
// (or as a second key end), or a lone surrogate as U+FFFD. Format: `live::lead_workspace_flat`.
#[wasm_bindgen(inline_js = r#"
let members = 0;
function member(key, value) {
  switch (typeof value) {
    case 'string': members++; return '\x1f' + key + '\x1ds' + value;
    case 'boolean': members++; return '\x1f' + key + '\x1dt' + value;
    case 'number':
      if (Number.isSafeInteger(value)) { members++; return '\x1f' + key + '\x1dt' + value; }
      if (!Number.isFinite(value)) { members++; return '\x1f' + key + '\x1dt'; }
      if (Number.isInteger(value)) return null;
      members++;
      return '\x1f' + key + '\x1dd' + value;
    case 'undefined': case 'function': case 'symbol': return '';
    default:
      if (value !== null) return null;
      members++;
      return '\x1f' + key + '\x1dt';
  }
}
function object(o) {
  if (o === null || typeof o !== 'object' || Array.isArray(o) || typeof o.toJSON === 'function'
      || Object.prototype.toString.call(o) !== '[object Object]') return null;
  let text = '\x1e';
  for (const key of Object.keys(o)) {
    const m = member(key, o[key]);
    if (m === null) return null;
    text += m;
  }
  return text;
}
export function flatten(lead, events) {
  members = 0;
  let text = object(lead);
  if (text === null) return undefined;
  let objects = 1;
  if (events !== undefined && events !== null) {
    if (!Array.isArray(events)) return undefined;
    for (let i = 0; i < events.length; i++) {
      const o = object(events[i]);
      if (o === null) return undefined;
      text += o;
    }
    objects += events.length;
  }
  return objects + ' ' + members + text;
}
"#)]
extern "C" {
    fn flatten(lead: &JsValue, events: &JsValue) -> Option<String>;
}

/// JSON text of a JS value given by the caller.
fn stringify(value: &JsValue, what: &str) -> Result<String, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(String::new());
    }
    js_sys::JSON::stringify(value)
        .map(String::from)
        .map_err(|_| js_sys::Error::new(&format!("{what}: not serializable to JSON")).into())
}

/// The engine for a configuration given as TOML text, or as an object with the same structure;
/// `tzif` holds the rules of its time zone (these builds carry no time-zone database).
fn engine_for(config: &JsValue, tzif: Option<&[u8]>) -> Result<MemoryWorkspace, JsValue> {
    if let Some(text) = config.as_string() {
        return MemoryWorkspace::with_zone(&text, tzif).map_err(|e| js_error(&e));
    }
    if config.is_undefined() || config.is_null() {
        return Ok(MemoryWorkspace::defaults());
    }
    let json = stringify(config, "config")?;
    MemoryWorkspace::from_config_json(&json, tzif).map_err(|e| js_error(&e))
}

/// The zone a configuration names that needs TZif bytes (any but UTC), if any.
fn zone_to_load(config: &JsValue) -> Option<String> {
    if let Some(text) = config.as_string() {
        return baton_core::config::zone_to_load(&text);
    }
    if !config.is_object() {
        return None;
    }
    let get = |o: &JsValue, k: &str| js_sys::Reflect::get(o, &JsValue::from_str(k)).ok();
    let zone = get(config, "workspace")
        .and_then(|w| get(&w, "timezone"))?
        .as_string()?;
    (!zone.eq_ignore_ascii_case("UTC")).then_some(zone)
}

impl Baton {
    /// The one-lead workspace of a page's lead and events: handed over flat and read straight
    /// when clean, else as JSON text through the general ingestion, which says what is wrong
    /// (objects `flatten` declines, a `Date` or another `toJSON` among them, are rare enough
    /// not to carry the JSON fast path in the package).
    fn lead_workspace(&self, lead: &JsValue, events: &JsValue) -> Result<Workspace, JsValue> {
        let (framework, facts) = (self.inner.framework(), self.inner.facts());
        if let Some(ws) = flatten(lead, events)
            .and_then(|flat| crate::live::lead_workspace_flat(framework, facts, &flat))
        {
            return Ok(ws);
        }
        let (lead, events) = (stringify(lead, "lead")?, stringify(events, "events")?);
        crate::live::lead_workspace_ingested(framework, facts, &lead, &events)
            .map_err(|e| js_error(&e))
    }
}

/// Baton's engine: give it `baton.toml` (text or object) and files, ask for the report, a
/// lead's score and qualification, a draft's message check, content, SLA clocks, attribution.
#[wasm_bindgen]
pub struct Baton {
    inner: MemoryWorkspace,
}

#[wasm_bindgen]
impl Baton {
    /// Creates an engine from `baton.toml` text or an object of the same shape (empty or
    /// undefined: every default). `timeZone` is the TZif file of its `[workspace] timezone`
    /// (the package ships them under `tz/`), needed for any zone but UTC.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "string | Config | undefined")] config: JsValue,
        #[wasm_bindgen(js_name = timeZone)] time_zone: Option<Vec<u8>>,
    ) -> Result<Baton, JsValue> {
        engine_for(&config, time_zone.as_deref()).map(|inner| Baton { inner })
    }

    /// The IANA zone a configuration names that needs TZif bytes (any but UTC), or undefined.
    #[wasm_bindgen(js_name = timeZoneOf)]
    pub fn time_zone_of(
        #[wasm_bindgen(unchecked_param_type = "string | Config | undefined")] config: JsValue,
    ) -> Option<String> {
        zone_to_load(&config)
    }

    /// Replaces the workspace files with `{name: text or Uint8Array}`.
    #[wasm_bindgen(js_name = loadWorkspace)]
    pub fn load_workspace(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Record<string, string | Uint8Array>")]
        files: &js_sys::Object,
    ) -> Result<(), JsValue> {
        let mut loaded = Vec::new();
        for entry in js_sys::Object::entries(files).iter() {
            let pair = js_sys::Array::from(&entry);
            let name = pair.get(0).as_string().unwrap_or_default();
            let value = pair.get(1);
            let bytes = match value.as_string() {
                Some(text) => text.into_bytes(),
                None => js_sys::Uint8Array::new(&value).to_vec(),
            };
            loaded.push((name, bytes));
        }
        self.inner
            .load_files(loaded.iter().map(|(n, b)| (n.as_str(), b.clone())));
        Ok(())
    }

    /// The analysis as an object (`report.json`); `asOf` defaults to the latest timestamp.
    #[wasm_bindgen(unchecked_return_type = "Report")]
    pub fn analyze(&self, as_of: Option<String>) -> Result<JsValue, JsValue> {
        parsed(self.inner.analyze_json(as_of.as_deref()))
    }

    /// One lead's score with its explanation and the values read with a caveat: `lead` has the
    /// `leads` columns, `events` the `events` columns (`lead_id` may be left out).
    #[wasm_bindgen(js_name = scoreLead, unchecked_return_type = "LiveScore")]
    pub fn score_lead(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] lead: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>[] | undefined")]
        events: JsValue,
        as_of: Option<String>,
    ) -> Result<JsValue, JsValue> {
        let ws = self.lead_workspace(&lead, &events)?;
        parsed(crate::live::score_workspace(&ws, as_of.as_deref()))
    }

    /// Every qualification set's verdict for one lead (passed, failed, what to ask) and its route.
    #[wasm_bindgen(unchecked_return_type = "Qualification")]
    pub fn qualify(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] lead: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>[] | undefined")]
        events: JsValue,
        as_of: Option<String>,
    ) -> Result<JsValue, JsValue> {
        let ws = self.lead_workspace(&lead, &events)?;
        parsed(crate::live::qualify_workspace(&ws, as_of.as_deref()))
    }

    /// Checks a draft against the messaging pillars; spans are UTF-16 offsets into `text`.
    #[wasm_bindgen(js_name = checkMessage, unchecked_return_type = "MessageCheck")]
    pub fn check_message(&self, text: &str, audience: Option<String>) -> Result<JsValue, JsValue> {
        parsed(
            self.inner
                .check_message_json(text, audience.as_deref().unwrap_or("")),
        )
    }

    /// The next assets to send a lead of the loaded workspace, with reasons.
    #[wasm_bindgen(js_name = nextBestContent, unchecked_return_type = "Suggestion[]")]
    pub fn next_best_content(
        &self,
        lead_id: &str,
        as_of: Option<String>,
    ) -> Result<JsValue, JsValue> {
        let ws = self.inner.workspace().map_err(|e| js_error(&e))?;
        parsed(crate::live::next_best_content(
            ws,
            lead_id,
            as_of.as_deref(),
        ))
    }

    /// A lead's SLA clocks at `now` in business hours (loaded workspace).
    #[wasm_bindgen(js_name = slaClock, unchecked_return_type = "SlaClock[]")]
    pub fn sla_clock(&self, lead_id: &str, now: Option<String>) -> Result<JsValue, JsValue> {
        let ws = self.inner.workspace().map_err(|e| js_error(&e))?;
        parsed(crate::live::sla_clock(ws, lead_id, now.as_deref()))
    }

    /// Multi-touch attribution over given paths: `[{touches: [{channel, team?, days_before_end?}],
    /// converted, revenue?}]`.
    #[wasm_bindgen(unchecked_return_type = "Attribution")]
    pub fn attribution(
        &self,
        #[wasm_bindgen(unchecked_param_type = "AttributionPath[]")] paths: JsValue,
    ) -> Result<JsValue, JsValue> {
        let paths = stringify(&paths, "paths")?;
        parsed(crate::live::attribution(self.inner.framework(), &paths))
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
