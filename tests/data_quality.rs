//! Bad input: every kind of unusable row is counted with the exact file, line, field and reason,
//! and fatal problems are errors that name the file and the column.

use baton_core::{Error, FileKind, Format, Framework, IngestError, Loader, NoTexts};
use baton_tests::fixtures;
use serde_json::Value;

fn dirty_report() -> Value {
    let report =
        baton::analyze_dir(&fixtures().join("dirty"), None, true).expect("dirty fixture loads");
    serde_json::from_str(&report.to_json()).expect("report is JSON")
}

/// (count, lines, example) of a rejection or warning.
fn finding(
    report: &Value,
    file: &str,
    list: &str,
    reason: &str,
    field: &str,
) -> (u64, Vec<u64>, String) {
    let items = report["data_quality"]["files"][file][list]
        .as_array()
        .expect("findings list");
    let f = items
        .iter()
        .find(|f| f["reason"] == reason && f["field"] == field)
        .unwrap_or_else(|| panic!("no {list} {reason}/{field} in {file}: {items:#?}"));
    let lines = f["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    (
        f["count"].as_u64().unwrap_or(0),
        lines,
        f["example"].as_str().unwrap_or("").to_string(),
    )
}

fn rejected(report: &Value, file: &str, reason: &str, field: &str) -> (u64, Vec<u64>) {
    let (n, lines, _) = finding(report, file, "rejections", reason, field);
    (n, lines)
}

fn warned(report: &Value, file: &str, reason: &str, field: &str) -> (u64, Vec<u64>) {
    let (n, lines, _) = finding(report, file, "warnings", reason, field);
    (n, lines)
}

#[test]
fn leads_rejections_and_warnings() {
    let r = dirty_report();
    assert_eq!(
        rejected(&r, "leads", "bad_timestamp", "created_at"),
        (1, vec![4])
    );
    assert_eq!(
        rejected(&r, "leads", "empty_required_field", "lead_id"),
        (1, vec![5])
    );
    assert_eq!(
        rejected(&r, "leads", "duplicate_id", "lead_id"),
        (1, vec![6])
    );
    assert_eq!(rejected(&r, "leads", "malformed_row", "*"), (1, vec![8]));
    // Kept with a caveat: "n/a" employees, a DST-gap and a DST-fold local time.
    assert_eq!(warned(&r, "leads", "bad_number", "employees"), (1, vec![7]));
    assert_eq!(
        warned(&r, "leads", "local_time_in_gap", "created_at"),
        (1, vec![7])
    );
    assert_eq!(
        warned(&r, "leads", "local_time_in_fold", "created_at"),
        (1, vec![9])
    );
    let leads = &r["data_quality"]["files"]["leads"];
    assert_eq!(
        (
            leads["rows"].as_u64(),
            leads["accepted"].as_u64(),
            leads["rejected"].as_u64()
        ),
        (Some(8), Some(4), Some(4))
    );
    let (_, _, example) = finding(&r, "leads", "rejections", "duplicate_id", "lead_id");
    assert_eq!(
        example,
        "lead_id \"L1\" also at line 2 (the earliest created_at is kept)"
    );
}

#[test]
fn lead_attributes_are_typed_by_column() {
    let r = dirty_report();
    let attrs = &r["data_quality"]["lead_attributes"];
    assert_eq!(attrs["employees"], "number");
    assert_eq!(attrs["vip"], "bool");
    // Leading zeros keep postal codes as text.
    assert_eq!(attrs["zip"], "string");
    assert_eq!(attrs["source"], "string");
}

