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
