//! Writes the analysis to disk: `report.json`, `report.md`, and the terminal summary.

use std::fmt::Write as _;
use std::path::Path;

use baton_core::Report;

use crate::error::HostError;

/// Writes `report.json`, `report.md`, `report.html`, `handoffs.csv` and `scored_leads.csv` into `out`.
/// The five are written as one set ([`crate::atomic::write_set`]): after any failure `out` holds
/// the complete old set or the complete new one.
pub fn write_outputs(analyzed: &crate::Analyzed, out: &Path) -> Result<(), HostError> {
    let report = &analyzed.report;
    let json = report.to_json();
    let md = markdown(report);
    let html = crate::html::render(report);
    crate::atomic::write_set(
        out,
        &[
            ("report.json", json.as_bytes()),
            ("report.md", md.as_bytes()),
            ("report.html", html.as_bytes()),
            ("handoffs.csv", analyzed.handoffs_csv.as_bytes()),
            ("scored_leads.csv", analyzed.scored_leads_csv.as_bytes()),
        ],
    )
}

/// What the reports say instead of hour figures when the data has dates only.
pub const DATES_ONLY: &str = "The data has dates only (every stage entry and event at midnight): business-hour SLA clocks and out-of-hours arrivals cannot be measured from dates alone. Export the times of day to measure speed to lead.";

/// The short summary printed after `baton analyze` (never `-0`).
pub fn summary(report: &Report) -> String {
    baton_core::numerals::text_without_negative_zero(summary_text(report))
}

fn summary_text(report: &Report) -> String {
    let s = &report.summary;
    let dq = &report.data_quality;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{}: {} leads, {} events, {} stage entries, {} deals, {} assets, {} feedback (as of {})",
        report.workspace.name,
        s.leads,
        s.events,
        s.stage_entries,
        s.deals,
        s.assets,
        s.feedback,
        report.as_of
    );
    let _ = writeln!(
        text,
        "data quality: {} rows read, {} used, {} rejected, {} warnings",
        dq.rows, dq.accepted, dq.rejected, dq.warnings
    );
    for (kind, file) in &dq.files {
        for f in &file.rejections {
            let _ = writeln!(
                text,
                "  rejected {:>7} {}:{} {} ({}) e.g. line {}",
                f.count,
                file.file,
                f.field,
                reason_name(f.reason),
                kind,
                f.lines.first().copied().unwrap_or(0)
            );
        }
    }
    text
}

fn reason_name(reason: baton_core::quality::Reason) -> String {
    reason.name().to_string()
}

/// `report.md`: the findings as text for a weekly meeting (never `-0`).
pub fn markdown(report: &Report) -> String {
    baton_core::numerals::text_without_negative_zero(markdown_text(report))
}

fn markdown_text(report: &Report) -> String {
    let s = &report.summary;
    let dq = &report.data_quality;
    let mut md = String::new();
    let _ = writeln!(md, "# Baton report — {}\n", report.workspace.name);
    let _ = writeln!(
        md,
        "As of {} · time zone {} · currency {}\n",
        report.as_of, report.workspace.timezone, report.workspace.currency
    );
    let _ = writeln!(md, "## What was loaded\n");
    let _ = writeln!(
        md,
        "| leads | events | stage entries | deals | assets | feedback |"
    );
    let _ = writeln!(md, "| ---: | ---: | ---: | ---: | ---: | ---: |");
    let _ = writeln!(
        md,
        "| {} | {} | {} | {} | {} | {} |\n",
        s.leads, s.events, s.stage_entries, s.deals, s.assets, s.feedback
    );
    agenda_md(&mut md, report);
    journey_md(&mut md, report);
    let _ = writeln!(md, "## Data quality\n");
    let _ = writeln!(
        md,
        "{} rows read, {} used, {} rejected, {} used with a warning.\n",
        dq.rows, dq.accepted, dq.rejected, dq.warnings
    );
    let _ = writeln!(md, "| file | rows | used | rejected | ignored columns |");
    let _ = writeln!(md, "| --- | ---: | ---: | ---: | --- |");
    for file in dq.files.values() {
        let _ = writeln!(
            md,
            "| {} ({}) | {} | {} | {} | {} |",
            file.file,
            file.format,
            file.rows,
            file.accepted,
            file.rejected,
            file.ignored_columns.join(", ")
        );
    }
    let findings: Vec<_> = dq
        .files
        .values()
        .flat_map(|f| {
            f.rejections
                .iter()
                .map(move |x| (f, "rejected", x))
                .chain(f.warnings.iter().map(move |x| (f, "warning", x)))
        })
        .collect();
    if !findings.is_empty() {
        let _ = writeln!(
            md,
            "\n| file | what | reason | field | rows | first lines | example |"
        );
        let _ = writeln!(md, "| --- | --- | --- | --- | ---: | --- | --- |");
        for (file, what, f) in findings {
            let lines: Vec<String> = f.lines.iter().map(u64::to_string).collect();
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} |",
                file.file,
                what,
                reason_name(f.reason),
                f.field,
                f.count,
                lines.join(", "),
                f.example.replace('|', "\\|")
            );
        }
    }
    md
}

