//! Baton's native host: everything that touches the OS around the pure `baton-core` engine —
//! workspace folders, the CLI's commands, report files, CRM importers and the data generator.

pub mod atomic;
pub mod error;
pub mod files;
pub mod generate;
pub mod html;
pub mod import;
pub mod messaging_check;
pub mod output;
pub mod plugins;
pub mod service;
pub mod text_encoding;
pub mod widget_program;
pub mod workspace_dir;

use std::path::Path;

use baton_core::report::AnalysisOptions;
use baton_core::{Instant, Report, Workspace};

pub use error::HostError;

/// A latest timestamp more than this many days after all the others is warned about.
pub use baton_core::live::FAR_TIMESTAMP_DAYS;

/// Resolves `--as-of` ([`baton_core::live::resolve_as_of`]): RFC 3339 or local time in the
/// workspace zone; default the data's latest timestamp, with a warning on stderr when one row's
/// timestamp lies far beyond all the others.
pub fn resolve_as_of(workspace: &Workspace, as_of: Option<&str>) -> Result<Instant, HostError> {
    use baton_core::live::AsOfError;
    let resolved = baton_core::live::resolve_as_of(workspace, as_of).map_err(|e| match e {
        AsOfError::Unreadable(text) => HostError::Core(baton_core::Error::BadTime {
            what: "--as-of".into(),
            text,
        }),
        AsOfError::NoTimestamps(why) => HostError::Input(format!(
            "the workspace has no timestamps to take `as_of` from: {why}; fix those rows, or pass --as-of"
        )),
    })?;
    if resolved.from_data
        && let Some(row) = workspace.latest_row()
    {
        eprintln!(
            "as_of: {}, the latest timestamp of something that happened ({row}; an open deal's expected close date does not count); pass --as-of to choose another",
            resolved.at
        );
    }
    if let Some(far) = resolved.far(workspace) {
        eprintln!(
            "warning: as_of is taken from the latest timestamp, {} in {}, which lies {} days after every other timestamp (the next is {}); pass --as-of if that row is wrong",
            far.at,
            far.row,
            (far.at.0 - far.next.0) / 86_400_000_000,
            far.next
        );
    }
    Ok(resolved.at)
}

/// Loads a workspace folder and analyses it with default options.
pub fn analyze_dir(dir: &Path, as_of: Option<&str>, quiet: bool) -> Result<Report, HostError> {
    Ok(analyze_dir_with(dir, as_of, &AnalysisOptions::default(), None, quiet)?.report)
}

/// What `baton analyze` writes: the report and the per-lead CSV files.
#[derive(Debug, Clone)]
pub struct Analyzed {
    /// `report.json`.
    pub report: Report,
    /// `handoffs.csv`.
    pub handoffs_csv: String,
    /// `scored_leads.csv`.
    pub scored_leads_csv: String,
}

/// Loads a workspace folder and analyses it (what `baton analyze` does before writing).
pub fn analyze_dir_with(
    dir: &Path,
    as_of: Option<&str>,
    options: &AnalysisOptions,
    model: Option<&baton_core::predictive::Model>,
    quiet: bool,
) -> Result<Analyzed, HostError> {
    let workspace = workspace_dir::load_workspace(dir, quiet)?;
    let as_of = resolve_as_of(&workspace, as_of)?;
    let host = if options.skip_plugins {
        None
    } else {
        load_plugins(&workspace, dir)?
    };
    let began = std::time::Instant::now();
    let analyzed = analyze_workspace(&workspace, as_of, options, model, host.as_ref())?;
    if let Some(h) = &host {
        eprint!("{}", plugin_summary(h, &analyzed.report.plugins));
    }
    if std::env::var_os("BATON_TIMINGS").is_some() {
        eprintln!("timing: analysis: {:.2} s", began.elapsed().as_secs_f64());
    }
    Ok(analyzed)
}

