//! The edge-case specs about connector settings compile to the same spec as loaded at run time:
//! every `source_auth` kind with every credential source, async processing on and off with each
//! result location, and side outputs with every flag and destination scheme.

use crate::support::same_model;
use sluice::Connector;
use sluice::spec::connector::{ResultLocation, SourceAuth};

mod auth_none {
    sluice::connector!("../codegen/tests/specs/auth-none.yaml");
}
mod auth_bearer {
    sluice::connector!("../codegen/tests/specs/auth-bearer.yaml");
}
mod auth_basic {
    sluice::connector!("../codegen/tests/specs/auth-basic.yaml");
}
mod auth_api_key {
    sluice::connector!("../codegen/tests/specs/auth-api-key.yaml");
}
mod auth_oauth2_client_credentials {
    sluice::connector!("../codegen/tests/specs/auth-oauth2-client-credentials.yaml");
}
mod auth_oauth2_refresh_token {
    sluice::connector!("../codegen/tests/specs/auth-oauth2-refresh-token.yaml");
}

fn spec(name: &str) -> String {
    format!("../codegen/tests/specs/{name}.yaml")
}

#[test]
fn edge_case_settings_compile_to_the_loaded_model() {
    let none = auth_none::Connector::new();
    same_model(&none, &spec("auth-none"));
    assert_eq!(none.spec().source_auth, SourceAuth::None {});
    assert!(!none.spec().enable_async_processing);
    assert!(none.spec().side_outputs.is_empty());

    let bearer = auth_bearer::Connector::new();
    same_model(&bearer, &spec("auth-bearer"));
    assert_eq!(
        bearer.spec().async_settings.location,
        ResultLocation::Presigned
    );
    assert_eq!(bearer.spec().side_outputs.len(), 3);
    assert!(bearer.spec().side_outputs[0].required && bearer.spec().side_outputs[0].gzip);
    assert_eq!(auth_bearer::ENDPOINTS, ["/me"]);

    let basic = auth_basic::Connector::new();
    same_model(&basic, &spec("auth-basic"));
    assert_eq!(basic.spec().async_settings.location, ResultLocation::Echo);

    same_model(&auth_api_key::Connector::new(), &spec("auth-api-key"));
    same_model(
        &auth_oauth2_client_credentials::Connector::new(),
        &spec("auth-oauth2-client-credentials"),
    );
    let refresh = auth_oauth2_refresh_token::Connector::new();
    same_model(&refresh, &spec("auth-oauth2-refresh-token"));
    assert!(matches!(
        &refresh.spec().source_auth,
        SourceAuth::Oauth2RefreshToken { scopes, .. } if scopes.is_empty()
    ));
    assert_eq!(
        auth_oauth2_refresh_token::BINARY,
        "auth-oauth2-refresh-token-proxy"
    );
}
