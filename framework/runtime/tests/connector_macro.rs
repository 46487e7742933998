//! `sluice::connector!` compiles a shipped spec: the connector's identity is available as
//! constants, checked against the spec at build time.

mod github {
    sluice::connector!("../../specs/github.yaml");
}

mod jira {
    sluice::connector!("../../specs/jira.yaml");
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
