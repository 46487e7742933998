//! Warnings about rules that load but are likely mistakes: what psoxy's loader tolerates, sluice
//! loads too, and `sluice validate` points at with its `file:line:col`.
//!
//! The check is a second, lenient read of the same YAML into a shadow of the rules' shape that
//! keeps only what a warning needs (each response schema's `type`, with its position) and skips
//! everything else, so the model the proxy runs on stays free of positions it does not use.
//! Unknown keys are not warnings: psoxy's loader refuses them (see docs/decisions.md), and so
//! does the strict read in [`crate::load`].

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::diagnostic::{Diagnostic, ErrorCode};
use crate::located::span_of;
use crate::response_schema::SchemaType;
use crate::suggest::did_you_mean;

/// Warnings for a bare rules file's text.
pub(crate) fn rules(path: &Path, src: &str) -> Vec<Diagnostic> {
    serde_saphyr::from_str::<RulesShape>(src)
        .map(|shape| shape.warnings(path))
        .unwrap_or_default()
}

/// Warnings for a connector spec's inline `rules:` (a `rules_file` is checked on its own).
pub(crate) fn spec(path: &Path, src: &str) -> Vec<Diagnostic> {
    serde_saphyr::from_str::<SpecShape>(src)
        .ok()
        .and_then(|shape| shape.rules)
        .map(|rules| rules.warnings(path))
        .unwrap_or_default()
}

#[derive(Deserialize)]
struct SpecShape {
    #[serde(default)]
    rules: Option<RulesShape>,
}

#[derive(Deserialize)]
struct RulesShape {
    #[serde(default)]
    definitions: BTreeMap<String, SchemaShape>,
    #[serde(default)]
    endpoints: Vec<EndpointShape>,
}

#[derive(Deserialize)]
struct EndpointShape {
    #[serde(rename = "responseSchema", default)]
    response_schema: Option<SchemaShape>,
}

/// Every place a response schema nests another, as [`crate::response_schema::ResponseSchema`]
/// reads them.
#[derive(Deserialize)]
struct SchemaShape {
    #[serde(rename = "type", default)]
    schema_type: Option<Spanned<String>>,
    #[serde(default)]
    properties: Option<BTreeMap<String, SchemaShape>>,
    #[serde(default)]
    items: Option<Box<SchemaShape>>,
    #[serde(default, alias = "$defs")]
    definitions: Option<BTreeMap<String, SchemaShape>>,
    #[serde(rename = "anyOf", default)]
    any_of: Option<Vec<SchemaShape>>,
    #[serde(rename = "oneOf", default)]
    one_of: Option<Vec<SchemaShape>>,
    #[serde(rename = "if", default)]
    if_schema: Option<Box<SchemaShape>>,
    #[serde(rename = "then", default)]
    then_schema: Option<Box<SchemaShape>>,
    #[serde(rename = "else", default)]
    else_schema: Option<Box<SchemaShape>>,
}

impl RulesShape {
    fn warnings(&self, path: &Path) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let schemas = self.definitions.values().chain(
            self.endpoints
                .iter()
                .filter_map(|e| e.response_schema.as_ref()),
        );
        for schema in schemas {
            schema.check(path, &mut out);
        }
        out
    }
}

impl SchemaShape {
    fn check(&self, path: &Path, out: &mut Vec<Diagnostic>) {
        if let Some(written) = &self.schema_type
            && let SchemaType::Unknown(name) = SchemaType::from_name(&written.value)
        {
            out.push(unknown_type(path, written, &name));
        }
        let nested = self
            .properties
            .iter()
            .chain(&self.definitions)
            .flat_map(BTreeMap::values)
            .chain(self.any_of.iter().chain(&self.one_of).flatten())
            .chain(
                [
                    &self.items,
                    &self.if_schema,
                    &self.then_schema,
                    &self.else_schema,
                ]
                .into_iter()
                .filter_map(|s| s.as_deref()),
            );
        for schema in nested {
            schema.check(path, out);
        }
    }
}

fn unknown_type(path: &Path, written: &Spanned<String>, name: &str) -> Diagnostic {
    let pos = span_of(&written.referenced, Some(name.chars().count())).start;
    let hint = did_you_mean(name, SchemaType::KNOWN)
        .map(|s| format!("did you mean `{s}`? "))
        .unwrap_or_default();
    Diagnostic::warning(
        path,
        pos,
        ErrorCode::UnknownSchemaType,
        format!(
            "schema type `{name}` is not a JSON Schema type; {hint}expected one of: {}. The file \
             loads, as in psoxy, but psoxy fails any response with a value at this node",
            SchemaType::KNOWN.join(", ")
        ),
    )
}
