//! psoxy compatibility vectors for the pseudonym module (salt `salt`, key `secret`), from the
//! research notes (each recomputed in python) plus the docs' sanitized examples.

use std::sync::LazyLock;

use proptest::prelude::*;
use serde_json::{Value, json};
use sluice::pseudonym::{
    EmailCanonicalization, EmailDomainHandling, Encoding, PseudonymError, PseudonymizeOptions,
    Pseudonymizer, TokenError, full_match_regex,
};

/// Built once: key derivation is 65536 PBKDF2 rounds.
static P: LazyLock<Pseudonymizer> = LazyLock::new(|| {
    Pseudonymizer::builder("salt")
        .encryption_key("secret")
        .build()
        .expect("config")
});
static NO_KEY: LazyLock<Pseudonymizer> =
    LazyLock::new(|| Pseudonymizer::builder("salt").build().expect("config"));

const OCTOCAT_T: &str = "t~IAUEqSLLtP3EjjkzslH-S1ULJZRLQnH9hT54jiI1gbM";
const OCTOCAT_P: &str = "p~IAUEqSLLtP3EjjkzslH-S1ULJZRLQnH9hT54jiI1gbN_fPDYrPH3aBnAoR5-ec6f";

fn opts(
    encoding: Encoding,
    include_original: bool,
    include_reversible: bool,
) -> PseudonymizeOptions {
    PseudonymizeOptions {
        include_original,
        include_reversible,
        encoding,
    }
}

fn token(v: Value) -> Value {
    P.pseudonymize(&v, &opts(Encoding::UrlSafeToken, false, false))
        .unwrap()
}

fn reversible(v: Value) -> Value {
    P.pseudonymize(&v, &opts(Encoding::UrlSafeToken, false, true))
        .unwrap()
}

fn s(text: &str) -> Value {
    Value::String(text.to_string())
}

// ---- §4.2 vectors ----------------------------------------------------------------------------

#[test]
fn octocat_url_safe_token() {
    assert_eq!(token(json!("octocat")), s(OCTOCAT_T));
}

#[test]
fn number_123456() {
    assert_eq!(
        token(json!(123456)),
        s("t~5NL5SaQBwE6c0L1BDjHW-BtBOXQVH8RYwY0tGGw3khk")
    );
    // A number hashes like its Java text.
    assert_eq!(token(json!(123456)), token(json!("123456")));
}

#[test]
fn octocat_reversible() {
    let p = reversible(json!("octocat"));
    assert_eq!(p, s(OCTOCAT_P));
    // The first 42 characters of the hash agree; the 43rd differs.
    let (t, p) = (&OCTOCAT_T[2..], &OCTOCAT_P[2..]);
    assert_eq!(t[..42], p[..42]);
    assert_ne!(t[42..43], p[42..43]);
}

#[test]
fn test_vectors() {
    assert_eq!(
        token(json!("test")),
        s("t~Tt8H7clbL9y8ryN4_RLYrCEsKqbjJsWcPmKb4wOdZDI")
    );
    assert_eq!(
        reversible(json!("test")),
        s("p~Tt8H7clbL9y8ryN4_RLYrCEsKqbjJsWcPmKb4wOdZDKAHyevsJLhRTypmrf-DpBZ")
    );
}

#[test]
fn email_vectors() {
    let email = json!("alice@acme.com");
    assert_eq!(
        token(email.clone()),
        s("t~UFdK0TvVTvZ23c6QslyCy0o2MSq2DRtDjEXfTPJyyMk@acme.com")
    );
    assert_eq!(
        reversible(email.clone()),
        s("p~UFdK0TvVTvZ23c6QslyCy0o2MSq2DRtDjEXfTPJyyMnKYUk8FJevl3wvFyZY0eF-@acme.com")
    );
    assert_eq!(
        P.pseudonymize(&email, &opts(Encoding::UrlSafeHashOnly, false, false))
            .unwrap(),
        s("UFdK0TvVTvZ23c6QslyCy0o2MSq2DRtDjEXfTPJyyMk")
    );
}

