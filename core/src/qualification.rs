//! Qualification (criteria sets such as BANT or MEDDIC, combined by a policy) and routing
//! (first matching rule wins; round robin rotates evenly with a seed).

use serde::Serialize;

use crate::conditions::{
    Compiler, FactSchema, Facts, LeadFacts, Pred, RuleError, Scope, Subject, Truth,
};
use crate::config::Policy;
use crate::model::{LeadIx, Workspace};
use crate::program::QualificationProgram;
use crate::time::Instant;

/// A criterion ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledCriterion {
    /// Name.
    pub name: String,
    /// What to ask when data is missing.
    pub ask: Option<String>,
    /// Weight (weighted policy).
    pub weight: f64,
    /// The condition, or `None` for a plugin criterion.
    pub pred: Option<Pred>,
    /// The plugin deciding it (native host).
    pub plugin: Option<String>,
}

/// A criteria set ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledSet {
    /// Name.
    pub name: String,
    /// How the criteria combine.
    pub policy: Policy,
    /// Criteria.
    pub criteria: Vec<CompiledCriterion>,
}

/// The compiled `[qualification]` section.
#[derive(Debug, Clone, Default)]
pub struct QualificationModel {
    /// Sets in configuration order.
    pub sets: Vec<CompiledSet>,
}

/// A plugin's answer for one criterion and lead, supplied by the host.
pub trait PluginVerdicts {
    /// `Some(true/false)` when the plugin decided, `None` when it did not run or failed open to skip.
    fn verdict(&self, plugin: &str, lead: LeadIx) -> Option<PluginAnswer>;
}

/// What a plugin said about a criterion.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginAnswer {
    /// Pass or fail.
    pub passed: bool,
    /// The plugin failed under `on_error = "skip"`: the criterion is left out of the set.
    pub skipped: bool,
    /// Its reasons, shown in the verdict.
    pub reasons: Vec<String>,
    /// Data it said was missing.
    pub missing_data: Vec<String>,
}

/// No plugins (the browser, or a workspace without plugins).
pub struct NoPlugins;

impl PluginVerdicts for NoPlugins {
    fn verdict(&self, _plugin: &str, _lead: LeadIx) -> Option<PluginAnswer> {
        None
    }
}

/// One set's verdict for one lead.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Verdict {
    /// The set.
    pub set: String,
    /// Whether the policy is satisfied.
    pub qualified: bool,
    /// Criteria that passed.
    pub passed: Vec<String>,
    /// Criteria that failed.
    pub failed: Vec<String>,
    /// Criteria that could not be decided, and what to ask.
    pub missing_data: Vec<MissingData>,
    /// Reasons given by plugins, per criterion.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub plugin_reasons: Vec<String>,
}

/// A criterion the data could not decide.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MissingData {
    /// The criterion.
    pub criterion: String,
    /// The missing fact (attribute name, or the plugin's words).
    pub missing: String,
    /// What to ask the prospect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ask: Option<String>,
}

impl QualificationModel {
    /// Compiles `[qualification]`; errors name the criterion and the field.
    pub fn compile(ws: &Workspace) -> Result<QualificationModel, RuleError> {
        let config = &ws.framework.config;
        let program = QualificationProgram::compile(&config.qualification)?;
        QualificationModel::bind(&program, ws, Some(&config.plugins))
    }

    /// Binds a compiled `[qualification]` to `schema`'s facts; with `plugins`, a plugin criterion
    /// must name one of them of role `criterion` (a page's visitor runs none: its program was
    /// checked when compiled).
    pub fn bind<S: FactSchema>(
        program: &QualificationProgram,
        schema: &S,
        plugins: Option<&[crate::config::Plugin]>,
    ) -> Result<QualificationModel, RuleError> {
        let compiler = Compiler::new(schema);
        let mut sets = Vec::new();
        for set in &program.sets {
            let mut criteria = Vec::new();
            for c in &set.criteria {
                let label = crate::program::criterion_label(&set.name, &c.name);
                let pred = c
                    .when
                    .as_ref()
                    .map(|w| compiler.bind(&label, w, Scope::Lead))
                    .transpose()?;
                if let (Some(p), Some(plugins)) = (&c.plugin, plugins) {
                    check_plugin(&label, p, plugins)?;
                }
                criteria.push(CompiledCriterion {
                    name: c.name.clone(),
                    ask: c.ask.clone(),
                    weight: c.weight,
                    pred,
                    plugin: c.plugin.clone(),
                });
            }
            sets.push(CompiledSet {
                name: set.name.clone(),
                policy: set.policy,
                criteria,
            });
        }
        Ok(QualificationModel { sets })
    }

