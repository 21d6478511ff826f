//! CRM importers on fixtures with the real export headers: the canonical files they write, checked
//! line by line against hand-converted values, and what `baton analyze` makes of them.

use baton_tests::fixtures;

fn read(dir: &std::path::Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn hubspot_export_maps_onto_canonical_files() {
    let out = tempfile::tempdir().expect("tmp");
    let summary = baton::import::hubspot::import_with_zone(
        &fixtures().join("hubspot"),
        out.path(),
        "America/New_York",
    )
    .expect("imports");
    // Naive HubSpot dates are portal-local: 09:15 EST = 14:15Z; after 10 March, EDT (-4).
    assert_eq!(
        read(out.path(), "leads.csv"),
        "lead_id,created_at,source,company,title,industry,employees,country,owner,lead_status,lifecycle_stage,source_detail_1,first_name,last_name,email\n\
         101,2024-03-04T14:15:00Z,ORGANIC_SEARCH,Analytical Engines,CTO,COMPUTER_SOFTWARE,250,United States,Jane Rep,Open Deal,customer,google,Ada,Lovelace,ada@example.com\n\
         102,2024-03-08T23:00:00Z,PAID_SEARCH,Byte Retail,Analyst,RETAIL,12,Canada,,New,marketingqualifiedlead,,Bob,Byte,bob@example.com\n\
         103,2024-03-09T13:00:00Z,OFFLINE,,,,,United States,,,subscriber,,Cy,Cipher,cy@example.com\n\
         104,n/a,DIRECT_TRAFFIC,,,,,,,,lead,,Dee,Data,dee@example.com\n"
    );
    assert_eq!(
        read(out.path(), "stages.csv"),
        "lead_id,ts,stage,reason,actor\n\
         101,2024-03-04T14:15:00Z,lead,,hubspot\n\
         101,2024-03-05T15:00:00Z,mql,,hubspot\n\
         101,2024-03-06T16:00:00Z,sql,,hubspot\n\
         101,2024-03-10T16:00:00Z,opportunity,,hubspot\n\
         101,2024-04-02T20:30:00Z,customer,,hubspot\n\
         102,2024-03-08T23:00:00Z,lead,,hubspot\n\
         102,2024-03-08T23:05:00Z,mql,,hubspot\n\
         103,2024-03-09T13:00:00Z,subscriber,\"approximate: current stage, entry date unknown\",hubspot\n\
         104,n/a,lead,created,hubspot\n"
    );
    assert_eq!(
        read(out.path(), "deals.csv"),
        "deal_id,lead_id,created_at,status,closed_at,amount,currency\n\
         9001,101,2024-03-10T16:00:00Z,won,2024-04-02T20:30:00Z,24000,\n\
         9002,,2024-03-20T13:00:00Z,open,,5000,\n\
         9003,102,2024-03-25T14:00:00Z,lost,2024-04-15T14:00:00Z,8000,\n"
    );
    assert_eq!(
        read(out.path(), "events.csv"),
        "lead_id,ts,type,channel,team\n\
         101,2024-03-05T15:20:00Z,call,phone,sales\n\
         102,2024-03-11T13:05:00Z,email,email,sales\n\
         101,2024-03-12T14:00:00Z,meeting,meeting,sales\n\
         101,2024-03-12T14:00:00Z,note,other,\n"
    );
    assert_eq!(summary.not_imported, vec!["workflows.csv".to_string()]);
    assert_eq!(summary.unmapped_values.values().sum::<u64>(), 1);
    assert!(summary.to_string().contains("First Name, Last Name, Email"));

    // What analysis makes of it: the unreadable date and the deal without a contact are reported.
    let report = baton::analyze_dir(out.path(), None, true).expect("analyses");
    let dq = &report.data_quality;
    assert_eq!(
        (
            report.summary.leads,
            report.summary.deals,
            report.summary.events
        ),
        (3, 2, 4)
    );
    assert_eq!(dq.files["leads"].rejections[0].lines, vec![5]);
    assert_eq!(dq.files["deals"].rejections[0].lines, vec![3]);
}

#[test]
fn hubspot_internal_names_work_too() {
    let export = tempfile::tempdir().expect("tmp");
    std::fs::write(
        export.path().join("contacts.csv"),
        "hs_object_id,createdate,lifecyclestage,hs_analytics_source,hs_lifecyclestage_marketingqualifiedlead_date\n\
         7,2024-01-02T10:00:00Z,marketingqualifiedlead,REFERRALS,2024-01-03T10:00:00Z\n",
    )
    .expect("write");
    let out = tempfile::tempdir().expect("tmp");
    baton::import::hubspot::import(export.path(), out.path()).expect("imports");
    assert_eq!(
        read(out.path(), "leads.csv"),
        "lead_id,created_at,source,lifecycle_stage\n7,2024-01-02T10:00:00Z,REFERRALS,marketingqualifiedlead\n"
    );
    assert_eq!(
        read(out.path(), "stages.csv"),
        "lead_id,ts,stage,reason,actor\n7,2024-01-02T10:00:00Z,lead,created,hubspot\n7,2024-01-03T10:00:00Z,mql,,hubspot\n"
    );
}

#[test]
fn salesforce_export_maps_onto_canonical_files() {
    let out = tempfile::tempdir().expect("tmp");
    let summary = baton::import::salesforce::import(&fixtures().join("salesforce"), out.path())
        .expect("imports");
    assert_eq!(
        read(out.path(), "leads.csv"),
        "lead_id,created_at,source,company,title,industry,employees,country,owner,status,is_converted,firstname,lastname\n\
         00Q1,2024-03-04T14:15:00Z,Web,Analytical Engines,CTO,Technology,250,US,005A,Closed - Converted,true,Ada,Lovelace\n\
         00Q2,2024-03-08T23:00:00Z,Partner Referral,Byte Retail,Analyst,Retail,12,CA,005B,Working - Contacted,false,Bob,Byte\n\
         00Q3,2024-03-09T13:00:00Z,Purchased List,Cipher Labs,Intern,Education,5,US,005B,Closed - Not Converted,false,Cy,Cipher\n"
    );
    // Status history becomes stages; the first change's OldValue is the status held since creation.
    assert_eq!(
        read(out.path(), "stages.csv"),
        "lead_id,ts,stage,reason,actor\n\
         00Q1,2024-03-04T14:15:00Z,lead,,salesforce\n\
         00Q2,2024-03-08T23:00:00Z,lead,,salesforce\n\
         00Q3,2024-03-09T13:00:00Z,lead,,salesforce\n\
         00Q1,2024-03-04T14:15:00Z,mql,initial status,salesforce\n\
         00Q1,2024-03-05T15:00:00Z,sal,,005A\n\
         00Q1,2024-03-06T16:00:00Z,sql,,005A\n\
         00Q2,2024-03-08T23:00:00Z,mql,initial status,salesforce\n\
         00Q2,2024-03-11T14:05:00Z,sal,,005B\n\
         00Q3,2024-03-09T13:00:00Z,mql,initial status,salesforce\n\
         00Q3,2024-03-11T15:00:00Z,disqualified,,005B\n\
         00Q3,2024-03-12T15:00:00Z,Parked,,005B\n\
         00Q1,2024-03-06T16:00:00Z,opportunity,,salesforce\n\
         00Q1,2024-04-02T00:00:00Z,customer,,salesforce\n"
    );
    assert_eq!(
        read(out.path(), "deals.csv"),
        "deal_id,lead_id,created_at,status,closed_at,amount,currency\n\
         0061,00Q1,2024-03-06T16:00:00Z,won,2024-04-02T00:00:00Z,24000,\n\
         0062,,2024-03-20T13:00:00Z,open,,5000,\n"
    );
    // The task on contact 0031 is credited to the lead it was converted from.
    assert_eq!(
        read(out.path(), "events.csv"),
        "lead_id,ts,type,channel,team,campaign\n\
         00Q1,2024-03-05T00:00:00Z,call,phone,sales,\n\
         00Q1,2024-03-07T00:00:00Z,email,email,sales,\n\
         00Q2,2024-03-11T00:00:00Z,call,phone,sales,\n\
         00Q1,2024-03-12T15:00:00Z,meeting,meeting,sales,\n"
    );
    assert_eq!(summary.not_imported, vec!["Campaign.csv".to_string()]);
    assert!(summary.to_string().contains("lead status \"Parked\""));
    let report = baton::analyze_dir(out.path(), None, true).expect("analyses");
    let stages = &report.data_quality.files["stages"];
    assert_eq!(
        (stages.rejected, stages.rejections[0].lines.clone()),
        (1, vec![12])
    );
}

#[test]
fn missing_contacts_export_is_an_input_error() {
    let export = tempfile::tempdir().expect("tmp");
    let out = tempfile::tempdir().expect("tmp");
    let err = baton::import::hubspot::import(export.path(), out.path()).expect_err("no contacts");
    assert!(err.is_input_error());
    assert!(err.to_string().contains("no contacts export"), "{err}");
}

/// Imports `fixture` with `import` into a fresh folder; the folder and the summary text.
fn import_fixture(
    fixture: &str,
    import: impl Fn(
        &std::path::Path,
        &std::path::Path,
    ) -> Result<baton::import::ImportSummary, baton::HostError>,
) -> (tempfile::TempDir, String) {
    let out = tempfile::tempdir().expect("tmp");
    let summary = import(&fixtures().join(fixture), out.path()).expect("imports");
    (out, summary.to_string())
}

#[test]
fn salesforce_data_export_with_empty_lookups_contact_roles_accounts_and_currencies() {
    // CRLF like Salesforce's Data Export; 18-character ids; 000000000000000AAA for empty lookups.
    let (out, notes) = import_fixture("salesforce_export", |e, o| {
        baton::import::salesforce::import(e, o)
    });
    // 1. The empty-lookup id is empty: the task on it is not credited to anyone.
    // 2. The open task has no CompletedDateTime: its ActivityDate is used, row by row.
    // 5. The task on Ada's contact is credited to Ada's lead.
    assert_eq!(
        read(out.path(), "events.csv"),
        "lead_id,ts,type,channel,team,campaign\n\
         00Q000000000002AAA,2024-03-11T14:05:00Z,call,phone,sales,\n\
         ,2024-03-12T10:00:00Z,email,email,sales,\n\
         00Q000000000001AAA,2024-03-15T00:00:00Z,call,phone,sales,\n\
         003000000000077AAA,2024-03-14T12:00:00Z,email,email,sales,\n"
    );
    assert!(
        notes.contains("6 lookups hold 000000000000000AAA"),
        "{notes}"
    );
    assert!(notes.contains("Task.csv: ts taken row by row from the first non-empty of CompletedDateTime (3 rows), ActivityDate (1 rows)"), "{notes}");
    assert!(
        notes.contains("1 activities are on contacts no lead was converted into"),
        "{notes}"
    );
    // 5. Links beyond ConvertedOpportunityId: a contact role, then the converted account.
    // 6. Each deal keeps its currency.
    assert_eq!(
        read(out.path(), "deals.csv"),
        "deal_id,lead_id,created_at,status,closed_at,amount,currency\n\
         006000000000001AAA,00Q000000000001AAA,2024-03-10T16:00:00Z,won,2024-04-02T00:00:00Z,24000,USD\n\
         006000000000002AAA,00Q000000000003AAA,2024-03-20T13:00:00Z,lost,2024-04-15T00:00:00Z,8000,EUR\n\
         006000000000003AAA,00Q000000000003AAA,2024-03-12T13:00:00Z,open,,5000,USD\n\
         006000000000004AAA,,2024-03-21T13:00:00Z,open,,1000,USD\n\
         006000000000005AAA,,2024-03-22T13:00:00Z,won,2024-05-01T00:00:00Z,3000,GBP\n"
    );
    assert!(notes.contains("by ConvertedOpportunityId 1, by OpportunityContactRole 1, by ConvertedAccountId = AccountId 1; 2 unlinked"), "{notes}");
    assert!(
        notes.contains("1 have no AccountId; 1 are on accounts no lead was converted into"),
        "{notes}"
    );
    assert!(
        notes
            .contains("EUR (1 deals), GBP (1 deals), USD (3 deals); the workspace currency is USD"),
        "{notes}"
    );
    // 7. No LeadHistory: Bob's current status enters at creation, marked approximate; the
    // deleted lead is skipped and counted.
    assert!(read(out.path(), "stages.csv").contains(
        "00Q000000000002AAA,2024-03-08T23:00:00Z,sal,\"approximate: current stage, entry date unknown\",salesforce\n"
    ));
    assert!(
        notes.contains("1 rows are deleted records (marked in IsDeleted)"),
        "{notes}"
    );
    let config = read(out.path(), "baton.toml");
    assert!(
        config.contains("[currency.rates]\n# EUR = \n# GBP = \n"),
        "{config}"
    );

    // Without rates the other currencies are rejected, saying so; with one, EUR deals count.
    let report = baton::analyze_dir(out.path(), None, true).expect("analyses");
    let deals = &report.data_quality.files["deals"];
    let mismatch: Vec<_> = deals
        .rejections
        .iter()
        .filter(|f| f.field == "currency")
        .collect();
    // The GBP deal has no lead either: it is rejected for that first (line 6).
    assert_eq!((mismatch[0].count, mismatch[0].lines.clone()), (1, vec![3]));
    assert!(
        mismatch[0]
            .example
            .contains("[currency] rates has no rate for it")
    );
    assert_eq!(report.summary.approximate_stage_entries, 1);
    std::fs::write(
        out.path().join("baton.toml"),
        config.replace("# EUR = ", "EUR = 1.1"),
    )
    .expect("write");
    let report = baton::analyze_dir(out.path(), None, true).expect("analyses");
    let deals = &report.data_quality.files["deals"];
    assert_eq!(deals.rejected, 2, "the two deals without a lead");
    assert_eq!(report.summary.deals, 3);
    assert_eq!(report.forecast.pipeline, 5000.0);
}

#[test]
fn hubspot_export_as_excel_saves_it() {
    // Contacts: Windows-1252, `;`, CRLF, under HubSpot's real file name; deals: UTF-16 LE with
    // BOM, tab-separated; activities: a 0-byte file.
    let (out, notes) = import_fixture("hubspot_export", |e, o| {
        baton::import::hubspot::import_with_zone(e, o, "America/New_York")
    });
    // 2. Country, then Country/Region, row by row. 8. 02:30 on 10 March does not exist in
    // New York: 03:30 EDT, and the notes say so as analyze would.
    assert_eq!(
        read(out.path(), "leads.csv"),
        "lead_id,created_at,country,lifecycle_stage,first_name\n\
         201,2024-03-10T07:30:00Z,Germany,marketingqualifiedlead,Zoë\n\
         202,2024-03-12T14:00:00Z,Spain,Other,Ana\n\
         203,2024-03-12T15:00:00Z,India,Sales Qualified Lead,Raj\n"
    );
    // 4. "Became an Other Lifecycle Date" is read. 7. A lead entry at creation when there is no
    // lead date; the current stage without its date enters approximately.
    assert_eq!(
        read(out.path(), "stages.csv"),
        "lead_id,ts,stage,reason,actor\n\
         201,2024-03-10T07:30:00Z,lead,,hubspot\n\
         201,2024-03-11T13:00:00Z,mql,,hubspot\n\
         202,2024-03-12T14:00:00Z,lead,created,hubspot\n\
         202,2024-03-13T14:00:00Z,other,,hubspot\n\
         203,2024-03-12T15:00:00Z,lead,created,hubspot\n\
         203,2024-03-12T15:00:00Z,sql,\"approximate: current stage, entry date unknown\",hubspot\n"
    );
    // The open deal's future close date is dropped; 9103's contacts 1000 and 203: the lowest
    // by number is 203.
    assert_eq!(
        read(out.path(), "deals.csv"),
        "deal_id,lead_id,created_at,status,closed_at,amount,currency\n\
         9101,201,2024-03-12T16:00:00Z,won,2024-04-02T20:30:00Z,1000,EUR\n\
         9102,,2024-03-20T13:00:00Z,open,,5000,USD\n\
         9103,203,2024-03-25T14:00:00Z,lost,2024-04-15T14:00:00Z,2000,USD\n"
    );
    for expected in [
        "hubspot-crm-exports-all-contacts-2025-04-28.csv: not UTF-8; read as Windows-1252 (Latin-1)",
        "hubspot-crm-exports-all-contacts-2025-04-28.csv: fields are separated by ';', not commas",
        "hubspot-crm-exports-all-deals-2025-04-28.csv: not UTF-8; read as UTF-16 LE",
        "hubspot-crm-exports-all-deals-2025-04-28.csv: fields are separated by tab, not commas",
        "hubspot-crm-exports-activities-2025-04-28.csv: empty (0 bytes); read as no activities export",
        "country taken row by row from the first non-empty of Country (2 rows), Country/Region (1 rows)",
        "2 local times fall in a DST gap in America/New_York (e.g. 2024-03-10 02:30)",
    ] {
        assert!(notes.contains(expected), "missing {expected:?} in\n{notes}");
    }
}

#[test]
fn warehouse_synced_hubspot_tables_import_too() {
    let (out, notes) = import_fixture("hubspot_warehouse", |e, o| {
        baton::import::hubspot::import(e, o)
    });
    assert_eq!(
        read(out.path(), "leads.csv"),
        "lead_id,created_at,lifecycle_stage,email\n1,2024-01-02T10:00:00Z,marketingqualifiedlead,a@example.com\n"
    );
    assert_eq!(
        read(out.path(), "deals.csv"),
        "deal_id,lead_id,created_at,status,closed_at,amount,currency\n77,1,2024-01-10T10:00:00Z,won,2024-02-01T10:00:00Z,1200,\n"
    );
    assert!(
        notes.contains("contact.csv: 1 rows are deleted records (marked in _fivetran_deleted)"),
        "{notes}"
    );
}

#[test]
fn unreadable_folders_say_what_was_seen() {
    let export = tempfile::tempdir().expect("tmp");
    let out = tempfile::tempdir().expect("tmp");
    std::fs::write(
        export.path().join("notes.csv"),
        "Topic,Owner\nQ3 plan,Ann\n",
    )
    .expect("write");
    let err = baton::import::hubspot::import(export.path(), out.path()).expect_err("no contacts");
    assert!(
        err.to_string()
            .contains("files seen: notes.csv (1 rows; columns Topic, Owner)"),
        "{err}"
    );
    // A 0-byte required file is "empty", not a missing column.
    std::fs::write(export.path().join("contacts.csv"), "").expect("write");
    let err = baton::import::hubspot::import(export.path(), out.path()).expect_err("empty");
    assert!(
        err.to_string().contains("contacts.csv is empty (0 bytes)"),
        "{err}"
    );
    // A Salesforce export given to the HubSpot importer says which importer fits.
    let err = baton::import::hubspot::import(&fixtures().join("salesforce_export"), out.path())
        .expect_err("salesforce");
    assert!(
        err.to_string().contains("run `baton import salesforce`"),
        "{err}"
    );
}

#[test]
fn crlf_files_number_lines_from_the_header() {
    // 3. Line 1 is the header whatever the line ending; the bad date is on line 3.
    let ws = tempfile::tempdir().expect("tmp");
    std::fs::write(
        ws.path().join("leads.csv"),
        "lead_id,created_at\r\nL1,2024-01-02T10:00:00Z\r\nL2,soon\r\nL3,2024-01-03T10:00:00Z\r\n",
    )
    .expect("write");
    std::fs::write(
        ws.path().join("events.csv"),
        "lead_id;ts;type;channel;team\nL1;2024-01-02T11:00:00Z;call;phone;sales\n",
    )
    .expect("write");
    let report = baton::analyze_dir(ws.path(), None, true).expect("analyses");
    let leads = &report.data_quality.files["leads"];
    assert_eq!(
        (leads.rejected, leads.rejections[0].lines.clone()),
        (1, vec![3])
    );
    // The `;` events file is read by its separator.
    assert_eq!(report.summary.events, 1);
}

/// A small workspace: three leads in a USD workspace with `extra` appended to baton.toml.
fn small_workspace(stages: &str, deals: &str, extra: &str) -> tempfile::TempDir {
    let ws = tempfile::tempdir().expect("tmp");
    let files = [
        (
            "baton.toml",
            format!(
                "[workspace]\nname = \"t\"\ncurrency = \"USD\"\n[lifecycle]\nstages = [\"lead\", \"mql\", \"sql\", \"customer\"]\nmarketing = [\"lead\", \"mql\"]\nsales = [\"sql\", \"customer\"]\n[sla.first_touch]\nfrom_stage = \"mql\"\nwithin_business_hours = 4\n{extra}"
            ),
        ),
        (
            "leads.csv",
            "lead_id,created_at\nL1,2024-01-01\nL2,2024-01-02\nL3,2024-01-03\nL4,2024-01-04\n"
                .into(),
        ),
        ("stages.csv", format!("lead_id,ts,stage\n{stages}")),
        (
            "deals.csv",
            format!("deal_id,lead_id,created_at,status,closed_at,amount,currency\n{deals}"),
        ),
        (
            "events.csv",
            "lead_id,ts,type,channel,team\nL1,2024-01-03,call,phone,sales\n".into(),
        ),
    ];
    for (name, text) in files {
        std::fs::write(ws.path().join(name), text).expect("write");
    }
    ws
}

#[test]
fn rates_dates_only_as_of_implied_funnel_and_outliers_are_reported_honestly() {
    let stages = "L1,2024-01-01,lead\nL1,2024-01-02,mql\nL1,2024-01-05,customer\nL2,2024-01-02,mql\nL3,2024-01-03,lead\n";
    let deals = "D1,L1,2024-01-02,won,2024-01-05,1000,EUR\nD2,L2,2024-01-03,won,2024-01-06,1000,USD\nD3,L3,2024-01-04,won,2024-01-07,1200,USD\nD4,L4,2024-01-05,won,2024-01-08,500000,USD\nD5,L1,2024-01-06,open,2031-12-31,9,USD\n";
    let ws = small_workspace(stages, deals, "[currency.rates]\nEUR = 1.1\n");
    let report = baton::analyze_dir(ws.path(), None, true).expect("analyses");
    // as_of: the latest thing that happened (D4 closed), not D5's expected close in 2031.
    assert_eq!(report.as_of.to_string(), "2024-01-08T00:00:00Z");
    // Won revenue in USD: 1000 × 1.1 + 1000 + 1200 + 500000.
    assert_eq!(report.chassis.revenue, 503_300.0);
    // D4 is 500000 > 10 × the others' mean (3300 / 3 = 1100): named, left out of estimates.
    let o = report.chassis.outlier_deal.as_ref().expect("outlier");
    assert_eq!(
        (o.deal_id.as_str(), o.average_spend_without),
        ("D4", 1100.0)
    );
    // Funnel: L1 reached sql only by entering customer; nobody entered sql.
    let f = &report.journey.stages.funnel;
    assert_eq!(f.total, vec![3, 2, 1, 1]);
    assert_eq!(f.entered, vec![2, 2, 0, 1]);
    // Every timestamp at midnight: SLA hours are not measurable, and the reports say so.
    assert!(report.handoff.dates_only);
    let md = baton::output::markdown(&report);
    assert!(md.contains("The data has dates only"), "{md}");
    assert!(
        md.contains("these reached them without an entry of their own: lead 1, sql 1."),
        "{md}"
    );
    assert!(md.contains("deal D4"), "{md}");
    assert!(!md.contains("arrived out of hours"), "{md}");
    assert!(!md.contains(" -0") && !md.contains("(-0"), "{md}");
}
