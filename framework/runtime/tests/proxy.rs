//! The proxy over real sockets: a local upstream on 127.0.0.1, a proxy in front of it, and a
//! caller. Covers what a deployment relies on: sanitized answers, refusals, authentication,
//! upstream failures, gzip, side outputs, OAuth2 token refresh and graceful shutdown.

mod support;

use std::time::Duration;

use support::{MEMBERS, get, proxy, send, spec_yaml, upstream};

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn a_sanitized_200_keeps_structure_and_loses_personal_data() {
    let up = upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let spec = spec_yaml(&format!("{}/token", up.url()), dir.path());
    let p = proxy(&spec, &[("SLUICE_UPSTREAM", &up.url())]).await;

    let answer = get(&p.url("/members?per_page=2"), Some("test-key")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let doc = answer.json();
    assert_eq!(
        doc[0]["login"],
        "t~IAUEqSLLtP3EjjkzslH-S1ULJZRLQnH9hT54jiI1gbM"
    );
    assert_eq!(doc[1]["type"], "Bot");
    assert!(!answer.body.contains("avatar"), "{}", answer.body);
    // Only allowlisted headers come back; the upstream's cookie does not.
    assert_eq!(answer.headers["x-ratelimit-remaining"], "4999");
    assert!(answer.headers.get("set-cookie").is_none());
    assert!(answer.headers.get("x-request-id").is_some());
    // Nothing of the caller's reached the upstream but the path and query, plus our token.
    let seen = up.last();
    assert_eq!(seen.path_and_query, "/members?per_page=2");
    assert_eq!(
        seen.headers.get("authorization").map(String::as_str),
        Some("Bearer tok-1")
    );
}

#[tokio::test]
async fn refusals_are_problems_with_the_reason() {
    let up = upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let p = proxy(
        &spec_yaml(&format!("{}/token", up.url()), dir.path()),
        &[("SLUICE_UPSTREAM", &up.url())],
    )
    .await;

    let blocked = get(&p.url("/admin/users"), Some("test-key")).await;
    assert_eq!(blocked.status, 403);
    assert_eq!(blocked.headers["content-type"], "application/problem+json");
    assert_eq!(blocked.json()["type"], "/_sluice/problems/blocked-by-rules");

    let param = get(&p.url("/members?q=secret"), Some("test-key")).await;
    assert_eq!(param.status, 403);
    assert!(
        param.json()["detail"]
            .as_str()
            .unwrap()
            .contains("`q` is not allowed"),
        "{}",
        param.body
    );

    let missing = get(&p.url("/members"), None).await;
    assert_eq!(missing.status, 401);
    let bad = get(&p.url("/members"), Some("wrong-key")).await;
    assert_eq!(bad.status, 401);
    assert_eq!(bad.json()["type"], "/_sluice/problems/unauthorized");
    assert!(
        up.seen
            .lock()
            .unwrap()
            .iter()
            .all(|s| s.path_and_query != "/admin/users"),
        "refused requests never go upstream"
    );
}

#[tokio::test]
async fn undeclared_methods_are_405_with_allow_on_upstream_and_control_routes() {
    let up = upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let spec = spec_yaml(&format!("{}/token", up.url()), dir.path())
        + "    - pathTemplate: /readonly\n      allowedMethods: [GET, HEAD]\n";
    let p = proxy(&spec, &[("SLUICE_UPSTREAM", &up.url())]).await;
    for method in ["TRACE", "POST", "DELETE", "QUERY"] {
        let refused = send(method, &p.url("/readonly"), Some("test-key"), &[]).await;
        assert_eq!(refused.status, 405, "{method}: {}", refused.body);
        assert_eq!(refused.header("allow"), "GET, HEAD", "{method}");
        assert_eq!(
            refused.json()["type"],
            "/_sluice/problems/method-not-allowed"
        );
        for route in ["healthz", "readyz", "metrics"] {
            let refused = send(method, &p.url(&format!("/_sluice/{route}")), None, &[]).await;
            assert_eq!(refused.status, 405, "{method} {route}: {}", refused.body);
            assert_eq!(refused.header("allow"), "GET, HEAD", "{method} {route}");
        }
    }
    assert!(
        up.seen
            .lock()
            .unwrap()
            .iter()
            .all(|s| s.path_and_query != "/readonly"),
        "refused requests never go upstream"
    );
}

#[tokio::test]
async fn an_unreachable_upstream_is_502_and_a_slow_one_504() {
    let up = upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let spec = spec_yaml(&format!("{}/token", up.url()), dir.path());

    // Nothing listens on port 9 of 127.0.0.1.
    let no_auth: String = spec
        .lines()
        .map(|l| {
            if l.starts_with("source_auth:") {
                "source_auth: { kind: none }"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let down = proxy(&no_auth, &[("SLUICE_UPSTREAM", "http://127.0.0.1:9")]).await;
    let answer = get(&down.url("/members"), Some("test-key")).await;
    assert_eq!(answer.status, 502, "{}", answer.body);
    assert_eq!(
        answer.json()["type"],
        "/_sluice/problems/upstream-unreachable"
    );

    let slow = proxy(
        &spec,
        &[
            ("SLUICE_UPSTREAM", &up.url()),
            ("SLUICE_UPSTREAM_TIMEOUT", "300ms"),
        ],
    )
    .await;
    let answer = get(&slow.url("/slow"), Some("test-key")).await;
    assert_eq!(answer.status, 504, "{}", answer.body);
    assert_eq!(answer.json()["type"], "/_sluice/problems/upstream-timeout");

    // An upstream error whose body cannot be sanitized is withheld, its status kept.
    let error = get(&slow.url("/error"), Some("test-key")).await;
    assert_eq!(error.status, 500);
    assert!(!error.body.contains("octocat"), "{}", error.body);
}

#[tokio::test]
async fn gzip_upstream_bodies_are_decoded_before_sanitizing() {
    let up = upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let p = proxy(
        &spec_yaml(&format!("{}/token", up.url()), dir.path()),
        &[("SLUICE_UPSTREAM", &up.url())],
    )
    .await;
    let answer = get(&p.url("/gzip/members"), Some("test-key")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.headers.get("content-encoding").is_none());
    assert_eq!(
        answer.json()[0]["login"],
        "t~IAUEqSLLtP3EjjkzslH-S1ULJZRLQnH9hT54jiI1gbM"
    );
    assert!(up.last().headers["accept-encoding"].contains("gzip"));
}

#[tokio::test]
async fn a_compressed_body_that_decodes_past_the_limit_is_a_502() {
    let up = upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let p = proxy(
        &spec_yaml(&format!("{}/token", up.url()), dir.path()),
        &[
            ("SLUICE_UPSTREAM", &up.url()),
            ("SLUICE_MAX_BODY_BYTES", "100000"),
        ],
    )
    .await;
    let answer = get(&p.url("/gzip/large"), Some("test-key")).await;
    assert_eq!(answer.status, 502, "{}", answer.body);
    assert_eq!(answer.headers["content-type"], "application/problem+json");
    let detail = answer.json()["detail"].as_str().unwrap().to_owned();
    assert!(
        detail.contains("decodes to more than 100000 bytes")
            && detail.contains("SLUICE_MAX_BODY_BYTES"),
        "{detail}"
    );
    // A small compressed body under the same limit is still answered.
    let answer = get(&p.url("/gzip/members"), Some("test-key")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

#[tokio::test]
async fn side_outputs_record_original_and_sanitized_bodies_with_metadata() {
    let up = upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let p = proxy(
        &spec_yaml(&format!("{}/token", up.url()), dir.path()),
        &[("SLUICE_UPSTREAM", &up.url())],
    )
    .await;
    let answer = get(&p.url("/members?per_page=2"), Some("test-key")).await;
    assert_eq!(answer.status, 200);
    assert!(answer.headers.get("sluice-warning").is_none());
    let request_id = answer.headers["x-request-id"].to_str().unwrap().to_owned();
    let today = jiff::Timestamp::now().strftime("%Y%m%d").to_string();

    let original = dir.path().join("original").join(&today).join(&request_id);
    assert_eq!(std::fs::read_to_string(&original).unwrap(), MEMBERS);
    let sanitized = dir.path().join("sanitized").join(&today).join(&request_id);
    assert_eq!(std::fs::read_to_string(&sanitized).unwrap(), answer.body);
    let meta: serde_json::Value = serde_json::from_slice(
        &std::fs::read(sanitized.with_file_name(format!("{request_id}.meta.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(meta["method"], "GET");
    assert_eq!(meta["path"], "/members");
    assert_eq!(meta["query"], "per_page=2");
    assert_eq!(meta["upstream-status"], "200");
    assert_eq!(meta["rules-sha256"].as_str().unwrap().len(), 64);
    assert_eq!(
        files_under(dir.path()).len(),
        4,
        "{:?}",
        files_under(dir.path())
    );
}

#[tokio::test]
async fn the_environment_redirects_or_turns_off_the_specs_side_outputs() {
    let up = upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = dir.path().join("elsewhere");
    let p = proxy(
        &spec_yaml(&format!("{}/token", up.url()), dir.path()),
        &[
            ("SLUICE_UPSTREAM", &up.url()),
            (
                "SIDE_OUTPUT_ORIGINAL",
                &format!("file://{}", elsewhere.display()),
            ),
            ("SIDE_OUTPUT_SANITIZED", "none"),
        ],
    )
    .await;
    let answer = get(&p.url("/members?per_page=2"), Some("test-key")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.headers.get("sluice-warning").is_none());
    let request_id = answer.headers["x-request-id"].to_str().unwrap();
    let today = jiff::Timestamp::now().strftime("%Y%m%d").to_string();
    let original = elsewhere.join(&today).join(request_id);
    assert_eq!(std::fs::read_to_string(&original).unwrap(), MEMBERS);
    // Only the redirected original and its metadata: nothing where the spec said, no sanitized
    // copy anywhere.
    let files = files_under(dir.path());
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files.iter().all(|f| f.starts_with(&elsewhere)), "{files:?}");
}

#[tokio::test]
async fn a_failed_side_output_warns_or_withholds_the_answer_when_required() {
    let up = upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let today = jiff::Timestamp::now().strftime("%Y%m%d").to_string();
    // The day's directory of the sanitized output is a file: writes there fail.
    std::fs::create_dir_all(dir.path().join("sanitized")).unwrap();
    std::fs::write(
        dir.path().join("sanitized").join(&today),
        b"not a directory",
    )
    .unwrap();
    let spec = spec_yaml(&format!("{}/token", up.url()), dir.path());
    let p = proxy(&spec, &[("SLUICE_UPSTREAM", &up.url())]).await;
    let answer = get(&p.url("/members?per_page=2"), Some("test-key")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let warning = answer.headers["sluice-warning"].to_str().unwrap();
    assert!(warning.contains("/sanitized"), "{warning}");
    // The other output was still written, gzip and all.
    let request_id = answer.headers["x-request-id"].to_str().unwrap();
    let original = dir.path().join("original").join(&today).join(request_id);
    assert_eq!(std::fs::read_to_string(original).unwrap(), MEMBERS);
    let metrics = get(&p.url("/_sluice/metrics"), None).await.body;
    assert!(
        metrics.contains("sluice_side_output_failures_total{destination=\"file://"),
        "{metrics}"
    );

    // The same failure on a required output withholds the answer.
    let required = spec.replace(
        "/sanitized\" }",
        "/sanitized\", required: true, gzip: true }",
    );
    assert_ne!(required, spec);
    let p = proxy(&required, &[("SLUICE_UPSTREAM", &up.url())]).await;
    let answer = get(&p.url("/members?per_page=2"), Some("test-key")).await;
    assert_eq!(answer.status, 500, "{}", answer.body);
    assert_eq!(
        answer.json()["type"],
        "/_sluice/problems/side-output-failed",
        "{}",
        answer.body
    );
    assert!(
        !answer.body.contains("t~"),
        "no sanitized data in the problem"
    );
}

#[tokio::test]
async fn oauth2_tokens_are_cached_refreshed_before_expiry_and_fetched_once_under_load() {
    let up = upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let p = proxy(
        &spec_yaml(&format!("{}/token", up.url()), dir.path()),
        &[("SLUICE_UPSTREAM", &up.url())],
    )
    .await;

    let url = p.url("/members");
    let concurrent: Vec<_> = (0..8).map(|_| get(&url, Some("test-key"))).collect();
    for answer in futures::future::join_all(concurrent).await {
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    assert_eq!(
        up.token_calls.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one token for eight requests"
    );

    // The token lives 2 s; sluice refreshes it at half-life for such short tokens.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(get(&p.url("/members"), Some("test-key")).await.status, 200);
    assert_eq!(up.token_calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_eq!(up.last().headers["authorization"], "Bearer tok-2");
    let token_request = up
        .seen
        .lock()
        .unwrap()
        .iter()
        .find(|s| s.path_and_query == "/token")
        .cloned()
        .unwrap();
    assert_eq!(token_request.method, "POST");
}

#[tokio::test]
async fn shutdown_drains_a_request_in_flight_and_stops_accepting() {
    let up = upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let mut p = proxy(
        &spec_yaml(&format!("{}/token", up.url()), dir.path()),
        &[("SLUICE_UPSTREAM", &up.url())],
    )
    .await;
    let url = p.url("/slow");
    let in_flight = tokio::spawn(async move { get(&url, Some("test-key")).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    p.shutdown.take().unwrap().send(()).unwrap();
    let answer = in_flight.await.unwrap();
    assert_eq!(
        answer.status, 200,
        "the request in flight completes: {}",
        answer.body
    );
    tokio::time::timeout(Duration::from_secs(5), p.task)
        .await
        .expect("the server stops")
        .unwrap()
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(p.addr).await.is_err(),
        "no longer accepting"
    );
}

#[tokio::test]
async fn health_readiness_and_metrics_answer_without_credentials() {
    let up = upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let p = proxy(
        &spec_yaml(&format!("{}/token", up.url()), dir.path()),
        &[("SLUICE_UPSTREAM", &up.url())],
    )
    .await;
    assert_eq!(get(&p.url("/_sluice/healthz"), None).await.status, 200);
    // Ready once the encryption key is derived, some milliseconds after start-up; until then
    // readiness says why not.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let ready = get(&p.url("/_sluice/readyz"), None).await;
        if ready.status == 200 {
            break;
        }
        assert_eq!(ready.status, 503, "{}", ready.body);
        assert!(ready.body.contains("encryption key"), "{}", ready.body);
        assert!(std::time::Instant::now() < deadline, "never ready");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    get(&p.url("/members"), Some("test-key")).await;
    get(&p.url("/admin/users"), Some("test-key")).await;
    get(&p.url("/admin/users"), Some("test-key")).await;
    let metrics = get(&p.url("/_sluice/metrics"), None).await;
    assert!(
        metrics
            .body
            .contains(r#"sluice_requests_total{endpoint="/members",status="200"} 1"#),
        "{}",
        metrics.body
    );
    assert!(
        metrics
            .body
            .contains(r#"sluice_requests_total{endpoint="-",status="403"} 2"#),
        "requests no endpoint matched: {}",
        metrics.body
    );
    assert!(
        metrics
            .body
            .contains("sluice_upstream_duration_seconds_bucket"),
        "{}",
        metrics.body
    );
}

#[tokio::test]
async fn jwt_callers_need_a_current_token_with_a_subject_and_no_critical_extensions() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
    let up = upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let p = proxy(
        &spec_yaml(&format!("{}/token", up.url()), dir.path()),
        &[
            ("SLUICE_UPSTREAM", &up.url()),
            ("SLUICE_API_KEYS", ""),
            ("SLUICE_JWT_SECRET", "jwt-test-secret"),
        ],
    )
    .await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mint = |header: &Header, claims: serde_json::Value| {
        encode(
            header,
            &claims,
            &EncodingKey::from_secret(b"jwt-test-secret"),
        )
        .unwrap()
    };
    let plain = Header::new(Algorithm::HS256);
    let exp = now + 3600;

    let good = mint(
        &plain,
        serde_json::json!({"sub": "pipeline-1", "exp": exp, "nbf": now - 5}),
    );
    let answer = get(&p.url("/members"), Some(&good)).await;
    assert_eq!(answer.status, 200, "a good token passes: {}", answer.body);
    // Within the 60 s leeway for clock skew, as for `exp`.
    let skewed = mint(
        &plain,
        serde_json::json!({"sub": "pipeline-1", "exp": exp, "nbf": now + 30}),
    );
    assert_eq!(get(&p.url("/members"), Some(&skewed)).await.status, 200);

    let mut critical = Header::new(Algorithm::HS256);
    critical.crit = Some(vec!["exp".into()]);
    let refused = [
        (
            "nbf an hour ahead",
            mint(
                &plain,
                serde_json::json!({"sub": "pipeline-1", "exp": exp, "nbf": now + 3600}),
            ),
            "not valid yet",
        ),
        (
            "empty sub",
            mint(&plain, serde_json::json!({"sub": "", "exp": exp})),
            "`sub`",
        ),
        (
            "no sub",
            mint(&plain, serde_json::json!({"exp": exp})),
            "`sub`",
        ),
        (
            "crit header",
            mint(
                &critical,
                serde_json::json!({"sub": "pipeline-1", "exp": exp}),
            ),
            "`crit`",
        ),
        (
            "wrong key",
            encode(
                &plain,
                &serde_json::json!({"sub": "pipeline-1", "exp": exp}),
                &EncodingKey::from_secret(b"guessed"),
            )
            .unwrap(),
            "the token was refused",
        ),
    ];
    for (what, token, says) in refused {
        let answer = get(&p.url("/members"), Some(&token)).await;
        assert_eq!(answer.status, 401, "{what}: {}", answer.body);
        assert_eq!(answer.headers["content-type"], "application/problem+json");
        let problem = answer.json();
        assert_eq!(problem["type"], "/_sluice/problems/unauthorized", "{what}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{what}: {detail}");
        assert!(!detail.contains("jwt-test-secret"), "{what}: {detail}");
    }
    let proxied = up
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|seen| seen.path_and_query == "/members")
        .count();
    assert_eq!(proxied, 2, "only the good tokens' requests went upstream");
}

/// A connector for `/paged/members` and `/members`, with `extra` rules-level fields and
/// `paged` fields on the `/paged/members` endpoint.
fn headers_spec(extra: &str, paged: &str) -> String {
    format!(
        r#"name: testapi
target_host: api.example.com
rules:
{extra}
  endpoints:
    - pathTemplate: /paged/members
      allowedQueryParams: [page, per_page]
      allowedRequestHeaders: [If-None-Match]
{paged}
      transforms:
        - !<pseudonymize>
          jsonPaths: ['$[*].login']
    - pathTemplate: /members
"#
    )
}

#[tokio::test]
async fn response_headers_are_checked_against_their_grammar_and_sanitized() {
    let up = upstream().await;
    let p = proxy(&headers_spec("", ""), &[("SLUICE_UPSTREAM", &up.url())]).await;

    let answer = get(&p.url("/paged/members?page=1"), Some("test-key")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    // Of three links, only the one to the upstream that the rules allow is kept, pointing at
    // the proxy; the `title` parameter goes.
    assert_eq!(
        answer.header("link"),
        "</paged/members?page=2>; rel=\"next\""
    );
    let next_path = answer
        .header("link")
        .trim_start_matches('<')
        .split('>')
        .next();
    let next = get(&p.url(next_path.unwrap()), Some("test-key")).await;
    assert_eq!(next.status, 200, "pagination works through the proxy");
    // The ETag is a keyed hash of the upstream's, still weak.
    let etag = answer.header("etag");
    assert!(etag.starts_with("W/\"") && etag.len() == 47, "{etag}");
    assert!(
        !etag.contains("583231") && !etag.contains("octocat"),
        "{etag}"
    );
    // A date that is not a date is dropped, a date is kept; only the charset of the type.
    assert!(answer.headers.get("last-modified").is_none());
    assert_eq!(answer.header("expires"), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_eq!(
        answer.header("content-type"),
        "application/json; charset=utf-8"
    );
    assert_eq!(answer.header("x-ratelimit-remaining"), "4999");
    assert!(answer.headers.get("x-github-request-id").is_none());
    assert!(!format!("{:?}", answer.headers).contains("583231"));
}

#[tokio::test]
async fn a_conditional_request_is_answered_304_by_the_proxy() {
    let up = upstream().await;
    let p = proxy(&headers_spec("", ""), &[("SLUICE_UPSTREAM", &up.url())]).await;
    let url = p.url("/paged/members?page=1");
    let first = get(&url, Some("test-key")).await;
    let etag = first.header("etag").to_owned();

    let again = support::send("GET", &url, Some("test-key"), &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, 304, "{}", again.body);
    assert_eq!(again.body, "");
    assert_eq!(again.header("etag"), etag);
    // The upstream was asked (the answer may have changed) without the caller's tag, although
    // the rules forward If-None-Match.
    assert_eq!(up.seen.lock().unwrap().len(), 2);
    assert!(!up.last().headers.contains_key("if-none-match"));

    // Several tags, one of them ours, compared weakly.
    let strong = etag.trim_start_matches("W/");
    let listed = format!("\"other\", {strong}");
    let again = support::send("GET", &url, Some("test-key"), &[("if-none-match", &listed)]).await;
    assert_eq!(again.status, 304);

    // The upstream's own tag means nothing to the proxy: a full answer.
    let raw = support::send(
        "GET",
        &url,
        Some("test-key"),
        &[("if-none-match", "W/\"583231-octocat\"")],
    )
    .await;
    assert_eq!(raw.status, 200);
    assert!(raw.body.contains("Bot"), "{}", raw.body);
    assert!(!up.last().headers.contains_key("if-none-match"));
}

#[tokio::test]
async fn allowed_response_headers_add_and_remove_headers() {
    let up = upstream().await;
    let p = proxy(
        &headers_spec(
            "  allowedResponseHeaders: [Content-Type]",
            "      allowedResponseHeaders: [content-type, Link, X-GitHub-Request-Id]",
        ),
        &[("SLUICE_UPSTREAM", &up.url())],
    )
    .await;

    // The endpoint's own list: a custom header added, ETag and rate limits removed.
    let paged = get(&p.url("/paged/members?page=1"), Some("test-key")).await;
    assert_eq!(paged.status, 200, "{}", paged.body);
    assert_eq!(paged.header("x-github-request-id"), "C0FF:EE");
    assert_eq!(
        paged.header("link"),
        "</paged/members?page=2>; rel=\"next\""
    );
    for removed in ["etag", "expires", "x-ratelimit-remaining"] {
        assert!(paged.headers.get(removed).is_none(), "{removed}");
    }
    // The rules-level list, for an endpoint without one: only the content type.
    let members = get(&p.url("/members"), Some("test-key")).await;
    assert_eq!(members.status, 200, "{}", members.body);
    assert_eq!(members.header("content-type"), "application/json");
    assert!(members.headers.get("x-ratelimit-remaining").is_none());
}
