//! Content utilization: which marketing assets sales shares and at which stage, assets sales never
//! uses, stage × persona gaps, each asset's lift on winning (stratified by the stage reached), and
//! the next-best content for a lead.

use crate::order::CollectOrdered;
use crate::order::{Map, Set};

use serde::Serialize;

use crate::journey::{lead_text, stage_entries};
use crate::messaging::Lexicon;
use crate::model::{LeadIx, Team, Workspace};
use crate::outcomes::Outcomes;
use crate::stats::{Proportion, Z95, round6};
use crate::symbols::Sym;
use crate::time::Instant;

/// Fewer exposed leads than this, or fewer than 5 wins in all, is "too small to tell".
pub const MIN_EXPOSED: u64 = 20;

/// `report.json` → `content`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ContentReport {
    /// Every asset and how it is used.
    pub assets: Vec<AssetUsage>,
    /// Marketing assets sales has never shared.
    pub unused_by_sales: Vec<String>,
    /// Funnel stage × persona pairs no marketing asset is made for.
    pub gaps: Vec<Gap>,
}

/// Usage of one asset.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AssetUsage {
    /// Asset id.
    pub asset_id: String,
    /// Title.
    pub title: String,
    /// Owner team.
    pub owner_team: &'static str,
    /// Times sales shared it (`team = sales` events with this `asset_id`).
    pub sales_shares: u64,
    /// Leads sales shared it with.
    pub sales_leads: u64,
    /// Sales shares by the lead's stage at the time.
    pub shares_by_stage: Map<String, u64>,
    /// Leads who received it from anyone.
    pub leads_reached: u64,
    /// Win rate of leads who received it vs comparable leads who did not.
    pub lift: Lift,
}

/// Lift of an asset on winning.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Lift {
    /// Leads who received it, and how many won.
    pub exposed: Proportion,
    /// Standardised difference of win rates (exposed − comparable), weighted by exposed leads per stratum.
    pub difference: Option<f64>,
    /// 95% interval of the difference.
    pub interval: Option<(f64, f64)>,
    /// `higher`, `lower`, `no clear difference`, or `sample too small to tell`.
    pub verdict: &'static str,
    /// Per stage at first receipt: exposed vs never-exposed leads that reached that stage.
    pub strata: Vec<Stratum>,
}

/// One stratum of the lift.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Stratum {
    /// The stage the lead was in when it first received the asset.
    pub stage: String,
    /// Exposed leads (won of).
    pub exposed: Proportion,
    /// Never-exposed leads that reached the stage (won of).
    pub comparable: Proportion,
}

/// A stage × persona pair without content.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Gap {
    /// Funnel stage.
    pub stage: String,
    /// Persona.
    pub persona: String,
    /// Leads of that persona that reached the stage.
    pub leads: u64,
}

/// The lead's stage (index) at instant `t`, from its entries.
fn stage_at(entries: &[crate::model::StageEntry], t: Instant) -> Option<u16> {
    let k = entries.partition_point(|e| e.ts <= t);
    (k > 0).then(|| entries[k - 1].stage)
}

