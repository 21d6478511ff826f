//! The `baton` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use baton::HostError;
use baton::generate::GenOptions;
use baton_core::journey::TouchpointKey;
use baton_core::report::AnalysisOptions;

/// Baton measures the gap between marketing and sales: the journey, the handoff, scores,
/// attribution and messaging, from the data your CRM already has.
#[derive(Parser)]
#[command(name = "baton", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write, check and try WebAssembly qualification plugins (see docs/plugins.md).
    Plugin {
        #[command(subcommand)]
        action: PluginAction,
    },
    /// Analyse a workspace folder and write report.json and report.md.
    ///
    /// A workspace is a folder with baton.toml (optional: every section has defaults) and
    /// leads.csv, plus any of events, stages, deals, assets, feedback (.csv or .ndjson).
    #[command(after_help = "Example: baton analyze examples/acme --out out/acme")]
    Analyze {
        /// The workspace folder.
        workspace: PathBuf,
        /// Where to write the report files (created if needed).
        #[arg(long, short, default_value = "baton-report")]
        out: PathBuf,
        /// Analyse as of this time (RFC 3339, or local time in the workspace zone).
        /// Default: the latest timestamp in the data.
        #[arg(long)]
        as_of: Option<String>,
        /// Build the touchpoint journey over event `type` or `channel`.
        #[arg(long, value_enum, default_value = "type")]
        by: TouchBy,
        /// A model from `baton train` for the `probability` column of scored_leads.csv.
        #[arg(long)]
        model: Option<PathBuf>,
        /// A previous report.json: adds period-over-period KPI changes (the weekly alignment pack).
        #[arg(long)]
        compare: Option<PathBuf>,
        /// No progress bars and no summary.
        #[arg(long, short)]
        quiet: bool,
        /// Do not run [[plugins]]: plugin criteria are reported undecided, as in the browser.
        #[arg(long)]
        no_plugins: bool,
        /// Analyse the rows of a `baton serve` store (postgres://… or a SQLite file) instead of
        /// the folder's data files; the folder still gives baton.toml, plugins and assets.
        #[arg(long)]
        database: Option<String>,
    },
    /// One lead's card as JSON: timeline, score and why, verdicts (plugins too), route, SLA
    /// clocks, next-best content — what `baton serve` answers for GET /v1/leads/{id}.
    #[command(after_help = "Example: baton card examples/acme L00042 --as-of 2026-06-30T17:00:00Z")]
    Card {
        /// The workspace folder.
        workspace: PathBuf,
        /// The lead's id.
        lead: String,
        /// As of this time (default: the latest timestamp in the data).
        #[arg(long)]
        as_of: Option<String>,
        /// Do not run [[plugins]].
        #[arg(long)]
        no_plugins: bool,
    },
    /// Run the live service: intake, lead cards and the report over HTTP, on an embedded SQLite
    /// store (WORKSPACE/baton.db, seeded from the folder's data on first start) or PostgreSQL.
    #[command(
        args_conflicts_with_subcommands = true,
        after_help = "Example: baton serve examples/acme --listen 127.0.0.1:8430\n         baton serve token create examples/acme --scope ingest"
    )]
    Serve {
        #[command(subcommand)]
        action: Option<ServeAction>,
        /// The workspace folder (baton.toml, plugins, assets).
        workspace: Option<PathBuf>,
        /// Address to listen on (port 0: any free port; the address is printed).
        #[arg(long, default_value = "127.0.0.1:8430")]
        listen: std::net::SocketAddr,
        /// The store: postgres://user@host/db, or a SQLite file (default WORKSPACE/baton.db).
        #[arg(long)]
        database: Option<String>,
        /// The clock: `system`, or `file:PATH` — an RFC 3339 instant read from a file (tests and
        /// replays drive the SLA timers with it).
        #[arg(long, default_value = "system")]
        clock: String,
    },
    /// Score every lead (rules, qualification, routing, and a predictive model if given) into a CSV.
    #[command(
        after_help = "Example: baton score examples/acme --out scored_leads.csv --model model.json"
    )]
    Score {
        /// The workspace folder.
        workspace: PathBuf,
        /// The CSV file to write.
        #[arg(long, short, default_value = "scored_leads.csv")]
        out: PathBuf,
        /// Score as of this time (default: the latest timestamp in the data, which reads the
        /// stages, deals and feedback files too; given, only leads and events are read).
        #[arg(long)]
        as_of: Option<String>,
        /// A model from `baton train` for the `probability` column.
        #[arg(long)]
        model: Option<PathBuf>,
        /// No progress bars.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Train a predictive model (logistic regression, time-based holdout) and write it as JSON.
    #[command(
        after_help = "Example: baton train examples/acme --target sql --within-days 90 --out model.json"
    )]
    Train {
        /// The workspace folder.
        workspace: PathBuf,
        /// What to predict: `sql` (the qualified stage) or `won`.
        #[arg(long, default_value = "sql")]
        target: String,
        /// The label window after a lead is created, in days.
        #[arg(long, default_value_t = 90.0)]
        within_days: f64,
        /// The observation window (features) after a lead is created, in days.
        #[arg(long, default_value_t = 7.0)]
        observe_days: f64,
        /// Train as of this time (default: the latest timestamp in the data).
        #[arg(long)]
        as_of: Option<String>,
        /// The model file to write.
        #[arg(long, short, default_value = "model.json")]
        out: PathBuf,
        /// No progress bars.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Suggest the next-best content for one lead, with the reasons.
    #[command(
        name = "recommend-content",
        after_help = "Example: baton recommend-content examples/acme --lead L0000003"
    )]
    RecommendContent {
        /// The workspace folder.
        workspace: PathBuf,
        /// The lead's id.
        #[arg(long)]
        lead: String,
        /// As of this time (default: the latest timestamp in the data).
        #[arg(long)]
        as_of: Option<String>,
    },
    /// Lint Markdown, HTML and text files against the workspace's messaging: retired and banned
    /// claims, numbers that differ from the approved ones, files off message, pillars missed
    /// for the file's audience. Prints `file:line:col: severity: message [rule]`.
    #[command(
        after_help = "Examples:\n  baton check examples/acme content/\n  baton check examples/acme docs/launch.md --format github --fail-on warning\n\nExit code: 0 clean, 1 a finding at or above --fail-on, 2 bad input.\nA file declares its audience in front matter (`audience: cfo`) or <meta name=\"audience\" content=\"cfo\">."
    )]
    Check {
        /// The workspace folder (its baton.toml's [messaging]).
        workspace: PathBuf,
        /// Files and folders to check (folders: every .md, .markdown, .mdx, .html, .htm, .txt
        /// under them).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: CheckFormat,
        /// Exit with 1 when a finding is at or above this severity.
        #[arg(long, value_enum, default_value = "error")]
        fail_on: FailOn,
        /// The audience of files that declare none.
        #[arg(long)]
        audience: Option<String>,
    },
    /// Generate a realistic B2B workspace (deterministic per seed).
    #[command(after_help = "Example: baton gen --leads 100000 --seed 7 --out /tmp/big")]
    Gen {
        /// Number of leads (about 10 events each).
        #[arg(long, default_value_t = 1000)]
        leads: u64,
        /// Seed: the same seed gives the same files.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// The folder to write (created if needed).
        #[arg(long, short)]
        out: PathBuf,
        /// First day of the window (YYYY-MM-DD, workspace time zone).
        #[arg(long, default_value = "2026-01-05")]
        start: String,
        /// Length of the window in days.
        #[arg(long, default_value_t = 270)]
        days: u32,
        /// IANA time zone of the workspace.
        #[arg(long, default_value = "America/New_York")]
        timezone: String,
        /// Share of rows to break on purpose (exercises data quality), 0..1.
        #[arg(long, default_value_t = 0.0)]
        error_rate: f64,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
    },
    /// The site widget: compile the workspace's scoring rules into the widget's program.
    Widget {
        #[command(subcommand)]
        action: WidgetAction,
    },
    /// Convert a CRM export folder into a Baton workspace.
    #[command(
        after_help = "Example: baton import hubspot ~/Downloads/hubspot-export --out my-workspace"
    )]
    Import {
        /// Which CRM the export comes from.
        crm: Crm,
        /// The folder with the exported CSV files.
        export_dir: PathBuf,
        /// The workspace folder to write.
        #[arg(long, short)]
        out: PathBuf,
        /// Time zone of naive dates in a HubSpot export (the portal's zone). Salesforce exports are UTC.
        #[arg(long, default_value = "UTC")]
        timezone: String,
    },
}

