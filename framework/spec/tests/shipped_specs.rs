//! Every spec shipped in `specs/` loads, starts with the schema line editors need, and survives a
//! round trip: serialized back to YAML (psoxy's `method:` form for transforms) it loads to the
//! same model.

use std::path::{Path, PathBuf};

use sluice_spec::{ConnectorSpec, Rules, load_spec, parse_rules};

fn shipped_specs() -> Vec<PathBuf> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs"));
    let mut specs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    specs.sort();
    specs
}

#[test]
fn at_least_the_six_reference_connectors_are_shipped() {
    let names: Vec<String> = shipped_specs()
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    for wanted in ["github", "slack", "google-calendar", "zoom", "jira"] {
        assert!(
            names.iter().any(|n| n == wanted),
            "no specs/{wanted}.yaml in {names:?}"
        );
    }
    assert!(
        names.iter().any(|n| n.starts_with("msft-")),
        "no Microsoft Graph spec in {names:?}"
    );
}

#[test]
fn every_shipped_spec_loads_and_round_trips() {
    for path in shipped_specs() {
        let loaded = load_spec(&path).unwrap_or_else(|e| panic!("{e}"));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("# yaml-language-server: $schema=connector.schema.json\n"),
            "{} must start with the yaml-language-server schema line",
            path.display()
        );
        assert!(
            !loaded.rules.endpoints.is_empty(),
            "{} allows no endpoint",
            path.display()
        );

        let yaml = serde_saphyr::to_string(&loaded.spec).unwrap();
        let again: ConnectorSpec = serde_saphyr::from_str(&yaml).unwrap_or_else(|e| {
            panic!(
                "{} re-serialized does not load: {e}\n{yaml}",
                path.display()
            )
        });
        assert_eq!(
            again,
            loaded.spec,
            "{} changed in a round trip",
            path.display()
        );

        let yaml = serde_saphyr::to_string(&loaded.rules).unwrap();
        let again: Rules = parse_rules(Path::new("round-trip.yaml"), &yaml).unwrap_or_else(|e| {
            panic!(
                "{} rules re-serialized do not load: {e}\n{yaml}",
                path.display()
            )
        });
        assert_eq!(
            again,
            loaded.rules,
            "{} rules changed in a round trip",
            path.display()
        );
    }
}

#[test]
fn people_identifiers_are_pseudonymized_and_free_text_removed_in_every_connector() {
    use sluice_spec::TransformKind::*;
    for path in shipped_specs() {
        let loaded = load_spec(&path).unwrap();
        let endpoints = &loaded.rules.endpoints;
        let kinds: Vec<_> = endpoints
            .iter()
            .flat_map(|e| &e.transforms)
            .map(|t| t.kind())
            .collect();
        assert!(
            kinds.iter().any(|k| matches!(
                k,
                Pseudonymize | PseudonymizeEmailHeader | PseudonymizeRegexMatches
            )),
            "{} pseudonymizes nothing",
            path.display()
        );
        // Free text goes by redaction, by digest, or by a response schema that does not name it.
        let removes_text = kinds.iter().any(|k| {
            matches!(
                k,
                Redact
                    | RedactRegexMatches
                    | RedactExceptPhrases
                    | RedactExceptSubstringsMatchingRegexes
                    | FilterTokenByRegex
                    | TextDigest
            )
        }) || endpoints.iter().any(|e| e.response_schema.is_some());
        assert!(removes_text, "{} removes no free text", path.display());
    }
}