#[test]
fn events_rejections_and_warnings() {
    let r = dirty_report();
    // L9 does not exist; L3's lead row was rejected (bad created_at), so its event has no lead either.
    assert_eq!(
        rejected(&r, "events", "unknown_lead", "lead_id"),
        (2, vec![4, 11])
    );
    assert_eq!(rejected(&r, "events", "bad_timestamp", "ts"), (1, vec![5]));
    assert_eq!(
        rejected(&r, "events", "empty_required_field", "channel"),
        (1, vec![6])
    );
    assert_eq!(
        rejected(&r, "events", "invalid_value", "team"),
        (1, vec![7])
    );
    assert_eq!(
        rejected(&r, "events", "duplicate_id", "event_id"),
        (1, vec![10])
    );
    assert_eq!(
        warned(&r, "events", "before_lead_created", "ts"),
        (1, vec![8])
    );
    assert_eq!(
        warned(&r, "events", "unknown_asset", "asset_id"),
        (1, vec![9])
    );
    assert_eq!(
        r["data_quality"]["files"]["events"]["ignored_columns"],
        serde_json::json!(["utm_term"])
    );
    let (_, _, example) = finding(&r, "events", "rejections", "unknown_lead", "lead_id");
    assert_eq!(
        example,
        "lead_id \"L9\" is not in leads (or its lead row was rejected)"
    );
    assert_eq!(r["summary"]["events"], 5);
}

#[test]
fn stages_deals_assets_feedback() {
    let r = dirty_report();
    assert_eq!(
        rejected(&r, "stages", "unknown_stage", "stage"),
        (1, vec![4])
    );
    assert_eq!(
        r["summary"]["stage_entries"], 3,
        "`MQL` matches the `mql` stage case-insensitively"
    );
    assert_eq!(
        rejected(&r, "deals", "deal_without_lead", "lead_id"),
        (1, vec![3])
    );
    assert_eq!(
        rejected(&r, "deals", "missing_close_date", "closed_at"),
        (1, vec![4])
    );
    assert_eq!(rejected(&r, "deals", "bad_number", "amount"), (1, vec![5]));
    assert_eq!(
        rejected(&r, "deals", "currency_mismatch", "currency"),
        (1, vec![6])
    );
    assert_eq!(
        rejected(&r, "deals", "invalid_value", "status"),
        (1, vec![7])
    );
    assert_eq!(
        rejected(&r, "deals", "out_of_range", "margin"),
        (1, vec![8])
    );
    assert_eq!(
        rejected(&r, "deals", "duplicate_id", "deal_id"),
        (1, vec![9])
    );
    assert_eq!(
        rejected(&r, "deals", "unknown_lead", "lead_id"),
        (1, vec![10])
    );
    assert_eq!(
        rejected(&r, "assets", "empty_required_field", "title"),
        (1, vec![5])
    );
    assert_eq!(
        rejected(&r, "assets", "invalid_value", "owner_team"),
        (1, vec![6])
    );
    assert_eq!(warned(&r, "assets", "missing_file", "path"), (1, vec![4]));
    assert_eq!(
        rejected(&r, "feedback", "out_of_range", "score"),
        (1, vec![3])
    );
    assert_eq!(
        rejected(&r, "feedback", "empty_required_field", "score"),
        (1, vec![4])
    );
    assert_eq!(
        rejected(&r, "feedback", "invalid_value", "kind"),
        (1, vec![5])
    );
    let dq = &r["data_quality"];
    assert_eq!(
        (
            dq["rows"].as_u64(),
            dq["accepted"].as_u64(),
            dq["rejected"].as_u64(),
            dq["warnings"].as_u64()
        ),
        (Some(42), Some(18), Some(24), Some(6))
    );
}

#[test]
fn asset_body_is_read_from_its_file() {
    let ws = baton::workspace_dir::load_workspace(&fixtures().join("dirty"), true).expect("loads");
    let track = ws
        .assets
        .iter()
        .find(|a| ws.text(a.id) == "ast2")
        .expect("ast2");
    assert_eq!(
        track.body,
        "Open with the customer problem. We cut onboarding time by 40%.\n"
    );
}

#[test]
fn before_creation_policy_reject() {
    let toml = "[workspace]\nevents_before_creation = \"reject\"\n";
    let fw = Framework::from_toml("baton.toml", toml).expect("config");
    let leads = b"lead_id,created_at\nL1,2026-03-02T00:00:00Z\n";
    let events = b"lead_id,ts,type,channel\nL1,2026-03-01T00:00:00Z,page_view,web\nL1,2026-03-03T00:00:00Z,page_view,web\n";
    let ws = baton_core::load_from_memory(
        fw,
        [("leads.csv", &leads[..]), ("events.csv", &events[..])],
        &NoTexts,
    )
    .expect("loads");
    let q = &ws.data_quality.files["events"];
    assert_eq!(q.rejected, 1);
    assert_eq!(q.rejections[0].lines, vec![2]);
    assert_eq!(ws.events.len(), 1);
}

