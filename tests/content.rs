//! Content utilization and next-best content on a hand-made workspace.

use baton_core::content::{AssetReading, content_report, next_best_content};
use baton_core::messaging::Lexicon;
use baton_core::outcomes::Outcomes;
use baton_core::{Framework, Instant, NoTexts, load_from_memory};

const TOML: &str = "[[messaging.pillars]]\nname = \"Security\"\nphrases = [\"SOC 2\"]\nsynonyms = [\"security\"]\n\
[[messaging.pillars]]\nname = \"Speed\"\nsynonyms = [\"onboarding\"]\n[messaging]\nretired_claims = [\"free forever\"]\n";
const LEADS: &str = "lead_id,created_at,persona\nL1,2026-01-01T00:00:00Z,champion\nL2,2026-01-01T00:00:00Z,champion\nL3,2026-01-01T00:00:00Z,end_user\n";
const STAGES: &str = "lead_id,ts,stage\nL1,2026-01-01T00:00:00Z,lead\nL1,2026-01-02T00:00:00Z,mql\nL1,2026-01-05T00:00:00Z,sal\nL2,2026-01-01T00:00:00Z,lead\nL2,2026-01-02T00:00:00Z,mql\nL3,2026-01-01T00:00:00Z,lead\n";
const EVENTS: &str = "lead_id,ts,type,channel,team,asset_id\n\
L1,2026-01-01T10:00:00Z,content_download,web,marketing,guide\n\
L1,2026-01-03T10:00:00Z,email_sent,email,sales,guide\n\
L1,2026-01-06T10:00:00Z,email_sent,email,sales,security\n\
L2,2026-01-03T10:00:00Z,email_sent,email,sales,guide\n";
const ASSETS: &str = "asset_id,title,owner_team,kind,stage,persona,body\n\
guide,Onboarding guide,marketing,ebook,lead,champion,Faster onboarding for every team.\n\
security,Security paper,marketing,whitepaper,sal,champion,SOC 2 and enterprise security.\n\
promo,Promo,marketing,blog,mql,champion,Our free forever plan.\n\
unused,Unused sheet,marketing,one_pager,mql,champion,Security for champions.\n\
track,Call track,sales,talk_track,sal,champion,Ask about security.\n";

#[test]
fn usage_gaps_and_next_best() {
    let fw = Framework::from_toml("baton.toml", TOML).expect("config");
    let files = [
        ("leads.csv", LEADS),
        ("stages.csv", STAGES),
        ("events.csv", EVENTS),
        ("assets.csv", ASSETS),
    ];
    let ws = load_from_memory(fw, files.iter().map(|(n, t)| (*n, t.as_bytes())), &NoTexts)
        .expect("loads");
    let as_of = Instant::parse_rfc3339("2026-02-01T00:00:00Z").expect("as_of");
    let outcomes = Outcomes::new(&ws, as_of);
    let r = content_report(&ws, as_of, &outcomes);
    let guide = r
        .assets
        .iter()
        .find(|a| a.asset_id == "guide")
        .expect("guide");
    // Sales shared the guide twice: to L1 in mql and to L2 in mql; three leads... two received it.
    assert_eq!(
        (guide.sales_shares, guide.sales_leads, guide.leads_reached),
        (2, 2, 2)
    );
    assert_eq!(guide.shares_by_stage.get("mql"), Some(&2));
    assert_eq!(guide.lift.verdict, "sample too small to tell");
    let security = r
        .assets
        .iter()
        .find(|a| a.asset_id == "security")
        .expect("security");
    assert_eq!(security.shares_by_stage.get("sal"), Some(&1));
    assert_eq!(
        r.unused_by_sales,
        vec!["promo".to_string(), "unused".to_string()]
    );
    // Champions reached lead, mql and sal; assets exist for champion at lead, sal and mql: no gap there.
    // End users reached only lead, and no asset is made for end users at lead.
    let gaps: Vec<(&str, &str)> = r
        .gaps
        .iter()
        .map(|g| (g.stage.as_str(), g.persona.as_str()))
        .collect();
    assert_eq!(gaps, vec![("lead", "end_user")]);
    // L2 (champion, in mql) already has the guide: "unused" fits stage and persona and covers Security;
    // "promo" carries a retired claim and is never suggested.
    let reading = AssetReading::new(&ws, Lexicon::new(&ws).as_ref());
    let s = next_best_content(&ws, ws.lead_index("L2").expect("L2"), as_of, &r, &reading);
    let ids: Vec<&str> = s.iter().map(|x| x.asset_id.as_str()).collect();
    assert_eq!(ids, vec!["unused", "security"]);
    assert_eq!(s[0].score, 6.0, "{:?}", s[0].reasons);
    assert_eq!(
        s[0].reasons,
        vec![
            "made for the mql stage the lead is in",
            "written for the champion persona",
            "covers \"Security\", not yet in this lead's touches"
        ]
    );
}