    /// Every set's verdict for `lead` of a workspace.
    pub fn qualify(
        &self,
        ws: &Workspace,
        lead: LeadIx,
        as_of: Instant,
        plugins: &dyn PluginVerdicts,
    ) -> Vec<Verdict> {
        let column = |col: usize| ws.attributes[col].name.clone();
        let plugin = |name: &str| plugins.verdict(name, lead);
        self.qualify_facts(&LeadFacts { ws, lead }, column, as_of, plugin, None)
    }

    /// Every set's verdict for any lead's facts: the one evaluator of the batch, live and widget
    /// paths. `column` names an attribute column; `plugin` gives a plugin criterion's answer;
    /// `outcomes`, when given, receives each criterion's [`Outcome`] in set and criterion order.
    pub fn qualify_facts<F: Facts>(
        &self,
        facts: &F,
        column: impl Fn(usize) -> String,
        as_of: Instant,
        plugin: impl Fn(&str) -> Option<PluginAnswer>,
        mut outcomes: Option<&mut Vec<Outcome>>,
    ) -> Vec<Verdict> {
        self.sets
            .iter()
            .map(|set| {
                let mut v = Verdict {
                    set: set.name.clone(),
                    qualified: false,
                    passed: vec![],
                    failed: vec![],
                    missing_data: vec![],
                    plugin_reasons: vec![],
                };
                let mut passed_weight = 0.0;
                let mut total_weight = 0.0;
                let mut considered = 0;
                for c in &set.criteria {
                    let mut record = |o: Outcome| {
                        if let Some(out) = outcomes.as_deref_mut() {
                            out.push(o);
                        }
                    };
                    let outcome = match (&c.pred, &c.plugin) {
                        (Some(p), _) => match p.eval_on(facts, None, as_of) {
                            Truth::True => Ok(true),
                            Truth::False => Ok(false),
                            Truth::Unknown(col) => {
                                record(Outcome::MissingAttribute(col));
                                Err(column(col))
                            }
                        },
                        (None, Some(name)) => match plugin(name) {
                            Some(a) if a.skipped => {
                                v.plugin_reasons
                                    .extend(a.reasons.iter().map(|r| format!("{}: {r}", c.name)));
                                record(Outcome::Skipped);
                                continue;
                            }
                            Some(a) => {
                                v.plugin_reasons
                                    .extend(a.reasons.iter().map(|r| format!("{}: {r}", c.name)));
                                if a.missing_data.is_empty() || a.passed {
                                    Ok(a.passed)
                                } else {
                                    record(Outcome::MissingPlugin);
                                    Err(a.missing_data.join(", "))
                                }
                            }
                            None => {
                                record(Outcome::MissingPlugin);
                                Err(no_plugin_verdict(name))
                            }
                        },
                        (None, None) => Ok(false),
                    };
                    if let Ok(passed) = outcome {
                        record(if passed {
                            Outcome::Passed
                        } else {
                            Outcome::Failed
                        });
                    }
                    considered += 1;
                    total_weight += c.weight;
                    match outcome {
                        Ok(true) => {
                            v.passed.push(c.name.clone());
                            passed_weight += c.weight;
                        }
                        Ok(false) => v.failed.push(c.name.clone()),
                        Err(missing) => v.missing_data.push(MissingData {
                            criterion: c.name.clone(),
                            missing,
                            ask: c.ask.clone(),
                        }),
                    }
                }
                v.qualified = match set.policy {
                    Policy::All => v.passed.len() == considered,
                    Policy::Any => !v.passed.is_empty(),
                    Policy::AtLeast(n) => v.passed.len() >= n,
                    Policy::Weighted(t) => total_weight > 0.0 && passed_weight / total_weight >= t,
                };
                v
            })
            .collect()
    }
}

/// How one criterion came out, in the order of the sets and their criteria (the widget's compact
/// answer; the verdicts say the same in words).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It holds.
    Passed,
    /// It does not.
    Failed,
    /// Undecided: the lead has no value for attribute column `0`.
    MissingAttribute(usize),
    /// Undecided: its plugin gave no verdict, or said data is missing.
    MissingPlugin,
    /// Left out of the set (its plugin failed under `on_error = "skip"`).
    Skipped,
}

/// What a criterion decided by a plugin that did not run says it is missing.
pub fn no_plugin_verdict(plugin: &str) -> String {
    format!("plugin {plugin:?} gave no verdict (plugins run in the native host)")
}

/// A plugin criterion's plugin must exist with role `criterion`.
pub(crate) fn check_plugin(
    label: &str,
    name: &str,
    plugins: &[crate::config::Plugin],
) -> Result<(), RuleError> {
    let err = |message: String| RuleError {
        rule: label.into(),
        field: "plugin".into(),
        message,
    };
    match plugins.iter().find(|x| x.name == name) {
        None => Err(err(format!("no [[plugins]] entry named {name:?}"))),
        Some(x) if x.role != crate::config::PluginRole::Criterion => Err(err(format!(
            "plugin {name:?} has role \"score_adjustment\"; a criterion needs role \"criterion\""
        ))),
        Some(_) => Ok(()),
    }
}