#[test]
fn a_column_named_twice_reads_the_first_and_reports_the_other() {
    let leads =
        b"lead_id,created_at,Lead_ID,industry,Industry\nL1,2026-03-02T00:00:00Z,X9,software,\n";
    let events = b"lead_id,ts,type,channel,TS,Channel\nL1,2026-03-03T00:00:00Z,page_view,web,2020-01-01T00:00:00Z,ads\n";
    let ws = baton_core::load_from_memory(
        Framework::default(),
        [("leads.csv", &leads[..]), ("events.csv", &events[..])],
        &NoTexts,
    )
    .expect("loads");
    // The first `lead_id` and `ts`/`channel` are read; the repeats are listed, not dropped
    // silently. Attributes named twice are merged (the first non-empty value), so not listed.
    assert_eq!(ws.data_quality.files["leads"].ignored_columns, ["Lead_ID"]);
    assert_eq!(
        ws.data_quality.files["events"].ignored_columns,
        ["TS", "Channel"]
    );
    assert_eq!(ws.text(ws.leads[0].id), "L1");
    assert_eq!(ws.text(ws.events[0].channel), "web");
}

#[test]
fn missing_required_column_is_fatal_and_named() {
    let mut loader = Loader::new(Framework::default());
    let err = loader
        .add(
            FileKind::Events,
            "events.csv",
            Format::Csv,
            &b"lead_id,timestamp,type,channel\nL1,2026-01-01,x,y\n"[..],
        )
        .expect_err("ts is required");
    assert_eq!(
        err,
        IngestError::MissingColumn {
            file: "events.csv".into(),
            column: "ts".into(),
            found: "lead_id, timestamp, type, channel".into()
        }
    );
    assert_eq!(Error::from(err).code(), "missing_column");
}

#[test]
fn no_leads_file_is_fatal() {
    let err = baton_core::load_from_memory(
        Framework::default(),
        [("events.csv", &b"lead_id,ts,type,channel\n"[..])],
        &NoTexts,
    )
    .expect_err("leads are required");
    assert_eq!(err, Error::Ingest(IngestError::NoLeads));
}

#[test]
fn invalid_utf8_and_bad_json_lines_are_malformed_rows() {
    let leads: &[u8] = b"lead_id,created_at,company\nL1,2026-01-01T00:00:00Z,Caf\xe9\nL2,2026-01-01T00:00:00Z,Ok\n";
    let events: &[u8] = b"{\"lead_id\":\"L2\",\"ts\":\"2026-01-02T00:00:00Z\",\"type\":\"call\",\"channel\":\"phone\",\"team\":\"sales\"}\n{not json\n\n{\"lead_id\":\"L2\",\"ts\":\"2026-01-03T00:00:00Z\",\"type\":\"call\"}\n";
    let ws = baton_core::load_from_memory(
        Framework::default(),
        [("leads.csv", leads), ("events.ndjson", events)],
        &NoTexts,
    )
    .expect("loads");
    let l = &ws.data_quality.files["leads"];
    assert_eq!(
        (
            l.rejected,
            l.rejections[0].lines.clone(),
            l.rejections[0].field.as_str()
        ),
        (1, vec![2], "company")
    );
    let e = &ws.data_quality.files["events"];
    assert_eq!(e.format, "ndjson");
    assert_eq!(e.rows, 3, "the blank line is not a row");
    let malformed = e
        .rejections
        .iter()
        .find(|f| f.reason == baton_core::quality::Reason::MalformedRow)
        .expect("bad json");
    assert_eq!(malformed.lines, vec![2]);
    let missing = e
        .rejections
        .iter()
        .find(|f| f.reason == baton_core::quality::Reason::EmptyRequiredField)
        .expect("no channel");
    assert_eq!(
        (missing.field.as_str(), missing.lines.clone()),
        ("channel", vec![4])
    );
    assert_eq!(ws.events.len(), 1);
}