#[test]
fn docs_example_hashes() {
    for (email, hash) in [
        (
            "alice@worklytics.co",
            "Qf4dLJ4jfqZLn9ef4VirvYjvOnRaVI5tf5oLnM65YOA",
        ),
        (
            "no-reply@worklytics.co",
            "EsXNVTaSltmDUIO4v8CixL66qkCKLlpLB_RHysHbQSQ",
        ),
        (
            "ops@worklytics.co",
            "t9en8zJVP-3M_f0Zce7WRyACl2EWLeGy_fSnrtJpHm4",
        ),
    ] {
        assert_eq!(
            P.pseudonymize(
                &json!(email),
                &opts(Encoding::UrlSafeHashOnly, false, false)
            )
            .unwrap(),
            s(hash)
        );
    }
}

#[test]
fn json_form_asfa_reversible() {
    let out = P
        .pseudonymize(&json!("asfa"), &opts(Encoding::Json, false, true))
        .unwrap();
    assert_eq!(
        out,
        s(
            r#"{"hash":"Z7Bnl_VVOwSmfP9kuT0_Ub-5ic4cCVI4wCHArL1hU0M","reversible":"p~Z7Bnl_VVOwSmfP9kuT0_Ub-5ic4cCVI4wCHArL1hU0MzTTbTCc7BcR53imT1qZgI"}"#
        )
    );
}

