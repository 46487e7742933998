//! The edge-case specs about paths compile, and their generated routers decide requests as the
//! same specs loaded at run time: the root, a trailing slash, parameters at every position, text
//! and a parameter in one segment, keyword parameter names, colliding names, and `pathRegex`.

use crate::support::{route, same_model};

mod path_params {
    sluice::connector!("../codegen/tests/specs/path-params.yaml");
}
mod path_regex {
    sluice::connector!("../codegen/tests/specs/path-regex.yaml");
}

const PARAMS: &str = "../codegen/tests/specs/path-params.yaml";
const REGEX: &str = "../codegen/tests/specs/path-regex.yaml";

#[test]
fn odd_paths_route_as_the_spec_loaded_at_run_time() {
    use path_params::Endpoint as P;
    let c = path_params::Connector::new();
    same_model(&c, PARAMS);
    let at = |method, url| route(&c, PARAMS, method, url, P::from_allowed);
    let s = |v: &str| v.to_owned();
    assert_eq!(at("GET", "/"), Some(P::Root {}));
    assert_eq!(at("GET", "/teams/"), Some(P::Teams {}));
    assert_eq!(at("GET", "/teams"), None);
    assert_eq!(
        at("GET", "/acme/status"),
        Some(P::TenantStatus { tenant: s("acme") })
    );
    assert_eq!(
        at("GET", "/ORGS/acme/Members"),
        Some(P::OrgsOrgMembers { org: s("acme") })
    );
    assert_eq!(at("GET", "/orgs//members"), None);
    assert_eq!(
        at("GET", "/users/ada%20l"),
        Some(P::UsersUser { user: s("ada%20l") })
    );
    assert_eq!(
        at("GET", "/repos/acme/web/pulls/7/reviews"),
        Some(P::ReposOwnerRepoPullsPullNumberReviews {
            owner: s("acme"),
            repo: s("web"),
            pull_number: s("7")
        })
    );
    // `pull_number` must be an integer, `owner` match its pattern.
    assert_eq!(at("GET", "/repos/acme/web/pulls/x/reviews"), None);
    assert_eq!(at("GET", "/repos/a_b/web/pulls/7/reviews"), None);
    assert_eq!(
        at("GET", "/files/report.json"),
        Some(P::FilesNameJson { name: s("report") })
    );
    assert_eq!(at("GET", "/files/report.xml"), None);
    assert_eq!(
        at("GET", "/archive/v1.2.tar.gz"),
        Some(P::ArchiveVMajorMinorTarGz {
            major: s("1"),
            minor: s("2")
        })
    );
    assert_eq!(
        at("GET", "/kinds/a/b/c"),
        Some(P::KindsTypeMatchFn2 {
            r#type: s("a"),
            r#match: s("b"),
            fn2: s("c")
        })
    );
    assert_eq!(
        at("GET", "/camel/u1/404"),
        Some(P::CamelUserIdHttpstatus {
            user_id: s("u1"),
            httpstatus: s("404")
        })
    );
    assert_eq!(
        at("GET", "/x/y/z"),
        Some(P::ABC {
            a: s("x"),
            b: s("y"),
            c: s("z")
        })
    );
    assert_eq!(at("GET", "/a/b"), Some(P::AB {}));
    assert_eq!(at("GET", "/a-b"), Some(P::AB2 {}));
    assert_eq!(
        at("GET", "/2fa/123"),
        Some(P::Path2faCode { code: s("123") })
    );
    assert_eq!(at("POST", "/"), None);
    assert_eq!(at("GET", ""), None);
    assert_eq!(P::Path2faCode { code: s("1") }.index(), 13);
    assert_eq!(path_params::ENDPOINTS.len(), 14);

    use path_regex::Endpoint as R;
    let c = path_regex::Connector::new();
    same_model(&c, REGEX);
    let at = |method, url| route(&c, REGEX, method, url, R::from_allowed);
    assert_eq!(
        at("GET", "/v1.0/users/u1/events"),
        Some(R::V10Users { user_id: s("u1") })
    );
    assert_eq!(
        at("GET", "/v1.0/groups/g1/members/42"),
        Some(R::V10Groups {
            group_id: s("g1"),
            member: s("42")
        })
    );
    assert_eq!(at("GET", "/v1.0/groups/g1/members/x"), None);
    assert_eq!(at("GET", "/beta/reports"), Some(R::BetaReports {}));
    assert_eq!(at("GET", "/beta/reports/r1"), Some(R::BetaReports {}));
    assert_eq!(
        at("GET", "/search/people"),
        Some(R::Search {
            r#type: s("people")
        })
    );
    assert_eq!(
        at("HEAD", "/anything/at/all"),
        Some(R::PathRegex {
            anything: s("anything/at/all")
        })
    );
    assert_eq!(at("GET", "/anything/at/all"), None);
    assert_eq!(R::PathRegex { anything: s("") }.index(), 4);
}