#[test]
fn config_errors_name_key_and_line() {
    let err = Framework::from_toml(
        "baton.toml",
        "[lifecycle]\nstages = [\"lead\", \"mql\"]\nmarketing = [\"lead\", \"mqll\"]\n",
    )
    .expect_err("mqll is not a stage");
    assert_eq!((err.key.as_str(), err.line), ("lifecycle.marketing", 3));
    let err = Framework::from_toml("baton.toml", "[calendar]\ndays = [\"mon\", \"funday\"]\n")
        .expect_err("bad day");
    assert_eq!((err.key.as_str(), err.line), ("calendar.days", 2));
    let err = Framework::from_toml("baton.toml", "[[scoring.rules]]\nname = \"x\"\nkind = \"fit\"\npoints = \"ten\"\nwhen = { fact = \"a\", operator = \"eq\", value = 1 }\n")
        .expect_err("points must be a number");
    assert_eq!((err.key.as_str(), err.line), ("scoring.rules.0.points", 4));
}

#[test]
fn parsed_objects_are_read_exactly_as_ndjson_lines() {
    // What a page hands `scoreLead`: objects in one JSON text, read through `Loader::add_json_rows`. The same rows as
    // NDJSON text must give the same workspace, rejections and warnings included.
    let leads = concat!(
        r#"{"lead_id":"L1","created_at":"2026-01-05T09:00:00Z","employees":800,"is_customer":false,"industry":"Software","score":1e3}"#,
        "\n",
        r#"{"lead_id":"L2","created_at":"2026-01-06","employees":null,"industry":"retail","tags":["a","b"]}"#,
        "\n",
        r#"{"lead_id":"L1","created_at":"2026-01-07T09:00:00Z","employees":12}"#,
        "\n",
        r#"{"lead_id":"","created_at":"2026-01-07T09:00:00Z"}"#,
        "\n",
        r#"{"lead_id":"L3","created_at":"yesterday"}"#,
        "\n",
    );
    let events = concat!(
        r#"{"lead_id":"L1","ts":"2026-01-06T10:00:00Z","type":"email_open","channel":"email","team":"marketing"}"#,
        "\n",
        r#"{"lead_id":"L1","ts":"2026-01-04T10:00:00Z","type":"web_visit","channel":"web"}"#,
        "\n",
        r#"{"lead_id":"L9","ts":"2026-01-06T10:00:00Z","type":"web_visit","channel":"web"}"#,
        "\n",
        r#"{"lead_id":"L2","ts":"2026-01-06T11:00:00Z","type":"demo_request","channel":"web","team":"nobody"}"#,
        "\n",
        r#"{"lead_id":"L2","type":"demo_request","channel":"web"}"#,
        "\n",
    );
    let array = |kind: FileKind, text: &str| {
        let objects: Vec<&str> = text.lines().collect();
        baton_core::JsonRows::parse(kind, &format!("[{}]", objects.join(",\n")), &[])
            .expect("objects")
    };
    let as_of = baton_core::Instant::parse_rfc3339("2026-02-01T00:00:00Z").expect("time");
    let mut from_text = Loader::new(Framework::default());
    from_text
        .add(
            FileKind::Leads,
            "leads.ndjson",
            Format::Ndjson,
            leads.as_bytes(),
        )
        .expect("leads");
    from_text
        .add(
            FileKind::Events,
            "events.ndjson",
            Format::Ndjson,
            events.as_bytes(),
        )
        .expect("events");
    let mut from_objects = Loader::new(Framework::default());
    from_objects
        .add_json_rows("leads.ndjson", array(FileKind::Leads, leads))
        .expect("leads");
    from_objects
        .add_json_rows("events.ndjson", array(FileKind::Events, events))
        .expect("events");
    let report = |l: Loader| {
        baton_core::analyze(&l.finish(&NoTexts).expect("workspace"), as_of)
            .expect("report")
            .to_json()
    };
    let (a, b) = (report(from_text), report(from_objects));
    assert_eq!(a, b);
    // And the rows were really read, the bad ones counted.
    let r: Value = serde_json::from_str(&b).expect("json");
    assert_eq!(r["data_quality"]["files"]["leads"]["rows"], 5);
    assert_eq!(r["data_quality"]["files"]["events"]["rows"], 5);
    assert!(
        r["data_quality"]["rejected"].as_u64().unwrap_or(0) >= 4,
        "{}",
        r["data_quality"]
    );
}