/// Where one lead is routed: a fixed owner (a rule's `route_to`, or the default), a round-robin
/// pool (whose turn the caller keeps), or nobody.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteChoice<'a> {
    /// A fixed owner or queue; `rule` is `None` for `[routing] default`.
    Owner {
        /// The rule's name.
        rule: Option<&'a str>,
        /// The owner.
        owner: &'a str,
    },
    /// A rotation.
    Pool {
        /// The rule's name.
        rule: &'a str,
        /// The rule's position in `[[routing.rules]]`.
        index: usize,
        /// The owners, in rotation order.
        owners: &'a [String],
        /// Where rotations start (`[routing] seed`).
        seed: u64,
    },
    /// No rule matches and there is no default.
    Nobody,
}

/// The compiled `[routing]` section.
#[derive(Debug, Clone, Default)]
pub struct RoutingModel {
    rules: Vec<(String, Pred, Option<String>, Vec<String>)>,
    default: Option<String>,
    seed: u64,
}

impl RoutingModel {
    /// Compiles `[routing]`.
    pub fn compile(ws: &Workspace) -> Result<RoutingModel, RuleError> {
        let cfg = &ws.framework.config.routing;
        let compiler = Compiler::new(ws);
        let rules = cfg
            .rules
            .iter()
            .map(|r| {
                Ok((
                    r.name.clone(),
                    compiler.compile(&r.name, &r.when, Scope::Lead)?,
                    r.route_to.clone(),
                    r.round_robin.clone(),
                ))
            })
            .collect::<Result<_, RuleError>>()?;
        Ok(RoutingModel {
            rules,
            default: cfg.default.clone(),
            seed: cfg.seed,
        })
    }

    /// True when a rule routes to a round-robin pool: a lead's route then depends on the leads
    /// routed before it, not on the lead alone.
    pub fn rotates(&self) -> bool {
        self.rules.iter().any(|(_, _, fixed, _)| fixed.is_none())
    }

    /// True when the lead's first matching rule routes to a round-robin pool (its turn then
    /// depends on the leads routed before it).
    pub fn pooled(&self, ws: &Workspace, lead: LeadIx, as_of: Instant) -> bool {
        let s = Subject {
            ws,
            lead,
            event: None,
            as_of,
        };
        self.rules
            .iter()
            .find(|(_, p, _, _)| p.eval(&s) == Truth::True)
            .is_some_and(|(_, _, fixed, _)| fixed.is_none())
    }

    /// Where the lead's first matching rule sends it, one lead at a time (the live service
    /// keeps a pool's turn itself).
    pub fn choice(&self, ws: &Workspace, lead: LeadIx, as_of: Instant) -> RouteChoice<'_> {
        let s = Subject {
            ws,
            lead,
            event: None,
            as_of,
        };
        let hit = self
            .rules
            .iter()
            .enumerate()
            .find(|(_, (_, p, _, _))| p.eval(&s) == Truth::True);
        match hit {
            Some((_, (name, _, Some(owner), _))) => RouteChoice::Owner {
                rule: Some(name),
                owner,
            },
            Some((index, (name, _, None, pool))) => RouteChoice::Pool {
                rule: name,
                index,
                owners: pool,
                seed: self.seed,
            },
            None => match &self.default {
                Some(owner) => RouteChoice::Owner { rule: None, owner },
                None => RouteChoice::Nobody,
            },
        }
    }

    /// True when no rule and no default is configured.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.default.is_none()
    }

    /// Routes every lead: the first rule whose condition holds; round-robin pools rotate evenly over
    /// the leads they receive in order of (created_at, lead id), starting at `seed`.
    pub fn route_all(&self, ws: &Workspace, as_of: Instant) -> Vec<Option<String>> {
        let mut order: Vec<LeadIx> = (0..ws.leads.len() as LeadIx).collect();
        crate::order::sort_by_key(&mut order, |&l| {
            (ws.leads[l as usize].created_at, ws.leads[l as usize].id)
        });
        let mut turns = vec![0u64; self.rules.len()];
        let mut out = vec![None; ws.leads.len()];
        for lead in order {
            let s = Subject {
                ws,
                lead,
                event: None,
                as_of,
            };
            let hit = self
                .rules
                .iter()
                .position(|(_, p, _, _)| p.eval(&s) == Truth::True);
            out[lead as usize] = match hit {
                Some(i) => {
                    let (_, _, fixed, pool) = &self.rules[i];
                    match fixed {
                        Some(t) => Some(t.clone()),
                        None => {
                            let k = (self.seed + turns[i]) % pool.len() as u64;
                            turns[i] += 1;
                            Some(pool[k as usize].clone())
                        }
                    }
                }
                None => self.default.clone(),
            };
        }
        out
    }
}
