//! `baton plugin check` and `baton plugin test`: what a plugin author runs before a workspace
//! uses the module.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use baton_core::config::{OnError, Plugin, PluginRole};
use baton_core::plugins::{parse_verdict, plugin_input};

use super::{HostOptions, PluginHost};
use crate::HostError;

/// A plugin entry for a module tried outside a workspace's `[[plugins]]`.
pub fn adhoc_plugin(file: &Path, role: PluginRole, params: serde_json::Value) -> Plugin {
    Plugin {
        name: file
            .file_stem()
            .map_or("plugin".into(), |s| s.to_string_lossy().into_owned()),
        path: file.display().to_string(),
        role,
        on_error: OnError::FailClosed,
        params,
        fuel: None,
        memory_mib: None,
        timeout_ms: None,
        max_output_bytes: None,
        max_functions: None,
        max_function_bytes: None,
        max_code_bytes: None,
        max_locals: None,
        max_nesting: None,
        max_operand_stack: None,
        compile_timeout_ms: None,
    }
}

fn host_for(plugin: &Plugin) -> Result<PluginHost, HostError> {
    let mut p = plugin.clone();
    // The file named on the command line is the one meant: its folder (symlinks resolved) is
    // the one it may be read from.
    let named = std::path::PathBuf::from(&p.path);
    let path = named.canonicalize().unwrap_or(named);
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    p.path = path
        .file_name()
        .map_or(String::new(), |f| f.to_string_lossy().into_owned());
    PluginHost::new(&[p], &base, HostOptions::default()).map_err(|e| HostError::Input(e.0))
}

/// Checks a module's size, format, imports, exports and ABI version, compiles it and asks it to
/// describe itself; `Err` names what is wrong.
pub fn check(file: &Path) -> Result<String, HostError> {
    let plugin = adhoc_plugin(file, PluginRole::Criterion, serde_json::json!({}));
    let host = host_for(&plugin)?;
    let loaded = &host.plugins()[0];
    if let Some(f) = loaded.refusal() {
        return Err(HostError::Input(format!(
            "{}: refused ({}): {}",
            file.display(),
            f.kind.as_str(),
            f.message
        )));
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: ok, Baton plugin ABI v{}",
        file.display(),
        baton_plugin::ABI_VERSION
    );
    if let Some(info) = &loaded.info {
        let _ = writeln!(
            out,
            "  size:    {} bytes (limit {} bytes)",
            info.bytes,
            super::MAX_MODULE_BYTES
        );
        let _ = writeln!(out, "  sha256:  {}", loaded.sha256);
        let _ = writeln!(
            out,
            "  imports: {}",
            if info.imports.is_empty() {
                "none".into()
            } else {
                info.imports.join(", ")
            }
        );
        let _ = writeln!(out, "  exports: {}", info.exports.join(", "));
        if let Some(pages) = info.memory_pages {
            let _ = writeln!(
                out,
                "  memory:  {pages} pages ({:.1} MiB) at start; limit {} MiB",
                pages as f64 * 65536.0 / 1048576.0,
                loaded.limits.memory_bytes / 1048576
            );
        }
    }
    let _ = writeln!(
        out,
        "  compile: {:.1} ms",
        loaded.load_time.as_secs_f64() * 1000.0
    );
    match host.describe(0) {
        Ok(d) => {
            let _ = writeln!(out, "  describe: {} {} (abi {})", d.name, d.version, d.abi);
            if !d.summary.is_empty() {
                let _ = writeln!(out, "  summary: {}", d.summary);
            }
            let _ = writeln!(out, "  params:  {}", d.params_schema);
            match &d.reads {
                None => {
                    let _ = writeln!(out, "  reads:   the whole input (no input query)");
                }
                Some(r) => {
                    if let Some(problem) = r.problem() {
                        return Err(HostError::Input(format!(
                            "{}: its description's input query is not valid: {problem}",
                            file.display()
                        )));
                    }
                    let _ = writeln!(out, "  reads:   {}", reads_summary(r));
                }
            }
            if d.abi != baton_plugin::ABI_VERSION {
                return Err(HostError::Input(format!(
                    "{}: describes itself as ABI v{} but exports the v{} marker",
                    file.display(),
                    d.abi,
                    baton_plugin::ABI_VERSION
                )));
            }
        }
        Err(f) => {
            return Err(HostError::Input(format!(
                "{}: the module loads but fails {{\"describe\": true}} ({}): {}",
                file.display(),
                f.kind.as_str(),
                f.message
            )));
        }
    }
    Ok(out)
}

/// What `baton plugin test` runs the module on.
pub enum TestInput<'a> {
    /// One JSON document (ABI v1 input).
    Json(String),
    /// Leads of a workspace folder.
    Workspace {
        /// The folder.
        dir: &'a Path,
        /// Lead ids; empty for the first `limit` leads.
        leads: &'a [String],
        /// How many leads when none are named (0 = all).
        limit: usize,
        /// `--as-of`.
        as_of: Option<&'a str>,
    },
}