fn pct(x: Option<f64>) -> String {
    x.map_or("–".into(), |v| format!("{:.1}%", v * 100.0))
}

fn hours(x: Option<f64>) -> String {
    x.map_or("–".into(), |v| format!("{v:.1}"))
}

/// The journey, handoff and lead-quality findings as Markdown.
fn journey_md(md: &mut String, report: &Report) {
    let f = &report.journey.stages.funnel;
    let _ = writeln!(md, "## Funnel\n");
    let _ = writeln!(
        md,
        "| stage | leads reaching it | of previous | entered it |"
    );
    let _ = writeln!(md, "| --- | ---: | ---: | ---: |");
    for (i, (stage, n)) in f.stages.iter().zip(&f.total).enumerate() {
        let prev = if i == 0 {
            None
        } else {
            f.total.get(i - 1).copied()
        };
        let share = prev.filter(|&p| p > 0).map(|p| *n as f64 / p as f64);
        let entered = f.entered.get(i).copied().unwrap_or(0);
        let _ = writeln!(md, "| {stage} | {n} | {} | {entered} |", pct(share));
    }
    let implied: Vec<String> = f
        .stages
        .iter()
        .zip(f.total.iter().zip(&f.entered))
        .filter(|(_, (t, e))| t > e)
        .map(|(s, (t, e))| format!("{s} {}", t - e))
        .collect();
    if !implied.is_empty() {
        let _ = writeln!(
            md,
            "\nImplied: a lead that entered a later stage counts as reaching the earlier ones; these reached them without an entry of their own: {}.",
            implied.join(", ")
        );
    }
    let approximate = report.summary.approximate_stage_entries;
    if approximate > 0 {
        let _ = writeln!(
            md,
            "\n{approximate} stage entries are approximate (reason \"approximate…\": the export gave the current stage but not when it was reached); times in stage that start or end at them are estimates."
        );
    }
    let _ = writeln!(md, "\n## Speed to lead\n");
    if report.handoff.dates_only {
        let _ = writeln!(md, "{DATES_ONLY}\n");
    } else if report.handoff.slas.is_empty() {
        let _ = writeln!(
            md,
            "No SLA configured: add `[sla.first_touch]` to baton.toml.\n"
        );
    } else {
        let _ = writeln!(
            md,
            "| SLA | limit (business h) | handoffs | met | breached | pending | compliance | median h | p90 h |"
        );
        let _ = writeln!(
            md,
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        );
        for (name, s) in &report.handoff.slas {
            let o = &s.overall;
            let _ = writeln!(
                md,
                "| {name} | {} | {} | {} | {} | {} | {} | {} | {} |",
                s.within_business_hours,
                o.handoffs,
                o.met,
                o.breached,
                o.pending,
                pct(o.compliance_rate),
                hours(o.median_business_hours),
                hours(o.p90_business_hours)
            );
        }
        let _ = writeln!(md);
    }
    let fr = &report.handoff.friction;
    let _ = writeln!(md, "## Handoff friction\n");
    let _ = writeln!(
        md,
        "- {} handoffs: {} accepted, {} rejected, {} undecided (acceptance {}).",
        fr.handoff_entries,
        fr.accepted,
        fr.rejected,
        fr.undecided,
        pct(fr.acceptance_rate)
    );
    if let Some(top) = fr.rejection_reasons.first() {
        let _ = writeln!(
            md,
            "- Top rejection: {} — \"{}\" ({}).",
            top.stage, top.reason, top.count
        );
    }
    let _ = writeln!(
        md,
        "- {} leads handed over more than once; {} came back after an exit.",
        fr.ping_pong_leads, fr.recycle_loops
    );
    let _ = writeln!(
        md,
        "- {} leads stalled in a sales stage (no activity for {} days).",
        fr.stalled.leads, fr.stalled.after_days
    );
    if !report.handoff.dates_only {
        let _ = writeln!(
            md,
            "- {} of {} handoffs arrived out of hours; they waited {:.0} wall-clock hours in total for the next opening.",
            fr.out_of_hours.arrived_out_of_hours,
            fr.out_of_hours.handoffs,
            fr.out_of_hours.wall_hours_waiting_total
        );
    }
    if let Some(c) = &report.handoff.friction_cost {
        let _ = writeln!(
            md,
            "- Friction cost: breached handoffs reached {} at {} vs {} when the {} SLA was met; at the compliant rate they would have given {:.1} more (95% interval {:.1} to {:.1}) and about {:.0} {} of revenue.",
            c.qualified_stage,
            pct(c.qualified_rate_breached),
            pct(c.qualified_rate_met),
            c.sla,
            c.extra_qualified.value,
            c.extra_qualified.low,
            c.extra_qualified.high,
            c.extra_revenue.value,
            report.workspace.currency
        );
    }
    let flagged: Vec<String> = report
        .lead_quality
        .segments
        .iter()
        .flat_map(|(dim, segs)| {
            segs.iter().flat_map(move |s| {
                s.steps.iter().filter_map(move |(step, r)| {
                    r.flag.map(|f| {
                        format!(
                            "- {dim} = {}: {step} {} ({}/{}), {f} than the rest",
                            s.value,
                            pct(Some(r.proportion.rate)),
                            r.proportion.k,
                            r.proportion.n
                        )
                    })
                })
            })
        })
        .collect();
    let _ = writeln!(md, "\n## Lead quality\n");
    if flagged.is_empty() {
        let _ = writeln!(
            md,
            "No segment converts significantly differently from the rest.\n"
        );
    } else {
        for line in flagged.iter().take(15) {
            let _ = writeln!(md, "{line}");
        }
        let _ = writeln!(md);
    }
    scoring_md(md, report);
    messaging_md(md, report);
    let _ = writeln!(md, "## Top journeys\n");
    for v in report.journey.stages.variants.iter().take(5) {
        let _ = writeln!(
            md,
            "- {} — {} leads ({})",
            v.path.join(" → "),
            v.count,
            pct(Some(v.share))
        );
    }
    let _ = writeln!(md);
}

