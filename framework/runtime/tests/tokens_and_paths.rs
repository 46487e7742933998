//! The request side as an attacker with one caller key sees it, against a real proxy and a real
//! upstream on 127.0.0.1: reversible tokens that were altered (a padding oracle needs different
//! answers; forgery needs an altered token to be accepted), paths that resolve to other
//! resources, and `;` in query values.

mod support;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sluice::pseudonym::Pseudonymizer;
use support::{Answer, get, issued_by, proxy, proxy_pseudonymizer, upstream};

/// The proxy's salt and key (`support::proxy` sets them).
/// `token` with its bytes changed by `edit` and encoded again.
fn altered(token: &str, edit: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut bytes = URL_SAFE_NO_PAD
        .decode(token.strip_prefix("p~").unwrap())
        .unwrap();
    edit(&mut bytes);
    format!("p~{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The CBC forgery: flipping bits of the IV (the first 16 bytes of the hash) turns the first
/// block's plaintext from `original` into `wanted` (both under 16 bytes), padding included.
fn forged(token: &str, original: &str, wanted: &str) -> String {
    let pad = |v: &str| {
        let mut block = v.as_bytes().to_vec();
        let n = 16 - block.len();
        block.extend(std::iter::repeat_n(n as u8, n));
        block
    };
    let (from, to) = (pad(original), pad(wanted));
    altered(token, |bytes| {
        for i in 0..16 {
            bytes[i] ^= from[i] ^ to[i];
        }
        bytes.truncate(48);
    })
}

/// AES-256-CBC decryption of a token as psoxy does it, without the prefix check.
fn decrypt_unchecked(token: &str) -> Vec<u8> {
    use cbc::cipher::block_padding::Pkcs7;
    use cbc::cipher::{BlockModeDecrypt, KeyIvInit};
    let bytes = URL_SAFE_NO_PAD
        .decode(token.strip_prefix("p~").unwrap())
        .unwrap();
    let key = pbkdf2::pbkdf2_hmac_array::<sha2::Sha256, 32>(b"secret", b"salt", 65_536);
    let iv: [u8; 16] = bytes[..16].try_into().unwrap();
    cbc::Decryptor::<aes::Aes256>::new(&key.into(), &iv.into())
        .decrypt_padded_vec::<Pkcs7>(&bytes[32..])
        .unwrap()
}

const RULES: &str = r#"name: testapi
target_host: api.example.com
source_auth: { kind: none }
rules:
  endpoints:
    - pathTemplate: /users/{user}
      pathParameterSchemas:
        user: { format: reversible-pseudonym }
    - pathTemplate: /orgs/{org}/members
    - pathTemplate: /repos/{owner}/{repo}/issues
      allowedQueryParams: [labels, state, assignee]
    - pathTemplate: /search/code
      allowedQueryParams: [q]
      queryParamSchemas:
        q: { pattern: "^[a-z:;]+$" }
"#;

/// An upstream, and a proxy for [`RULES`] in front of it that lets a caller send any number of
/// bad tokens (the attacks need many; the throttle has its own test).
async fn unthrottled() -> (support::Upstream, support::Proxy) {
    let up = upstream().await;
    let proxy = proxy(
        RULES,
        &[
            ("SLUICE_UPSTREAM", &up.url()),
            ("SLUICE_TOKEN_FAILURE_LIMIT", "100000"),
        ],
    )
    .await;
    (up, proxy)
}

/// Everything but the request id: status, headers (dates and ids aside) and body.
fn comparable(answer: &Answer) -> (u16, Vec<(String, String)>, Value) {
    let mut body = answer.json();
    body.as_object_mut().unwrap().remove("request_id");
    let mut headers: Vec<(String, String)> = answer
        .headers
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "x-request-id" | "date"))
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    headers.sort();
    (answer.status, headers, body)
}

