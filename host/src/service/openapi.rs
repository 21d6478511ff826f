//! The OpenAPI 3.1 document `GET /openapi.json` serves, generated from the Rust types the
//! handlers read and write (schemars), so it cannot drift from them.

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

/// A route: method, path, summary, request schema, response schema, scope.
type Route = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
);

/// Every route of `/v1`.
const ROUTES: &[Route] = &[
    (
        "post",
        "/v1/leads",
        "Post leads (one object or an array); a lead sent again replaces it",
        Some("Rows"),
        "IntakeAnswer",
        "ingest",
    ),
    (
        "post",
        "/v1/events",
        "Post events; a site key may post touch events of visitor ids (no `team`) from its origins, also as `?site_key=` with a text/plain body (sendBeacon)",
        Some("Rows"),
        "IntakeAnswer",
        "ingest or site",
    ),
    (
        "post",
        "/v1/stages",
        "Post stage entries",
        Some("Rows"),
        "IntakeAnswer",
        "ingest",
    ),
    (
        "post",
        "/v1/deals",
        "Post deals; a deal sent again replaces it",
        Some("Rows"),
        "IntakeAnswer",
        "ingest",
    ),
    (
        "post",
        "/v1/feedback",
        "Post feedback",
        Some("Rows"),
        "IntakeAnswer",
        "ingest",
    ),
    (
        "get",
        "/v1/leads/{id}",
        "A lead's card: timeline, score and why, verdicts (plugins too), route, SLA clocks, next-best content",
        None,
        "LeadCard",
        "read",
    ),
    (
        "delete",
        "/v1/leads/{id}",
        "Erase every row of a lead (a privacy request)",
        None,
        "Erased",
        "admin",
    ),
    (
        "post",
        "/v1/leads/{id}/accept",
        "Sales accepts the lead: a stage entry (default the first sales stage)",
        Some("Answer"),
        "IntakeAnswer",
        "ingest",
    ),
    (
        "post",
        "/v1/leads/{id}/reject",
        "Sales rejects the lead with a reason: a stage entry (default the first exit)",
        Some("Answer"),
        "IntakeAnswer",
        "ingest",
    ),
    (
        "post",
        "/v1/messages/check",
        "Check a draft against the messaging pillars",
        Some("Draft"),
        "MessageCheck",
        "read",
    ),
    (
        "get",
        "/v1/report",
        "report.json of the stored data (the bytes `baton analyze` writes)",
        None,
        "Report",
        "read",
    ),
    (
        "get",
        "/v1/report.html",
        "report.html of the stored data",
        None,
        "Html",
        "read",
    ),
    (
        "get",
        "/v1/status",
        "Rows by kind, the store's version, whether the snapshot is current",
        None,
        "Status",
        "read",
    ),
    (
        "post",
        "/v1/connectors/hubspot",
        "HubSpot webhook batches (≤ 100 events), signed (X-HubSpot-Signature-v3, or v1/v2); each eventId once",
        Some("HubSpotBatch"),
        "ConnectorAnswer",
        "signature",
    ),
    (
        "post",
        "/v1/connectors/salesforce",
        "Salesforce Outbound Messages (SOAP 1.1 notifications); answered with the SOAP Ack, or a fault",
        Some("SoapXml"),
        "SoapXml",
        "organization",
    ),
    (
        "get",
        "/v1/leads/{id}/handoff",
        "The lead's handoff as the automation keeps it: owner, rule, trigger, scheduled instants, timers, last write-back",
        None,
        "Handoff",
        "read",
    ),
    (
        "get",
        "/v1/automation",
        "Handoffs, timers, outbox messages and write-backs by state; every message given up, with why",
        None,
        "Automation",
        "read",
    ),
    (
        "get",
        "/v1/widget/program",
        "The site widget's scoring program: [scoring] compiled (docs/widget.md); ETag / If-None-Match; 409 names a rule the widget cannot run",
        None,
        "Program",
        "site",
    ),
    (
        "get",
        "/v1/config",
        "The baton.toml the service runs, as text (empty: the defaults), for clients that run the engine with it",
        None,
        "Text",
        "read",
    ),
    (
        "get",
        "/v1/deals/{id}",
        "The lead a deal belongs to (a CRM side panel open on a deal record)",
        None,
        "DealLead",
        "read",
    ),
    (
        "post",
        "/v1/identify",
        "A site visitor says who it is: the lead with its email (the CRM's), or a new lead with the attributes given; its touches go with it (docs/widget.md)",
        Some("Identify"),
        "Identified",
        "site",
    ),
    (
        "get",
        "/v1/widget/visitors/{id}",
        "Whether the service routed a visitor's lead to sales, and the owner's booking link ([routing.booking])",
        None,
        "VisitorDecision",
        "site",
    ),
    (
        "get",
        "/metrics",
        "Prometheus text format",
        None,
        "Text",
        "read",
    ),
    ("get", "/healthz", "Liveness", None, "Text", "none"),
    (
        "get",
        "/readyz",
        "Readiness: the store answers",
        None,
        "Text",
        "none",
    ),
];

