//! The sanitizer: what leaves the proxy. Compiles an endpoint's `responseSchema` and transforms
//! once, then sanitizes each response body: parse once, filter by the schema, apply every
//! transform in one traversal driven by the compiled plan (`plan`), write the result as psoxy
//! would ([`output`]).
//!
//! A response that is not JSON, or a transform that cannot apply (pseudonymizing an object, say),
//! fails the whole response: nothing leaves unsanitized.

mod apply;
mod augment;
mod compact;
pub mod output;
mod passthrough;
mod plan;
pub mod schema_filter;
mod schema_parse;
mod text;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize as _;
use serde::de::DeserializeSeed as _;
use serde_json::Value;
use sluice_spec::augment::Augment;
use sluice_spec::jsonpath::JsonPath;
use sluice_spec::response_schema::ResponseSchema;
use sluice_spec::rules::Rules;
use sluice_spec::transform::TransformKind;

use crate::pseudonym::Pseudonymizer;
use apply::{Compiled, Transforms};
use plan::{Stage, run_stage};
use schema_filter::Definitions;

/// Why a response could not be sanitized.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SanitizeError {
    /// The body is not JSON.
    #[error("the response is not JSON: {0}")]
    NotJson(String),
    /// A transform could not be applied to a value it selected.
    #[error("transform #{index} (!<{kind}>) failed at `{pointer}`: {cause}")]
    Transform {
        /// 1-based position of the transform in the endpoint's list.
        index: usize,
        /// Its kind.
        kind: TransformKind,
        /// JSON pointer of the value.
        pointer: String,
        /// What went wrong.
        cause: String,
    },
    /// A value reached a response-schema node whose `type` is none of JSON Schema's (psoxy
    /// fails such a response too); nothing of the response may be returned.
    #[error(
        "the value at `{pointer}` reaches a response-schema node of unknown type `{type_name}` \
         (known: object, array, string, number, integer, boolean, null); fix the type in the \
         rules file"
    )]
    UnknownSchemaType {
        /// JSON pointer of the value in the response (empty for the whole document).
        pointer: String,
        /// The unknown type, as the rules file spells it.
        type_name: String,
    },
}

impl From<Box<schema_filter::UnknownType>> for SanitizeError {
    fn from(e: Box<schema_filter::UnknownType>) -> Self {
        let schema_filter::UnknownType { pointer, type_name } = *e;
        Self::UnknownSchemaType { pointer, type_name }
    }
}

impl plan::WithPointer for SanitizeError {
    fn prepend(&mut self, step: &str) {
        if let Self::Transform { pointer, .. } = self {
            pointer.insert_str(0, &format!("/{step}"));
        }
    }
}

/// The sanitizers of every endpoint of a rules file.
#[derive(Debug, Clone)]
pub struct Sanitizer {
    endpoints: Vec<EndpointSanitizer>,
    definitions: Arc<BTreeMap<String, ResponseSchema>>,
    pseudonymizer: Arc<Pseudonymizer>,
}

/// One endpoint's compiled response rules.
#[derive(Debug, Clone)]
struct EndpointSanitizer {
    schema: Option<ResponseSchema>,
    /// Run on the upstream document before the schema; an endpoint with augments is parsed
    /// whole (the schema cannot filter while parsing: it must see what the augments add).
    augments: Vec<Augment>,
    transforms: Transforms,
    conditions: Vec<Option<JsonPath>>,
    stages: Vec<Stage>,
}

impl Sanitizer {
    /// Compiles the response side of `rules`.
    pub fn new(rules: &Rules, pseudonymizer: Arc<Pseudonymizer>) -> Self {
        let endpoints = rules
            .endpoints
            .iter()
            .map(|endpoint| {
                let transforms: Vec<_> = endpoint.transforms.iter().map(|t| &t.value).collect();
                let json_paths: Vec<Vec<JsonPath>> = transforms
                    .iter()
                    .map(|t| {
                        t.selection()
                            .json_paths
                            .iter()
                            .map(|p| p.value.clone())
                            .collect()
                    })
                    .collect();
                let conditions: Vec<Option<JsonPath>> = transforms
                    .iter()
                    .map(|t| {
                        t.selection()
                            .apply_only_when
                            .as_ref()
                            .map(|c| c.value.clone())
                    })
                    .collect();
                EndpointSanitizer {
                    schema: endpoint.response_schema.clone(),
                    augments: endpoint.augments.iter().map(|a| a.value.clone()).collect(),
                    transforms: Transforms(transforms.iter().map(|t| Compiled::new(t)).collect()),
                    stages: stages(&json_paths, &conditions),
                    conditions,
                }
            })
            .collect();
        Self {
            endpoints,
            definitions: Arc::new(rules.definitions.clone()),
            pseudonymizer,
        }
    }