/// The scoring feedback loop as Markdown.
fn scoring_md(md: &mut String, report: &Report) {
    let sc = &report.scoring;
    if sc.rules_configured == 0 && sc.qualification.is_empty() {
        return;
    }
    let _ = writeln!(md, "## Scoring\n");
    let _ = writeln!(
        md,
        "- {} leads scored with {} rules; {} at or above the MQL threshold of {} today.",
        sc.leads_scored, sc.rules_configured, sc.mqls, sc.mql_threshold
    );
    for r in sc.rules.iter().filter(|r| r.misaligned) {
        let _ = writeln!(
            md,
            "- Rule \"{}\": its leads convert at {} vs {} for the rest — review its points.",
            r.rule,
            pct(Some(r.fired.rate)),
            pct(Some(r.not_fired.rate))
        );
    }
    if let Some(t) = &sc.threshold
        && t.best.threshold != t.current.threshold
    {
        let _ = writeln!(
            md,
            "- MQL threshold: {} would give {:.1} conversions a month within a capacity of {:.0} leads, against {:.1} at today's {}.",
            t.best.threshold,
            t.best.expected_conversions_per_month,
            t.capacity_per_month,
            t.current.expected_conversions_per_month,
            t.current.threshold
        );
    }
    for q in &sc.qualification {
        let missing: Vec<String> = q
            .criteria
            .iter()
            .filter(|c| c.missing > 0)
            .map(|c| format!("{} ({} leads)", c.criterion, c.missing))
            .collect();
        let _ = writeln!(
            md,
            "- {}: {} of {} leads qualified{}.",
            q.set,
            q.qualified,
            sc.leads_scored,
            if missing.is_empty() {
                String::new()
            } else {
                format!("; data missing for {}", missing.join(", "))
            }
        );
        for c in &q.criteria {
            let Some(name) = &c.plugin else { continue };
            let _ = writeln!(
                md,
                "  - {} (plugin `{name}`): {} passed, {} failed, {} undecided.",
                c.criterion, c.passed, c.failed, c.missing
            );
            if let Some(p) = report.plugins.iter().find(|p| &p.name == name) {
                plugin_md(md, p);
            }
        }
    }
    for p in report
        .plugins
        .iter()
        .filter(|p| p.role == baton_core::config::PluginRole::ScoreAdjustment)
    {
        let _ = writeln!(
            md,
            "- Score adjustment (plugin `{}`): {:+} points over {} leads.",
            p.name, p.adjustment_total, p.calls
        );
        plugin_md(md, p);
    }
    let _ = writeln!(md);
}

