//! Caller authentication: who may use the proxy. On by default; `Authorization: Bearer` with an
//! API key from `SLUICE_API_KEYS` (stored plain or as `sha256:<hex>` digests, compared in
//! constant time), or a JSON Web Token (HS256 with a shared secret, RS256/ES256 with a JWKS).
//! The caller's identity scopes what it may see later (its async jobs).

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::{CallerAuthConfig, ConfigProblem, JwtConfig};
use crate::problem::{Problem, ProblemType};

/// Who is calling, as far as the proxy can tell.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Caller {
    /// A stable, non-secret identifier: `key:<first 16 hex of the key's SHA-256>`, `jwt:<sub>`,
    /// or `anonymous` when authentication is off.
    pub id: String,
}

/// The configured check.
pub enum CallerAuth {
    /// API keys, by SHA-256 digest.
    ApiKeys(Vec<[u8; 32]>),
    /// JWT verification.
    Jwt(Box<JwtVerifier>),
    /// Anyone.
    Disabled,
}

/// Verifies JWTs with a shared secret or a JWKS.
pub struct JwtVerifier {
    secret: Option<DecodingKey>,
    jwks: Option<JwkSet>,
    audience: Option<String>,
    issuer: Option<String>,
}

impl CallerAuth {
    /// Builds the check; `jwks_text` is the JWKS document when one is configured (read from its
    /// file or fetched by the caller of this function).
    pub fn new(config: &CallerAuthConfig, jwks_text: Option<&str>) -> Result<Self, ConfigProblem> {
        Ok(match config {
            CallerAuthConfig::Disabled => Self::Disabled,
            CallerAuthConfig::ApiKeys(entries) => Self::ApiKeys(
                entries
                    .iter()
                    .map(|entry| match entry.strip_prefix("sha256:") {
                        Some(hex_digest) => {
                            let bytes = hex::decode(hex_digest).ok().and_then(|b| <[u8; 32]>::try_from(b).ok());
                            bytes.ok_or_else(|| {
                                ConfigProblem(
                                    "SLUICE_API_KEYS: an entry starting with sha256: must be followed by 64 hex digits"
                                        .into(),
                                )
                            })
                        }
                        None => Ok(Sha256::digest(entry.as_bytes()).into()),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            CallerAuthConfig::Jwt(JwtConfig { hs256_secret, jwks: _, audience, issuer }) => {
                let jwks = jwks_text
                    .map(|text| {
                        serde_json::from_str::<JwkSet>(text)
                            .map_err(|e| ConfigProblem(format!("SLUICE_JWT_JWKS is not a JWKS document: {e}")))
                    })
                    .transpose()?;
                Self::Jwt(Box::new(JwtVerifier {
                    secret: hs256_secret.as_ref().map(|s| DecodingKey::from_secret(s.as_bytes())),
                    jwks,
                    audience: audience.clone(),
                    issuer: issuer.clone(),
                }))
            }
        })
    }

    /// Checks the request's `Authorization` header value.
    pub fn check(&self, authorization: Option<&str>) -> Result<Caller, Problem> {
        if let Self::Disabled = self {
            return Ok(Caller {
                id: "anonymous".into(),
            });
        }
        let Some(value) = authorization else {
            return Err(unauthorized(
                "no Authorization header; send `Authorization: Bearer <key or token>`",
            ));
        };
        let Some(credential) = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
        else {
            return Err(unauthorized(
                "the Authorization header must use the Bearer scheme",
            ));
        };
        let credential = credential.trim();
        match self {
            Self::ApiKeys(digests) => {
                let presented: [u8; 32] = Sha256::digest(credential.as_bytes()).into();
                // Compare with every key, without stopping early.
                let mut found = subtle::Choice::from(0);
                for digest in digests {
                    found |= digest.ct_eq(&presented);
                }
                if bool::from(found) {
                    Ok(Caller {
                        id: format!("key:{}", hex::encode(&presented[..8])),
                    })
                } else {
                    Err(unauthorized("the API key is not one of this proxy's keys"))
                }
            }
            Self::Jwt(verifier) => verifier.verify(credential),
            Self::Disabled => unreachable!("handled above"),
        }
    }
}

impl JwtVerifier {
    fn verify(&self, token: &str) -> Result<Caller, Problem> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| unauthorized("the bearer token is not a JWT"))?;
        // RFC 7515 §4.1.11: a recipient that does not understand an extension listed in `crit`
        // must reject the token. sluice implements none.
        if header.crit.is_some() {
            return Err(unauthorized(
                "the token's header lists critical extensions (`crit`); none is supported here",
            ));
        }
        let key = match header.alg {
            Algorithm::HS256 => self.secret.clone().ok_or_else(|| {
                unauthorized("HS256 tokens are not accepted here (no SLUICE_JWT_SECRET)")
            })?,
            Algorithm::RS256 | Algorithm::ES256 => {
                let jwks = self.jwks.as_ref().ok_or_else(|| {
                    unauthorized("RS256/ES256 tokens are not accepted here (no SLUICE_JWT_JWKS)")
                })?;
                let jwk = match &header.kid {
                    Some(kid) => jwks.find(kid),
                    None => jwks.keys.first(),
                }
                .ok_or_else(|| unauthorized("the token's key id (kid) is not in the JWKS"))?;
                DecodingKey::from_jwk(jwk).map_err(|e| {
                    tracing::warn!(error = %e, "a JWKS key cannot verify tokens");
                    unauthorized("the token's key cannot be used")
                })?
            }
            other => {
                return Err(unauthorized(&format!(
                    "tokens signed with {other:?} are not accepted; use HS256, RS256 or ES256"
                )));
            }
        };
        let mut validation = Validation::new(header.alg);
        // `exp` and `nbf` both get the same leeway for clock skew (jsonwebtoken's default, 60 s).
        validation.leeway = CLOCK_LEEWAY_SECONDS;
        validation.validate_nbf = true;
        match &self.audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        if let Some(iss) = &self.issuer {
            validation.set_issuer(&[iss]);
        }
        #[derive(serde::Deserialize)]
        struct Claims {
            sub: Option<String>,
        }
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| {
            tracing::debug!(error = %e, "a bearer token was refused");
            unauthorized(&refusal(&e))
        })?;
        // The subject is the caller's identity, and scopes its jobs: callers without one (or
        // with an empty one) would all share a single identity.
        let sub = data
            .claims
            .sub
            .filter(|sub| !sub.trim().is_empty())
            .ok_or_else(|| {
                unauthorized("the token has no non-empty `sub` claim to identify the caller")
            })?;
        Ok(Caller {
            id: format!("jwt:{sub}"),
        })
    }
}

