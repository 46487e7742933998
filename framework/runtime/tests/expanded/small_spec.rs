//! A small spec expanded and used as a team's own code would: the constants, the connector, the
//! generated router, the `Endpoint` enum and a typed query struct.

use sluice::policy::RequestPolicy;
use sluice::{Connector, Routing};

mod smoke {
    sluice::connector!("tests/expanded/specs/smoke.yaml");
}

#[test]
fn a_small_spec_used_as_a_teams_code_would() {
    assert_eq!(smoke::NAME, "smoke");
    assert_eq!(smoke::BINARY, "smoke-proxy");
    assert_eq!(smoke::TARGET_HOST, "api.example.com");
    assert_eq!(
        smoke::ENDPOINTS,
        ["/orgs/{org}/members", "/files/{name}.json"]
    );
    assert_eq!(smoke::RULES_SHA256.len(), 64);

    let connector = smoke::Connector::default();
    assert_eq!(connector.spec().name.value, "smoke");
    assert_eq!(connector.rules_sha256(), smoke::RULES_SHA256);
    assert_eq!(connector.rules(), &smoke::rules());
    let policy = RequestPolicy::new(connector.rules());

    let allowed = connector
        .route(
            &policy,
            "GET",
            "/orgs/acme/members",
            Some("per_page=50&role=admin"),
        )
        .expect("allowed");
    let endpoint = smoke::Endpoint::from_allowed(&allowed);
    assert_eq!(
        endpoint,
        smoke::Endpoint::OrgsOrgMembers {
            org: "acme".to_owned()
        }
    );
    assert_eq!(endpoint.index(), 0);
    let query = smoke::OrgsOrgMembersQuery::from_query(Some("per_page=50&role=admin"));
    assert_eq!(query.per_page, Some(50_u64));
    assert_eq!(query.role.as_deref(), Some("admin"));
    assert_eq!(
        smoke::OrgsOrgMembersQuery::from_query(None),
        Default::default()
    );

    let allowed = connector
        .route(&policy, "GET", "/files/report.json", None)
        .expect("allowed");
    assert_eq!(
        smoke::Endpoint::from_allowed(&allowed),
        smoke::Endpoint::FilesNameJson {
            name: "report".to_owned()
        }
    );

    // Refused: a query parameter the rules do not list, a method, a path.
    assert!(
        connector
            .route(&policy, "GET", "/orgs/acme/members", Some("q=x"))
            .is_err()
    );
    assert!(
        connector
            .route(&policy, "DELETE", "/orgs/acme/members", None)
            .is_err()
    );
    assert!(connector.route(&policy, "GET", "/admin", None).is_err());
}
