//! `/metrics` in the Prometheus text format: requests and their latencies by route, rows
//! accepted and rejected by reason, plugin failures by kind, store errors by kind.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Latency histogram bucket bounds, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

/// The service's counters.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    rows: Mutex<BTreeMap<(String, String), u64>>,
    rejected: Mutex<BTreeMap<(String, String), u64>>,
    plugin_failures: Mutex<BTreeMap<(String, String), u64>>,
    store_errors: Mutex<BTreeMap<String, u64>>,
    automation: Mutex<BTreeMap<(String, String), u64>>,
    outbox: Mutex<BTreeMap<(String, String), u64>>,
}

fn bump<K: Ord>(map: &Mutex<BTreeMap<K, u64>>, key: K, by: u64) {
    if let Ok(mut m) = map.lock() {
        *m.entry(key).or_default() += by;
    }
}

impl Metrics {
    /// A request answered: its route pattern, status and seconds taken.
    pub fn request(&self, route: &str, status: u16, seconds: f64) {
        bump(&self.requests, (route.to_string(), status), 1);
        if let Ok(mut m) = self.latency.lock() {
            let h = m.entry(route.to_string()).or_default();
            for (i, b) in BUCKETS.iter().enumerate() {
                if seconds <= *b {
                    h.counts[i] += 1;
                }
            }
            h.sum += seconds;
            h.count += 1;
        }
    }

    /// Rows of `kind` that ended `outcome` (`accepted`, `updated`, `duplicate`, `held`, `rejected`).
    pub fn rows(&self, kind: &str, outcome: &str, n: u64) {
        if n > 0 {
            bump(&self.rows, (kind.to_string(), outcome.to_string()), n);
        }
    }

    /// A row rejected (or held) for `reason`.
    pub fn rejected(&self, kind: &str, reason: &str) {
        bump(&self.rejected, (kind.to_string(), reason.to_string()), 1);
    }

    /// A plugin call that failed.
    pub fn plugin_failure(&self, plugin: &str, kind: &str) {
        bump(
            &self.plugin_failures,
            (plugin.to_string(), kind.to_string()),
            1,
        );
    }

    /// A store operation that failed.
    pub fn store_error(&self, kind: &str) {
        bump(&self.store_errors, kind.to_string(), 1);
    }

    /// A handoff routed or a notice fired (`handoff`, `due_soon`, `breached`, `escalated`).
    pub fn automation(&self, kind: &str) {
        bump(&self.automation, (kind.to_string(), String::new()), 1);
    }

    /// An outbox delivery attempt to `target` that ended `outcome` (`delivered`, `retried`,
    /// `failed`: given up).
    pub fn outbox(&self, target: &str, outcome: &str) {
        bump(&self.outbox, (target.to_string(), outcome.to_string()), 1);
    }

    /// The text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let label = |s: &str| {
            s.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n")
        };
        out.push_str("# HELP baton_requests_total HTTP requests answered, by route and status.\n# TYPE baton_requests_total counter\n");
        if let Ok(m) = self.requests.lock() {
            for ((route, status), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "baton_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                    label(route)
                );
            }
        }
        out.push_str("# HELP baton_request_seconds Time to answer a request, by route.\n# TYPE baton_request_seconds histogram\n");
        if let Ok(m) = self.latency.lock() {
            for (route, h) in m.iter() {
                let route = label(route);
                for (b, c) in BUCKETS.iter().zip(h.counts) {
                    let _ = writeln!(
                        out,
                        "baton_request_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {c}"
                    );
                }
                let _ = writeln!(
                    out,
                    "baton_request_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(
                    out,
                    "baton_request_seconds_sum{{route=\"{route}\"}} {}",
                    h.sum
                );
                let _ = writeln!(
                    out,
                    "baton_request_seconds_count{{route=\"{route}\"}} {}",
                    h.count
                );
            }
        }
        let pairs = |out: &mut String,
                     name: &str,
                     help: &str,
                     a: &str,
                     b: &str,
                     m: &Mutex<BTreeMap<(String, String), u64>>| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            if let Ok(m) = m.lock() {
                for ((x, y), n) in m.iter() {
                    let _ = writeln!(
                        out,
                        "{name}{{{a}=\"{}\",{b}=\"{}\"}} {n}",
                        label(x),
                        label(y)
                    );
                }
            }
        };
        pairs(
            &mut out,
            "baton_rows_total",
            "Rows posted, by kind and outcome.",
            "kind",
            "outcome",
            &self.rows,
        );
        pairs(
            &mut out,
            "baton_rows_not_used_total",
            "Rows rejected or held, by kind and reason.",
            "kind",
            "reason",
            &self.rejected,
        );
        pairs(
            &mut out,
            "baton_plugin_failures_total",
            "Plugin calls that failed, by plugin and kind.",
            "plugin",
            "kind",
            &self.plugin_failures,
        );
        pairs(
            &mut out,
            "baton_outbox_attempts_total",
            "Outbox delivery attempts, by target and outcome (failed: given up).",
            "target",
            "outcome",
            &self.outbox,
        );
        out.push_str("# HELP baton_automation_total Handoffs routed and notices fired, by kind.\n# TYPE baton_automation_total counter\n");
        if let Ok(m) = self.automation.lock() {
            for ((kind, _), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "baton_automation_total{{kind=\"{}\"}} {n}",
                    label(kind)
                );
            }
        }
        out.push_str("# HELP baton_store_errors_total Store operations that failed, by kind.\n# TYPE baton_store_errors_total counter\n");
        if let Ok(m) = self.store_errors.lock() {
            for (kind, n) in m.iter() {
                let _ = writeln!(
                    out,
                    "baton_store_errors_total{{kind=\"{}\"}} {n}",
                    label(kind)
                );
            }
        }
        out
    }
}
