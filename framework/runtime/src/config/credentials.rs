//! The upstream's credentials, read once at start-up from the environment or the files the
//! spec's `source_auth` names; the client that sends them is [`crate::upstream`].

use http::header::{AUTHORIZATION, HeaderName, HeaderValue};
use sluice_spec::connector::SourceAuth;

use super::{ConfigProblem, Env, StartupWarning};

/// Upstream credentials with their secret values, resolved at start-up.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// No credentials.
    None,
    /// A fixed header (bearer token, basic auth, API key).
    Header {
        /// The header.
        name: HeaderName,
        /// Its value (secret).
        value: HeaderValue,
    },
    /// An OAuth 2.0 grant, exchanged for access tokens at the token endpoint.
    OAuth2(OAuth2Grant),
}

/// The OAuth 2.0 grant of a source.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuth2Grant {
    /// Token endpoint.
    pub token_url: String,
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: String,
    /// Refresh token, for the refresh-token grant; `None` for client credentials.
    pub refresh_token: Option<String>,
    /// Scopes.
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Header { name, .. } => write!(f, "Header({name}: <redacted>)"),
            Self::OAuth2(g) => write!(
                f,
                "OAuth2({}, refresh_token: {})",
                g.token_url,
                g.refresh_token.is_some()
            ),
        }
    }
}

impl Credentials {
    /// Reads the secrets `auth` names; a secret file other users can read or change adds a
    /// warning to `warnings`.
    pub fn resolve(
        auth: &SourceAuth,
        env: &impl Env,
        warnings: &mut Vec<StartupWarning>,
    ) -> Result<Self, ConfigProblem> {
        let warnings = std::cell::RefCell::new(warnings);
        let secret = |env_name: &Option<String>,
                      file: &Option<String>,
                      what: &str|
         -> Result<String, ConfigProblem> {
            if let Some(var) = env_name {
                return env.var(var).ok_or_else(|| {
                    ConfigProblem(format!("{what}: environment variable {var} (named by the spec's source_auth) is not set"))
                });
            }
            if let Some(path) = file {
                let about = format!("the {what} file (source_auth)");
                if let Some(w) = StartupWarning::for_secret_file(path.as_ref(), &about) {
                    warnings.borrow_mut().push(w);
                }
                return std::fs::read_to_string(path)
                    .map(|s| s.trim_end_matches(['\n', '\r']).to_owned())
                    .map_err(|e| {
                        ConfigProblem(format!(
                            "{what}: cannot read {path} (named by the spec's source_auth): {e}"
                        ))
                    });
            }
            Err(ConfigProblem(format!(
                "{what}: source_auth names neither an environment variable nor a file"
            )))
        };
        let header = |value: String| {
            HeaderValue::from_str(&value)
                .map(|mut v| {
                    v.set_sensitive(true);
                    v
                })
                .map_err(|_| {
                    ConfigProblem(
                        "an upstream credential contains characters not allowed in an HTTP header"
                            .into(),
                    )
                })
        };
        let grant = |token_url: &str,
                     id_env: &str,
                     secret_env: &str,
                     refresh_env: Option<&str>,
                     scopes: &[String]|
         -> Result<OAuth2Grant, ConfigProblem> {
            let var = |name: &str| Some(name.to_owned());
            Ok(OAuth2Grant {
                token_url: interpolate(token_url, env)?,
                client_id: secret(&var(id_env), &None, "OAuth client id")?,
                client_secret: secret(&var(secret_env), &None, "OAuth client secret")?,
                refresh_token: refresh_env
                    .map(|r| secret(&var(r), &None, "OAuth refresh token"))
                    .transpose()?,
                scopes: scopes.to_vec(),
            })
        };
        Ok(match auth {
            SourceAuth::None {} => Self::None,
            SourceAuth::Bearer {
                token_env,
                token_file,
            } => {
                let token = secret(token_env, token_file, "bearer token")?;
                Self::Header {
                    name: AUTHORIZATION,
                    value: header(format!("Bearer {token}"))?,
                }
            }
            SourceAuth::Basic {
                username_env,
                username_file,
                password_env,
                password_file,
            } => {
                use base64::Engine as _;
                let user = secret(username_env, username_file, "basic auth user name")?;
                let password = secret(password_env, password_file, "basic auth password")?;
                let encoded =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                Self::Header {
                    name: AUTHORIZATION,
                    value: header(format!("Basic {encoded}"))?,
                }
            }
            SourceAuth::ApiKeyHeader {
                header: name,
                key_env,
                key_file,
            } => {
                let key = secret(key_env, key_file, "API key")?;
                let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                    ConfigProblem(format!(
                        "source_auth header `{name}` is not a valid header name"
                    ))
                })?;
                Self::Header {
                    name,
                    value: header(key)?,
                }
            }
            SourceAuth::Oauth2ClientCredentials {
                token_url,
                client_id_env,
                client_secret_env,
                scopes,
            } => Self::OAuth2(grant(
                token_url,
                client_id_env,
                client_secret_env,
                None,
                scopes,
            )?),
            SourceAuth::Oauth2RefreshToken {
                token_url,
                client_id_env,
                client_secret_env,
                refresh_token_env,
                scopes,
            } => {
                let refresh = Some(refresh_token_env.as_str());
                Self::OAuth2(grant(
                    token_url,
                    client_id_env,
                    client_secret_env,
                    refresh,
                    scopes,
                )?)
            }
        })
    }
}

/// Replaces `${VAR}` in a token URL from the environment.
fn interpolate(text: &str, env: &impl Env) -> Result<String, ConfigProblem> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            return Err(ConfigProblem(format!(
                "token_url `{text}`: `${{` without a closing `}}`"
            )));
        };
        let var = &rest[start + 2..start + end];
        let value = env.var(var).ok_or_else(|| {
            ConfigProblem(format!("token_url `{text}` needs {var}, which is not set"))
        })?;
        out.push_str(&value);
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}
