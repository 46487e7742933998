//! Buckets on a real S3-protocol server (s3s-fs on 127.0.0.1, or the bucket named by
//! `SLUICE_TEST_S3_BUCKET`): presigned GET URLs that a plain HTTP client can fetch, and that the
//! server refuses once tampered with or without a signature; and the clean refusal of buckets
//! that cannot sign.

mod s3server;

use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt as _, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use object_store::{ObjectStoreExt as _, PutPayload};
use sluice::spec::destination::Destination;
use sluice::stores::{Bucket, PresignError};

/// Not valid UTF-8, so nothing on the way can have decoded and re-encoded it.
const BODY: &[u8] = b"{\"members\":[\"octocat\"]}\n\xff\xfe\x00binary tail";

/// GETs `url` with no credentials of any kind; the status and body.
async fn fetch(url: &str) -> (StatusCode, Bytes) {
    let client =
        Client::builder(TokioExecutor::new()).build::<_, Empty<Bytes>>(hyper_rustls_connector());
    let request = Request::get(url).body(Empty::new()).unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, body)
}

/// HTTP for s3s-fs, HTTPS for AWS.
fn hyper_rustls_connector()
-> hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector> {
    hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .build()
}

/// A stored object on a fresh server: the server, its bucket and the object's key.
async fn stored_object() -> Option<(s3server::S3Server, Bucket, object_store::path::Path)> {
    let server = s3server::start()?;
    let bucket = server.bucket("async");
    let key = bucket.key(&["results", "20250102", "6f1c0a7e2b9d4c58a3e1f0b2c4d6e8fa"]);
    bucket
        .store
        .put(&key, PutPayload::from_static(BODY))
        .await
        .unwrap();
    Some((server, bucket, key))
}

#[tokio::test]
async fn a_presigned_url_fetches_the_object_without_credentials() {
    let Some((_server, bucket, key)) = stored_object().await else {
        return;
    };
    assert!(bucket.can_sign());
    let url = bucket
        .presign_get(&key, Duration::from_secs(300))
        .await
        .unwrap();
    assert!(
        url.query_pairs().any(|(name, _)| name == "X-Amz-Signature"),
        "{url}"
    );
    let (status, body) = fetch(url.as_str()).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(body, BODY);
}

#[tokio::test]
async fn a_tampered_signature_is_refused() {
    let Some((_server, bucket, key)) = stored_object().await else {
        return;
    };
    let url = bucket
        .presign_get(&key, Duration::from_secs(300))
        .await
        .unwrap();
    let mut tampered = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(name, value)| {
            let value = if name == "X-Amz-Signature" {
                flip_first_char(&value)
            } else {
                value.into_owned()
            };
            (name.into_owned(), value)
        })
        .collect();
    tampered.query_pairs_mut().clear().extend_pairs(pairs);
    assert_ne!(tampered, url);

    let (status, body) = fetch(tampered.as_str()).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert_error_code(&body, "SignatureDoesNotMatch");
}

#[tokio::test]
async fn an_unsigned_get_of_the_object_is_refused() {
    let Some((_server, bucket, key)) = stored_object().await else {
        return;
    };
    let mut plain = bucket
        .presign_get(&key, Duration::from_secs(300))
        .await
        .unwrap();
    plain.set_query(None);

    let (status, body) = fetch(plain.as_str()).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert_error_code(&body, "AccessDenied");
}

#[tokio::test]
async fn local_and_memory_buckets_cannot_sign_and_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let local = format!("file://{}/async", dir.path().display());
    for url in [local.as_str(), "memory://tenant/async/"] {
        let bucket = Bucket::open(&Destination::parse(url).unwrap()).unwrap();
        assert!(!bucket.can_sign(), "{url}");
        let refused = bucket
            .presign_get(&bucket.key(&["results", "x"]), Duration::from_secs(60))
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, PresignError::Unsupported { url: named } if named == url),
            "{refused:?}"
        );
        let message = refused.to_string();
        assert!(message.contains(url), "{message}");
        assert!(message.contains("cannot presign"), "{message}");
    }
}

#[test]
fn an_opened_s3_bucket_can_sign() {
    // Opening builds the client only; credentials (from AWS_*, else instance metadata) are
    // fetched on first use, so this makes no network call.
    let bucket = Bucket::open(&Destination::parse("s3://acme-sluice/async/").unwrap()).unwrap();
    assert!(bucket.can_sign());
    assert_eq!(bucket.prefix.as_ref(), "async");
}

/// The S3 error document names `code` (and the object is not in it).
fn assert_error_code(body: &[u8], code: &str) {
    let text = String::from_utf8_lossy(body);
    assert!(text.contains(&format!("<Code>{code}</Code>")), "{text}");
}

/// `value` with its first character changed (hex stays hex).
fn flip_first_char(value: &str) -> String {
    let mut chars = value.chars();
    let first = chars.next().expect("a signature");
    let other = if first == '0' { '1' } else { '0' };
    std::iter::once(other).chain(chars).collect()
}