/// Text from data or a plugin as inline Markdown: one line (control characters become spaces),
/// with the characters Markdown would read as markup or HTML escaped.
pub fn md_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            c if c.is_control() => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!' | '&' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A plugin's most frequent reasons and its failures, as nested list items.
fn plugin_md(md: &mut String, p: &baton_core::plugins::PluginSummary) {
    let reasons: Vec<String> = p
        .top_reasons
        .iter()
        .take(5)
        .map(|r| format!("\"{}\" ({})", md_text(&r.reason), r.leads))
        .collect();
    if !reasons.is_empty() {
        let _ = writeln!(md, "    - most given reasons: {}.", reasons.join(", "));
    }
    if p.failures > 0 {
        let kinds: Vec<String> = p
            .failures_by_kind
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        let _ = writeln!(
            md,
            "    - {} calls failed ({}), handled as `{}`; e.g. lead {}: {}",
            p.failures,
            kinds.join(", "),
            p.on_error.as_str(),
            md_text(p.failure_examples.first().map_or("", |e| e.lead.as_str())),
            md_text(
                p.failure_examples
                    .first()
                    .map_or("", |e| e.message.as_str())
            )
        );
    }
}

/// The meeting agenda: KPIs (and what changed), the top five actions with owners, attribution,
/// the chassis and the forecast.
fn agenda_md(md: &mut String, report: &Report) {
    let k = &report.kpis;
    let _ = writeln!(md, "## KPIs\n");
    match &report.comparison {
        Some(c) => {
            let _ = writeln!(md, "Compared with the report as of {}.\n", c.previous_as_of);
            let _ = writeln!(md, "| KPI | previous | now | change |");
            let _ = writeln!(md, "| --- | ---: | ---: | ---: |");
            for x in &c.kpis {
                let f = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.3}"));
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} |",
                    x.name,
                    f(x.previous),
                    f(x.current),
                    x.change.map_or("–".into(), |v| format!("{v:+.3}"))
                );
            }
            let _ = writeln!(md, "\n**What changed in the pipeline, by source**\n");
            for x in c
                .pipeline_by_source
                .iter()
                .filter(|x| x.change.is_some_and(|v| v != 0.0))
            {
                let _ = writeln!(md, "- {}: {:+.0}", x.name, x.change.unwrap_or(0.0));
            }
            let _ = writeln!(md);
        }
        None => {
            let _ = writeln!(
                md,
                "| speed to lead (median business h) | SLA compliance | mql→sql | win rate | profit |"
            );
            let _ = writeln!(md, "| ---: | ---: | ---: | ---: | ---: |");
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {:.0} |\n",
                hours(k.speed_to_lead_hours),
                pct(k.sla_compliance),
                pct(k.mql_to_sql),
                pct(k.win_rate),
                k.profit
            );
        }
    }
    let _ = writeln!(md, "## Top actions\n");
    if report.recommendations.is_empty() {
        let _ = writeln!(
            md,
            "No finding in this data has a measurable profit effect yet.\n"
        );
    }
    for (i, r) in report.recommendations.iter().take(5).enumerate() {
        let _ = writeln!(
            md,
            "{}. **{}** — owner: {}; profit effect ≈ {:.0} {} (95% range {:.0} to {:.0}); lever: {}.  \n   Evidence: {}.  \n   Action: {}.",
            i + 1,
            r.title,
            r.owner,
            r.profit_effect.value,
            report.workspace.currency,
            r.profit_effect.low,
            r.profit_effect.high,
            r.lever,
            r.evidence,
            r.action
        );
    }
    let a = &report.attribution;
    let _ = writeln!(md, "\n## Who gets credit\n");
    let _ = writeln!(
        md,
        "{} conversions ({}), {:.0} {} of revenue.\n",
        a.conversions, a.conversion, a.revenue, report.workspace.currency
    );
    let models = [
        "first_touch",
        "last_touch",
        "linear",
        "w_shaped",
        "markov",
        "shapley",
    ];
    let _ = writeln!(md, "| channel | {} |", models.join(" | "));
    let _ = writeln!(md, "| --- |{}", " ---: |".repeat(models.len()));
    if let Some(first) = a.by_channel.get("linear") {
        for ch in first.keys() {
            let cells: Vec<String> = models
                .iter()
                .map(|m| {
                    format!(
                        "{:.1}",
                        a.by_channel
                            .get(*m)
                            .and_then(|x| x.get(ch))
                            .copied()
                            .unwrap_or(0.0)
                    )
                })
                .collect();
            let _ = writeln!(md, "| {ch} | {} |", cells.join(" | "));
        }
    }
    let _ = writeln!(
        md,
        "\nBy function (Markov): {}.\n",
        a.by_team
            .get("markov")
            .map(|t| t
                .iter()
                .filter(|(_, v)| **v > 0.0)
                .map(|(k, v)| format!("{k} {v:.1}"))
                .collect::<Vec<_>>()
                .join(", "))
            .unwrap_or_default()
    );
    let c = &report.chassis;
    let _ = writeln!(md, "## Business Chassis\n");
    for l in &c.levers {
        let _ = writeln!(md, "- {}: {} ({})", l.lever, l.value, l.definition);
    }
    let _ = writeln!(
        md,
        "- profit: {:.0} {}; every lever +10% together: {:.0}\n",
        c.profit,
        report.workspace.currency,
        c.sensitivity.last().map_or(0.0, |s| s.profit_plus_10)
    );
    if let Some(o) = &c.outlier_deal {
        let _ = writeln!(
            md,
            "- outlier: deal {} ({:.0} {}) is {:.1}% of won revenue, over {} times the others' mean; recommendations are estimated with the average spend without it, {:.0}.\n",
            o.deal_id,
            o.amount,
            report.workspace.currency,
            o.share_of_revenue * 100.0,
            baton_core::chassis::OUTLIER_FACTOR,
            o.average_spend_without
        );
    }
    let f = &report.forecast;
    let _ = writeln!(
        md,
        "## Forecast\n\n{} open deals, pipeline {:.0}; expected won in the next 30 days {:.0} (95% range {:.0} to {:.0}).\n",
        f.open_deals, f.pipeline, f.next_period_revenue, f.next_period_low, f.next_period_high
    );
}