/// Runs the module and prints each verdict with its fuel and time, then a summary.
pub fn test(mut plugin: Plugin, input: TestInput<'_>) -> Result<String, HostError> {
    let mut out = String::new();
    match input {
        TestInput::Json(text) => {
            serde_json::from_str::<serde_json::Value>(&text)
                .map_err(|e| HostError::Input(format!("--input is not JSON: {e}")))?;
            let host = host_for(&plugin)?;
            refused(&host)?;
            let began = Instant::now();
            let r = host.call(0, text.as_bytes());
            let micros = began.elapsed().as_secs_f64() * 1e6;
            match r.output {
                Ok(bytes) => {
                    let shown = match parse_verdict(&plugin, &bytes, 100.0) {
                        Ok(v) => serde_json::to_string(&v).unwrap_or_default(),
                        Err(f) => format!("{} ({})", String::from_utf8_lossy(&bytes), f.message),
                    };
                    let _ = writeln!(out, "{shown}");
                }
                Err(f) => {
                    let _ = writeln!(out, "failed ({}): {}", f.kind.as_str(), f.message);
                }
            }
            let _ = writeln!(out, "fuel {}  time {micros:.0} µs", r.fuel_used);
        }
        TestInput::Workspace {
            dir,
            leads,
            limit,
            as_of,
        } => {
            let ws = crate::workspace_dir::load_workspace(dir, true)?;
            let as_of = crate::resolve_as_of(&ws, as_of)?;
            // Take the workspace's params for this module when its baton.toml declares it.
            let file = std::fs::canonicalize(&plugin.path).ok();
            if let Some(declared) =
                ws.framework.config.plugins.iter().find(|p| {
                    file.is_some() && std::fs::canonicalize(dir.join(&p.path)).ok() == file
                })
            {
                let path = plugin.path.clone();
                plugin = declared.clone();
                plugin.path = path;
            }
            let model =
                baton_core::scoring::ScoringModel::compile(&ws).map_err(baton_core::Error::from)?;
            let host = host_for(&plugin)?;
            host.set_clock(as_of);
            refused(&host)?;
            let ixs: Vec<u32> = if leads.is_empty() {
                let n = if limit == 0 {
                    ws.leads.len()
                } else {
                    limit.min(ws.leads.len())
                };
                (0..n as u32).collect()
            } else {
                leads
                    .iter()
                    .map(|id| {
                        ws.lead_index(id).ok_or_else(|| {
                            HostError::Input(format!("no lead {id:?} in {}", dir.display()))
                        })
                    })
                    .collect::<Result<_, _>>()?
            };
            let max_score = ws.framework.config.scoring.max_score.unwrap_or(100.0);
            // The plugin's input query, as `baton analyze` asks it (`{"describe": true}`).
            let reads = baton_core::plugins::PluginRunner::reads(&host, 0);
            let mut times = Vec::with_capacity(ixs.len());
            let mut failures = std::collections::BTreeMap::<&'static str, u64>::new();
            let mut fuel_total = 0u64;
            let show = ixs.len() <= 50;
            let all = Instant::now();
            for &ix in &ixs {
                let id = ws.text(ws.leads[ix as usize].id).to_string();
                let began = Instant::now();
                let input = plugin_input(
                    &ws,
                    &model,
                    &plugin,
                    ix,
                    as_of,
                    host.max_input(0),
                    reads.as_ref(),
                );
                let (line, fuel) = match input {
                    Err(f) => {
                        *failures.entry(f.kind.as_str()).or_default() += 1;
                        (format!("failed ({}): {}", f.kind.as_str(), f.message), 0)
                    }
                    Ok(bytes) => {
                        let r = host.call(0, &bytes);
                        let line =
                            match r.output.and_then(|o| parse_verdict(&plugin, &o, max_score)) {
                                Ok(v) => serde_json::to_string(&v).unwrap_or_default(),
                                Err(f) => {
                                    *failures.entry(f.kind.as_str()).or_default() += 1;
                                    format!("failed ({}): {}", f.kind.as_str(), f.message)
                                }
                            };
                        (line, r.fuel_used)
                    }
                };
                let micros = began.elapsed().as_secs_f64() * 1e6;
                times.push(micros);
                fuel_total += fuel;
                if show {
                    let _ = writeln!(out, "{id}  fuel {fuel:>9}  {micros:>7.0} µs  {line}");
                }
            }
            let wall = all.elapsed().as_secs_f64();
            times.sort_by(f64::total_cmp);
            let median = times
                .get(times.len().saturating_sub(1) / 2)
                .copied()
                .unwrap_or(0.0);
            let failed: u64 = failures.values().sum();
            let _ = writeln!(
                out,
                "{} leads, {failed} failed{}; median {median:.1} µs per lead including the input's JSON; mean fuel {}; {:.0} verdicts/s on one thread",
                ixs.len(),
                if failures.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({})",
                        failures
                            .iter()
                            .map(|(k, n)| format!("{n} {k}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
                fuel_total / (ixs.len().max(1) as u64),
                ixs.len() as f64 / wall.max(1e-9)
            );
        }
    }
    Ok(out)
}

fn refused(host: &PluginHost) -> Result<(), HostError> {
    match host.plugins()[0].refusal() {
        Some(f) => Err(HostError::Input(format!(
            "{}: refused ({}): {}",
            host.plugins()[0].path.display(),
            f.kind.as_str(),
            f.message
        ))),
        None => Ok(()),
    }
}

/// A plugin's input query in a line: `attributes employees, country; events (type, age_days) of
/// the last 90 days; no stages; no score`.
fn reads_summary(r: &baton_plugin::Reads) -> String {
    let attributes = if r.attributes.is_empty() {
        "no attributes".to_string()
    } else {
        format!("attributes {}", r.attributes.join(", "))
    };
    let events = match (r.event_fields.is_empty(), r.events_within_days) {
        (true, _) => "no events".to_string(),
        (false, None) => format!("events ({})", r.event_fields.join(", ")),
        (false, Some(d)) => format!(
            "events ({}) of the last {d} days",
            r.event_fields.join(", ")
        ),
    };
    let stages = if r.stages { "stages" } else { "no stages" };
    let score = if r.score { "the score" } else { "no score" };
    format!("{attributes}; {events}; {stages}; {score}")
}
