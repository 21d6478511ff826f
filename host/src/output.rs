//! Writes the analysis to disk: `report.json`, `report.md`, and the terminal summary.

use std::fmt::Write as _;
use std::path::Path;

use baton_core::Report;

use crate::error::HostError;

/// Writes `report.json`, `report.md`, `report.html` and `handoffs.csv` into `out` (created if needed).
pub fn write_outputs(analyzed: &crate::Analyzed, out: &Path) -> Result<(), HostError> {
    std::fs::create_dir_all(out).map_err(|e| HostError::io(out, e))?;
    let report = &analyzed.report;
    let files = [
        ("report.json", report.to_json()),
        ("report.md", markdown(report)),
        ("report.html", crate::html::render(report)),
        ("handoffs.csv", analyzed.handoffs_csv.clone()),
    ];
    for (name, text) in files {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|e| HostError::io(&path, e))?;
    }
    Ok(())
}

/// The short summary printed after `baton analyze`.
pub fn summary(report: &Report) -> String {
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
    serde_json::to_value(reason)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// `report.md`: the findings as text for a weekly meeting.
pub fn markdown(report: &Report) -> String {
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