/// The top messaging fixes as Markdown.
fn messaging_md(md: &mut String, report: &Report) {
    let Some(m) = &report.messaging else { return };
    let _ = writeln!(md, "## Messaging\n");
    let _ = writeln!(md, "Consistency score {:.0}/100.\n", m.consistency_score);
    for i in &m.items {
        for c in &i.findings.claims {
            let _ = writeln!(
                md,
                "- Remove the {} claim \"{}\" from {} ({}).",
                c.kind, c.span.text, i.asset_id, i.owner_team
            );
        }
    }
    for c in &m.conflicts {
        for f in c
            .found
            .iter()
            .filter(|f| !c.approved.iter().any(|a| (a - f.value).abs() < 1e-9))
        {
            let approved: Vec<String> = c.approved.iter().map(|a| format!("{a}")).collect();
            let _ = writeln!(
                md,
                "- {} says \"{}\" for {}; the approved figure is {}.",
                f.asset_id,
                f.span.text,
                c.pillar,
                if approved.is_empty() {
                    "not set".to_string()
                } else {
                    approved.join(" or ")
                }
            );
        }
    }
    if !m.off_message.is_empty() {
        let _ = writeln!(
            md,
            "- Off-message (no pillar): {}.",
            m.off_message.join(", ")
        );
    }
    if !report.content.unused_by_sales.is_empty() {
        let _ = writeln!(
            md,
            "- Marketing assets sales never shares: {}.",
            report.content.unused_by_sales.join(", ")
        );
    }
    let _ = writeln!(md);
}
