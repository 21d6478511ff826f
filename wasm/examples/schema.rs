//! Prints one JSON Schema document whose `$defs` describe everything the JS API returns and
//! takes; `scripts/build-npm.sh` turns it into the package's TypeScript types.
//! `cargo run -p baton-wasm --example schema --features schema`
//!
//! Answers are described as serialized (a field left out when empty is optional), inputs as
//! deserialized (a field with a default is optional).

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

fn main() {
    let mut out = SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator();
    out.subschema_for::<baton_core::Report>();
    out.subschema_for::<baton_core::scoring::LeadScore>();
    out.subschema_for::<baton_wasm::live::LiveScore>();
    out.subschema_for::<baton_wasm::live::Qualification>();
    out.subschema_for::<baton_core::messaging::MessageCheck>();
    out.subschema_for::<baton_core::content::Suggestion>();
    out.subschema_for::<baton_wasm::live::SlaClock>();
    out.subschema_for::<baton_wasm::live::Attribution>();
    let mut input = SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator();
    input.subschema_for::<baton_core::config::Config>();
    input.subschema_for::<baton_wasm::live::AttributionPath>();
    let mut defs: Map<String, Value> = out.take_definitions(true).into_iter().collect();
    for (name, schema) in input.take_definitions(true) {
        defs.entry(name).or_insert(schema);
    }
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "BatonApi",
        "type": "object",
        "properties": defs
            .keys()
            .map(|k| (k.clone(), json!({"$ref": format!("#/$defs/{k}")})))
            .collect::<Map<_, _>>(),
        "$defs": defs,
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&root).unwrap_or_default()
    );
}
