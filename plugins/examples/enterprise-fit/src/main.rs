//! Enterprise fit: an account big enough, in one of our territories, with a named champion and a
//! budget signal in the last N days. Params (all optional):
//! `min_employees` (1000), `territories` (any), `signals` (event types that show budget intent,
//! default `pricing_page_view` and `demo`), `signal_days` (30), `route_to` (none).

use baton_plugin::{Description, Input, Reads, Verdict};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Params {
    min_employees: f64,
    territories: Vec<String>,
    signals: Vec<String>,
    signal_days: f64,
    route_to: Option<String>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_employees: 1000.0,
            territories: Vec::new(),
            signals: vec!["pricing_page_view".into(), "demo".into()],
            signal_days: 30.0,
            route_to: None,
        }
    }
}

fn describe() -> Description {
    Description::new("enterprise-fit", env!("CARGO_PKG_VERSION"))
        .summary("Enterprise account in our territories with a named champion and a recent budget signal")
        .params_schema(serde_json::json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "min_employees": {"type": "number", "default": 1000},
                "territories": {"type": "array", "items": {"type": "string"}},
                "signals": {"type": "array", "items": {"type": "string"}},
                "signal_days": {"type": "number", "default": 30},
                "route_to": {"type": "string"}
            }
        }))
        // Its input query: the host sends only these, so the plugin parses less (docs/plugins.md).
        .reads(
            Reads::new()
                .attributes(&["employees", "country", "champion_named", "budget_confirmed"])
                .event_fields(&["type", "age_days"]),
        )
}

fn evaluate(input: &Input) -> Result<Verdict, String> {
    let p: Params = baton_plugin::params(input)?;
    let lead = &input.lead;
    let mut v = Verdict::default();
    let mut pass = true;

    match lead.number("employees") {
        Some(n) if n >= p.min_employees => {
            v = v.reason(format!("{n} employees ≥ {}", p.min_employees))
        }
        Some(n) => {
            pass = false;
            v = v.reason(format!("{n} employees < {}", p.min_employees));
        }
        None => v = v.missing("employees"),
    }
    if !p.territories.is_empty() {
        match lead.text("country") {
            Some(c) if p.territories.iter().any(|t| t.eq_ignore_ascii_case(c)) => {
                v = v.reason(format!("{c} is in our territories"))
            }
            Some(c) => {
                pass = false;
                v = v.reason(format!("{c} is outside our territories"));
            }
            None => v = v.missing("country"),
        }
    }
    match lead.flag("champion_named") {
        Some(true) => v = v.reason("champion named"),
        Some(false) => {
            pass = false;
            v = v.reason("no champion named");
        }
        None => v = v.missing("champion_named"),
    }
    let signal = input
        .events
        .iter()
        .rev()
        .find(|e| e.age_days <= p.signal_days && p.signals.iter().any(|s| s == &e.kind));
    match signal {
        Some(e) => {
            v = v.reason(format!(
                "budget signal: {} {} days ago",
                e.kind,
                e.age_days.round()
            ))
        }
        None if lead.flag("budget_confirmed") == Some(true) => v = v.reason("budget confirmed"),
        None => {
            pass = false;
            v = v.reason(format!(
                "no budget signal in the last {} days",
                p.signal_days
            ));
        }
    }
    if !pass {
        v.qualified = Some(false);
    } else if v.missing_data.is_empty() {
        v.qualified = Some(true);
        if let Some(r) = p.route_to {
            v = v.route_to(r);
        }
    }
    Ok(v)
}

baton_plugin::plugin!(describe, evaluate);
