//! The JSON Schemas of connector specs and rules files, for editors (`yaml-language-server`) and
//! for `cargo xtask schema`, which writes them to `specs/`.

use schemars::generate::SchemaSettings;
use serde_json::json;

use crate::connector::ConnectorSpec;
use crate::rules::Rules;

/// The JSON Schema of a connector spec, pretty-printed with a trailing newline.
pub fn connector_schema() -> String {
    render(
        SchemaSettings::draft07()
            .into_generator()
            .into_root_schema_for::<ConnectorSpec>(),
    )
}

/// The JSON Schema of a psoxy rules file, pretty-printed with a trailing newline.
pub fn rules_schema() -> String {
    let mut schema = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<Rules>();
    schema.insert("title".into(), json!("psoxy rules (as sluice reads them)"));
    render(schema)
}

fn render(schema: schemars::Schema) -> String {
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    text.push('\n');
    text
}
