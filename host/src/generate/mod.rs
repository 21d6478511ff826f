//! `baton gen`: a realistic, deterministic B2B workspace of any size, streamed to disk.
//!
//! Each lead is simulated on its own random stream (seeded from the run's seed and the lead's
//! number): marketing touches over weeks, an MQL when engagement builds up, a sales first touch
//! after a delay measured on the business calendar (so leads that arrive on Friday evening wait
//! for Monday), acceptance or rejection with a reason, recycle loops, opportunities, won or lost
//! deals with amounts, customer-success touches and feedback. Nothing after the window's end is
//! written: open deals and pending handoffs are left as they would be in a real export.

mod calendar;
mod content;

use std::fmt::Write as _;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

pub use calendar::BusinessCalendar;
pub use content::ASSETS;

use baton_core::FileKind;

use crate::error::HostError;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenOptions {
    /// Number of leads.
    pub leads: u64,
    /// Seed of the random streams.
    pub seed: u64,
    /// First day leads are created (workspace time zone).
    pub start: jiff::civil::Date,
    /// Length of the window in days; nothing after its end is written.
    pub days: u32,
    /// IANA time zone of the workspace.
    pub timezone: String,
    /// Share of rows written deliberately broken (to exercise data quality), 0..1.
    pub error_rate: f64,
    /// Hide the progress bar.
    pub quiet: bool,
}

impl Default for GenOptions {
    fn default() -> Self {
        Self {
            leads: 1000,
            seed: 42,
            start: jiff::civil::date(2026, 1, 5),
            days: 270,
            timezone: "America/New_York".into(),
            error_rate: 0.0,
            quiet: true,
        }
    }
}

/// Row counts of a generated workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenStats {
    /// Leads written.
    pub leads: u64,
    /// Events written.
    pub events: u64,
    /// Stage entries written.
    pub stages: u64,
    /// Deals written.
    pub deals: u64,
    /// Feedback rows written.
    pub feedback: u64,
    /// Rows deliberately broken.
    pub broken_rows: u64,
}

