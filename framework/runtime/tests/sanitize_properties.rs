//! Properties of the sanitizer over arbitrary documents and rule sets: what a rule targets never
//! leaves verbatim, the output is a function of the input, and every reversible token decrypts
//! to the value it replaced.

use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use serde_json::{Map, Value};
use sluice::pseudonym::Pseudonymizer;
use sluice::sanitize::Sanitizer;

fn pseudonymizer() -> Arc<Pseudonymizer> {
    static P: OnceLock<Arc<Pseudonymizer>> = OnceLock::new();
    P.get_or_init(|| {
        Arc::new(
            Pseudonymizer::builder("salt")
                .encryption_key("secret")
                .build()
                .unwrap(),
        )
    })
    .clone()
}

/// Keys rules may target; they always hold secrets (strings or numbers).
const TARGETED: [&str; 4] = ["email", "login", "name", "phone"];
/// Keys rules never target; they hold structure and harmless values.
const PLAIN: [&str; 4] = ["id_kind", "items", "meta", "state"];

fn secret() -> impl Strategy<Value = Value> {
    prop_oneof![
        "secret[a-z0-9]{10}".prop_map(Value::from),
        (10_000_000u64..99_999_999).prop_map(Value::from),
    ]
}

fn harmless() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        "plain[a-z]{3}".prop_map(Value::from),
    ]
}

/// Objects mixing targeted keys (secrets) and plain keys (harmless values or nested documents).
fn document() -> impl Strategy<Value = Value> {
    let object = |inner: BoxedStrategy<Value>| {
        (
            prop::collection::vec((prop::sample::select(TARGETED.to_vec()), secret()), 0..3),
            prop::collection::vec((prop::sample::select(PLAIN.to_vec()), inner), 0..3),
        )
            .prop_map(|(secrets, plain)| {
                let mut map = Map::new();
                for (k, v) in plain.into_iter().chain(secrets) {
                    map.insert(k.to_owned(), v);
                }
                Value::Object(map)
            })
    };
    harmless().prop_recursive(4, 48, 4, move |inner| {
        prop_oneof![
            object(inner.clone().boxed()),
            prop::collection::vec(inner, 0..4).prop_map(Value::Array),
        ]
        .boxed()
    })
}

/// A rule set: each targeted key gets redacted or pseudonymized (optionally reversibly).
fn rules() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("redact"),
            Just("token"),
            Just("reversible"),
            Just("hash")
        ],
        4,
    )
    .prop_map(|actions| {
        let mut yaml = String::from("endpoints:\n  - pathTemplate: /x\n    transforms:\n");
        for (key, action) in TARGETED.iter().zip(actions) {
            let transform = match action {
                "redact" => "!<redact>".to_owned(),
                "token" => "!<pseudonymize>".to_owned(),
                "reversible" => "!<pseudonymize>\n        includeReversible: true".to_owned(),
                _ => "!<pseudonymize>\n        encoding: URL_SAFE_HASH_ONLY".to_owned(),
            };
            yaml.push_str(&format!(
                "      - {transform}\n        jsonPaths: ['$..{key}']\n"
            ));
        }
        yaml
    })
}

fn sanitizer(yaml: &str) -> Sanitizer {
    Sanitizer::new(
        &sluice_spec::parse_rules("p.yaml".as_ref(), yaml).unwrap(),
        pseudonymizer(),
    )
}

fn secrets_in(doc: &Value, out: &mut Vec<String>) {
    match doc {
        Value::Object(map) => {
            for (k, v) in map {
                if TARGETED.contains(&k.as_str()) {
                    out.push(match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    });
                } else {
                    secrets_in(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| secrets_in(v, out)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn targeted_values_never_leave_verbatim(doc in document(), yaml in rules()) {
        let body = serde_json::to_vec(&doc).unwrap();
        let out = String::from_utf8(sanitizer(&yaml).sanitize(0, &body).unwrap()).unwrap();
        let mut secrets = Vec::new();
        secrets_in(&doc, &mut secrets);
        for s in secrets {
            prop_assert!(!out.contains(&s), "{s} leaked into {out}");
        }
    }

    #[test]
    fn output_is_deterministic(doc in document(), yaml in rules()) {
        let body = serde_json::to_vec(&doc).unwrap();
        let first = sanitizer(&yaml).sanitize(0, &body).unwrap();
        prop_assert_eq!(&first, &sanitizer(&yaml).sanitize(0, &body).unwrap());
    }

    #[test]
    fn every_reversible_token_decrypts_to_its_original(doc in document()) {
        let yaml = "endpoints:\n  - pathTemplate: /x\n    transforms:\n      - !<pseudonymize>\n        jsonPaths: ['$..email', '$..login', '$..name', '$..phone']\n        includeReversible: true\n";
        let body = serde_json::to_vec(&doc).unwrap();
        let out: Value = serde_json::from_slice(&sanitizer(yaml).sanitize(0, &body).unwrap()).unwrap();
        let (mut before, mut after) = (Vec::new(), Vec::new());
        secrets_in(&doc, &mut before);
        secrets_in(&out, &mut after);
        prop_assert_eq!(before.len(), after.len());
        for (original, token) in before.iter().zip(&after) {
            prop_assert!(token.starts_with("p~"), "{token}");
            prop_assert_eq!(&pseudonymizer().decrypt_token(token).unwrap(), original);
        }
    }
}
