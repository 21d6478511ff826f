//! The site widget's engine: one visitor scored and qualified by a compiled scoring program.
//!
//! The program is core's own compiled form of `[scoring]` (`baton widget build`, or the
//! service's `GET /v1/widget/program`); the visitor is core's [`Visitor`], scored by the same
//! function as the batch and live paths. This crate only turns JS values into core's and the
//! answer into numbers: `[score, fit, engagement, mql, grade, tier, points of each rule...]`
//! (grade 0 for none, 1–4 for A–D; NaN for a rule that gave no points), named by the JS layer
//! (`widget/js/engine.js`) from the rule names the program carries.

#[cfg(target_arch = "wasm32")]
mod bindings;

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

use baton_core::Instant;
use baton_core::model::Team;
use baton_core::program::{AttrInput, Program, Touch, Visitor};
use baton_core::qualification::Outcome;

/// Where the numbers sit in [`Widget::score`]'s answer.
pub mod layout {
    /// Total score.
    pub const SCORE: usize = 0;
    /// Fit points.
    pub const FIT: usize = 1;
    /// Engagement points.
    pub const ENGAGEMENT: usize = 2;
    /// 1 when an MQL, else 0.
    pub const MQL: usize = 3;
    /// 0 without fit rules, 1–4 for grades A–D.
    pub const GRADE: usize = 4;
    /// Engagement tier 1–3.
    pub const TIER: usize = 5;
    /// Rule `i`'s points sit at `RULES + i`.
    pub const RULES: usize = 6;
}

/// A visitor under a program, as the page holds it.
#[derive(Debug)]
pub struct Widget {
    visitor: Visitor,
}

impl Widget {
    /// A visitor for the program's bytes; refused (with why) when they are not a program this
    /// build reads.
    pub fn new(program: &[u8]) -> Result<Widget, String> {
        let program = Program::from_bytes(program).map_err(|e| e.to_string())?;
        let visitor = Visitor::new(program).map_err(|e| e.to_string())?;
        Ok(Widget { visitor })
    }

    /// The rule names, in program order.
    pub fn rule_names(&self) -> Vec<String> {
        let rules = &self.visitor.program().scoring.rules;
        rules.iter().map(|r| r.name.clone()).collect()
    }

    /// 0 for a fit rule, 1 for an engagement rule, in program order.
    pub fn rule_kinds(&self) -> Vec<u8> {
        let rules = &self.visitor.program().scoring.rules;
        rules
            .iter()
            .map(|r| u8::from(r.kind == baton_core::config::RuleKind::Engagement))
            .collect()
    }

    /// The criteria sets' names, in program order.
    pub fn set_names(&self) -> Vec<String> {
        let sets = &self.visitor.program().qualification.sets;
        sets.iter().map(|s| s.name.clone()).collect()
    }

    /// How many criteria each set has.
    pub fn criterion_counts(&self) -> Vec<u32> {
        let sets = &self.visitor.program().qualification.sets;
        sets.iter().map(|s| s.criteria.len() as u32).collect()
    }

    /// Each criterion's name, what to ask ("" for nothing) and plugin ("" for none), three texts
    /// a criterion, sets and criteria in program order.
    pub fn criteria(&self) -> Vec<String> {
        let sets = &self.visitor.program().qualification.sets;
        let all = sets.iter().flat_map(|s| s.criteria.iter());
        all.flat_map(|c| {
            [
                c.name.clone(),
                c.ask.clone().unwrap_or_default(),
                c.plugin.clone().unwrap_or_default(),
            ]
        })
        .collect()
    }

    /// Qualification as of `as_of_micros`, as numbers: each set's verdict (1 qualified, 0 not),
    /// then each criterion's outcome in program order: 1 passed, 0 failed, -1 left out, -2 its
    /// plugin gave no verdict (plugins run in the native host), 2 + k the visitor has no value
    /// for attribute k (of [`Widget::attribute_names`]).
    pub fn qualify(&mut self, as_of_micros: f64) -> Result<Vec<f64>, String> {
        let mut outcomes = Vec::new();
        let as_of = instant(as_of_micros, "asOf")?;
        let verdicts = self.visitor.qualify_into(as_of, Some(&mut outcomes));
        let mut out: Vec<f64> = verdicts
            .iter()
            .map(|v| f64::from(u8::from(v.qualified)))
            .collect();
        out.extend(outcomes.iter().map(|o| match o {
            Outcome::Passed => 1.0,
            Outcome::Failed => 0.0,
            Outcome::Skipped => -1.0,
            Outcome::MissingPlugin => -2.0,
            Outcome::MissingAttribute(k) => 2.0 + *k as f64,
        }));
        Ok(out)
    }

    /// The MQL threshold.
    pub fn mql_threshold(&self) -> f64 {
        self.visitor.program().scoring.mql_threshold
    }

    /// The attributes the rules read.
    pub fn attribute_names(&self) -> Vec<String> {
        let names = self.visitor.attributes().iter();
        names.map(|(n, _)| n.clone()).collect()
    }

    /// Sets an attribute; false when no rule reads it.
    pub fn set_attribute(&mut self, name: &str, value: AttrInput<'_>) -> bool {
        self.visitor.set_attribute(name, value)
    }

    /// Adds a touch at `ts_micros` (microseconds since the Unix epoch); empty texts are absent.
    pub fn add_touch(
        &mut self,
        ts_micros: f64,
        kind: &str,
        channel: &str,
        team: &str,
        campaign: &str,
        asset: &str,
    ) -> Result<(), String> {
        let ts = instant(ts_micros, "ts")?;
        if kind.is_empty() || channel.is_empty() {
            let field = if kind.is_empty() { "type" } else { "channel" };
            return Err(format!("touch: `{field}` is empty"));
        }
        let team = match team {
            "" => None,
            t => Some(Team::parse(t).ok_or_else(|| {
                format!("touch: `team`: {t:?} is not a team (marketing, sales, cs)")
            })?),
        };
        self.visitor.add_touch(Touch {
            ts,
            kind,
            channel,
            team,
            campaign: (!campaign.is_empty()).then_some(campaign),
            asset: (!asset.is_empty()).then_some(asset),
        });
        Ok(())
    }

    /// Forgets the touches.
    pub fn clear_touches(&mut self) {
        self.visitor.clear_touches();
    }

    /// The score as of `as_of_micros`, as numbers (see [`layout`]).
    pub fn score(&mut self, as_of_micros: f64) -> Result<Vec<f64>, String> {
        let s = self.visitor.score(instant(as_of_micros, "asOf")?);
        let mut out = Vec::with_capacity(layout::RULES + s.points.len());
        let grade = s.grade.map_or(0.0, |g| f64::from(g as u8 - b'A' + 1));
        out.extend_from_slice(&[
            s.quick.score,
            s.quick.fit,
            s.quick.engagement,
            f64::from(u8::from(s.mql)),
            grade,
            f64::from(s.tier),
        ]);
        out.extend_from_slice(&s.points);
        Ok(out)
    }
}

/// An instant from microseconds since the epoch, which must be a whole number in range.
fn instant(micros: f64, field: &str) -> Result<Instant, String> {
    // ±2^53 µs is ±285 years: every whole number there is exact in an f64.
    const LIMIT: f64 = 9_007_199_254_740_992.0;
    if micros.is_finite() && micros.fract() == 0.0 && micros.abs() <= LIMIT {
        Ok(Instant(micros as i64))
    } else {
        Err(format!(
            "`{field}`: {micros} is not a time (whole microseconds since 1970)"
        ))
    }
}