/// Analyses a loaded workspace at `as_of` with the plugin host given (what `baton analyze`
/// and the service's `GET /v1/report` both run).
pub fn analyze_workspace(
    workspace: &Workspace,
    as_of: Instant,
    options: &AnalysisOptions,
    model: Option<&baton_core::predictive::Model>,
    host: Option<&plugins::PluginHost>,
) -> Result<Analyzed, HostError> {
    let host = host.filter(|_| !options.skip_plugins);
    if let Some(h) = host {
        h.set_clock(as_of);
    }
    let runner = host.map(|h| h as &dyn baton_core::plugins::PluginRunner);
    let mut analysis = baton_core::report::run(workspace, as_of, options, runner)?;
    analysis.report.scoring.model = model.map(|m| m.report.clone());
    let handoffs_csv = baton_core::handoff::handoffs_csv(workspace, &analysis.handoff_rows);
    let probabilities = model.map(|m| m.probabilities(workspace, as_of));
    let scored_leads_csv = baton_core::scoring::scored_leads_csv(
        workspace,
        &analysis.scoring_model,
        as_of,
        &analysis.verdicts,
        &analysis.routes,
        probabilities.as_deref(),
        analysis
            .plugin_notes
            .as_ref()
            .map(|notes| baton_core::scoring::PluginColumns {
                final_scores: analysis.scores.iter().map(|s| s.score).collect(),
                notes,
            })
            .as_ref(),
    );
    Ok(Analyzed {
        report: analysis.report,
        handoffs_csv,
        scored_leads_csv,
    })
}

/// The card of one lead of a workspace folder at `as_of` (`baton card`): what the service's
/// `GET /v1/leads/{id}` answers on the same data.
pub fn card_dir(
    dir: &Path,
    lead: &str,
    as_of: Option<&str>,
    skip_plugins: bool,
) -> Result<baton_core::live::LeadCard, HostError> {
    let ws = workspace_dir::load_workspace(dir, true)?;
    let as_of = resolve_as_of(&ws, as_of)?;
    if ws.lead_index(lead).is_none() {
        return Err(HostError::Input(format!(
            "no lead {lead:?} in {}",
            dir.display()
        )));
    }
    let host = if skip_plugins {
        None
    } else {
        load_plugins(&ws, dir)?
    };
    if let Some(h) = &host {
        h.set_clock(as_of);
    }
    let outcomes = baton_core::outcomes::Outcomes::new(&ws, as_of);
    let content = baton_core::content::content_report(&ws, as_of, &outcomes);
    let context = baton_core::live::CardContext {
        content: &content,
        assets: None,
        plugins: host
            .as_ref()
            .map(|h| h as &dyn baton_core::plugins::PluginRunner),
        route: None,
    };
    Ok(baton_core::live::lead_card(&ws, lead, as_of, &context)?)
}

/// Analyses the rows of a service's store (`baton analyze --database`), with the folder's
/// configuration, plugins and assets: the report `GET /v1/report` gives.
pub fn analyze_store(
    dir: &Path,
    database: &str,
    as_of: Option<&str>,
    options: &AnalysisOptions,
    model: Option<&baton_core::predictive::Model>,
) -> Result<Analyzed, HostError> {
    let framework = std::sync::Arc::new(workspace_dir::load_framework(dir)?);
    let assets = service::snapshot::assets_file(dir)?;
    let files = service::block_on(async {
        let store = service::store::Store::open(dir, Some(database))
            .await
            .map_err(service::store_error)?;
        let files = store
            .scan(service::snapshot::Files::default())
            .await
            .map_err(service::store_error);
        store.close().await;
        files
    })??;
    let workspace = service::snapshot::workspace_of_files(
        &framework,
        files.finish(&framework.config.rule_attributes()),
        assets.as_ref(),
        &workspace_dir::DirTexts::new(dir),
    )?;
    let as_of = resolve_as_of(&workspace, as_of)?;
    let host = if options.skip_plugins {
        None
    } else {
        load_plugins(&workspace, dir)?
    };
    let analyzed = analyze_workspace(&workspace, as_of, options, model, host.as_ref())?;
    if let Some(h) = &host {
        eprint!("{}", plugin_summary(h, &analyzed.report.plugins));
    }
    Ok(analyzed)
}

/// Reads a model written by `baton train`.
pub fn load_model(path: &Path) -> Result<baton_core::predictive::Model, HostError> {
    let text = std::fs::read_to_string(path).map_err(|e| HostError::io(path, e))?;
    baton_core::predictive::Model::from_json(&text)
        .map_err(|e| HostError::Input(format!("{}: {e}", path.display())))
}