#[tokio::test]
async fn every_altered_token_gets_the_same_answer_and_nothing_goes_upstream() {
    let (up, proxy) = unthrottled().await;
    let p = proxy_pseudonymizer();
    let token = issued_by(&p, "octocat");
    let good = get(&proxy.url(&format!("/users/{token}")), Some("test-key")).await;
    assert_eq!(good.status, 404, "the upstream's own answer: {}", good.body);
    assert_eq!(up.last().path_and_query, "/users/octocat");
    let before = up.seen.lock().unwrap().len();

    let mut variants = Vec::new();
    let len = URL_SAFE_NO_PAD.decode(&token[2..]).unwrap().len();
    for position in 0..len {
        for bit in [0x01u8, 0x80] {
            variants.push(altered(&token, |b| b[position] ^= bit));
        }
    }
    // Random flips, a truncated block, an extra block, another key's token.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..64 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let position = (state % len as u64) as usize;
        let bit = 1u8 << ((state >> 32) % 8);
        variants.push(altered(&token, |b| b[position] ^= bit));
    }
    variants.push(altered(&token, |b| b.truncate(b.len() - 16)));
    variants.push(altered(&token, |b| b.extend_from_slice(&[7; 16])));
    let other = Pseudonymizer::builder("salt")
        .encryption_key("another deployment")
        .build()
        .unwrap();
    variants.push(issued_by(&other, "octocat"));

    let mut first = None;
    for variant in &variants {
        let answer = get(&proxy.url(&format!("/users/{variant}")), Some("test-key")).await;
        assert_eq!(answer.status, 409, "{variant}: {}", answer.body);
        let seen = comparable(&answer);
        match &first {
            None => first = Some(seen),
            Some(first) => assert_eq!(&seen, first, "{variant}"),
        }
    }
    let detail = first.unwrap().2["detail"].as_str().unwrap().to_owned();
    for word in ["padding", "authentic", "UTF-8", "decrypt"] {
        assert!(!detail.contains(word), "the answer says why: {detail}");
    }
    assert_eq!(
        up.seen.lock().unwrap().len(),
        before,
        "no altered token reached the upstream"
    );
}

#[tokio::test]
async fn forged_tokens_never_reach_the_upstream() {
    let (up, proxy) = unthrottled().await;
    let p = proxy_pseudonymizer();
    let token = issued_by(&p, "octocat");
    // The forgery works on the cipher: each altered token decrypts, padding and all, to the
    // wanted value. Only the check of the token's prefix stands in its way.
    for wanted in ["torvalds", "..", "", "admin"] {
        assert_eq!(
            decrypt_unchecked(&forged(&token, "octocat", wanted)),
            wanted.as_bytes()
        );
    }

    assert_eq!(
        get(&proxy.url("/users/torvalds"), Some("test-key"))
            .await
            .status,
        403,
        "a plain login is refused by the parameter schema"
    );
    for wanted in ["torvalds", "..", "", "admin"] {
        let forgery = forged(&token, "octocat", wanted);
        let answer = get(&proxy.url(&format!("/users/{forgery}")), Some("test-key")).await;
        assert_eq!(answer.status, 409, "{wanted:?}: {}", answer.body);
        let answer = get(
            &proxy.url(&format!("/orgs/{forgery}/members")),
            Some("test-key"),
        )
        .await;
        assert_eq!(answer.status, 409, "{wanted:?}: {}", answer.body);
        let answer = get(
            &proxy.url(&format!("/repos/acme/web/issues?assignee={forgery}")),
            Some("test-key"),
        )
        .await;
        assert_eq!(answer.status, 409, "{wanted:?}: {}", answer.body);
    }
    let seen: Vec<String> = up
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.path_and_query.clone())
        .collect();
    assert!(seen.is_empty(), "forgeries went upstream: {seen:?}");

    // The genuine token still goes through, everywhere.
    let answer = get(
        &proxy.url(&format!("/repos/acme/web/issues?assignee={token}")),
        Some("test-key"),
    )
    .await;
    assert_eq!(answer.status, 404, "{}", answer.body);
    assert_eq!(
        up.last().path_and_query,
        "/repos/acme/web/issues?assignee=octocat"
    );
}