    /// Sanitizes a response body of endpoint number `endpoint` (as
    /// [`crate::policy::RequestPolicy::check`] found it). An empty body stays empty; several
    /// concatenated JSON values (NDJSON) are sanitized one by one and joined with `\n`.
    pub fn sanitize(&self, endpoint: usize, body: &[u8]) -> Result<Vec<u8>, SanitizeError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(body.to_vec());
        }
        let mut out = Vec::with_capacity(body.len());
        let e = &self.endpoints[endpoint];
        if e.schema.is_none() && e.transforms.0.is_empty() && e.augments.is_empty() {
            // Nothing to change: copy without building a tree. An object that repeats a name
            // (rare; the tree keeps the last value) takes the tree path below.
            let not_json = |e: serde_json::Error| SanitizeError::NotJson(e.to_string());
            match passthrough::copy(body, &mut out).map_err(not_json)? {
                passthrough::Copied::Done => return Ok(out),
                passthrough::Copied::RepeatedName => out.clear(),
            }
        }
        // Valid UTF-8 as a whole (nearly always), the parser need not check string by string.
        // Otherwise the bytes are parsed as they are, which accepts and rejects the same
        // documents with the same errors (bytes in skipped values are never checked).
        match std::str::from_utf8(body) {
            Ok(text) => self.sanitize_from(
                endpoint,
                &mut serde_json::Deserializer::from_str(text),
                &mut out,
            )?,
            Err(_) => self.sanitize_from(
                endpoint,
                &mut serde_json::Deserializer::from_slice(body),
                &mut out,
            )?,
        }
        Ok(out)
    }

    /// [`Self::sanitize`] of the values `de` reads, written to `out`.
    fn sanitize_from<'de, R: serde_json::de::Read<'de>>(
        &self,
        endpoint: usize,
        de: &mut serde_json::Deserializer<R>,
        out: &mut Vec<u8>,
    ) -> Result<(), SanitizeError> {
        let e = &self.endpoints[endpoint];
        let not_json = |e: serde_json::Error| SanitizeError::NotJson(e.to_string());
        loop {
            // With a response schema, the document is filtered while it is parsed.
            let doc = match &e.schema {
                _ if !e.augments.is_empty() => {
                    let doc = Value::deserialize(&mut *de).map_err(not_json)?;
                    self.augment_and_filter(e, doc)?
                }
                Some(schema) => {
                    let defs = Definitions {
                        rules: &self.definitions,
                        local: schema.definitions.as_ref(),
                        pass_augmented: false,
                    };
                    match (schema_parse::SchemaSeed { schema, defs })
                        .deserialize(&mut *de)
                        .map_err(not_json)?
                    {
                        schema_filter::Filtered::Kept(v) => v,
                        schema_filter::Filtered::NotMatched => Value::Null,
                        schema_filter::Filtered::Failed(e) => return Err(e.into()),
                    }
                }
                None => Value::deserialize(&mut *de).map_err(not_json)?,
            };
            let doc = self.apply_transforms(endpoint, doc)?;
            if !out.is_empty() {
                out.push(b'\n');
            }
            output::write_json(out, &doc);
            // Several concatenated values (NDJSON) are sanitized one by one.
            if de.end().is_ok() {
                break;
            }
        }
        Ok(())
    }

    /// Sanitizes one parsed document of endpoint number `endpoint`.
    pub fn sanitize_value(&self, endpoint: usize, doc: Value) -> Result<Value, SanitizeError> {
        let doc = self.augment_and_filter(&self.endpoints[endpoint], doc)?;
        self.apply_transforms(endpoint, doc)
    }

    /// psoxy's order before the transforms: augments on the upstream document, then the
    /// response schema, which passes the `+` properties the augments may have added.
    fn augment_and_filter(
        &self,
        e: &EndpointSanitizer,
        mut doc: Value,
    ) -> Result<Value, SanitizeError> {
        let augmented = !e.augments.is_empty()
            && augment::apply(&e.augments, &mut doc) == augment::Outcome::Applied;
        match &e.schema {
            Some(schema) => {
                let defs = Definitions {
                    rules: &self.definitions,
                    local: schema.definitions.as_ref(),
                    pass_augmented: augmented,
                };
                Ok(schema_filter::filter(doc, schema, defs)?)
            }
            None => Ok(doc),
        }
    }

    /// Applies endpoint `endpoint`'s transforms, stage by stage, to a document already filtered
    /// by its response schema.
    fn apply_transforms(&self, endpoint: usize, mut doc: Value) -> Result<Value, SanitizeError> {
        let e = &self.endpoints[endpoint];
        for stage in &e.stages {
            // applyOnlyWhen is evaluated on the document as the earlier stages left it.
            // Only this stage's transforms' conditions, each evaluated once.
            let active: Vec<bool> = e
                .conditions
                .iter()
                .enumerate()
                .map(|(i, c)| match c {
                    Some(c) if stage.has_transform(i) => !c.select_pointers(&doc).is_empty(),
                    _ => true,
                })
                .collect();
            let snapshot = stage.needs_root.then(|| doc.clone());
            let applier = apply::Applier {
                transforms: &e.transforms,
                active: &active,
                pseudonymizer: &self.pseudonymizer,
            };
            if run_stage(
                stage,
                &mut doc,
                snapshot.as_ref().unwrap_or(&Value::Null),
                &applier,
            )? == plan::Effect::Remove
            {
                doc = Value::Null;
            }
        }
        Ok(doc)
    }
}