/// The document, as JSON text.
pub fn document() -> String {
    let mut settings = SchemaSettings::draft2020_12().for_serialize();
    settings.definitions_path = "/components/schemas".into();
    let mut out = settings.into_generator();
    out.subschema_for::<super::intake::IntakeAnswer>();
    out.subschema_for::<super::connectors::ConnectorAnswer>();
    out.subschema_for::<baton_core::live::LeadCard>();
    out.subschema_for::<baton_core::messaging::MessageCheck>();
    out.subschema_for::<baton_core::Report>();
    let mut input = SchemaSettings::draft2020_12().for_deserialize();
    input.definitions_path = "/components/schemas".into();
    let mut input = input.into_generator();
    input.subschema_for::<super::answers::Answer>();
    input.subschema_for::<super::http::Draft>();
    let mut schemas: Map<String, Value> = out.take_definitions(true).into_iter().collect();
    for (name, schema) in input.take_definitions(true) {
        schemas.entry(name).or_insert(schema);
    }
    schemas.insert("Rows".into(), json!({
        "description": "One object or an array of objects with the columns of the file of that kind (docs/data-format.md); values are strings, numbers or booleans",
        "oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}, "maxItems": super::intake::MAX_BATCH_ROWS}],
    }));
    schemas.insert("Erased".into(), json!({"type": "object", "properties": {"erased_rows": {"type": "integer"}, "at": {"type": "string"}}}));
    schemas.insert("Status".into(), json!({"type": "object"}));
    schemas.insert("HubSpotBatch".into(), json!({"type": "array", "maxItems": super::connectors::hubspot::MAX_EVENTS, "items": {"type": "object", "required": ["eventId", "subscriptionType", "occurredAt"]}, "description": "HubSpot's webhook events (docs/connectors.md)"}));
    schemas.insert("Handoff".into(), json!({"type": "object", "properties": {"handoff": {"type": "object"}, "timers": {"type": "array"}, "writeback": {}}}));
    schemas.insert("Automation".into(), json!({"type": "object", "properties": {"tasks": {"type": "object"}, "given_up": {"type": "array"}}}));
    schemas.insert("DealLead".into(), json!({"type": "object", "properties": {"deal_id": {"type": "string"}, "lead_id": {"type": "string"}}}));
    schemas.insert("Identify".into(), json!({"type": "object", "required": ["visitor_id", "email"], "properties": {"visitor_id": {"type": "string", "pattern": "^visitor-[A-Za-z0-9-]{1,64}$"}, "email": {"type": "string", "format": "email"}}, "additionalProperties": {"type": ["string", "number", "boolean", "null"]}, "maxProperties": 32, "description": "Other properties are lead attributes (not lead_id, created_at, owner, team)"}));
    schemas.insert("Identified".into(), json!({"type": "object", "properties": {"visitor_id": {"type": "string"}, "identified": {"type": "boolean"}, "touches": {"type": "integer", "description": "the visitor's touches now on its lead"}}}));
    schemas.insert("VisitorDecision".into(), json!({"type": "object", "properties": {"visitor_id": {"type": "string"}, "identified": {"type": "boolean"}, "talk_to_sales": {"type": "boolean"}, "booking_url": {"type": ["string", "null"]}}}));
    schemas.insert("Error".into(), json!({"type": "object", "required": ["error", "message"], "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}));
    let mut paths = Map::new();
    for &(method, path, summary, request, response, scope) in ROUTES {
        let content = match response {
            "Html" => json!({"text/html": {"schema": {"type": "string"}}}),
            "SoapXml" => json!({"text/xml": {"schema": {"type": "string"}}}),
            "Text" => json!({"text/plain": {"schema": {"type": "string"}}}),
            "Program" => {
                json!({"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}})
            }
            name => {
                json!({"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}})
            }
        };
        let mut op = json!({
            "summary": summary,
            "x-baton-scope": scope,
            "responses": {
                "200": {"description": "OK", "content": content},
                "default": {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            },
        });
        // The connectors authenticate by the CRM's signature or org id, not a bearer token.
        if !matches!(scope, "none" | "signature" | "organization") {
            op["security"] = json!([{"bearer": []}]);
        }
        match request {
            Some("SoapXml") => {
                op["requestBody"] =
                    json!({"content": {"text/xml": {"schema": {"type": "string"}}}});
            }
            Some(r) => {
                op["requestBody"] = json!({"content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{r}")}}}});
            }
            None => {}
        }
        if path.contains("{id}") {
            op["parameters"] = json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]);
        }
        if method == "get"
            && !path.ends_with("/handoff")
            && (path.starts_with("/v1/leads/") || path.starts_with("/v1/report"))
        {
            let p = op["parameters"].as_array().cloned().unwrap_or_default();
            let mut p = p;
            p.push(json!({"name": "as_of", "in": "query", "required": false, "schema": {"type": "string"}, "description": "RFC 3339 or local time; a card defaults to now, the report to the data's latest timestamp"}));
            op["parameters"] = Value::Array(p);
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[method] = op;
    }
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "Baton", "version": env!("CARGO_PKG_VERSION"), "description": "The live sales-marketing alignment engine: intake, lead cards, the report."},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "A token from `baton serve token create` (a site key may also come as X-Baton-Site-Key or ?site_key=)"}},
        },
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}
