//! `sluice::connector!` compiles each shipped spec into Rust, and the compiled connector behaves
//! exactly as the same spec loaded at run time (`sluice serve --spec`'s path): same rules, same
//! routing decisions, same sanitized bytes.

use std::path::Path;
use std::sync::Arc;

use sluice::engine::{Answer, Engine};
use sluice::pseudonym::Pseudonymizer;
use sluice::{Connector, LoadedConnector, Routing};

mod github {
    sluice::connector!("../../specs/github.yaml");
}
mod slack {
    sluice::connector!("../../specs/slack.yaml");
}
mod google_calendar {
    sluice::connector!("../../specs/google-calendar.yaml");
}
mod zoom {
    sluice::connector!("../../specs/zoom.yaml");
}
mod msft_outlook_calendar {
    sluice::connector!("../../specs/msft-outlook-calendar.yaml");
}
mod jira {
    sluice::connector!("../../specs/jira.yaml");
}

fn loaded(name: &str) -> LoadedConnector {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../specs/{name}.yaml"));
    LoadedConnector::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn pseudonymizer() -> Arc<Pseudonymizer> {
    static P: std::sync::OnceLock<Arc<Pseudonymizer>> = std::sync::OnceLock::new();
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

#[test]
fn the_macro_exposes_the_specs_identity_and_endpoints() {
    assert_eq!(github::NAME, "github");
    assert_eq!(github::BINARY, "github-proxy");
    assert_eq!(github::TARGET_HOST, "api.github.com");
    assert!(
        github::ENDPOINTS.contains(&"/orgs/{org}/members"),
        "{:?}",
        github::ENDPOINTS
    );
    assert!(github::ENDPOINTS.contains(&"/repos/{owner}/{repo}/issues"));
    assert_eq!(jira::NAME, "jira");
}

/// Asserts a compiled connector equals the loaded one in model, digest and JSONPath structure.
fn same_model<C: Connector>(compiled: &C, name: &str) {
    let loaded = loaded(name);
    assert_eq!(compiled.rules(), loaded.rules(), "{name}: rules differ");
    assert_eq!(
        compiled.rules_sha256(),
        loaded.rules_sha256(),
        "{name}: digest differs"
    );
    let mut spec = loaded.spec().clone();
    spec.rules = None;
    assert_eq!(compiled.spec(), &spec, "{name}: spec differs");
    // JsonPath compares by text; the compiled paths must also have the parsed structure.
    for (a, b) in compiled
        .rules()
        .endpoints
        .iter()
        .zip(&loaded.rules().endpoints)
    {
        for (ta, tb) in a.transforms.iter().zip(&b.transforms) {
            for (pa, pb) in ta
                .selection()
                .json_paths
                .iter()
                .zip(&tb.selection().json_paths)
            {
                assert_eq!(pa.segments(), pb.segments(), "{name}: {pa}");
            }
        }
    }
}

#[test]
fn every_compiled_connector_has_the_loaded_specs_model() {
    same_model(&github::Connector::new(), "github");
    same_model(&slack::Connector::new(), "slack");
    same_model(&google_calendar::Connector::new(), "google-calendar");
    same_model(&zoom::Connector::new(), "zoom");
    same_model(
        &msft_outlook_calendar::Connector::new(),
        "msft-outlook-calendar",
    );
    same_model(&jira::Connector::new(), "jira");
}

/// Runs the same exchanges through both and compares everything a caller would see.
fn same_behaviour<C: Connector>(compiled: C, name: &str, exchanges: &[(&str, &str, &str)]) {
    let a = Engine::new(compiled, pseudonymizer());
    let b = Engine::new(loaded(name), pseudonymizer());
    for (method, url, body) in exchanges {
        let (path, query) = url
            .split_once('?')
            .map_or((*url, None), |(p, q)| (p, Some(q)));
        let (x, y) = (
            a.run(method, path, query, body.as_bytes()),
            b.run(method, path, query, body.as_bytes()),
        );
        match (&x, &y) {
            (Answer::Sanitized { body: bx }, Answer::Sanitized { body: by }) => {
                assert_eq!(bx, by, "{name} {method} {url}");
            }
            (Answer::Refused(px), Answer::Refused(py)) => {
                assert_eq!(px, py, "{name} {method} {url}")
            }
            _ => panic!("{name} {method} {url}: compiled {x:?} vs loaded {y:?}"),
        }
    }
}

#[test]
fn compiled_and_loaded_connectors_answer_alike() {
    let members = r#"[{"login":"octocat","id":583231,"avatar_url":"https://x/y.png","type":"User","site_admin":false}]"#;
    let issues = r#"[{"id":1,"number":7,"title":"Secret plan","body":"text","user":{"login":"octocat","id":1},"labels":[],"state":"open"}]"#;
    same_behaviour(
        github::Connector::new(),
        "github",
        &[
            ("GET", "/orgs/acme/members?per_page=5", members),
            ("GET", "/ORGS/acme/members", members),
            ("GET", "/repos/acme/web/issues?state=open", issues),
            ("GET", "/orgs/acme/members?q=secret", members),
            ("DELETE", "/orgs/acme/members", members),
            ("GET", "/admin", "{}"),
            ("GET", "/orgs//members", members),
        ],
    );
    same_behaviour(
        slack::Connector::new(),
        "slack",
        &[
            (
                "GET",
                "/api/conversations.history?channel=C1&limit=2",
                r#"{"ok":true,"messages":[{"type":"message","user":"U1","text":"hi"}]}"#,
            ),
            (
                "GET",
                "/api/users.list",
                r#"{"ok":true,"members":[{"id":"U1","name":"ada","real_name":"Ada L","profile":{"email":"ada@acme.com"}}]}"#,
            ),
            ("POST", "/api/chat.postMessage", "{}"),
        ],
    );
    same_behaviour(
        msft_outlook_calendar::Connector::new(),
        "msft-outlook-calendar",
        &[
            (
                "GET",
                "/v1.0/users",
                r#"{"value":[{"id":"u1","mail":"a@acme.com","displayName":"A"}]}"#,
            ),
            ("GET", "/v1.0/users?$top=5", r#"{"value":[]}"#),
        ],
    );
}