const SOURCES: &[(&str, f64, f64)] = &[
    // (source, weight, quality)
    ("organic_search", 20.0, 1.0),
    ("paid_search", 18.0, 0.85),
    ("paid_social", 12.0, 0.6),
    ("webinar", 10.0, 1.1),
    ("referral", 8.0, 1.6),
    ("events", 8.0, 1.0),
    ("outbound", 10.0, 0.8),
    ("partner", 6.0, 1.3),
    ("content_syndication", 8.0, 0.5),
];
const INDUSTRIES: &[(&str, f64, f64)] = &[
    ("software", 24.0, 1.3),
    ("finance", 14.0, 1.15),
    ("healthcare", 12.0, 0.9),
    ("manufacturing", 16.0, 1.0),
    ("retail", 12.0, 0.75),
    ("education", 8.0, 0.55),
    ("logistics", 14.0, 0.95),
];
const SIZE_BANDS: &[(u32, u32, f64, f64)] = &[
    // (min, max, weight, quality)
    (1, 10, 15.0, 0.4),
    (11, 50, 25.0, 0.7),
    (51, 200, 25.0, 1.0),
    (201, 1000, 20.0, 1.3),
    (1001, 5000, 10.0, 1.5),
    (5001, 50000, 5.0, 1.4),
];
const COUNTRIES: &[(&str, f64)] = &[
    ("US", 45.0),
    ("GB", 12.0),
    ("DE", 10.0),
    ("CA", 8.0),
    ("FR", 6.0),
    ("AU", 6.0),
    ("NL", 5.0),
    ("IN", 4.0),
    ("BR", 4.0),
];
const PERSONAS: &[(&str, f64, f64, &[&str])] = &[
    (
        "economic_buyer",
        18.0,
        1.35,
        &["VP Operations", "CFO", "Head of Revenue Operations", "COO"],
    ),
    (
        "champion",
        27.0,
        1.2,
        &[
            "Operations Manager",
            "RevOps Lead",
            "Director of Sales Operations",
        ],
    ),
    (
        "technical_evaluator",
        22.0,
        1.0,
        &["IT Manager", "Solutions Architect", "Head of IT"],
    ),
    (
        "end_user",
        28.0,
        0.7,
        &[
            "Operations Analyst",
            "Sales Coordinator",
            "Marketing Specialist",
        ],
    ),
    ("student", 5.0, 0.1, &["Student", "Intern"]),
];
/// Sales reps: (owner, mean business hours to first touch, share never touched).
const REPS: &[(&str, f64, f64)] = &[
    ("ana.ruiz", 0.6, 0.02),
    ("ben.okafor", 1.5, 0.04),
    ("chloe.martin", 3.0, 0.05),
    ("dev.patel", 6.0, 0.06),
    ("emma.schulz", 10.0, 0.08),
    ("farid.haddad", 18.0, 0.12),
    ("grace.lee", 2.0, 0.03),
    ("hugo.silva", 30.0, 0.15),
];
const DISQUALIFY_REASONS: &[(&str, f64)] = &[
    ("no budget", 25.0),
    ("not a decision maker", 20.0),
    ("bad fit", 30.0),
    ("student or competitor", 10.0),
    ("no response", 15.0),
];
const RECYCLE_REASONS: &[(&str, f64)] = &[
    ("bad timing", 45.0),
    ("not ready", 35.0),
    ("no response", 20.0),
];
const CAMPAIGNS: &[&str] = &[
    "q1_launch",
    "spring_webinar_series",
    "always_on_search",
    "abm_enterprise",
    "nurture_newsletter",
    "partner_cosell",
];
/// Marketing touch types: (type, channel, weight, engagement points, uses an asset).
const MARKETING_TOUCHES: &[(&str, &str, f64, f64, bool)] = &[
    ("email_open", "email", 30.0, 1.0, false),
    ("email_click", "email", 14.0, 3.0, false),
    ("page_view", "web", 25.0, 1.5, false),
    ("content_download", "web", 10.0, 6.0, true),
    ("webinar_attend", "webinar", 5.0, 8.0, true),
    ("ad_click", "paid_social", 6.0, 2.0, false),
    ("ad_click", "paid_search", 6.0, 2.0, false),
    ("event_visit", "events", 3.0, 8.0, false),
    ("pricing_page_view", "web", 4.0, 10.0, false),
];

/// The holidays written into the generated `baton.toml` (US, 2026).
pub const HOLIDAYS_2026: &[&str] = &[
    "2026-01-01",
    "2026-01-19",
    "2026-02-16",
    "2026-05-25",
    "2026-06-19",
    "2026-07-03",
    "2026-09-07",
    "2026-11-26",
    "2026-11-27",
    "2026-12-24",
    "2026-12-25",
];

fn pick<'a, T>(rng: &mut Pcg64Mcg, items: &'a [T], weight: impl Fn(&T) -> f64) -> &'a T {
    let total: f64 = items.iter().map(&weight).sum();
    let mut x = rng.random::<f64>() * total;
    for item in items {
        x -= weight(item);
        if x < 0.0 {
            return item;
        }
    }
    &items[items.len() - 1]
}

fn exp(rng: &mut Pcg64Mcg, mean: f64) -> f64 {
    -mean * (1.0 - rng.random::<f64>()).ln()
}

