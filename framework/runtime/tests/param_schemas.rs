//! Parameter schemas written with `anyOf`, as psoxy's Microsoft 365 and Gemini rules have them,
//! against a real proxy and upstream on 127.0.0.1: a reversible pseudonym allowed by one
//! candidate is decrypted before it goes upstream, and a value no candidate allows is refused
//! naming the parameter, with nothing sent upstream.

mod support;

use support::{get, issued_by, proxy, proxy_pseudonymizer, upstream};

const RULES: &str = r#"name: graphapi
target_host: graph.example.com
source_auth: { kind: none }
rules:
  endpoints:
    - pathTemplate: /v1.0/users/{userId}/calendar/events
      pathParameterSchemas:
        userId:
          anyOf:
            - { type: string, format: reversible-pseudonym }
            - { type: string, const: me }
"#;

#[tokio::test]
async fn a_reversible_pseudonym_in_an_any_of_candidate_is_decrypted_before_forwarding() {
    let up = upstream().await;
    let proxy = proxy(RULES, &[("SLUICE_UPSTREAM", &up.url())]).await;
    let token = issued_by(
        &proxy_pseudonymizer(),
        "48d31887-5fad-4d73-a9f5-3c356e68a038",
    );
    let answer = get(
        &proxy.url(&format!("/v1.0/users/{token}/calendar/events")),
        Some("test-key"),
    )
    .await;
    assert_ne!(answer.status, 403, "{}", answer.body);
    assert_eq!(
        up.last().path_and_query,
        "/v1.0/users/48d31887-5fad-4d73-a9f5-3c356e68a038/calendar/events"
    );

    let answer = get(
        &proxy.url("/v1.0/users/me/calendar/events"),
        Some("test-key"),
    )
    .await;
    assert_ne!(answer.status, 403, "{}", answer.body);
    assert_eq!(up.last().path_and_query, "/v1.0/users/me/calendar/events");
}

#[tokio::test]
async fn a_value_no_any_of_candidate_allows_is_refused_naming_the_parameter() {
    let up = upstream().await;
    let proxy = proxy(RULES, &[("SLUICE_UPSTREAM", &up.url())]).await;
    for value in ["ann@acme.com", "mine"] {
        let answer = get(
            &proxy.url(&format!("/v1.0/users/{value}/calendar/events")),
            Some("test-key"),
        )
        .await;
        assert_eq!(answer.status, 403, "{value}: {}", answer.body);
        let problem = answer.json();
        assert_eq!(problem["type"], "/_sluice/problems/invalid-parameter");
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains("path parameter `userId`") && detail.contains("anyOf"),
            "{detail}"
        );
    }
    assert!(
        up.seen.lock().unwrap().is_empty(),
        "nothing reaches the upstream"
    );
}

/// Response schemas with a type psoxy does not know (its GitHub rules have `onBehalfOf`).
const MISSPELT: &str = r#"name: ghapi
target_host: api.example.com
source_auth: { kind: none }
rules:
  endpoints:
    - pathTemplate: /members
      responseSchema:
        type: array
        items:
          type: object
          properties:
            id: { type: integer }
            type: { type: onBehalfOf }
    - pathTemplate: /gzip/members
      responseSchema:
        type: array
        items:
          type: object
          properties:
            id: { type: integer }
            site_admin: { type: onBehalfOf }
"#;

#[tokio::test]
async fn a_value_reaching_an_unknown_schema_type_withholds_the_response_naming_where() {
    let up = upstream().await;
    let proxy = proxy(MISSPELT, &[("SLUICE_UPSTREAM", &up.url())]).await;
    let answer = get(&proxy.url("/members"), Some("test-key")).await;
    assert_eq!(answer.status, 502, "{}", answer.body);
    let problem = answer.json();
    assert_eq!(problem["type"], "/_sluice/problems/unsanitizable-response");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("`/0/type`") && detail.contains("`onBehalfOf`"),
        "{detail}"
    );
    assert!(!answer.body.contains("583231") && !answer.body.contains("octocat"));

    // No value reaches the misspelt node: sanitized as usual.
    let answer = get(&proxy.url("/gzip/members"), Some("test-key")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.json(),
        serde_json::json!([{"id": 583231}, {"id": 1}])
    );
}