/// Scores every lead of a workspace folder: the text of `scored_leads.csv`. Scores,
/// verdicts, routes and a model's probabilities read leads and events only; the stages, deals
/// and feedback are read too when `as_of` is not given (the data's latest timestamp is the
/// default), assets never.
pub fn score_dir(
    dir: &Path,
    as_of: Option<&str>,
    model: Option<&baton_core::predictive::Model>,
    quiet: bool,
) -> Result<String, HostError> {
    use baton_core::FileKind;
    let ws = workspace_dir::load_workspace_of(dir, quiet, |kind| match kind {
        FileKind::Leads | FileKind::Events => true,
        FileKind::Stages | FileKind::Deals | FileKind::Feedback => as_of.is_none(),
        FileKind::Assets => false,
    })?;
    let as_of = resolve_as_of(&ws, as_of)?;
    let scoring =
        baton_core::scoring::ScoringModel::compile(&ws).map_err(baton_core::Error::from)?;
    let qualification = baton_core::qualification::QualificationModel::compile(&ws)
        .map_err(baton_core::Error::from)?;
    let routing =
        baton_core::qualification::RoutingModel::compile(&ws).map_err(baton_core::Error::from)?;
    let leads = 0..ws.leads.len() as u32;
    let verdicts: Vec<_> = leads
        .map(|l| qualification.qualify(&ws, l, as_of, &baton_core::qualification::NoPlugins))
        .collect();
    let routes = routing.route_all(&ws, as_of);
    let probabilities: Option<Vec<f64>> = model.map(|m| m.probabilities(&ws, as_of));
    Ok(baton_core::scoring::scored_leads_csv(
        &ws,
        &scoring,
        as_of,
        &verdicts,
        &routes,
        probabilities.as_deref(),
        None,
    ))
}

/// Loads the workspace's `[[plugins]]` (paths relative to `dir`); `None` when it declares none.
pub fn load_plugins(
    workspace: &Workspace,
    dir: &Path,
) -> Result<Option<plugins::PluginHost>, HostError> {
    let declared = &workspace.framework.config.plugins;
    if declared.is_empty() {
        return Ok(None);
    }
    let options = plugins::HostOptions {
        shared_dirs: workspace.framework.config.workspace.plugin_dirs.clone(),
        ..plugins::HostOptions::default()
    };
    let host =
        plugins::PluginHost::new(declared, dir, options).map_err(|e| HostError::Input(e.0))?;
    for p in host.plugins() {
        if let Some(f) = p.refusal() {
            eprintln!(
                "warning: plugin {:?} ({}) is refused, every lead gets its on_error policy ({}): {}",
                p.config.name,
                p.path.display(),
                p.config.on_error.as_str(),
                f.message
            );
        }
    }
    Ok(Some(host))
}

/// The stderr summary of a run's plugins: calls, verdicts, failures by kind with examples, fuel
/// and time per call.
pub fn plugin_summary(
    host: &plugins::PluginHost,
    summaries: &[baton_core::plugins::PluginSummary],
) -> String {
    let mut out = String::new();
    for (p, s) in host.plugins().iter().zip(summaries) {
        let (calls, micros) = p.timing();
        let cache = match p.cache {
            Some(plugins::cache::CacheOutcome::Hit) => "cached code",
            Some(plugins::cache::CacheOutcome::Stored) => "compiled, now cached",
            Some(plugins::cache::CacheOutcome::Compiled) => "compiled",
            None => "not loaded",
        };
        let verdicts = match s.role {
            baton_core::config::PluginRole::Criterion => format!(
                "{} qualified, {} not, {} undecided",
                s.qualified, s.not_qualified, s.undecided
            ),
            baton_core::config::PluginRole::ScoreAdjustment => {
                format!("{:+} points in all", s.adjustment_total)
            }
        };
        out.push_str(&format!(
            "plugin {}: {} leads, {verdicts}, {} failed; fuel median {} max {}; {micros:.1} µs/call over {calls} calls on {} threads; {cache} in {:.0} ms\n",
            s.name,
            s.calls,
            s.failures,
            s.fuel_median,
            s.fuel_max,
            host.threads(),
            p.load_time.as_secs_f64() * 1000.0
        ));
        for (kind, n) in &s.failures_by_kind {
            out.push_str(&format!("  {n} × {kind}\n"));
        }
        for e in &s.failure_examples {
            out.push_str(&format!(
                "  lead {}: {}: {}\n",
                e.lead,
                e.kind.as_str(),
                e.message
            ));
        }
    }
    out
}

/// Compares a report's KPIs with those of a previous `report.json`.
pub fn compare_with(
    report: &Report,
    previous: &Path,
) -> Result<baton_core::report::Comparison, HostError> {
    let text = std::fs::read_to_string(previous).map_err(|e| HostError::io(previous, e))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| HostError::Input(format!("{}: not JSON: {e}", previous.display())))?;
    let kpis: baton_core::report::Kpis =
        serde_json::from_value(value["kpis"].clone()).map_err(|e| {
            HostError::Input(format!(
                "{}: no `kpis` section a Baton report of this version writes: {e}",
                previous.display()
            ))
        })?;
    let as_of = value["as_of"].as_str().unwrap_or("").to_string();
    Ok(report.kpis.compare(&kpis, &as_of))
}
