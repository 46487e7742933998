//! The edge-case specs about rules compile to the same model as the specs loaded at run time:
//! every transform with every option and every JSONPath selector and filter operator; response
//! schemas with every keyword; query and path parameter schemas of every kind, which the
//! generated router and query struct then apply.

use crate::support::{route, same_model};

mod transforms {
    sluice::connector!("../codegen/tests/specs/transforms.yaml");
}
mod schemas {
    sluice::connector!("../codegen/tests/specs/schemas.yaml");
}

const TRANSFORMS: &str = "../codegen/tests/specs/transforms.yaml";
const SCHEMAS: &str = "../codegen/tests/specs/schemas.yaml";

#[test]
fn edge_case_rules_compile_to_the_loaded_model() {
    let c = transforms::Connector::new();
    same_model(&c, TRANSFORMS);
    let at = |url| {
        route(
            &c,
            TRANSFORMS,
            "GET",
            url,
            transforms::Endpoint::from_allowed,
        )
    };
    assert_eq!(at("/everything"), Some(transforms::Endpoint::Everything {}));
    assert_eq!(at("/filters"), Some(transforms::Endpoint::Filters {}));

    use schemas::Endpoint as S;
    let c = schemas::Connector::new();
    same_model(&c, SCHEMAS);
    let at = |method, url| route(&c, SCHEMAS, method, url, S::from_allowed);
    assert_eq!(at("GET", "/users?limit=5"), Some(S::Users {}));
    assert_eq!(
        at("HEAD", "/users?limit=5&order=asc&kind=all&$top=3"),
        Some(S::Users {})
    );
    assert_eq!(at("GET", "/users?limit=5&kind=k-12"), Some(S::Users {}));
    assert_eq!(at("GET", "/users?limit=5&kind=7"), Some(S::Users {}));
    // `limit` is required and an integer; `order` an enum; `kind` one of its `or` schemas;
    // `q` matches a pattern; `ratio` is a number; an unlisted parameter is refused.
    assert_eq!(at("GET", "/users"), None);
    assert_eq!(at("GET", "/users?limit=x"), None);
    assert_eq!(at("GET", "/users?limit=5&order=up"), None);
    assert_eq!(at("GET", "/users?limit=5&kind=other"), None);
    assert_eq!(at("GET", "/users?limit=5&q=UPPER"), None);
    assert_eq!(at("GET", "/users?limit=5&ratio=0.5"), Some(S::Users {}));
    assert_eq!(at("GET", "/users?limit=5&ratio=half"), None);
    assert_eq!(at("GET", "/users?limit=5&unknown=1"), None);
    assert_eq!(at("POST", "/users?limit=5"), None);
    assert_eq!(
        at("GET", "/events/abc1"),
        Some(S::EventsEventId {
            event_id: "abc1".to_owned()
        })
    );
    assert_eq!(at("GET", "/events/ABC"), None);
    assert_eq!(at("GET", "/events/abc1?limit=5"), None);

    let q = schemas::UsersQuery::from_query(Some(
        "limit=5&ratio=0.25&order=desc&$top=2&page%5Bsize%5D=10&type=t&2fa=true&maxResults=9&kind=all",
    ));
    assert_eq!(q.limit, Some(5));
    assert_eq!(q.ratio, Some(0.25));
    assert_eq!(q.order.as_deref(), Some("desc"));
    assert_eq!(q.top, Some(2));
    assert_eq!(q.r#type.as_deref(), Some("t"));
    assert_eq!(q.p_2fa.as_deref(), Some("true"));
    assert_eq!(q.max_results.as_deref(), Some("9"));
    assert_eq!(q.kind.as_deref(), Some("all"));
    assert_eq!(q.page_size.as_deref(), Some("10"), "{q:?}");
    assert_eq!(
        schemas::EventsEventIdQuery::from_query(None),
        schemas::EventsEventIdQuery {}
    );
}