#[derive(Subcommand)]
enum WidgetAction {
    /// Compile baton.toml's [scoring] into program.bin, the program the site widget runs (see
    /// docs/widget.md). Rules the widget cannot run as the engine does are refused by name.
    #[command(after_help = "Example: baton widget build examples/acme --out site/baton")]
    Build {
        /// The workspace folder (its baton.toml).
        workspace: PathBuf,
        /// The folder to write program.bin into (created if needed).
        #[arg(long, short)]
        out: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum TouchBy {
    /// Event `type` (form_submit, call, demo, ...).
    Type,
    /// Event `channel` (email, web, phone, ...).
    Channel,
}

#[derive(Clone, Copy, ValueEnum)]
enum Crm {
    /// HubSpot: contacts, deals, deal-contact associations, activities.
    Hubspot,
    /// Salesforce: Lead, LeadHistory, Opportunity, Task, Event.
    Salesforce,
}

#[derive(Subcommand)]
enum ServeAction {
    /// Tokens for the service's API.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Create a token; it is printed once, and only its hash is stored.
    Create {
        /// The workspace folder (its baton.db, unless --database).
        workspace: PathBuf,
        /// What it may do.
        #[arg(long, value_enum)]
        scope: baton::service::auth::Scope,
        /// For a site key: an origin it may be used from (repeat for more).
        #[arg(long = "origin")]
        origins: Vec<String>,
        /// A label for people (who or what uses it).
        #[arg(long, default_value = "")]
        label: String,
        /// The store, as for `baton serve`.
        #[arg(long)]
        database: Option<String>,
    },
}

/// `baton check --format`.
#[derive(Clone, Copy, ValueEnum)]
enum CheckFormat {
    /// file:line:col: severity: message [rule]
    Text,
    /// One JSON document.
    Json,
    /// GitHub Actions annotations (::error file=…,line=…::…).
    Github,
    /// SARIF 2.1.0.
    Sarif,
}

/// `baton check --fail-on`.
#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    /// Fail on errors.
    Error,
    /// Fail on warnings and errors.
    Warning,
    /// Fail on any finding.
    Info,
    /// Never fail on findings.
    Never,
}

#[derive(Subcommand)]
enum PluginAction {
    /// Scaffold a plugin project that builds as is.
    #[command(after_help = "Example: baton plugin new territory-fit --lang rust")]
    New {
        /// Plugin name (lower-case letters, digits, '-' and '_').
        name: String,
        /// The language.
        #[arg(long, value_enum, default_value = "rust")]
        lang: PluginLang,
        /// Folder to create the project in.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// The Rust SDK (plugins/sdk of a Baton checkout); default: this build's.
        #[arg(long)]
        sdk: Option<PathBuf>,
    },
    /// Validate a module: format, size, imports, exports, ABI version; compile it and describe it.
    #[command(after_help = "Example: baton plugin check build/territory-fit.wasm")]
    Check {
        /// The .wasm (or .wat) file.
        file: PathBuf,
    },
    /// Run a module on a workspace's leads or on one input document; print verdicts, fuel, time.
    #[command(
        after_help = "Examples:\n  baton plugin test my.wasm --workspace examples/acme --limit 20\n  baton plugin test my.wasm --input lead.json"
    )]
    Test {
        /// The .wasm (or .wat) file.
        file: PathBuf,
        /// A workspace folder whose leads to run it on.
        #[arg(long, conflicts_with = "input", required_unless_present = "input")]
        workspace: Option<PathBuf>,
        /// An ABI v1 input document: a file, `-` for stdin, or JSON text.
        #[arg(long)]
        input: Option<String>,
        /// Only these leads (repeatable).
        #[arg(long)]
        lead: Vec<String>,
        /// How many leads when none are named (0 = all).
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// The plugin's params as JSON (default: its [[plugins]] entry in the workspace, or {}).
        #[arg(long)]
        params: Option<String>,
        /// What the verdict is checked as.
        #[arg(long, value_enum, default_value = "criterion")]
        role: PluginRoleArg,
        /// Analyse as of this time.
        #[arg(long)]
        as_of: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum PluginLang {
    /// Rust with the baton-plugin SDK.
    Rust,
    /// AssemblyScript (TypeScript syntax).
    Assemblyscript,
}

#[derive(Clone, Copy, ValueEnum)]
enum PluginRoleArg {
    /// Pass/fail.
    Criterion,
    /// Points added to the score.
    ScoreAdjustment,
}

fn plugin_command(action: PluginAction) -> Result<(), HostError> {
    use baton::plugins::{commands, scaffold};
    match action {
        PluginAction::New {
            name,
            lang,
            dir,
            sdk,
        } => {
            let lang = match lang {
                PluginLang::Rust => scaffold::Lang::Rust,
                PluginLang::Assemblyscript => scaffold::Lang::AssemblyScript,
            };
            let sdk = sdk.unwrap_or_else(scaffold::sdk_dir);
            let files = scaffold::scaffold(&name, lang, &dir, &sdk).map_err(HostError::Input)?;
            for f in &files {
                println!("wrote {}", f.display());
            }
            let root = dir.join(&name);
            match lang {
                scaffold::Lang::Rust => println!(
                    "next: cd {} && cargo build --release && baton plugin check target/wasm32-wasip1/release/{name}.wasm",
                    root.display()
                ),
                scaffold::Lang::AssemblyScript => println!(
                    "next: cd {} && npm install && npm run build && baton plugin check build/{name}.wasm",
                    root.display()
                ),
            }
            Ok(())
        }
        PluginAction::Check { file } => {
            print!("{}", commands::check(&file)?);
            Ok(())
        }
        PluginAction::Test {
            file,
            workspace,
            input,
            lead,
            limit,
            params,
            role,
            as_of,
        } => {
            let params = match params {
                Some(p) => serde_json::from_str(&p)
                    .map_err(|e| HostError::Input(format!("--params is not JSON: {e}")))?,
                None => serde_json::json!({}),
            };
            let role = match role {
                PluginRoleArg::Criterion => baton_core::config::PluginRole::Criterion,
                PluginRoleArg::ScoreAdjustment => baton_core::config::PluginRole::ScoreAdjustment,
            };
            let plugin = commands::adhoc_plugin(&file, role, params);
            let source = match (&workspace, input) {
                (Some(dir), _) => commands::TestInput::Workspace {
                    dir,
                    leads: &lead,
                    limit,
                    as_of: as_of.as_deref(),
                },
                (None, Some(text)) => {
                    let text = if text == "-" {
                        std::io::read_to_string(std::io::stdin())
                            .map_err(|e| HostError::Input(format!("stdin: {e}")))?
                    } else if text.trim_start().starts_with('{') {
                        text
                    } else {
                        std::fs::read_to_string(&text)
                            .map_err(|e| HostError::io(std::path::Path::new(&text), e))?
                    };
                    commands::TestInput::Json(text)
                }
                (None, None) => {
                    return Err(HostError::Input(
                        "give --workspace DIR or --input JSON".into(),
                    ));
                }
            };
            print!("{}", commands::test(plugin, source)?);
            Ok(())
        }
    }
}

fn serve_command(
    action: Option<ServeAction>,
    workspace: Option<PathBuf>,
    listen: std::net::SocketAddr,
    database: Option<String>,
    clock: String,
) -> Result<(), HostError> {
    use baton::service;
    match action {
        Some(ServeAction::Token {
            action:
                TokenAction::Create {
                    workspace,
                    scope,
                    origins,
                    label,
                    database,
                },
        }) => {
            let token = service::block_on(service::create_token(
                &workspace,
                database.as_deref(),
                scope,
                &origins,
                &label,
            ))??;
            println!("{token}");
            eprintln!(
                "a {} token: shown once, only its hash is stored; send it as `Authorization: Bearer <token>`",
                scope.as_str()
            );
            Ok(())
        }
        None => {
            let Some(workspace) = workspace else {
                return Err(HostError::Input(
                    "baton serve needs a workspace folder: baton serve examples/acme".into(),
                ));
            };
            service::block_on(service::serve(service::ServeOptions {
                workspace,
                listen,
                database,
                clock,
            }))?
        }
    }
}

fn check_command(
    workspace: &std::path::Path,
    paths: &[PathBuf],
    format: CheckFormat,
    fail_on: FailOn,
    audience: Option<&str>,
) -> Result<ExitCode, HostError> {
    use baton::messaging_check::{self as check, Format};
    use baton_core::config::Severity;
    let framework = baton::workspace_dir::load_framework(workspace)?;
    let lexicon = baton_core::messaging::Lexicon::from_config(&framework.config.messaging)
        .ok_or_else(|| HostError::Input("messaging.language is not supported".into()))?;
    let (files, skipped) = check::collect(paths)?;
    let run = check::check(&lexicon, &files, skipped, audience)?;
    let format = match format {
        CheckFormat::Text => Format::Text,
        CheckFormat::Json => Format::Json,
        CheckFormat::Github => Format::Github,
        CheckFormat::Sarif => Format::Sarif,
    };
    print!("{}", check::render(&run, format));
    eprint!("{}", check::audience_notes(&run, &lexicon));
    eprintln!("{}", check::summary(&run));
    let fail_on = match fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    };
    Ok(if check::fails(&run, fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check {
            workspace,
            paths,
            format,
            fail_on,
            audience,
        } => check_command(&workspace, &paths, format, fail_on, audience.as_deref()),
        command => run(command).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            if e.is_input_error() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn run(command: Command) -> Result<(), HostError> {
    match command {
        Command::Plugin { action } => plugin_command(action),
        Command::Analyze {
            workspace,
            out,
            as_of,
            by,
            model,
            compare,
            quiet,
            no_plugins,
            database,
        } => {
            let model = model.map(|p| baton::load_model(&p)).transpose()?;
            let options = AnalysisOptions {
                touchpoints_by: match by {
                    TouchBy::Type => TouchpointKey::Type,
                    TouchBy::Channel => TouchpointKey::Channel,
                },
                skip_plugins: no_plugins,
            };
            let analyzed = match &database {
                Some(url) => baton::analyze_store(
                    &workspace,
                    url,
                    as_of.as_deref(),
                    &options,
                    model.as_ref(),
                ),
                None => baton::analyze_dir_with(
                    &workspace,
                    as_of.as_deref(),
                    &options,
                    model.as_ref(),
                    quiet,
                ),
            }
            .map_err(|e| match e {
                HostError::Core(core) => {
                    HostError::Input(format!("in workspace {}: {core}", workspace.display()))
                }
                other => other,
            })?;
            let mut analyzed = analyzed;
            if let Some(previous) = compare {
                analyzed.report.comparison =
                    Some(baton::compare_with(&analyzed.report, &previous)?);
            }
            let began = std::time::Instant::now();
            baton::output::write_outputs(&analyzed, &out)?;
            if std::env::var_os("BATON_TIMINGS").is_some() {
                eprintln!("timing: writing: {:.2} s", began.elapsed().as_secs_f64());
            }
            if !quiet {
                print!("{}", baton::output::summary(&analyzed.report));
                println!(
                    "wrote {}: report.json, report.md, report.html, handoffs.csv, scored_leads.csv",
                    out.display()
                );
            }
            Ok(())
        }
        Command::Check { .. } => unreachable!("baton check is run by main"),
        Command::Card {
            workspace,
            lead,
            as_of,
            no_plugins,
        } => {
            let card = baton::card_dir(&workspace, &lead, as_of.as_deref(), no_plugins)?;
            let json =
                serde_json::to_string_pretty(&card).map_err(|e| HostError::Input(e.to_string()))?;
            println!("{}", baton_core::numerals::text_without_negative_zero(json));
            Ok(())
        }
        Command::Serve {
            action,
            workspace,
            listen,
            database,
            clock,
        } => serve_command(action, workspace, listen, database, clock),
        Command::Score {
            workspace,
            out,
            as_of,
            model,
            quiet,
        } => {
            let model = model.map(|p| baton::load_model(&p)).transpose()?;
            let csv = baton::score_dir(&workspace, as_of.as_deref(), model.as_ref(), quiet)?;
            baton::atomic::write_file(&out, csv.as_bytes())?;
            if !quiet {
                println!("wrote {}", out.display());
            }
            Ok(())
        }
        Command::RecommendContent {
            workspace,
            lead,
            as_of,
        } => {
            let ws = baton::workspace_dir::load_workspace(&workspace, true)?;
            let as_of = baton::resolve_as_of(&ws, as_of.as_deref())?;
            if ws.lead_index(&lead).is_none() {
                let dir = workspace.display();
                return Err(HostError::Input(format!("no lead {lead:?} in {dir}")));
            }
            let suggestions = baton_core::live::next_best_content(&ws, &lead, as_of)?;
            if suggestions.is_empty() {
                println!("no marketing asset left to suggest for {lead}");
            }
            for (i, s) in suggestions.iter().enumerate() {
                println!(
                    "{}. {} — {} (score {})",
                    i + 1,
                    s.asset_id,
                    s.title,
                    s.score
                );
                for r in &s.reasons {
                    println!("     · {r}");
                }
            }
            Ok(())
        }
        Command::Train {
            workspace,
            target,
            within_days,
            observe_days,
            as_of,
            out,
            quiet,
        } => {
            let options = baton_core::predictive::TrainOptions {
                target,
                within_days,
                observe_days,
                ..Default::default()
            };
            let ws = baton::workspace_dir::load_workspace(&workspace, quiet)?;
            let as_of = baton::resolve_as_of(&ws, as_of.as_deref())?;
            let began = std::time::Instant::now();
            let model = baton_core::predictive::Model::train(&ws, as_of, &options)
                .map_err(|e| HostError::Input(e.to_string()))?;
            baton::atomic::write_file(&out, model.to_json().as_bytes())?;
            let r = &model.report;
            println!(
                "trained on {} leads ({} converted), holdout {} ({} converted), {} features, {} Newton steps, {:.1} s",
                r.train.0,
                r.train.1,
                r.holdout.0,
                r.holdout.1,
                model.features.len(),
                r.iterations,
                began.elapsed().as_secs_f64()
            );
            let fmt = |x: Option<f64>| x.map_or("–".to_string(), |v| format!("{v:.3}"));
            println!(
                "holdout AUC {} (95% {}), rule score AUC {}, log loss {} (base rate {}), Brier {}",
                fmt(r.auc),
                r.auc_interval
                    .map_or("–".into(), |(a, b)| format!("{a:.3}–{b:.3}")),
                fmt(r.rule_score_auc),
                fmt(r.log_loss),
                fmt(r.base_rate_log_loss),
                fmt(r.brier)
            );
            println!("calibration (predicted → observed):");
            for b in &r.calibration {
                println!("  {:>5} leads  {:.3} → {:.3}", b.n, b.predicted, b.observed);
            }
            println!("top features:");
            for (f, c) in &r.top_features {
                println!("  {c:+.3}  {f}");
            }
            println!("{}", r.verdict);
            println!("wrote {}", out.display());
            Ok(())
        }
        Command::Gen {
            leads,
            seed,
            out,
            start,
            days,
            timezone,
            error_rate,
            quiet,
        } => {
            let start = start.parse().map_err(|_| {
                HostError::Input(format!("--start {start:?} is not a date YYYY-MM-DD"))
            })?;
            if !(0.0..=1.0).contains(&error_rate) {
                return Err(HostError::Input(
                    "--error-rate is a share between 0 and 1".into(),
                ));
            }
            let options = GenOptions {
                leads,
                seed,
                start,
                days,
                timezone,
                error_rate,
                quiet,
            };
            let began = std::time::Instant::now();
            let stats = baton::generate::generate(&options, &out)?;
            if !quiet {
                println!(
                    "wrote {}: {} leads, {} events, {} stage entries, {} deals, {} feedback in {:.1} s",
                    out.display(),
                    stats.leads,
                    stats.events,
                    stats.stages,
                    stats.deals,
                    stats.feedback,
                    began.elapsed().as_secs_f64()
                );
            }
            Ok(())
        }
        Command::Widget {
            action: WidgetAction::Build { workspace, out },
        } => {
            let built = baton::widget_program::build(&workspace, &out)?;
            println!(
                "wrote {}: {} rules, {} criteria sets, {} bytes (program format {}); attributes read: {}",
                out.join(baton::widget_program::PROGRAM_FILE).display(),
                built.rules,
                built.sets,
                built.bytes,
                baton_core::program::FORMAT_VERSION,
                if built.attributes.is_empty() {
                    "none".to_string()
                } else {
                    built.attributes.join(", ")
                }
            );
            Ok(())
        }
        Command::Import {
            crm,
            export_dir,
            out,
            timezone,
        } => {
            let summary = match crm {
                Crm::Hubspot => {
                    baton::import::hubspot::import_with_zone(&export_dir, &out, &timezone)?
                }
                Crm::Salesforce => baton::import::salesforce::import(&export_dir, &out)?,
            };
            print!("{summary}");
            Ok(())
        }
    }
}