/// Seconds of clock skew allowed on `exp` and `nbf`.
const CLOCK_LEEWAY_SECONDS: u64 = 60;

/// Why a token was refused, as far as a caller may know: time and audience checks are named,
/// anything about the signature or the key is not.
fn refusal(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match e.kind() {
        ErrorKind::ExpiredSignature => "the token has expired".into(),
        ErrorKind::ImmatureSignature => {
            "the token is not valid yet (`nbf` is in the future)".into()
        }
        ErrorKind::InvalidAudience => "the token is not meant for this proxy (`aud`)".into(),
        ErrorKind::InvalidIssuer => "the token's issuer (`iss`) is not accepted here".into(),
        ErrorKind::MissingRequiredClaim(claim) => format!("the token has no `{claim}` claim"),
        ErrorKind::InvalidClaimFormat(claim) => format!("the token's `{claim}` claim is malformed"),
        _ => "the token was refused".into(),
    }
}

fn unauthorized(detail: &str) -> Problem {
    Problem::new(ProblemType::Unauthorized, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_match_plain_and_digest_entries() {
        let digest = hex::encode(Sha256::digest(b"second-key"));
        let auth = CallerAuth::new(
            &CallerAuthConfig::ApiKeys(vec!["first-key".into(), format!("sha256:{digest}")]),
            None,
        )
        .unwrap();
        assert!(auth.check(Some("Bearer first-key")).is_ok());
        let caller = auth.check(Some("Bearer second-key")).unwrap();
        assert!(
            caller.id.starts_with("key:") && !caller.id.contains("second"),
            "{}",
            caller.id
        );
        let e = auth.check(Some("Bearer nope")).unwrap_err();
        assert_eq!(e.status, 401);
        assert!(
            auth.check(None)
                .unwrap_err()
                .detail
                .contains("no Authorization header")
        );
        assert!(
            auth.check(Some("Basic abc"))
                .unwrap_err()
                .detail
                .contains("Bearer scheme")
        );
    }

    #[test]
    fn hs256_tokens_are_verified_and_identify_their_subject() {
        let config = CallerAuthConfig::Jwt(JwtConfig {
            hs256_secret: Some("s3cret".into()),
            jwks: None,
            audience: Some("sluice".into()),
            issuer: None,
        });
        let auth = CallerAuth::new(&config, None).unwrap();
        let claims =
            serde_json::json!({"sub": "pipeline-1", "aud": "sluice", "exp": 4_102_444_800u64});
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(b"s3cret"),
        )
        .unwrap();
        assert_eq!(
            auth.check(Some(&format!("Bearer {token}"))).unwrap().id,
            "jwt:pipeline-1"
        );
        let forged = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(b"guess"),
        )
        .unwrap();
        assert_eq!(
            auth.check(Some(&format!("Bearer {forged}")))
                .unwrap_err()
                .status,
            401
        );
    }

    #[test]
    fn a_bad_digest_entry_is_a_config_error() {
        let e = CallerAuth::new(&CallerAuthConfig::ApiKeys(vec!["sha256:xyz".into()]), None)
            .err()
            .unwrap();
        assert!(e.0.contains("64 hex digits"), "{}", e.0);
    }
}
