//! MEDDIC completeness: how many of the six MEDDIC elements the CRM has evidence for, as a score
//! adjustment of `points_per_element` (default 3) each; the missing elements are listed as what to
//! find out. Evidence (fixed): Metrics = a meeting held; Economic buyer = persona
//! `economic_buyer`; Decision criteria = a demo; Decision process = a pricing page view or the lead
//! reached `sql`; Identify pain = `budget_confirmed` known; Champion = `champion_named` true.

use baton_plugin::{Description, Input, Reads, Verdict};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Params {
    points_per_element: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            points_per_element: 3.0,
        }
    }
}

fn describe() -> Description {
    Description::new("meddic-completeness", env!("CARGO_PKG_VERSION"))
        .summary("Points for each MEDDIC element the CRM has evidence for")
        .params_schema(serde_json::json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {"points_per_element": {"type": "number", "default": 3}}
        }))
        // Its input query: the host sends only these (docs/plugins.md).
        .reads(
            Reads::new()
                .attributes(&["persona", "budget_confirmed", "champion_named"])
                .stages()
                .event_fields(&["type"]),
        )
}

fn evaluate(input: &Input) -> Result<Verdict, String> {
    let p: Params = baton_plugin::params(input)?;
    let lead = &input.lead;
    let had = |kinds: &[&str]| {
        input
            .events
            .iter()
            .any(|e| kinds.contains(&e.kind.as_str()))
    };
    let elements = [
        ("Metrics", had(&["meeting"])),
        (
            "Economic buyer",
            lead.text("persona") == Some("economic_buyer"),
        ),
        ("Decision criteria", had(&["demo"])),
        (
            "Decision process",
            had(&["pricing_page_view"]) || lead.stages.iter().any(|s| s.stage == "sql"),
        ),
        ("Identify pain", lead.flag("budget_confirmed").is_some()),
        ("Champion", lead.flag("champion_named") == Some(true)),
    ];
    let found: Vec<&str> = elements.iter().filter(|e| e.1).map(|e| e.0).collect();
    let mut v = Verdict::adjust(found.len() as f64 * p.points_per_element)
        .reason(format!("MEDDIC {}/6", found.len()));
    if !found.is_empty() {
        v = v.reason(format!("evidence: {}", found.join(", ")));
    }
    for (name, ok) in elements {
        if !ok {
            v = v.missing(name);
        }
    }
    Ok(v)
}

baton_plugin::plugin!(describe, evaluate);