#[test]
fn ndjson_keys_match_the_known_columns_case_insensitively_as_csv_headers_do() {
    // `Lead_ID`, `Created_At`, `Industry`, `Type`, `Channel`: a CSV header with these names reads
    // as the known columns; NDJSON objects with these keys must read the same.
    let csv_leads = "Lead_ID,Created_At,Industry,Employees,Budget\nL1,2026-01-05T09:00:00Z,Software,800,true\nL2,2026-01-06T09:00:00Z,Retail,50,false\n";
    let csv_events = "Lead_ID,TS,Type,Channel,Team\nL1,2026-01-07T10:00:00Z,demo_request,web,Marketing\nL2,2026-01-08T10:00:00Z,email_open,email,\n";
    let ndjson_leads = concat!(
        r#"{"Lead_ID":"L1","Created_At":"2026-01-05T09:00:00Z","Industry":"Software","Employees":800,"Budget":true}"#,
        "\n",
        r#"{"Lead_ID":"L2","Created_At":"2026-01-06T09:00:00Z","Industry":"Retail","Employees":50,"Budget":false}"#,
        "\n",
    );
    let ndjson_events = concat!(
        r#"{"Lead_ID":"L1","TS":"2026-01-07T10:00:00Z","Type":"demo_request","Channel":"web","Team":"Marketing"}"#,
        "\n",
        r#"{"lead_id":"L2","ts":"2026-01-08T10:00:00Z","type":"email_open","channel":"email"}"#,
        "\n",
    );
    let as_of = baton_core::Instant::parse_rfc3339("2026-02-01T00:00:00Z").expect("time");
    let report = |format: Format, leads: &str, events: &str, ext: &str| -> Value {
        let mut loader = Loader::new(Framework::default());
        loader
            .add(
                FileKind::Leads,
                &format!("leads.{ext}"),
                format,
                leads.as_bytes(),
            )
            .expect("leads");
        loader
            .add(
                FileKind::Events,
                &format!("events.{ext}"),
                format,
                events.as_bytes(),
            )
            .expect("events");
        let ws = loader.finish(&NoTexts).expect("workspace");
        let mut r: Value =
            serde_json::from_str(&baton_core::analyze(&ws, as_of).expect("report").to_json())
                .expect("json");
        // Only the file names and formats may differ.
        for f in ["leads", "events"] {
            let file = &mut r["data_quality"]["files"][f];
            file["file"] = Value::Null;
            file["format"] = Value::Null;
        }
        r
    };
    let csv = report(Format::Csv, csv_leads, csv_events, "csv");
    let ndjson = report(Format::Ndjson, ndjson_leads, ndjson_events, "ndjson");
    assert_eq!(
        csv["data_quality"]["rejected"], 0,
        "{}",
        csv["data_quality"]
    );
    assert_eq!(
        ndjson["data_quality"]["rejected"], 0,
        "{}",
        ndjson["data_quality"]
    );
    assert_eq!(
        ndjson["data_quality"]["lead_attributes"]["industry"],
        "string"
    );
    assert_eq!(ndjson["data_quality"]["lead_attributes"]["Budget"], "bool");
    // Only the columns some object has are attributes, as only a CSV header's columns are.
    assert_eq!(
        ndjson["data_quality"]["lead_attributes"],
        serde_json::json!({"Budget": "bool", "employees": "number", "industry": "string"})
    );
    assert_eq!(csv, ndjson);
    // A key given only as null is a column, empty, as a CSV column with no values is.
    let mut loader = Loader::new(Framework::default());
    let nulls = "{\"lead_id\":\"L1\",\"created_at\":\"2026-01-05\",\"persona\":null}\n";
    loader
        .add(
            FileKind::Leads,
            "leads.ndjson",
            Format::Ndjson,
            nulls.as_bytes(),
        )
        .expect("leads");
    let ws = loader.finish(&NoTexts).expect("workspace");
    let names: Vec<&str> = ws.attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["persona"]);
}