/// Computes `content`.
pub fn content_report(ws: &Workspace, as_of: Instant, outcomes: &Outcomes) -> ContentReport {
    let n = ws.leads.len();
    let mut entries_of: Vec<&[crate::model::StageEntry]> = vec![&[]; n];
    for (lead, e) in stage_entries(ws, as_of) {
        entries_of[lead as usize] = e;
    }
    let stage_name =
        |s: Option<u16>| s.map_or("(none)".to_string(), |s| ws.stage_names[s as usize].clone());
    let asset_ix: Map<Sym, usize> = ws
        .assets
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id, i))
        .collect_map();
    let mut shares = vec![0u64; ws.assets.len()];
    let mut share_leads: Vec<Set<LeadIx>> = vec![Set::new(); ws.assets.len()];
    let mut by_stage: Vec<Map<String, u64>> = vec![Map::new(); ws.assets.len()];
    // First receipt (from anyone) per asset and lead.
    let mut first: Vec<Map<LeadIx, Instant>> = vec![Map::new(); ws.assets.len()];
    for lead in 0..n as LeadIx {
        let all = ws.events_of(lead);
        for e in &all[..all.partition_point(|e| e.ts <= as_of)] {
            let Some(&a) = e.asset.and_then(|s| asset_ix.get(&s)) else {
                continue;
            };
            first[a].entry(lead).or_insert(e.ts);
            if e.team == Some(Team::Sales) {
                shares[a] += 1;
                share_leads[a].insert(lead);
                *by_stage[a]
                    .entry(stage_name(stage_at(entries_of[lead as usize], e.ts)))
                    .or_insert(0) += 1;
            }
        }
    }
    let won = |l: LeadIx| outcomes.is_won(l);
    // Leads (and wins) that entered each stage, over all leads; an asset's comparable group for a
    // stage is these totals less its own exposed leads.
    let n_stages = ws.stage_names.len().min(64);
    let (mut tot_n, mut tot_k) = (vec![0u64; n_stages], vec![0u64; n_stages]);
    let mut all_won = 0u64;
    for l in 0..n as LeadIx {
        let w = u64::from(won(l));
        all_won += w;
        for st in 0..n_stages {
            if outcomes.entered[l as usize] & (1 << st) != 0 {
                tot_n[st] += 1;
                tot_k[st] += w;
            }
        }
    }
    let assets: Vec<AssetUsage> = ws
        .assets
        .iter()
        .enumerate()
        .map(|(a, asset)| {
            // Strata by the stage at first receipt.
            let mut strata: Map<Option<u16>, (u64, u64)> = Map::new();
            for (&lead, &t) in &first[a] {
                let e = strata
                    .entry(stage_at(entries_of[lead as usize], t))
                    .or_default();
                e.0 += 1;
                e.1 += u64::from(won(lead));
            }
            let exposed_n: u64 = strata.values().map(|v| v.0).sum();
            let exposed_k: u64 = strata.values().map(|v| v.1).sum();
            let mut diff = 0.0;
            let mut var = 0.0;
            let mut all_k = exposed_k;
            let (mut sub_n, mut sub_k) = (vec![0u64; n_stages], vec![0u64; n_stages]);
            for &lead in first[a].keys() {
                let w = u64::from(won(lead));
                for st in 0..n_stages {
                    if outcomes.entered[lead as usize] & (1 << st) != 0 {
                        sub_n[st] += 1;
                        sub_k[st] += w;
                    }
                }
            }
            let strata_out: Vec<Stratum> = strata
                .iter()
                .map(|(&s, &(en, ek))| {
                    let (cn, ck) = match s {
                        Some(st) if (st as usize) < n_stages => (
                            tot_n[st as usize] - sub_n[st as usize],
                            tot_k[st as usize] - sub_k[st as usize],
                        ),
                        Some(_) => (0, 0),
                        None => (n as u64 - exposed_n, all_won - exposed_k),
                    };
                    all_k += ck;
                    let w = en as f64 / exposed_n.max(1) as f64;
                    let (p1, p2) = (
                        ek as f64 / en.max(1) as f64,
                        if cn > 0 { ck as f64 / cn as f64 } else { 0.0 },
                    );
                    diff += w * (p1 - p2);
                    var += w
                        * w
                        * (p1 * (1.0 - p1) / en.max(1) as f64
                            + if cn > 0 {
                                p2 * (1.0 - p2) / cn as f64
                            } else {
                                0.0
                            });
                    Stratum {
                        stage: stage_name(s),
                        exposed: Proportion::new(ek, en),
                        comparable: Proportion::new(ck, cn),
                    }
                })
                .collect();
            let small = exposed_n < MIN_EXPOSED || all_k < 5;
            let (lo, hi) = (diff - Z95 * var.sqrt(), diff + Z95 * var.sqrt());
            let verdict = if small {
                "sample too small to tell"
            } else if lo > 0.0 {
                "higher"
            } else if hi < 0.0 {
                "lower"
            } else {
                "no clear difference"
            };
            AssetUsage {
                asset_id: ws.text(asset.id).into(),
                title: asset.title.clone(),
                owner_team: asset.owner_team.as_str(),
                sales_shares: shares[a],
                sales_leads: share_leads[a].len() as u64,
                shares_by_stage: by_stage[a].clone(),
                leads_reached: exposed_n,
                lift: Lift {
                    exposed: Proportion::new(exposed_k, exposed_n),
                    difference: (exposed_n > 0).then(|| round6(diff)),
                    interval: (exposed_n > 0 && !small).then(|| (round6(lo), round6(hi))),
                    verdict,
                    strata: strata_out,
                },
            }
        })
        .collect();
    let unused_by_sales = assets
        .iter()
        .filter(|a| a.owner_team == "marketing" && a.sales_shares == 0)
        .map(|a| a.asset_id.clone())
        .collect();
    // Gaps: funnel stage × persona (personas of leads) with no marketing asset made for both.
    let lc = &ws.framework.config.lifecycle;
    let mut persona_stage: Map<(String, usize), u64> = Map::new();
    for l in 0..n as LeadIx {
        let persona = lead_text(ws, "persona", l);
        if persona == "(none)" {
            continue;
        }
        if let Some(f) = outcomes.furthest[l as usize] {
            for s in 0..=f as usize {
                *persona_stage.entry((persona.to_string(), s)).or_insert(0) += 1;
            }
        }
    }
    let covered: Set<(String, String)> = ws
        .assets
        .iter()
        .filter(|a| a.owner_team == Team::Marketing)
        .filter_map(|a| {
            Some((
                ws.text(a.stage?).to_lowercase(),
                ws.text(a.persona?).to_lowercase(),
            ))
        })
        .collect_set();
    let gaps = persona_stage
        .into_iter()
        .filter(|((p, s), _)| !covered.contains(&(lc.stages[*s].to_lowercase(), p.to_lowercase())))
        .map(|((persona, s), leads)| Gap {
            stage: lc.stages[s].clone(),
            persona,
            leads,
        })
        .collect();
    ContentReport {
        assets,
        unused_by_sales,
        gaps,
    }
}

