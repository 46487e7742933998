//! Spec names that are awkward in Rust compile: keywords as parameters and paths, names that
//! collide once converted, and rules with no endpoints at all.

mod colliding_fields {
    sluice::connector!("tests/expanded/specs/colliding-fields.yaml");
}
mod self_names {
    sluice::connector!("tests/expanded/specs/self-names.yaml");
}
mod crate_name {
    sluice::connector!("tests/expanded/specs/crate-name.yaml");
}
mod no_endpoints {
    sluice::connector!("../codegen/tests/specs/no-endpoints.yaml");
}

use sluice::Routing as _;

#[test]
fn odd_names_become_rust_names() {
    let policy = |rules: &sluice::spec::Rules| sluice::policy::RequestPolicy::new(rules);

    let c = colliding_fields::Connector::new();
    let p = policy(c.rules());
    let allowed = c
        .route(&p, "GET", "/users/a/b", Some("pageSize=5&page_size=7"))
        .unwrap();
    let colliding_fields::Endpoint::UsersUserIdUserId { user_id, user_id_2 } =
        colliding_fields::Endpoint::from_allowed(&allowed);
    assert_eq!((user_id.as_str(), user_id_2.as_str()), ("a", "b"));
    let q = colliding_fields::UsersUserIdUserIdQuery::from_query(Some("pageSize=5&page_size=7"));
    assert_eq!(
        (q.page_size.as_deref(), q.page_size_2.as_deref()),
        (Some("5"), Some("7"))
    );

    let s = self_names::Connector::new();
    let p = policy(s.rules());
    let allowed = s.route(&p, "GET", "/self", None).unwrap();
    assert_eq!(
        self_names::Endpoint::from_allowed(&allowed),
        self_names::Endpoint::SelfEndpoint
    );
    let allowed = s.route(&p, "GET", "/users/me", Some("super=1")).unwrap();
    let self_names::Endpoint::UsersSelf { self_ } = self_names::Endpoint::from_allowed(&allowed)
    else {
        panic!("routed to the wrong endpoint");
    };
    assert_eq!(self_, "me");
    assert_eq!(
        self_names::UsersSelfQuery::from_query(Some("super=1"))
            .super_
            .as_deref(),
        Some("1")
    );

    let k = crate_name::Connector::new();
    let p = policy(k.rules());
    let allowed = k.route(&p, "GET", "/crates/serde/versions", None).unwrap();
    let crate_name::Endpoint::CratesCrateVersions { crate_ } =
        crate_name::Endpoint::from_allowed(&allowed);
    assert_eq!(crate_, "serde");

    let n = no_endpoints::Connector::new();
    let p = policy(n.rules());
    assert_eq!(
        n.route(&p, "GET", "/anything", None).unwrap_err().status,
        403
    );
}