#[test]
fn two_columns_naming_one_attribute_keep_the_first_non_empty_value_and_warn_on_a_conflict() {
    // `industry` and `Industry` are one attribute (canonical columns are lower-cased).
    let leads = "lead_id,created_at,industry,Industry\nL1,2026-01-01,Retail,Software\nL2,2026-01-01,,Media\nL3,2026-01-01,Retail,Retail\n";
    let mut loader = Loader::new(Framework::default());
    loader
        .add(FileKind::Leads, "leads.csv", Format::Csv, leads.as_bytes())
        .expect("leads");
    let ws = loader.finish(&NoTexts).expect("workspace");
    let industry = ws.attribute("industry").expect("one attribute");
    let texts: Vec<Option<&str>> = (0..3)
        .map(|i| match industry.values.get(i) {
            baton_core::model::AttrValue::Text(s) => Some(ws.text(s)),
            _ => None,
        })
        .collect();
    // L2's first column is empty: the second one's value is not lost.
    assert_eq!(texts, [Some("Retail"), Some("Media"), Some("Retail")]);
    let q = &ws.data_quality.files["leads"];
    assert_eq!(q.rejected, 0);
    assert_eq!(q.warnings.len(), 1);
    let w = &q.warnings[0];
    assert_eq!(
        (w.field.as_str(), w.count, w.lines.as_slice()),
        ("industry", 1, &[2][..])
    );
    assert_eq!(
        w.example,
        "two columns name this attribute; \"Retail\" is kept, \"Software\" (column \"Industry\") is not"
    );
}

/// Loads `leads` as leads.csv and returns the report's data-quality section.
fn leads_quality(leads: &str) -> Value {
    let mut loader = Loader::new(Framework::default());
    loader
        .add(FileKind::Leads, "leads.csv", Format::Csv, leads.as_bytes())
        .expect("readable");
    let ws = loader.finish(&NoTexts).expect("workspace");
    serde_json::to_value(&ws.data_quality).expect("json")
}

#[test]
fn a_runaway_quote_is_counted_with_the_line_it_opened_and_the_lines_it_swallowed() {
    let mut text = String::from("lead_id,created_at,source\n");
    for i in 1..=300 {
        if i == 10 {
            text.push_str("L10,2026-01-10T00:00:00Z,\"web\n");
        } else {
            text.push_str(&format!("L{i},2026-01-10T00:00:00Z,web\n"));
        }
    }
    let q = leads_quality(&text);
    let leads = &q["files"]["leads"];
    assert_eq!(leads["rows"], 10, "{leads}");
    assert_eq!(leads["accepted"], 9, "{leads}");
    assert_eq!(leads["rejected"], 1, "{leads}");
    let r = &leads["rejections"][0];
    assert_eq!(r["reason"], "malformed_row", "{r}");
    assert_eq!(r["lines"][0], 11, "{r}");
    let example = r["example"].as_str().expect("example");
    assert!(
        example.contains("unclosed quote in column 3 from line 11")
            && example.contains("swallows the 290 lines to the end of the file (12..301)"),
        "{example}"
    );
}

#[test]
fn a_quote_that_swallows_rows_and_closes_later_is_reported() {
    let text = "lead_id,created_at,source\nL1,2026-01-10T00:00:00Z,\"web\nL2,2026-01-10T00:00:00Z,ads\nL3,2026-01-10T00:00:00Z,ads\"\nL4,2026-01-10T00:00:00Z,web\n";
    let q = leads_quality(text);
    let leads = &q["files"]["leads"];
    assert_eq!(
        (leads["rows"].as_u64(), leads["rejected"].as_u64()),
        (Some(2), Some(1)),
        "{leads}"
    );
    let example = leads["rejections"][0]["example"].as_str().expect("example");
    assert!(
        example.contains(
            "quote in column 3 from line 2 runs to line 4, swallowing 2 lines (2 like rows)"
        ),
        "{example}"
    );
}

#[test]
fn legitimate_multi_line_text_is_kept() {
    let text = "lead_id,created_at,source,notes\nL1,2026-01-10T00:00:00Z,web,\"first line\nsecond line, with a comma\"\nL2,2026-01-10T00:00:00Z,ads,\"last\nrecord\"\n";
    let q = leads_quality(text);
    let leads = &q["files"]["leads"];
    assert_eq!(
        (leads["rows"].as_u64(), leads["rejected"].as_u64()),
        (Some(2), Some(0)),
        "{leads}"
    );
}