/// One suggested asset for a lead.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Suggestion {
    /// Asset id.
    pub asset_id: String,
    /// Title.
    pub title: String,
    /// Ranking score (sum of the reasons' points).
    pub score: f64,
    /// Why, one line per reason.
    pub reasons: Vec<String>,
}

/// What the messaging lexicon reads in each asset's text, by asset id: the pillars it covers
/// and whether it still carries a retired or banned claim. Next-best content ranks by it; a
/// caller giving many cards reads the assets once.
#[derive(Debug, Default)]
pub struct AssetReading {
    /// Per asset: its id, the pillars it covers, whether it carries a flagged claim.
    assets: Vec<(String, Set<String>, bool)>,
}

impl AssetReading {
    /// Reads `ws`'s assets with `lexicon` (none: no pillars, nothing flagged).
    pub fn new(ws: &Workspace, lexicon: Option<&Lexicon>) -> Self {
        let Some(lexicon) = lexicon else {
            return Self::default();
        };
        let assets = ws
            .assets
            .iter()
            .map(|a| {
                let found = lexicon.analyze(&a.body);
                let pillars = found.pillars.into_iter().map(|p| p.pillar).collect_set();
                (ws.text(a.id).to_string(), pillars, !found.claims.is_empty())
            })
            .collect();
        Self { assets }
    }

    fn find(&self, asset: &str) -> Option<&(String, Set<String>, bool)> {
        self.assets.iter().find(|(id, _, _)| id == asset)
    }

    fn pillars(&self, asset: &str) -> &Set<String> {
        static NONE: Set<String> = Set::new();
        self.find(asset).map_or(&NONE, |(_, p, _)| p)
    }

    fn flagged(&self, asset: &str) -> bool {
        self.find(asset).is_some_and(|(_, _, f)| *f)
    }
}

/// The next-best marketing assets for a lead: fit to its stage and persona (+3 same stage, +1 the
/// next stage, +2 persona), +1 per pillar the asset covers that the lead's received assets have not,
/// +2 when the asset's lift is `higher`. Assets the lead already received, and assets with a retired
/// or banned claim, are left out.
pub fn next_best_content(
    ws: &Workspace,
    lead: LeadIx,
    as_of: Instant,
    report: &ContentReport,
    reading: &AssetReading,
) -> Vec<Suggestion> {
    let entries: Vec<_> = ws
        .stages
        .iter()
        .filter(|s| s.lead == lead && s.ts <= as_of)
        .collect();
    let current = entries
        .last()
        .map(|e| ws.stage_names[e.stage as usize].to_lowercase());
    let next = entries
        .last()
        .and_then(|e| {
            ws.framework
                .config
                .lifecycle
                .stages
                .get(e.stage as usize + 1)
        })
        .map(|s| s.to_lowercase());
    let persona = lead_text(ws, "persona", lead).to_lowercase();
    let received: Set<Sym> = ws
        .events_of(lead)
        .iter()
        .filter(|e| e.ts <= as_of)
        .filter_map(|e| e.asset)
        .collect_set();
    let covered: Set<String> = ws
        .assets
        .iter()
        .filter(|a| received.contains(&a.id))
        .flat_map(|a| reading.pillars(ws.text(a.id)).iter().cloned())
        .collect_set();
    let mut out: Vec<Suggestion> = ws
        .assets
        .iter()
        // Never suggest an asset that still carries a retired or banned claim.
        .filter(|a| {
            a.owner_team == Team::Marketing
                && !received.contains(&a.id)
                && !reading.flagged(ws.text(a.id))
        })
        .map(|a| {
            let mut score = 0.0;
            let mut reasons = Vec::new();
            let stage = a.stage.map(|s| ws.text(s).to_lowercase());
            if stage.is_some() && stage == current {
                score += 3.0;
                reasons.push(format!(
                    "made for the {} stage the lead is in",
                    stage.clone().unwrap_or_default()
                ));
            } else if stage.is_some() && stage == next {
                score += 1.0;
                reasons.push(format!(
                    "made for the next stage ({})",
                    stage.clone().unwrap_or_default()
                ));
            }
            if a.persona
                .is_some_and(|p| ws.text(p).eq_ignore_ascii_case(&persona))
            {
                score += 2.0;
                reasons.push(format!("written for the {persona} persona"));
            }
            for p in reading
                .pillars(ws.text(a.id))
                .iter()
                .filter(|p| !covered.contains(*p))
            {
                score += 1.0;
                reasons.push(format!("covers \"{p}\", not yet in this lead's touches"));
            }
            if let Some(u) = report.assets.iter().find(|u| u.asset_id == ws.text(a.id))
                && u.lift.verdict == "higher"
            {
                score += 2.0;
                reasons.push(format!(
                    "leads who received it won more often (+{:.1} points)",
                    100.0 * u.lift.difference.unwrap_or(0.0)
                ));
            }
            Suggestion {
                asset_id: ws.text(a.id).into(),
                title: a.title.clone(),
                score,
                reasons,
            }
        })
        .collect();
    crate::order::sort_by(&mut out, |a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.asset_id.cmp(&b.asset_id))
    });
    out.truncate(5);
    out
}