#[tokio::test]
async fn a_caller_that_keeps_sending_bad_tokens_is_throttled() {
    let up = upstream().await;
    let proxy = proxy(
        RULES,
        &[
            ("SLUICE_UPSTREAM", &up.url()),
            ("SLUICE_TOKEN_FAILURE_LIMIT", "3"),
            ("SLUICE_API_KEYS", "prober,bystander"),
        ],
    )
    .await;
    let p = proxy_pseudonymizer();
    let token = issued_by(&p, "octocat");
    let bad = altered(&token, |b| b[40] ^= 1);
    for _ in 0..3 {
        let answer = get(&proxy.url(&format!("/users/{bad}")), Some("prober")).await;
        assert_eq!(answer.status, 409);
    }
    // Now even a good token from the prober waits; the bystander is unaffected.
    let answer = get(&proxy.url(&format!("/users/{token}")), Some("prober")).await;
    assert_eq!(answer.status, 429, "{}", answer.body);
    let wait: u64 = answer.header("retry-after").parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let answer = get(&proxy.url(&format!("/users/{token}")), Some("bystander")).await;
    assert_eq!(answer.status, 404, "{}", answer.body);
    // Requests without tokens are not throttled.
    let answer = get(&proxy.url("/orgs/acme/members"), Some("prober")).await;
    assert_eq!(answer.status, 404, "{}", answer.body);

    let metrics = get(&proxy.url("/_sluice/metrics"), None).await.body;
    let line = metrics
        .lines()
        .find(|l| l.starts_with("sluice_invalid_tokens_total{"))
        .unwrap_or_else(|| panic!("no invalid-token metric in:\n{metrics}"));
    assert!(line.ends_with(" 3"), "{line}");
}

#[tokio::test]
async fn dot_segments_and_encoded_separators_never_reach_the_upstream() {
    let up = upstream().await;
    let proxy = proxy(RULES, &[("SLUICE_UPSTREAM", &up.url())]).await;
    for path in [
        "/repos/acme/../issues",
        "/repos/acme/%2e%2e/issues",
        "/repos/acme/..%2F..%2Fadmin/issues",
        "/repos/acme%2Fweb/x/issues",
        "/repos/acme/web%5C..%5Cx/issues",
        "/orgs/./members",
        "/orgs/%2E/members",
    ] {
        let answer = get(&proxy.url(path), Some("test-key")).await;
        assert_eq!(answer.status, 400, "{path}: {}", answer.body);
        assert_eq!(answer.json()["type"], "/_sluice/problems/invalid-path");
    }
    assert!(up.seen.lock().unwrap().is_empty());
    let answer = get(&proxy.url("/repos/acme/web/issues"), Some("test-key")).await;
    assert_eq!(answer.status, 404, "{}", answer.body);
}

#[tokio::test]
async fn a_semicolon_in_a_query_value_is_refused_unless_a_pattern_allows_it() {
    let up = upstream().await;
    let proxy = proxy(RULES, &[("SLUICE_UPSTREAM", &up.url())]).await;
    let answer = get(
        &proxy.url("/repos/acme/web/issues?labels=bug;filter=all;state=all"),
        Some("test-key"),
    )
    .await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(answer.body.contains("`;`"), "{}", answer.body);
    assert!(up.seen.lock().unwrap().is_empty());

    get(
        &proxy.url("/repos/acme/web/issues?labels=bug%3Bfilter"),
        Some("test-key"),
    )
    .await;
    assert_eq!(
        up.last().path_and_query,
        "/repos/acme/web/issues?labels=bug%3Bfilter"
    );
    get(
        &proxy.url("/search/code?q=repo:acme;lang"),
        Some("test-key"),
    )
    .await;
    assert_eq!(up.last().path_and_query, "/search/code?q=repo:acme;lang");
}