#[test]
fn json_form_field_order() {
    let out = P
        .pseudonymize(&json!("alice@acme.com"), &opts(Encoding::Json, true, true))
        .unwrap();
    assert_eq!(
        out,
        s(concat!(
            r#"{"domain":"acme.com","hash":"UFdK0TvVTvZ23c6QslyCy0o2MSq2DRtDjEXfTPJyyMk","original":"alice@acme.com","#,
            r#""reversible":"p~UFdK0TvVTvZ23c6QslyCy0o2MSq2DRtDjEXfTPJyyMnKYUk8FJevl3wvFyZY0eF-@acme.com"}"#
        ))
    );
    let plain = P
        .pseudonymize(&json!("octocat"), &opts(Encoding::Json, false, false))
        .unwrap();
    assert_eq!(
        plain,
        s(r#"{"hash":"IAUEqSLLtP3EjjkzslH-S1ULJZRLQnH9hT54jiI1gbM"}"#)
    );
    // The original of a number is its Java text.
    let n = P
        .pseudonymize(&json!(1.50), &opts(Encoding::Json, true, false))
        .unwrap();
    assert_eq!(
        n,
        s(r#"{"hash":"IlrZ8WlswrTzTpEYzhz0lGJEPbh3zGeguB7NL6mhF6Y","original":"1.5"}"#)
    );
}

// ---- numbers, nulls, blanks, wrong types (§3.4) -----------------------------------------------

#[test]
fn doubles_hash_as_java_double_to_string() {
    let num = |t: &str| serde_json::from_str::<Value>(t).unwrap();
    assert_eq!(
        token(num("1.5")),
        s("t~IlrZ8WlswrTzTpEYzhz0lGJEPbh3zGeguB7NL6mhF6Y")
    );
    assert_eq!(
        token(num("1e2")),
        s("t~N0t7L5mVReCOS5lxoI2bZ5eUaKEDjO1U1gk8vU46xoA")
    );
    assert_eq!(
        token(num("100.0")),
        s("t~N0t7L5mVReCOS5lxoI2bZ5eUaKEDjO1U1gk8vU46xoA")
    );
    assert_eq!(
        token(num("1E20")),
        s("t~oScj8EzZRR0KOfoZvHRTSZpWuS4gKZ7ACkENgk5j2pE")
    );
}

#[test]
fn null_and_blank_quirks() {
    for v in [Value::Null, json!(""), json!("  \t")] {
        assert_eq!(token(v.clone()), Value::Null);
        assert_eq!(
            P.pseudonymize(&v, &opts(Encoding::Json, false, false))
                .unwrap(),
            s("null")
        );
        assert!(matches!(
            P.pseudonymize(&v, &opts(Encoding::UrlSafeHashOnly, false, false)),
            Err(PseudonymError::NothingToPseudonymize { .. })
        ));
    }
    // No trimming: surrounding spaces change the hash.
    assert_ne!(token(json!(" octocat")), s(OCTOCAT_T));
}

#[test]
fn wrong_types_are_errors() {
    for v in [json!(true), json!({"a": 1}), json!([1])] {
        let err = P
            .pseudonymize(&v, &PseudonymizeOptions::default())
            .unwrap_err();
        assert!(
            matches!(
                err,
                PseudonymError::UnsupportedValue {
                    transform: "pseudonymize",
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            P.pseudonymize_email_header(&v, Encoding::UrlSafeToken)
                .is_err()
        );
        assert!(
            P.pseudonymize_regex_matches(&v, &full_match_regex(".*").unwrap(), false, false)
                .is_err()
        );
        assert_eq!(P.tokenize(&v, None).unwrap(), Value::Null);
        assert_eq!(P.hash_ip(&v), Value::Null);
    }
    assert!(
        P.pseudonymize_regex_matches(&Value::Null, &full_match_regex(".*").unwrap(), false, false)
            .is_err()
    );
    assert!(
        P.pseudonymize_email_header(&json!(5), Encoding::UrlSafeToken)
            .is_err()
    );
    assert_eq!(P.tokenize(&json!(5), None).unwrap(), Value::Null);
    assert_eq!(P.hash_ip(&json!(5)), Value::Null);
}

#[test]
fn reversible_needs_a_key() {
    let err = NO_KEY
        .pseudonymize(
            &json!("octocat"),
            &opts(Encoding::UrlSafeToken, false, true),
        )
        .unwrap_err();
    assert_eq!(
        err,
        PseudonymError::NoEncryptionKey {
            transform: "pseudonymize"
        }
    );
    assert_eq!(
        NO_KEY
            .pseudonymize(&json!("octocat"), &PseudonymizeOptions::default())
            .unwrap(),
        s(OCTOCAT_T)
    );
    assert!(NO_KEY.tokenize(&json!("x"), None).is_err());
    assert!(NO_KEY.encrypt_ip(&json!("10.0.0.1")).is_err());
    assert_eq!(
        NO_KEY.decrypt_token(OCTOCAT_P),
        Err(TokenError::NoEncryptionKey)
    );
}

// ---- email canonicalization and domains (§4.3) ------------------------------------------------

#[test]
fn email_canonicalization() {
    let alice = s("t~UFdK0TvVTvZ23c6QslyCy0o2MSq2DRtDjEXfTPJyyMk@acme.com");
    assert_eq!(token(json!("alice+news@acme.com")), alice);
    assert_eq!(token(json!("\"Alice\" <alice@acme.com>")), alice);
    assert_eq!(token(json!("Alice Smith <alice@acme.com>")), alice);
    // The domain is preserved as written, but hashed lowercased.
    assert_eq!(
        token(json!("Alice@Acme.com")),
        s("t~UFdK0TvVTvZ23c6QslyCy0o2MSq2DRtDjEXfTPJyyMk@Acme.com")
    );
    // The reversible token encrypts the original, not the canonical form.
    assert_eq!(
        reversible(json!("Alice@Acme.com")),
        s("p~UFdK0TvVTvZ23c6QslyCy0o2MSq2DRtDjEXfTPJyyMk5hpBAXaVdHWJGmyyva_pD@Acme.com")
    );
    assert_eq!(
        reversible(json!("\"Alice\" <alice+x@acme.com>")),
        s(
            "p~UFdK0TvVTvZ23c6QslyCy0o2MSq2DRtDjEXfTPJyyMmUZBozpegUDrfD3gXZY_gd-AWJDNC3bUfC1MLZ2Cs9kw@acme.com"
        )
    );
    assert_eq!(
        P.decrypt_token(
            "p~UFdK0TvVTvZ23c6QslyCy0o2MSq2DRtDjEXfTPJyyMk5hpBAXaVdHWJGmyyva_pD@Acme.com"
        )
        .unwrap(),
        "Alice@Acme.com"
    );
    // Single-label domains and domain literals are not emails: hashed raw, no domain.
    let raw = token(json!("bob@localhost"));
    assert!(raw.as_str().unwrap().starts_with("t~") && !raw.as_str().unwrap().contains('@'));
    assert!(
        !token(json!("bob@[10.0.0.1]"))
            .as_str()
            .unwrap()
            .contains('@')
    );
}

#[test]
fn ignore_dots() {
    let p = Pseudonymizer::builder("salt")
        .email_canonicalization(EmailCanonicalization::IgnoreDots)
        .build()
        .unwrap();
    let t = p
        .pseudonymize(
            &json!("alice.bob@acme.com"),
            &PseudonymizeOptions::default(),
        )
        .unwrap();
    assert_eq!(
        t,
        s("t~NUru0V9zaQ4ie5sams9otdGAWeM0ZQPVcykxL2suKYo@acme.com")
    );
    assert_eq!(token(json!("alicebob@acme.com")), t);
    assert_ne!(token(json!("alice.bob@acme.com")), t);
}

#[test]
fn domain_handling() {
    let with = |h| {
        Pseudonymizer::builder("salt")
            .encryption_key("secret")
            .email_domain_handling(h)
            .build()
            .unwrap()
    };
    let hash = "t~UFdK0TvVTvZ23c6QslyCy0o2MSq2DRtDjEXfTPJyyMk";
    let d = PseudonymizeOptions::default();
    assert_eq!(
        with(EmailDomainHandling::Redact)
            .pseudonymize(&json!("alice@acme.com"), &d)
            .unwrap(),
        s(hash)
    );
    assert_eq!(
        with(EmailDomainHandling::Hash)
            .pseudonymize(&json!("alice@acme.com"), &d)
            .unwrap(),
        s(&format!(
            "{hash}@h~v46z63x8plttB_GFx_6FSFM5iQQ-1VrRH6l1LVF5xy4"
        ))
    );
    assert_eq!(
        with(EmailDomainHandling::Encrypt)
            .pseudonymize(&json!("alice@acme.com"), &d)
            .unwrap(),
        s(&format!(
            "{hash}@e~v46z63x8plttB_GFx_6FSFM5iQQ-1VrRH6l1LVF5xy5RinGIJPlKhbKeCPO8O04s"
        ))
    );
    let json = with(EmailDomainHandling::Redact)
        .pseudonymize(
            &json!("alice@acme.com"),
            &opts(Encoding::Json, false, false),
        )
        .unwrap();
    assert_eq!(
        json,
        s(r#"{"hash":"UFdK0TvVTvZ23c6QslyCy0o2MSq2DRtDjEXfTPJyyMk"}"#)
    );
}

// ---- pseudonymizeEmailHeader ------------------------------------------------------------------

#[test]
fn email_header_vectors() {
    assert_eq!(
        P.pseudonymize_email_header(
            &json!("Karen Love <karen@worklytics.co>, John Doe <john@worklytics.co>"),
            Encoding::UrlSafeToken
        )
        .unwrap(),
        s(
            r#"["t~TtDWXFAQxNE8O2w7DuMtEKzTSZXERuUVLCjmd9r6KQ4@worklytics.co","t~p4EqhPet-p2vhJbMJD5jrbrlJtF21L0TOl8bBtjrNpk@worklytics.co"]"#
        )
    );
    assert_eq!(
        P.pseudonymize_email_header(
            &json!("\"Worklytics.co\" <no-reply@worklytics.co>"),
            Encoding::UrlSafeToken
        )
        .unwrap(),
        s("t~EsXNVTaSltmDUIO4v8CixL66qkCKLlpLB_RHysHbQSQ@worklytics.co")
    );
    assert_eq!(
        P.pseudonymize_email_header(&json!("Karen Love <karen@worklytics.co>"), Encoding::Json)
            .unwrap(),
        s(r#"{"domain":"worklytics.co","hash":"TtDWXFAQxNE8O2w7DuMtEKzTSZXERuUVLCjmd9r6KQ4"}"#)
    );
}

#[test]
fn email_header_groups_blank_invalid() {
    assert_eq!(
        P.pseudonymize_email_header(
            &json!("Team: karen@worklytics.co;, John Doe <john@worklytics.co>"),
            Encoding::UrlSafeToken
        )
        .unwrap(),
        s(
            r#"["t~TtDWXFAQxNE8O2w7DuMtEKzTSZXERuUVLCjmd9r6KQ4@worklytics.co","t~p4EqhPet-p2vhJbMJD5jrbrlJtF21L0TOl8bBtjrNpk@worklytics.co"]"#
        )
    );
    assert_eq!(
        P.pseudonymize_email_header(&json!("Undisclosed recipients:;"), Encoding::UrlSafeToken)
            .unwrap(),
        s("[]")
    );
    assert_eq!(
        P.pseudonymize_email_header(&json!("  "), Encoding::UrlSafeToken)
            .unwrap(),
        s("")
    );
    assert_eq!(
        P.pseudonymize_email_header(&Value::Null, Encoding::UrlSafeToken)
            .unwrap(),
        Value::Null
    );
    for bad in ["a@b.com,,c@d.com", "not an address", "a@b.com; c@d.com"] {
        assert_eq!(
            P.pseudonymize_email_header(&json!(bad), Encoding::UrlSafeToken)
                .unwrap(),
            Value::Null,
            "{bad}"
        );
    }
}

// ---- pseudonymizeRegexMatches -----------------------------------------------------------------

#[test]
fn regex_matches_vectors() {
    let run = |input: &str, re: &str, group: bool| {
        P.pseudonymize_regex_matches(&json!(input), &full_match_regex(re).unwrap(), group, false)
            .unwrap()
    };
    assert_eq!(
        run("something", ".*", false),
        s("t~EN_O0yRLJp7bRnw6HrbdPMLul_uqairwpevQ08HtEn0")
    );
    assert_eq!(run("something", "blah:.*thing", false), Value::Null);
    assert_eq!(
        run("blah:something", "blah:.*thing", false),
        s("t~ltpmWUv-gqwJTPjfusJMo8Cd45xhqDRQx6REW-gS2CU")
    );
    assert_eq!(
        run("blah:something", "blah:(.*)", true),
        s("blah:t~EN_O0yRLJp7bRnw6HrbdPMLul_uqairwpevQ08HtEn0")
    );
    // MS Graph proxyAddresses: email detection applies to the group.
    assert_eq!(
        run("SMTP:alice@acme.com", "(?i)^smtp:(.*)$", true),
        s("SMTP:t~UFdK0TvVTvZ23c6QslyCy0o2MSq2DRtDjEXfTPJyyMk@acme.com")
    );
    // Reversible, and every occurrence of the group's text is replaced.
    let out = P
        .pseudonymize_regex_matches(
            &json!("octocat/octocat"),
            &full_match_regex("(octocat)/.*").unwrap(),
            true,
            true,
        )
        .unwrap();
    assert_eq!(out, s(&format!("{OCTOCAT_P}/{OCTOCAT_P}")));
}

/// psoxy's current sanitizer searches for the pattern (Java `find()`): its GitLab rules
/// pseudonymize `@([\w.-]+)` inside a system note, and keep the rest of the note.
#[test]
fn regex_matches_search_the_string() {
    let searched = |re: &str| {
        sluice::spec::regex::SpecRegex::new(re)
            .unwrap()
            .matcher()
            .clone()
    };
    let run = |input: &str, re: &str, group: bool| {
        P.pseudonymize_regex_matches(&json!(input), &searched(re), group, false)
            .unwrap()
    };
    assert_eq!(
        run("@octocat approved this merge request", r"@([\w.-]+)", true),
        s(&format!("@{OCTOCAT_T} approved this merge request"))
    );
    // Without a group the token of the match is the result; no match anywhere is null.
    assert_eq!(run("by octocat", "octocat", false), s(OCTOCAT_T));
    assert_eq!(
        run("approved this merge request", r"@([\w.-]+)", true),
        Value::Null
    );
}

// ---- tokenize ---------------------------------------------------------------------------------

#[test]
fn tokenize_round_trips() {
    assert_eq!(P.tokenize(&json!("octocat"), None).unwrap(), s(OCTOCAT_P));
    // No email detection, no domain.
    let t = P.tokenize(&json!("alice@acme.com"), None).unwrap();
    assert!(!t.as_str().unwrap().contains('@'));
    assert_eq!(
        P.decrypt_token(t.as_str().unwrap()).unwrap(),
        "alice@acme.com"
    );
    let re =
        full_match_regex(r"^https://graph.microsoft.com/v1.0/users/([a-zA-Z0-9_-]+)/.*$").unwrap();
    let link = "https://graph.microsoft.com/v1.0/users/octocat/messages?$skip=10";
    let out = P.tokenize(&json!(link), Some(&re)).unwrap();
    assert_eq!(
        out,
        s(&format!(
            "https://graph.microsoft.com/v1.0/users/{OCTOCAT_P}/messages?$skip=10"
        ))
    );
    assert_eq!(P.reverse_tokens_in(out.as_str().unwrap()).unwrap(), link);
    assert_eq!(
        P.tokenize(&json!("no match"), Some(&re)).unwrap(),
        s("no match")
    );
    assert_eq!(P.tokenize(&json!(" "), None).unwrap(), s(" "));
    assert_eq!(P.tokenize(&Value::Null, None).unwrap(), Value::Null);
}

// ---- hashIp / encryptIp -----------------------------------------------------------------------

#[test]
fn ip_vectors() {
    for (ip, t) in [
        (
            "123.234.252.12",
            "t~7USliSM4GiS0Xfk1DXIAH-4nK-UkLJlSAA_5ZqQh_CI",
        ),
        ("10.0.0.1", "t~3BU4goNN07w3ofq8v5ig2enxSWj9xnAnPOThel4mHTk"),
        (
            "2001:0db8::1",
            "t~njBikXo6n6-7z6JEg8zs_E89aJQ0lje1vW3O9EkS__8",
        ),
        (
            "2001:db8:0:0:0:0:2:1",
            "t~I8-OlnbGQkV5ClnMrM_O79TR_r8JroRmUbd056Hs2x4",
        ),
        (
            "2001:db8::2:1",
            "t~I8-OlnbGQkV5ClnMrM_O79TR_r8JroRmUbd056Hs2x4",
        ),
        (
            "0:0:0:0:0:ffff:c000:0280",
            "t~SUZ6xYqAE2gCw90EnrhS7ait6lh2xPKj2-SSQVm8o9A",
        ),
        (
            "::ffff:192.0.2.128",
            "t~SUZ6xYqAE2gCw90EnrhS7ait6lh2xPKj2-SSQVm8o9A",
        ),
        ("::1", "t~hBGHGnN1pQkop0oFnapGnm9Mx2eMc8UCcpn1nlqFdZE"),
    ] {
        assert_eq!(P.hash_ip(&json!(ip)), s(t), "{ip}");
    }
    assert_eq!(P.hash_ip(&json!("not an ip")), Value::Null);
    assert_eq!(P.hash_ip(&json!("")), s(""));
    assert_eq!(P.hash_ip(&Value::Null), Value::Null);
    for (ip, p) in [
        (
            "123.234.252.12",
            "p~7USliSM4GiS0Xfk1DXIAH-4nK-UkLJlSAA_5ZqQh_CJStJlrfaIPHLZUvx-dHHQp",
        ),
        (
            "10.0.0.1",
            "p~3BU4goNN07w3ofq8v5ig2enxSWj9xnAnPOThel4mHTmrZBJVaY3CjxNEDJYfGEk_",
        ),
    ] {
        assert_eq!(P.encrypt_ip(&json!(ip)).unwrap(), s(p), "{ip}");
        assert_eq!(P.decrypt_ip_token(p).unwrap(), ip);
    }
    // The encrypted payload is the canonical form.
    let p = P.encrypt_ip(&json!("2001:0db8::1")).unwrap();
    assert_eq!(
        P.decrypt_ip_token(p.as_str().unwrap()).unwrap(),
        "2001:db8:0:0:0:0:0:1"
    );
    assert_eq!(P.encrypt_ip(&json!("nope")).unwrap(), Value::Null);
}

#[test]
fn separate_ip_salt() {
    let p = Pseudonymizer::builder("salt")
        .encryption_key("secret")
        .ip_salt("pepper")
        .build()
        .unwrap();
    assert_eq!(
        p.hash_ip(&json!("10.0.0.1")),
        s("t~GrnchSIuJYPZVDL2lMih6ZRP1qvYolFxxq_rKZChF6s")
    );
    // Main pseudonyms are unaffected.
    assert_eq!(
        p.pseudonymize(&json!("octocat"), &PseudonymizeOptions::default())
            .unwrap(),
        s(OCTOCAT_T)
    );
    let enc = p.encrypt_ip(&json!("10.0.0.1")).unwrap();
    assert_eq!(
        p.decrypt_ip_token(enc.as_str().unwrap()).unwrap(),
        "10.0.0.1"
    );
    // The main key (salted differently) does not decrypt it.
    assert_ne!(
        p.decrypt_token(enc.as_str().unwrap()).ok().as_deref(),
        Some("10.0.0.1")
    );
}

// ---- request side (§7) ------------------------------------------------------------------------

#[test]
fn decrypt_round_trips() {
    assert_eq!(P.decrypt_token(OCTOCAT_P).unwrap(), "octocat");
    assert_eq!(
        P.decrypt_token("p~Tt8H7clbL9y8ryN4_RLYrCEsKqbjJsWcPmKb4wOdZDKAHyevsJLhRTypmrf-DpBZ")
            .unwrap(),
        "test"
    );
    assert_eq!(
        P.decrypt_token(
            "p~UFdK0TvVTvZ23c6QslyCy0o2MSq2DRtDjEXfTPJyyMnKYUk8FJevl3wvFyZY0eF-@acme.com"
        )
        .unwrap(),
        "alice@acme.com"
    );
    assert_eq!(
        P.decrypt_token(OCTOCAT_T),
        Err(TokenError::NotReversible { position: 0 })
    );
}

#[test]
fn reverse_tokens_in_paths_and_queries() {
    let email_p = "p~UFdK0TvVTvZ23c6QslyCy0o2MSq2DRtDjEXfTPJyyMnKYUk8FJevl3wvFyZY0eF-@acme.com";
    let url = format!("/users/{OCTOCAT_P}/repos?owner={email_p}&per_page=5");
    assert_eq!(
        P.reverse_tokens_in(&url).unwrap(),
        "/users/octocat/repos?owner=alice@acme.com&per_page=5"
    );
    assert_eq!(
        P.reverse_tokens_in("/no/tokens?p~short").unwrap(),
        "/no/tokens?p~short"
    );
    assert_eq!(P.reverse_tokens_in("").unwrap(), "");
}

#[test]
fn bad_tokens_are_errors_with_positions() {
    // Wrong key: bad padding.
    let other = Pseudonymizer::builder("salt")
        .encryption_key("rotated")
        .build()
        .unwrap();
    let url = format!("/users/{OCTOCAT_P}");
    let err = other.reverse_tokens_in(&url).unwrap_err();
    assert!(
        matches!(
            err,
            TokenError::BadPadding { position: 7 }
                | TokenError::NotUtf8 { position: 7 }
                | TokenError::NotAuthentic { position: 7 }
        ),
        "{err}"
    );
    // A token followed by base64url characters is swallowed by the greedy match and fails.
    let err = P
        .reverse_tokens_in(&format!("/a/{OCTOCAT_P}x"))
        .unwrap_err();
    assert_eq!(err.position(), Some(3));
    // Bad base64 length (4k+1 characters).
    let err = P
        .reverse_tokens_in(&format!("/x/{OCTOCAT_P}A"))
        .unwrap_err();
    assert!(
        matches!(err, TokenError::Base64 { position: 3, .. }),
        "{err}"
    );
    // Truncated: hash plus a partial block.
    let err = P
        .reverse_tokens_in(&format!("/x/{}", &OCTOCAT_P[..OCTOCAT_P.len() - 2]))
        .unwrap_err();
    assert!(
        matches!(
            err,
            TokenError::TooShort {
                position: 3,
                len: 46
            }
        ),
        "{err}"
    );
    // Hash only, no ciphertext.
    let err = P
        .reverse_tokens_in(&format!("q={}", &OCTOCAT_T.replace("t~", "p~")))
        .unwrap_err();
    assert!(
        matches!(
            err,
            TokenError::TooShort {
                position: 2,
                len: 32
            }
        ),
        "{err}"
    );
    // The second token is the bad one.
    let err = P
        .reverse_tokens_in(&format!("/{OCTOCAT_P}/{}A", &OCTOCAT_P))
        .unwrap_err();
    assert_eq!(err.position(), Some(1 + OCTOCAT_P.len() + 1));
}

proptest! {
    #[test]
    fn every_reversible_token_decrypts_to_its_original(text in "\\PC*") {
        prop_assume!(!text.chars().all(|c| c.is_whitespace() || c <= ' '));
        let out = P.pseudonymize(&json!(text), &opts(Encoding::UrlSafeToken, false, true)).unwrap();
        let token = out.as_str().unwrap().to_string();
        prop_assert!(token.starts_with("p~"));
        prop_assert_eq!(P.decrypt_token(&token).unwrap(), text.clone());
        let tokenized = P.tokenize(&json!(text), None).unwrap();
        prop_assert_eq!(P.reverse_tokens_in(&format!("/u/{}/x", tokenized.as_str().unwrap())).unwrap(), format!("/u/{text}/x"));
    }
}
