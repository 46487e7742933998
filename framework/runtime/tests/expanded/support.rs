//! Shared by the expanded specs' tests: a compiled connector must hold the same model as its spec loaded at
//! run time, and its generated router must decide every request as the run-time policy does.

use std::path::Path;

use sluice::policy::{Allowed, RequestPolicy};
use sluice::{Connector, LoadedConnector, Routing};

/// The spec at `relative` (to `CARGO_MANIFEST_DIR`, as `connector!` reads it), loaded at run time.
pub(crate) fn loaded(relative: &str) -> LoadedConnector {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    LoadedConnector::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// Asserts the compiled spec, rules and digest equal the loaded ones, JSONPath structure included
/// (paths compare by text alone).
pub(crate) fn same_model<C: Connector>(compiled: &C, relative: &str) {
    let loaded = loaded(relative);
    assert_eq!(compiled.rules(), loaded.rules(), "{relative}: rules differ");
    assert_eq!(
        compiled.rules_sha256(),
        loaded.rules_sha256(),
        "{relative}: digest differs"
    );
    let mut spec = loaded.spec().clone();
    spec.rules = None;
    assert_eq!(compiled.spec(), &spec, "{relative}: spec differs");
    let pairs = compiled
        .rules()
        .endpoints
        .iter()
        .zip(&loaded.rules().endpoints);
    for (a, b) in pairs {
        for (ta, tb) in a.transforms.iter().zip(&b.transforms) {
            let (sa, sb) = (ta.selection(), tb.selection());
            let paths = sa.json_paths.iter().chain(&sa.apply_only_when);
            let expected = sb.json_paths.iter().chain(&sb.apply_only_when);
            for (pa, pb) in paths.zip(expected) {
                assert_eq!(pa.segments(), pb.segments(), "{relative}: {pa}");
            }
        }
    }
}

/// Routes `method url` through the compiled router and through the loaded spec's policy; both
/// must decide alike. Returns what `endpoint` makes of the compiled decision, if allowed.
pub(crate) fn route<C: Connector, E>(
    compiled: &C,
    relative: &str,
    method: &str,
    url: &str,
    endpoint: impl Fn(&Allowed<'_>) -> E,
) -> Option<E> {
    let (path, query) = url
        .split_once('?')
        .map_or((url, None), |(p, q)| (p, Some(q)));
    let policy = RequestPolicy::new(compiled.rules());
    let loaded = loaded(relative);
    let expected = RequestPolicy::new(loaded.rules());
    let (a, b) = (
        compiled.route(&policy, method, path, query),
        loaded.route(&expected, method, path, query),
    );
    match (&a, &b) {
        (Ok(x), Ok(y)) => {
            assert_eq!(
                (x.endpoint, &x.path_params, x.forward_headers),
                (y.endpoint, &y.path_params, y.forward_headers),
                "{relative}: {method} {url}"
            );
        }
        (Err(x), Err(y)) => assert_eq!(x, y, "{relative}: {method} {url}"),
        _ => panic!("{relative}: {method} {url}: compiled {a:?}, loaded {b:?}"),
    }
    a.ok().map(|allowed| endpoint(&allowed))
}