/// Splits transforms into stages. psoxy applies transforms one after the other, so a transform's
/// filters (`[?(...)]`) and `applyOnlyWhen` see what the transforms before it changed. In one
/// traversal a filter would see the original values instead; so a transform whose filters or
/// condition read a property an earlier transform of the stage may change starts a new stage.
fn stages(json_paths: &[Vec<JsonPath>], conditions: &[Option<JsonPath>]) -> Vec<Stage> {
    // Each group: its transforms, the names they touch, and the paths that touch them.
    let mut groups: Vec<(Vec<usize>, plan::Names, Vec<&JsonPath>)> = Vec::new();
    for (index, paths) in json_paths.iter().enumerate() {
        let mut condition_reads = plan::Names::default();
        if let Some(condition) = &conditions[index] {
            condition_reads = plan::path_reads(condition.segments());
            // A condition on the whole document (`$`) depends on everything.
            if condition_reads.is_empty() {
                condition_reads = plan::Names::anything();
            }
        }
        let touched = plan::touched_names(paths);
        // A filter depends on an earlier path when that path may change a name the filter
        // reads, unless the filter only reads below `@` and the two paths part ways by name
        // (so the earlier path changes nothing inside the filtered nodes).
        let depends = |earlier: &[&JsonPath], touched_so_far: &plan::Names| {
            touched_so_far.overlaps(&condition_reads)
                || paths.iter().any(|p| {
                    let reads = plan::filter_reads(p.segments());
                    !reads.is_empty()
                        && earlier.iter().any(|a| {
                            plan::touched_names(std::slice::from_ref(*a)).overlaps(&reads)
                                && (plan::path_uses_root(p.segments())
                                    || !plan::disjoint(a.segments(), p.segments()))
                        })
                })
        };
        match groups.last_mut() {
            Some((group, touched_so_far, earlier)) if !depends(earlier, touched_so_far) => {
                group.push(index);
                touched_so_far.extend(touched);
                earlier.extend(paths.iter());
            }
            _ => groups.push((vec![index], touched, paths.iter().collect())),
        }
    }
    groups
        .into_iter()
        .map(|(group, _, _)| Stage::new(group.into_iter().map(|i| (i, json_paths[i].as_slice()))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(list: &[&str]) -> Vec<JsonPath> {
        list.iter().map(|p| JsonPath::parse(p).unwrap()).collect()
    }

    #[test]
    fn stages_split_only_where_a_filter_reads_what_came_before() {
        // Independent: the filter reads `type`, the earlier transform changes `login`.
        let independent = stages(
            &[
                paths(&["$..login"]),
                paths(&["$.items[?(@.type == 'bot')]"]),
            ],
            &[None, None],
        );
        assert_eq!(independent.len(), 1);
        // Dependent: the earlier transform changes `type`, which the filter reads.
        let dependent = stages(
            &[
                paths(&["$.items[*].type"]),
                paths(&["$.items[?(@.type == 'bot')]"]),
            ],
            &[None, None],
        );
        assert_eq!(dependent.len(), 2);
        // A condition reading what an earlier transform changed also waits for it.
        let conditioned = stages(
            &[paths(&["$.kind"]), paths(&["$.name"])],
            &[
                None,
                Some(JsonPath::parse("$[?(@.kind == 'person')]").unwrap()),
            ],
        );
        assert_eq!(conditioned.len(), 2);
        // Slack's mention rule: `reply_users[*]` may change any name, but only under
        // `reply_users`, never inside `blocks` where the filter reads.
        let parted = stages(
            &[
                paths(&["$.messages[*].user", "$.messages[*].reply_users[*]"]),
                paths(&["$.messages[*].blocks..[?(@.type == 'user')].user_id"]),
            ],
            &[None, None],
        );
        assert_eq!(parted.len(), 1);
        // Not parted: a descendant step or a filter before the names differ, or a `$` filter.
        for (earlier, later) in [
            ("$..type", "$.b[?(@.type == 'x')]"),
            ("$.a[*].type", "$.a[?(@.type == 'x')].b"),
            ("$[?(@.k)].a.type", "$.b[?(@.type == 'x')]"),
            ("$.a.type", "$.b[?($.a.type == 'x')]"),
            ("$.b.c.type", "$.b[?(@.c.type == 'x')]"),
        ] {
            let split = stages(&[paths(&[earlier]), paths(&[later])], &[None, None]);
            assert_eq!(split.len(), 2, "{earlier} then {later}");
        }
        let apart = stages(
            &[paths(&["$.a[*].type"]), paths(&["$.b[?(@.type == 'x')]"])],
            &[None, None],
        );
        assert_eq!(apart.len(), 1);
    }
}