fn normal(rng: &mut Pcg64Mcg) -> f64 {
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn chance(rng: &mut Pcg64Mcg, p: f64) -> bool {
    rng.random::<f64>() < p
}

/// Seconds in an hour and a day.
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

struct Writers {
    leads: csv::Writer<BufWriter<File>>,
    events: csv::Writer<BufWriter<File>>,
    stages: csv::Writer<BufWriter<File>>,
    deals: csv::Writer<BufWriter<File>>,
    feedback: csv::Writer<BufWriter<File>>,
}

fn writer(
    dir: &Path,
    name: &str,
    header: &[&str],
) -> Result<csv::Writer<BufWriter<File>>, HostError> {
    let path = dir.join(name);
    let file = File::create(&path).map_err(|e| HostError::io(&path, e))?;
    let mut w = csv::WriterBuilder::new().from_writer(BufWriter::with_capacity(1 << 20, file));
    w.write_record(header).map_err(|e| csv_err(&path, e))?;
    Ok(w)
}

fn csv_err(path: &Path, e: csv::Error) -> HostError {
    HostError::io(path, std::io::Error::other(e.to_string()))
}

/// One simulated event before it is written.
struct Touch {
    ts: i64,
    kind: &'static str,
    channel: &'static str,
    team: &'static str,
    campaign: &'static str,
    asset: &'static str,
}

/// A simulated deal: created, status, closed, amount, margin.
struct DealOutcome {
    created: i64,
    status: &'static str,
    closed: Option<i64>,
    amount: f64,
    margin: f64,
}

/// Everything one lead's simulation produces.
#[derive(Default)]
struct LeadStory {
    touches: Vec<Touch>,
    stages: Vec<(i64, &'static str, &'static str, &'static str)>,
    deal: Option<DealOutcome>,
    feedback: Vec<(i64, &'static str, Option<u32>, &'static str)>,
}

/// Writes a generated workspace into `out` and returns what was written.
pub fn generate(options: &GenOptions, out: &Path) -> Result<GenStats, HostError> {
    let tz = TimeZone::get(&options.timezone)
        .map_err(|_| HostError::Input(format!("unknown time zone {:?}", options.timezone)))?;
    std::fs::create_dir_all(out).map_err(|e| HostError::io(out, e))?;
    let start = options
        .start
        .to_zoned(tz.clone())
        .map_err(|e| HostError::Input(e.to_string()))?
        .timestamp()
        .as_second();
    let end = start + i64::from(options.days) * DAY;

    let framework = write_config(options, out)?;
    let calendar = BusinessCalendar::new(&framework, start, end);
    write_assets(out)?;
    let columns = |kind: FileKind| kind.all_columns();
    // Leads: every canonical column, then the two attributes the example BANT criteria read.
    let mut lead_columns = columns(FileKind::Leads);
    lead_columns.extend(["budget_confirmed", "champion_named"]);
    // Events: every canonical column but `event_id` (generated events need no dedup key).
    let mut event_columns = columns(FileKind::Events);
    event_columns.retain(|c| *c != "event_id");
    let mut w = Writers {
        leads: writer(out, "leads.csv", &lead_columns)?,
        events: writer(out, "events.csv", &event_columns)?,
        stages: writer(out, "stages.csv", &columns(FileKind::Stages))?,
        deals: writer(out, "deals.csv", &columns(FileKind::Deals))?,
        feedback: writer(out, "feedback.csv", &columns(FileKind::Feedback))?,
    };
    let bar = if options.quiet {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new(options.leads);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} generating [{bar:30}] {human_pos}/{human_len} leads ({per_sec}, {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar
    };
    let mut stats = GenStats::default();
    let mut ts_buf = String::with_capacity(32);
    let mut story = LeadStory::default();
    let marketing_assets: Vec<&'static str> = ASSETS
        .iter()
        .filter(|a| a.owner_team == "marketing" && a.id != "ast_unused_infographic")
        .map(|a| a.id)
        .collect();
    for i in 0..options.leads {
        let mut rng =
            Pcg64Mcg::seed_from_u64(options.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ splitmix(i));
        let lead_id = format!("L{:07}", i + 1);
        story.touches.clear();
        story.stages.clear();
        story.deal = None;
        story.feedback.clear();
        let lead = simulate(
            &mut rng,
            start,
            end,
            &calendar,
            &marketing_assets,
            &mut story,
        );
        // Lead row.
        let created = fmt_ts(&mut ts_buf, lead.created);
        let employees = lead.employees.to_string();
        let company = format!(
            "{} {}",
            COMPANY_A[(i as usize * 7 + lead.employees as usize) % COMPANY_A.len()],
            COMPANY_B[(i as usize) % COMPANY_B.len()]
        );
        let broken = options.error_rate > 0.0 && chance(&mut rng, options.error_rate);
        let created_field = if broken {
            stats.broken_rows += 1;
            "not a date".to_string()
        } else {
            created
        };
        w.leads
            .write_record([
                lead_id.as_str(),
                &created_field,
                lead.source,
                &company,
                lead.title,
                lead.industry,
                &employees,
                lead.country,
                lead.persona,
                lead.owner,
                bool_str(lead.budget),
                bool_str(lead.champion),
            ])
            .map_err(|e| csv_err(&out.join("leads.csv"), e))?;
        stats.leads += 1;
        story.touches.sort_by_key(|t| t.ts);
        for t in story.touches.iter().filter(|t| t.ts <= end) {
            let ts = fmt_ts(&mut ts_buf, t.ts);
            let mut id = lead_id.as_str();
            let mut team = t.team;
            let unknown;
            if options.error_rate > 0.0 && chance(&mut rng, options.error_rate) {
                stats.broken_rows += 1;
                if chance(&mut rng, 0.5) {
                    unknown = format!("X{}", &lead_id[1..]);
                    id = &unknown;
                } else {
                    team = "partner";
                }
            }
            w.events
                .write_record([id, &ts, t.kind, t.channel, team, t.campaign, t.asset])
                .map_err(|e| csv_err(&out.join("events.csv"), e))?;
            stats.events += 1;
        }
        for &(ts, stage, reason, actor) in story.stages.iter().filter(|s| s.0 <= end) {
            let ts = fmt_ts(&mut ts_buf, ts);
            w.stages
                .write_record([lead_id.as_str(), &ts, stage, reason, actor])
                .map_err(|e| csv_err(&out.join("stages.csv"), e))?;
            stats.stages += 1;
        }
        if let Some(DealOutcome {
            created,
            status,
            closed,
            amount,
            margin,
        }) = story.deal.take()
            && created <= end
        {
            let (status, closed) = match closed {
                Some(c) if c <= end => (status, fmt_ts(&mut ts_buf, c)),
                _ => ("open", String::new()),
            };
            let deal_id = format!("D{:07}", i + 1);
            let created = fmt_ts(&mut ts_buf, created);
            w.deals
                .write_record([
                    deal_id.as_str(),
                    lead_id.as_str(),
                    &created,
                    status,
                    &closed,
                    &format!("{amount:.0}"),
                    "USD",
                    &format!("{margin:.2}"),
                ])
                .map_err(|e| csv_err(&out.join("deals.csv"), e))?;
            stats.deals += 1;
        }
        for &(ts, kind, score, text) in story.feedback.iter().filter(|f| f.0 <= end) {
            let ts = fmt_ts(&mut ts_buf, ts);
            let score = score.map(|s| s.to_string()).unwrap_or_default();
            w.feedback
                .write_record([lead_id.as_str(), &ts, kind, &score, text])
                .map_err(|e| csv_err(&out.join("feedback.csv"), e))?;
            stats.feedback += 1;
        }
        if i % 4096 == 0 {
            bar.set_position(i);
        }
    }
    bar.finish_and_clear();
    for (name, wr) in [
        ("leads.csv", &mut w.leads),
        ("events.csv", &mut w.events),
        ("stages.csv", &mut w.stages),
        ("deals.csv", &mut w.deals),
        ("feedback.csv", &mut w.feedback),
    ] {
        wr.flush().map_err(|e| HostError::io(out.join(name), e))?;
    }
    Ok(stats)
}

const COMPANY_A: &[&str] = &[
    "Northwind",
    "Blue Harbor",
    "Quantum",
    "Silverline",
    "Redwood",
    "Atlas",
    "Brightpath",
    "Ironclad",
    "Evergreen",
    "Summit",
    "Nimbus",
    "Pioneer",
    "Crescent",
    "Keystone",
    "Lumen",
    "Orbital",
];
const COMPANY_B: &[&str] = &[
    "Logistics",
    "Bank",
    "Health",
    "Systems",
    "Retail Group",
    "Labs",
    "Manufacturing",
    "Software",
    "Partners",
    "Analytics",
    "Foods",
    "Energy",
    "Academy",
    "Freight",
];

fn bool_str(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "true",
        Some(false) => "false",
        None => "",
    }
}

fn splitmix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Formats Unix seconds as RFC 3339 UTC into `buf` and returns a copy.
fn fmt_ts(buf: &mut String, secs: i64) -> String {
    buf.clear();
    let ts = Timestamp::from_second(secs).unwrap_or(Timestamp::UNIX_EPOCH);
    let _ = write!(buf, "{ts}");
    buf.clone()
}

/// The lead's attributes as simulated.
struct LeadFacts {
    created: i64,
    source: &'static str,
    industry: &'static str,
    employees: u32,
    country: &'static str,
    persona: &'static str,
    title: &'static str,
    owner: &'static str,
    budget: Option<bool>,
    champion: Option<bool>,
}

#[allow(clippy::too_many_lines)]
fn simulate(
    rng: &mut Pcg64Mcg,
    start: i64,
    end: i64,
    cal: &BusinessCalendar,
    assets: &[&'static str],
    story: &mut LeadStory,
) -> LeadFacts {
    let span = end - start;
    // Web leads arrive around the clock, with more on weekdays.
    let created = start + (rng.random::<f64>() * span as f64 * 0.97) as i64;
    let &(source, _, q_source) = pick(rng, SOURCES, |s| s.1);
    let &(industry, _, q_industry) = pick(rng, INDUSTRIES, |s| s.1);
    let &(lo, hi, _, q_size) = pick(rng, SIZE_BANDS, |s| s.2);
    let employees = rng.random_range(lo..=hi);
    let &(country, _) = pick(rng, COUNTRIES, |s| s.1);
    let &(persona, _, q_persona, titles) = pick(rng, PERSONAS, |s| s.1);
    let title = titles[rng.random_range(0..titles.len())];
    let rep = *pick(rng, REPS, |_| 1.0);
    let (owner, rep_mean_hours, rep_never) = rep;
    let quality = q_source * q_industry * q_size * q_persona * (0.35 * normal(rng)).exp();
    let budget = if chance(rng, 0.6) {
        Some(chance(rng, (0.25 * quality).min(0.9)))
    } else {
        None
    };
    let champion = if chance(rng, 0.5) {
        Some(chance(rng, (0.3 * quality).min(0.9)))
    } else {
        None
    };
    let facts = LeadFacts {
        created,
        source,
        industry,
        employees,
        country,
        persona,
        title,
        owner,
        budget,
        champion,
    };

    let campaign = CAMPAIGNS[rng.random_range(0..CAMPAIGNS.len())];
    let creation_channel = match source {
        "organic_search" | "referral" | "partner" => "web",
        "content_syndication" => "web",
        "outbound" => "email",
        other => other,
    };
    let creation_kind = if source == "webinar" {
        "webinar_register"
    } else {
        "form_submit"
    };
    story.touches.push(Touch {
        ts: created,
        kind: creation_kind,
        channel: creation_channel,
        team: if source == "outbound" {
            "sales"
        } else {
            "marketing"
        },
        campaign,
        asset: "",
    });
    story
        .stages
        .push((created, "lead", "", "marketing_automation"));

    let mut t = created;
    let mut cycle = 0;
    loop {
        // Marketing nurture until engagement crosses the MQL bar (or the lead goes cold).
        let mut engagement = 0.0;
        let interest = (0.5 + 0.6 * quality).min(3.0);
        let n_touches = 2 + (exp(rng, 7.0 * interest)) as usize;
        let mut mql_at = None;
        for _ in 0..n_touches.min(40) {
            t += (exp(rng, 3.5) * DAY as f64) as i64 + rng.random_range(0..HOUR * 8);
            let &(kind, channel, _, points, uses_asset) = pick(rng, MARKETING_TOUCHES, |m| m.2);
            let asset = if uses_asset {
                assets[rng.random_range(0..assets.len())]
            } else {
                ""
            };
            story.touches.push(Touch {
                ts: t,
                kind,
                channel,
                team: "marketing",
                campaign,
                asset,
            });
            engagement += points * (0.7 + 0.6 * rng.random::<f64>());
            if engagement >= 22.0 && mql_at.is_none() && chance(rng, (0.3 * quality).min(0.9)) {
                mql_at = Some(t + rng.random_range(60..HOUR));
                break;
            }
        }
        let Some(mql) = mql_at else { break };
        story.stages.push((
            mql,
            "mql",
            if cycle > 0 { "re-engaged" } else { "" },
            "marketing_automation",
        ));

        // Sales first touch after a business-hours delay that depends on the rep.
        if chance(rng, rep_never) {
            if chance(rng, 0.5) {
                let back = mql + (30.0 * DAY as f64 * (1.0 + rng.random::<f64>())) as i64;
                story
                    .stages
                    .push((back, "recycled", "no follow-up", "marketing_automation"));
            }
            break;
        }
        let delay_hours = exp(rng, rep_mean_hours);
        let first_touch = if chance(rng, 0.06) {
            // Some reps answer from their phone at night.
            mql + (exp(rng, 2.0) * HOUR as f64) as i64
        } else {
            cal.add_business_hours(mql, delay_hours)
        };
        let speed = if delay_hours < 1.0 {
            1.0
        } else if delay_hours < 8.0 {
            0.85
        } else if delay_hours < 24.0 {
            0.7
        } else {
            0.5
        };
        let first_kind = if chance(rng, 0.6) {
            ("call", "phone")
        } else {
            ("email_sent", "email")
        };
        story.touches.push(Touch {
            ts: first_touch,
            kind: first_kind.0,
            channel: first_kind.1,
            team: "sales",
            campaign: "",
            asset: "",
        });
        let decided = cal.add_business_hours(first_touch, 2.0 + exp(rng, 12.0));
        let p_accept = (0.45 * quality * speed).min(0.95);
        if !chance(rng, p_accept) {
            let recycle = chance(rng, 0.45);
            if recycle {
                let &(reason, _) = pick(rng, RECYCLE_REASONS, |r| r.1);
                story.stages.push((decided, "recycled", reason, owner));
                cycle += 1;
                if cycle < 3 && chance(rng, 0.45) {
                    t = decided + (20.0 * DAY as f64 + exp(rng, 25.0) * DAY as f64) as i64;
                    continue;
                }
            } else {
                let &(reason, _) = pick(rng, DISQUALIFY_REASONS, |r| r.1);
                story.stages.push((decided, "disqualified", reason, owner));
            }
            break;
        }
        story.stages.push((decided, "sal", "", owner));
        // Working the lead: calls, emails, meetings; sales shares marketing content now and then.
        let mut w = decided;
        let n_sales = 2 + rng.random_range(0..5);
        for _ in 0..n_sales {
            w = cal.add_business_hours(w, 4.0 + exp(rng, 16.0));
            let (kind, channel) = *pick(
                rng,
                &[
                    ("call", "phone"),
                    ("email_sent", "email"),
                    ("meeting", "meeting"),
                ],
                |_| 1.0,
            );
            let asset = if chance(rng, 0.25) {
                assets[rng.random_range(0..assets.len())]
            } else {
                ""
            };
            story.touches.push(Touch {
                ts: w,
                kind,
                channel,
                team: "sales",
                campaign: "",
                asset,
            });
        }
        if !chance(rng, (0.55 * quality.sqrt()).min(0.9)) {
            let reason = if chance(rng, 0.5) {
                "went dark"
            } else {
                "no project"
            };
            story
                .stages
                .push((cal.add_business_hours(w, 8.0), "recycled", reason, owner));
            break;
        }
        let sql = cal.add_business_hours(w, 2.0);
        story.stages.push((sql, "sql", "", owner));
        if !chance(rng, 0.75) {
            story.stages.push((
                cal.add_business_hours(sql, 40.0),
                "disqualified",
                "no budget",
                owner,
            ));
            break;
        }
        let opp = cal.add_business_hours(sql, 8.0 + exp(rng, 30.0));
        story.stages.push((opp, "opportunity", "", owner));
        story.touches.push(Touch {
            ts: opp,
            kind: "demo",
            channel: "meeting",
            team: "sales",
            campaign: "",
            asset: "",
        });
        let amount = (f64::from(employees).sqrt() * 900.0 + 4000.0) * (0.4 * normal(rng)).exp();
        let margin = 0.55 + 0.25 * rng.random::<f64>();
        let close = opp + ((14.0 + exp(rng, 35.0)) * DAY as f64) as i64;
        let mut m = opp;
        for _ in 0..rng.random_range(1..4) {
            m = cal.add_business_hours(m, (2.0 + exp(rng, 6.0)) * 8.0);
            if m < close {
                let asset = if chance(rng, 0.3) {
                    assets[rng.random_range(0..assets.len())]
                } else {
                    ""
                };
                story.touches.push(Touch {
                    ts: m,
                    kind: "meeting",
                    channel: "meeting",
                    team: "sales",
                    campaign: "",
                    asset,
                });
            }
        }
        let p_win = (0.32 * quality.sqrt() * (0.6 + 0.4 * speed)).min(0.85);
        if chance(rng, p_win) {
            story.deal = Some(DealOutcome {
                created: opp,
                status: "won",
                closed: Some(close),
                amount,
                margin,
            });
            story.stages.push((close, "customer", "", owner));
            let onboard = close + 3 * DAY;
            story.touches.push(Touch {
                ts: onboard,
                kind: "onboarding_call",
                channel: "phone",
                team: "cs",
                campaign: "",
                asset: "",
            });
            story.touches.push(Touch {
                ts: onboard + 30 * DAY,
                kind: "qbr",
                channel: "meeting",
                team: "cs",
                campaign: "",
                asset: "",
            });
            let nps = (7.0 + 2.0 * normal(rng) + (speed - 0.7) * 4.0)
                .round()
                .clamp(0.0, 10.0) as u32;
            story
                .feedback
                .push((onboard + 14 * DAY, "nps", Some(nps), ""));
            if chance(rng, 0.5) {
                let csat = (4.0 + normal(rng) * 0.8).round().clamp(1.0, 5.0) as u32;
                story.feedback.push((onboard + DAY, "csat", Some(csat), ""));
            }
            if chance(rng, 0.2) {
                let text = if nps >= 9 {
                    "Onboarding was fast and the team was responsive."
                } else if nps <= 6 {
                    "We waited days for a first answer from sales."
                } else {
                    "Good product, pricing was confusing."
                };
                story
                    .feedback
                    .push((onboard + 15 * DAY, "comment", None, text));
            }
        } else {
            story.deal = Some(DealOutcome {
                created: opp,
                status: "lost",
                closed: Some(close),
                amount,
                margin,
            });
        }
        break;
    }
    facts
}

/// Writes the generated workspace's `baton.toml`.
/// Writes `baton.toml` and returns it read (the generator's business calendar is the workspace's).
fn write_config(options: &GenOptions, out: &Path) -> Result<baton_core::Framework, HostError> {
    let holidays: Vec<String> = HOLIDAYS_2026.iter().map(|h| format!("\"{h}\"")).collect();
    let text = format!(
        r#"# Generated by `baton gen --leads {leads} --seed {seed}`.
[workspace]
name = "Generated ({leads} leads, seed {seed})"
timezone = "{tz}"
currency = "USD"

[lifecycle]
stages = ["lead", "mql", "sal", "sql", "opportunity", "customer"]
marketing = ["lead", "mql"]
sales = ["sal", "sql", "opportunity", "customer"]
exits = ["recycled", "disqualified"]

[calendar]
days = ["mon", "tue", "wed", "thu", "fri"]
hours = ["09:00", "17:00"]
holidays = [{holidays}]

[sla.first_touch]
from_stage = "mql"
within_business_hours = 4

[attribution]
conversion = "won"
"#,
        leads = options.leads,
        seed = options.seed,
        tz = options.timezone,
        holidays = holidays.join(", "),
    );
    let path = out.join("baton.toml");
    std::fs::write(&path, &text).map_err(|e| HostError::io(&path, e))?;
    baton_core::Framework::from_toml("baton.toml", &text).map_err(|e| HostError::Core(e.into()))
}

fn write_assets(out: &Path) -> Result<PathBuf, HostError> {
    let path = out.join("assets.csv");
    let file = File::create(&path).map_err(|e| HostError::io(&path, e))?;
    let mut w = csv::Writer::from_writer(BufWriter::new(file));
    let io = |e: csv::Error| csv_err(&path, e);
    w.write_record([
        "asset_id",
        "title",
        "owner_team",
        "kind",
        "stage",
        "persona",
        "body",
    ])
    .map_err(io)?;
    for a in ASSETS {
        w.write_record([
            a.id,
            a.title,
            a.owner_team,
            a.kind,
            a.stage,
            a.persona,
            a.body,
        ])
        .map_err(io)?;
    }
    w.flush().map_err(|e| HostError::io(&path, e))?;
    Ok(path)
}
