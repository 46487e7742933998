//! Configuration, resolved once and in one place: the spec's settings, then the environment,
//! then command-line flags, into typed structs. Nothing else in sluice reads environment
//! variables.
//!
//! sluice reads its own names first and psoxy's as a fallback, so a psoxy deployment's
//! environment works unchanged.

pub mod callbacks;
pub mod credentials;

use std::collections::HashMap;

use crate::pseudonym::{ConfigError, EmailCanonicalization, EmailDomainHandling, Pseudonymizer};

/// Where settings come from besides flags: the process environment, or a map in tests.
pub trait Env {
    /// The value of `name`, if set and not empty.
    fn var(&self, name: &str) -> Option<String>;

    /// The first of `names` that is set.
    fn first(&self, names: &[&str]) -> Option<String> {
        names.iter().find_map(|n| self.var(n))
    }
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Env for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty()).cloned()
    }
}

/// Why the configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// No salt anywhere: the proxy refuses to start without one.
    #[error(
        "no pseudonymization salt: set SLUICE_SALT (or psoxy's PSOXY_SALT), or pass --salt; \
         it must stay the same for pseudonyms to stay stable"
    )]
    NoSalt,
    /// A setting has a value outside its choices.
    #[error("{name}={value} is not valid; expected one of: {expected}")]
    Invalid {
        /// The variable or flag.
        name: &'static str,
        /// The value given.
        value: String,
        /// The accepted values.
        expected: &'static str,
    },
    /// The pseudonymizer refused the settings.
    #[error(transparent)]
    Pseudonym(#[from] ConfigError),
}

/// Everything pseudonyms depend on.
#[derive(Clone, PartialEq, Eq)]
pub struct PseudonymSettings {
    salt: String,
    encryption_key: Option<String>,
    ip_salt: Option<String>,
    ip_encryption_key: Option<String>,
    email_domain_handling: EmailDomainHandling,
    email_canonicalization: EmailCanonicalization,
}

impl std::fmt::Debug for PseudonymSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PseudonymSettings")
            .field("salt", &"<redacted>")
            .field(
                "encryption_key",
                &self.encryption_key.as_ref().map(|_| "<redacted>"),
            )
            .field("email_domain_handling", &self.email_domain_handling)
            .field("email_canonicalization", &self.email_canonicalization)
            .finish_non_exhaustive()
    }
}

impl PseudonymSettings {
    /// Resolves the settings: a flag wins over `SLUICE_*`, which wins over psoxy's names
    /// (`PSOXY_SALT`, `PSOXY_ENCRYPTION_KEY`, `SALT_IP`, `ENCRYPTION_KEY_IP`,
    /// `EMAIL_DOMAIN_HANDLING`, `EMAIL_CANONICALIZATION`).
    pub fn resolve(
        env: &impl Env,
        salt_flag: Option<String>,
        key_flag: Option<String>,
    ) -> Result<Self, SettingsError> {
        let salt = salt_flag
            .or_else(|| env.first(&["SLUICE_SALT", "PSOXY_SALT"]))
            .ok_or(SettingsError::NoSalt)?;
        let encryption_key =
            key_flag.or_else(|| env.first(&["SLUICE_ENCRYPTION_KEY", "PSOXY_ENCRYPTION_KEY"]));
        let email_domain_handling =
            match env.first(&["SLUICE_EMAIL_DOMAIN_HANDLING", "EMAIL_DOMAIN_HANDLING"]) {
                None => EmailDomainHandling::default(),
                Some(v) => match v.to_ascii_uppercase().as_str() {
                    "PRESERVE" => EmailDomainHandling::Preserve,
                    "REDACT" => EmailDomainHandling::Redact,
                    "ENCRYPT" => EmailDomainHandling::Encrypt,
                    "HASH" | "TOKENIZE" => EmailDomainHandling::Hash,
                    _ => {
                        return Err(SettingsError::Invalid {
                            name: "EMAIL_DOMAIN_HANDLING",
                            value: v,
                            expected: "PRESERVE, REDACT, ENCRYPT, HASH",
                        });
                    }
                },
            };
        let email_canonicalization =
            match env.first(&["SLUICE_EMAIL_CANONICALIZATION", "EMAIL_CANONICALIZATION"]) {
                None => EmailCanonicalization::default(),
                Some(v) => match v.to_ascii_uppercase().as_str() {
                    "STRICT" => EmailCanonicalization::Strict,
                    "IGNORE_DOTS" => EmailCanonicalization::IgnoreDots,
                    _ => {
                        return Err(SettingsError::Invalid {
                            name: "EMAIL_CANONICALIZATION",
                            value: v,
                            expected: "STRICT, IGNORE_DOTS",
                        });
                    }
                },
            };
        Ok(Self {
            salt,
            encryption_key,
            ip_salt: env.first(&["SLUICE_IP_SALT", "SALT_IP"]),
            ip_encryption_key: env.first(&["SLUICE_IP_ENCRYPTION_KEY", "ENCRYPTION_KEY_IP"]),
            email_domain_handling,
            email_canonicalization,
        })
    }

    /// The same settings with other email options (conformance rows set them per row).
    pub fn with_email(
        mut self,
        domain: EmailDomainHandling,
        canonicalization: EmailCanonicalization,
    ) -> Self {
        self.email_domain_handling = domain;
        self.email_canonicalization = canonicalization;
        self
    }

    /// Refuses `rules` when a transform in them issues reversible output (`p~` tokens, encrypted
    /// IPs or email domains) and the key it needs is not set: such a proxy would start and then
    /// fail every response those rules sanitize. `source` names the file the rules were read
    /// from, for the `file:line:col` of each such transform.
    pub fn check_keys_for(
        &self,
        rules: &sluice_spec::Rules,
        source: &str,
    ) -> Result<(), ConfigProblem> {
        use sluice_spec::Transform;
        let main_key = self.encryption_key.is_some();
        let ip_key = main_key || self.ip_encryption_key.is_some();
        let encrypted_domains = self.email_domain_handling == EmailDomainHandling::Encrypt;
        let mut missing = Vec::new();
        for transform in rules.endpoints.iter().flat_map(|e| &e.transforms) {
            let name = transform.kind().name();
            let needs = match &transform.value {
                Transform::Pseudonymize {
                    include_reversible: true,
                    ..
                } if !main_key => {
                    Some("includeReversible (or includeEncrypted) issues `p~` tokens")
                }
                Transform::PseudonymizeRegexMatches {
                    include_reversible: true,
                    ..
                } if !main_key => Some("includeReversible issues `p~` tokens"),
                Transform::Tokenize { .. } if !main_key => Some("it issues `p~` tokens"),
                Transform::EncryptIp { .. } if !ip_key => {
                    Some("it encrypts IP addresses (SLUICE_IP_ENCRYPTION_KEY or the main key)")
                }
                Transform::Pseudonymize { .. }
                | Transform::PseudonymizeEmailHeader { .. }
                | Transform::PseudonymizeRegexMatches { .. }
                    if encrypted_domains && !main_key =>
                {
                    Some(
                        "EMAIL_DOMAIN_HANDLING=ENCRYPT encrypts the domains of the addresses it pseudonymizes",
                    )
                }
                _ => None,
            };
            if let Some(why) = needs {
                let at = transform.pos();
                let place = if at.line == 0 {
                    source.to_owned()
                } else {
                    format!("{source}:{at}")
                };
                missing.push(format!("  {place}: `{name}`: {why}"));
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        Err(ConfigProblem(format!(
            "these rules need an encryption key, and none is set:\n{}\nset SLUICE_ENCRYPTION_KEY \
             (or psoxy's PSOXY_ENCRYPTION_KEY, or --key), or take the reversible options out of \
             the rules",
            missing.join("\n")
        )))
    }

    /// Builds the pseudonymizer (derives the keys: slow, do it once).
    pub fn pseudonymizer(&self) -> Result<Pseudonymizer, SettingsError> {
        let mut b = Pseudonymizer::builder(self.salt.clone())
            .email_domain_handling(self.email_domain_handling)
            .email_canonicalization(self.email_canonicalization);
        if let Some(k) = &self.encryption_key {
            b = b.encryption_key(k.clone());
        }
        if let Some(s) = &self.ip_salt {
            b = b.ip_salt(s.clone());
        }
        if let Some(k) = &self.ip_encryption_key {
            b = b.ip_encryption_key(k.clone());
        }
        Ok(b.build()?)
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// How callers must authenticate to the proxy.
#[derive(Clone, PartialEq, Eq)]
pub enum CallerAuthConfig {
    /// `Authorization: Bearer <key>` with a key from `SLUICE_API_KEYS` (plain, or `sha256:<hex>`).
    ApiKeys(Vec<String>),
    /// A JSON Web Token, HS256 with a shared secret or RS256/ES256 with a JWKS.
    Jwt(JwtConfig),
    /// No caller authentication (`--insecure-no-auth`).
    Disabled,
}

impl std::fmt::Debug for CallerAuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ApiKeys(keys) => write!(f, "ApiKeys({} keys)", keys.len()),
            Self::Jwt(jwt) => f.debug_tuple("Jwt").field(jwt).finish(),
            Self::Disabled => f.write_str("Disabled"),
        }
    }
}

/// JWT verification settings.
#[derive(Clone, PartialEq, Eq)]
pub struct JwtConfig {
    /// HS256 shared secret (`SLUICE_JWT_SECRET`).
    pub hs256_secret: Option<String>,
    /// A JWKS for RS256/ES256: a file path or an `http(s)://` URL (`SLUICE_JWT_JWKS`).
    pub jwks: Option<String>,
    /// Required `aud` (`SLUICE_JWT_AUDIENCE`).
    pub audience: Option<String>,
    /// Required `iss` (`SLUICE_JWT_ISSUER`).
    pub issuer: Option<String>,
}

impl std::fmt::Debug for JwtConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtConfig")
            .field(
                "hs256_secret",
                &self.hs256_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("jwks", &self.jwks)
            .field("audience", &self.audience)
            .field("issuer", &self.issuer)
            .finish()
    }
}

/// Command-line flags of `serve`; each overrides its environment variable.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeFlags {
    /// Address to listen on [env: SLUICE_LISTEN] [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Upstream base URL [env: SLUICE_UPSTREAM] [default: https://<target_host>].
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,
    /// Upstream timeout [env: SLUICE_UPSTREAM_TIMEOUT] [default: 30s].
    #[arg(long, value_name = "DURATION")]
    pub upstream_timeout: Option<String>,
    /// Whole-request timeout [env: SLUICE_TOTAL_TIMEOUT] [default: 60s].
    #[arg(long, value_name = "DURATION")]
    pub total_timeout: Option<String>,
    /// Log format [env: SLUICE_LOG_FORMAT].
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,
    /// Pseudonymization salt [env: SLUICE_SALT, or PSOXY_SALT].
    #[arg(long)]
    pub salt: Option<String>,
    /// Encryption key for reversible tokens [env: SLUICE_ENCRYPTION_KEY, or PSOXY_ENCRYPTION_KEY].
    #[arg(long)]
    pub key: Option<String>,
    /// Serve without caller authentication. Anyone who can reach the port can use the
    /// upstream credentials: for local experiments only.
    #[arg(long)]
    pub insecure_no_auth: bool,
    /// The proxy's public URL, to make job `Location`s absolute, e.g. https://proxy.example
    /// [env: SLUICE_PUBLIC_BASE_URL].
    #[arg(long, value_name = "URL")]
    pub public_base_url: Option<String>,
    /// Threads serving connections, each with its own event loop and upstream connection pool
    /// [env: SLUICE_THREADS] [default: one per CPU core].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

/// Everything `serve` needs, resolved.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on.
    pub listen: std::net::SocketAddr,
    /// Upstream scheme, host and port (any path is a prefix for every request).
    pub upstream: http::Uri,
    /// How long to wait for the upstream's answer.
    pub upstream_timeout: std::time::Duration,
    /// How long a request may take in all.
    pub total_timeout: std::time::Duration,
    /// Log format.
    pub log_format: LogFormat,
    /// Caller authentication.
    pub caller_auth: CallerAuthConfig,
    /// Pseudonymization.
    pub pseudonyms: PseudonymSettings,
    /// Upstream credentials, read from the environment or files the spec names.
    pub source_credentials: credentials::Credentials,
    /// Largest upstream body accepted, in bytes (`SLUICE_MAX_BODY_BYTES`, default 64 MiB).
    pub max_body_bytes: usize,
    /// Asynchronous processing, when enabled by the spec or `ASYNC_OUTPUT_DESTINATION`.
    pub async_jobs: Option<AsyncConfig>,
    /// Threads serving connections (`--threads`, `SLUICE_THREADS`; default one per core).
    pub threads: usize,
    /// The side outputs: the spec's, with `SIDE_OUTPUT_ORIGINAL` / `SIDE_OUTPUT_SANITIZED`
    /// applied (see [`side_outputs`]).
    pub side_outputs: Vec<sluice_spec::connector::SideOutput>,
    /// Reversible tokens a caller may have refused per minute before its requests carrying
    /// tokens get 429 (`SLUICE_TOKEN_FAILURE_LIMIT`, default 10).
    pub token_failure_limit: u32,
    /// What the operator should fix (secret files others can read), logged at start-up.
    pub warnings: Vec<StartupWarning>,
    /// The proxy's URL as callers reach it (`--public-base-url`, `SLUICE_PUBLIC_BASE_URL`), for
    /// absolute job `Location`s and the links in `Link` headers; relative without it.
    pub public_base_url: Option<String>,
    /// `SLUICE_TRUST_FORWARDED`: the proxies (addresses or networks) whose
    /// `X-Forwarded-Proto`/`-Host` say which URL callers used; nobody's by default.
    pub trust_forwarded: Vec<ipnet::IpNet>,
    /// Limits on callers' connections.
    pub connections: ConnectionSettings,
    /// `SLUICE_CALLER_CONCURRENCY` (default 32): upstream calls one caller may have in flight
    /// at once for synchronous requests; beyond it 429.
    pub caller_concurrency: usize,
}

/// Limits on callers' connections, so that idle or slow ones cannot use up the process's file
/// descriptors (see `server`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionSettings {
    /// `SLUICE_HEADER_TIMEOUT` (default 10s): how long a connection with no request in flight
    /// may take, from its first byte (or from being opened), to send a complete request head.
    pub header_timeout: std::time::Duration,
    /// `SLUICE_IDLE_TIMEOUT` (default 60s): how long a connection with no request in flight
    /// may stay silent before it is closed.
    pub idle_timeout: std::time::Duration,
    /// `SLUICE_MAX_CONNECTIONS` (default: half the open-file soft limit, at most 16384):
    /// callers' connections open at once. At the cap the longest-idle connection is closed to
    /// make room; with none idle, the new one is.
    pub max_connections: usize,
    /// `SLUICE_H2_MAX_STREAMS` (default 100): concurrent requests on one HTTP/2 connection.
    pub h2_max_streams: u32,
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        Self {
            header_timeout: std::time::Duration::from_secs(10),
            idle_timeout: std::time::Duration::from_secs(60),
            max_connections: default_max_connections(open_file_limit()),
            h2_max_streams: 100,
        }
    }
}

/// The most connections served at once by default: half the open-file limit (the other half is
/// left to upstream connections, buckets, side-output files and the runtime), and at most
/// 16384, which bounds the memory idle connections hold (some kilobytes each) where the limit
/// is in the millions. Without a known limit, 1024 (half the usual 1024 soft limit, doubled
/// for systems that raise it).
pub fn default_max_connections(open_file_limit: Option<u64>) -> usize {
    match open_file_limit {
        Some(limit) => usize::try_from(limit / 2)
            .unwrap_or(usize::MAX)
            .clamp(1, 16_384),
        None => 1024,
    }
}

/// The process's open-file soft limit (`RLIMIT_NOFILE`), when it has a finite one.
pub fn open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rustix::process::getrlimit(rustix::process::Resource::Nofile).current
    }
    #[cfg(not(unix))]
    {
        None
    }
}

impl ConnectionSettings {
    /// Resolves the connection limits from the environment.
    pub fn resolve(env: &impl Env) -> Result<Self, ConfigProblem> {
        let defaults = Self::default();
        let duration = |var: &'static str, default: std::time::Duration| match env.var(var) {
            None => Ok(default),
            Some(text) => sluice_spec::duration::SpecDuration::parse(&text)
                .map(|d| d.get())
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| {
                    ConfigProblem(format!(
                        "{var}={text}: expected a duration above zero, like 10s or 500ms"
                    ))
                }),
        };
        let max_connections = positive(env, "SLUICE_MAX_CONNECTIONS", defaults.max_connections)?;
        let h2_max_streams = positive(env, "SLUICE_H2_MAX_STREAMS", 100)?;
        Ok(Self {
            header_timeout: duration("SLUICE_HEADER_TIMEOUT", defaults.header_timeout)?,
            idle_timeout: duration("SLUICE_IDLE_TIMEOUT", defaults.idle_timeout)?,
            max_connections,
            h2_max_streams: u32::try_from(h2_max_streams).map_err(|_| {
                ConfigProblem(format!(
                    "SLUICE_H2_MAX_STREAMS={h2_max_streams}: expected at most {}",
                    u32::MAX
                ))
            })?,
        })
    }
}

/// `--public-base-url`, else `SLUICE_PUBLIC_BASE_URL`: the proxy's URL as callers reach it,
/// without a trailing `/` (absolute job `Location`s, links rewritten to the proxy).
fn public_base_url(flag: Option<String>, env: &impl Env) -> Result<Option<String>, ConfigProblem> {
    flag.or_else(|| env.var("SLUICE_PUBLIC_BASE_URL"))
        .map(|url| {
            let trimmed = url.trim_end_matches('/').to_owned();
            let ok = trimmed.parse::<http::Uri>().ok().is_some_and(|u| {
                matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some()
            });
            if ok {
                Ok(trimmed)
            } else {
                Err(ConfigProblem(format!(
                    "public base URL `{url}` (SLUICE_PUBLIC_BASE_URL / --public-base-url) is \
                     not an http(s) URL, like https://proxy.example"
                )))
            }
        })
        .transpose()
}

/// The positive whole number `var` holds, or `default` when it is not set.
fn positive(env: &impl Env, var: &'static str, default: usize) -> Result<usize, ConfigProblem> {
    match env.var(var) {
        None => Ok(default),
        Some(text) => text
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                ConfigProblem(format!("{var}={text}: expected a positive whole number"))
            }),
    }
}

/// Settings of asynchronous request-reply (`Prefer: respond-async`).
#[derive(Debug, Clone)]
pub struct AsyncConfig {
    /// Where job records and results live: `ASYNC_OUTPUT_DESTINATION`, else the spec's
    /// `async_output_destination`, else `file://./var/async`.
    pub destination: sluice_spec::destination::Destination,
    /// How results are handed back.
    pub location: sluice_spec::connector::ResultLocation,
    /// How long records and results are kept.
    pub retention: std::time::Duration,
    /// Indexes (in the rules) of endpoints that answer only asynchronously.
    pub required_endpoints: Vec<usize>,
    /// `SLUICE_PUBLIC_BASE_URL` / `--public-base-url`: makes `Location`s absolute.
    pub public_base_url: Option<String>,
    /// `SLUICE_JOB_LEASE` (default 30s): how long a worker's claim on a job holds unrenewed.
    pub lease: std::time::Duration,
    /// `SLUICE_JOB_WORKERS` (default 32): jobs run at once by this replica.
    pub workers: usize,
    /// `SLUICE_JOB_QUEUE` (default 10000): jobs accepted and not yet finished by this replica;
    /// beyond it new ones get 503.
    pub queue_capacity: usize,
    /// `SLUICE_JOB_QUEUE_PER_CALLER` (default: half the queue, at least 1): jobs one caller may
    /// have accepted and not yet finished on this replica; beyond it that caller gets 429, so
    /// one caller cannot fill the queue for everyone.
    pub queue_per_caller: usize,
    /// `SLUICE_POLL_RATE` (default 10): status, result and list requests per second per caller
    /// (bursts of twice that); beyond it 429.
    pub poll_rate: u32,
    /// `SLUICE_SWEEP_INTERVAL` (default: retention / 24, at least 10s, at most 1h).
    pub sweep_interval: std::time::Duration,
    /// Largest request body an async job keeps (`SLUICE_JOB_MAX_BODY_BYTES`, default 256 KiB).
    pub max_job_body: usize,
    /// Callback delivery.
    pub callbacks: callbacks::CallbackSettings,
    /// This process's replica id, written into job leases: `SLUICE_REPLICA_ID`, else the host
    /// name (`HOSTNAME` or /etc/hostname), the process id and a random suffix.
    pub replica: String,
}

impl AsyncConfig {
    /// Resolves async settings: `None` when neither the spec's `enable_async_processing` nor
    /// `ASYNC_OUTPUT_DESTINATION` turns them on.
    pub fn resolve(
        spec: &sluice_spec::ConnectorSpec,
        rules: &sluice_spec::Rules,
        env: &impl Env,
        public_base_url: Option<String>,
    ) -> Result<Option<Self>, ConfigProblem> {
        use sluice_spec::destination::Destination;
        let from_env = env.var("ASYNC_OUTPUT_DESTINATION");
        if !spec.enable_async_processing && from_env.is_none() {
            return Ok(None);
        }
        let destination = match from_env {
            Some(text) => Destination::parse(&text)
                .map_err(|e| ConfigProblem(format!("ASYNC_OUTPUT_DESTINATION={text}: {e}")))?,
            None => match &spec.async_output_destination {
                Some(d) => d.value.clone(),
                None => Destination::parse("file://./var/async").expect("the default parses"),
            },
        };
        let settings = &spec.async_settings;
        let duration = |var: &'static str, default: std::time::Duration| match env.var(var) {
            None => Ok(default),
            Some(text) => sluice_spec::duration::SpecDuration::parse(&text)
                .map(|d| d.get())
                .map_err(|e| ConfigProblem(format!("{var}={text}: {e}"))),
        };
        let count = |var: &'static str, default: usize| match env.var(var) {
            None => Ok(default),
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    ConfigProblem(format!("{var}={text}: expected a positive whole number"))
                }),
        };
        let retention = settings.retention.get();
        let lease = duration("SLUICE_JOB_LEASE", std::time::Duration::from_secs(30))?;
        if lease < std::time::Duration::from_secs(1) {
            return Err(ConfigProblem(format!(
                "SLUICE_JOB_LEASE={lease:?}: a lease must be at least 1s"
            )));
        }
        let sweep_default = (retention / 24).clamp(
            std::time::Duration::from_secs(10),
            std::time::Duration::from_secs(3600),
        );
        let required_endpoints = settings
            .required
            .iter()
            .filter_map(|name| {
                rules.endpoints.iter().position(|e| {
                    e.path_template
                        .as_ref()
                        .is_some_and(|t| t.value == name.value)
                        || e.path_regex
                            .as_ref()
                            .is_some_and(|r| r.as_str() == name.value)
                })
            })
            .collect();
        let queue_capacity = count("SLUICE_JOB_QUEUE", 10_000)?;
        Ok(Some(Self {
            destination,
            location: settings.location,
            retention,
            required_endpoints,
            public_base_url,
            lease,
            workers: count("SLUICE_JOB_WORKERS", 32)?,
            queue_capacity,
            queue_per_caller: count("SLUICE_JOB_QUEUE_PER_CALLER", (queue_capacity / 2).max(1))?,
            poll_rate: u32::try_from(count("SLUICE_POLL_RATE", 10)?).unwrap_or(u32::MAX),
            sweep_interval: duration("SLUICE_SWEEP_INTERVAL", sweep_default)?,
            max_job_body: count("SLUICE_JOB_MAX_BODY_BYTES", 256 << 10)?,
            callbacks: callbacks::CallbackSettings::resolve(env)?,
            replica: env.var("SLUICE_REPLICA_ID").unwrap_or_else(|| {
                let host = env
                    .var("HOSTNAME")
                    .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
                    .map(|h| h.trim().to_owned())
                    .filter(|h| !h.is_empty())
                    .unwrap_or_else(|| "sluice".to_owned());
                let suffix = uuid::Uuid::new_v4().simple().to_string();
                format!("{host}-{}-{}", std::process::id(), &suffix[..8])
            }),
        }))
    }
}

/// Something at start-up an operator should fix, though the proxy can run with it: logged once
/// logging is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartupWarning {
    /// What is wrong, where, and what to do.
    pub message: String,
    /// Whether it is dangerous enough to log as an error (the proxy still starts).
    pub severe: bool,
}

impl StartupWarning {
    /// A warning when the secret file at `path` (`what`, e.g. "the bearer token file") can be
    /// read or changed by users other than its owner. Anyone who can change it can swap in their
    /// own credential, so a file other users can write is severe. The proxy still starts, as
    /// psoxy does: refusing would break deployments whose files are otherwise protected (a
    /// private directory, a container with one user).
    pub fn for_secret_file(path: &std::path::Path, what: &str) -> Option<Self> {
        Self::for_file(path, what, 0o077)
    }

    /// A warning when the file at `path` (`what`), which is not secret but is trusted (a JWKS:
    /// public keys that decide which tokens are accepted), can be changed by users other than
    /// its owner.
    pub fn for_trusted_file(path: &std::path::Path, what: &str) -> Option<Self> {
        Self::for_file(path, what, 0o022)
    }

    /// What the rules hold that loads but will not work as written: a response-schema `type`
    /// JSON Schema does not name (a response whose value reaches it fails with 502, as psoxy
    /// fails it), and augments that need a backend sluice lacks (they add nothing). `sluice
    /// validate` reports the same with positions; a compiled-in connector has only its model.
    pub fn for_rules(rules: &sluice_spec::Rules, source: &str) -> Vec<Self> {
        let types = sluice_spec::validate::unknown_schema_types(rules)
            .into_iter()
            .map(|(at, name)| Self {
                message: format!(
                    "{source}: {at} has schema type `{name}`, which is not a JSON Schema type; \
                     a response with a value there is refused (502); fix the type to one of \
                     object, array, string, number, integer, boolean, null"
                ),
                severe: false,
            });
        let augments = sluice_spec::validate::augment_warnings(std::path::Path::new(source), rules)
            .into_iter()
            .map(|d| Self {
                message: d.to_string(),
                severe: false,
            });
        types.chain(augments).collect()
    }

    fn for_file(path: &std::path::Path, what: &str, watched: u32) -> Option<Self> {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        if mode & watched == 0 {
            return None;
        }
        let (who, severe) = if mode & 0o002 != 0 {
            ("ANY USER ON THIS MACHINE CAN REPLACE IT", true)
        } else if mode & 0o020 != 0 {
            ("users of its group can change it", false)
        } else {
            ("other users can read it", false)
        };
        let fix = if watched == 0o077 {
            "chmod 600"
        } else {
            "chmod 644"
        };
        Some(Self {
            message: format!(
                "{what} {} has mode {mode:04o}: {who}; run `{fix} {}` (sluice starts anyway)",
                path.display(),
                path.display()
            ),
            severe,
        })
    }

    /// Logs the warning.
    pub fn log(&self) {
        if self.severe {
            tracing::error!("{}", self.message);
        } else {
            tracing::warn!("{}", self.message);
        }
    }
}

/// A configuration problem at start-up; the message names the setting and what is expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigProblem(pub String);

impl From<SettingsError> for ConfigProblem {
    fn from(e: SettingsError) -> Self {
        Self(e.to_string())
    }
}

impl ServeConfig {
    /// Resolves `serve`'s settings: the spec, then the environment, then flags.
    pub fn resolve(
        spec: &sluice_spec::ConnectorSpec,
        rules: &sluice_spec::Rules,
        env: &impl Env,
        flags: ServeFlags,
    ) -> Result<Self, ConfigProblem> {
        let listen_text = flags
            .listen
            .or_else(|| env.var("SLUICE_LISTEN"))
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen = listen_text.parse().map_err(|_| {
            ConfigProblem(format!(
                "listen address `{listen_text}` is not HOST:PORT, like 127.0.0.1:8080"
            ))
        })?;
        let upstream_text = flags
            .upstream
            .or_else(|| env.var("SLUICE_UPSTREAM"))
            .unwrap_or_else(|| format!("https://{}", spec.target_host.value));
        let upstream: http::Uri = upstream_text
            .parse()
            .ok()
            .filter(|u: &http::Uri| {
                matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some()
            })
            .ok_or_else(|| {
                ConfigProblem(format!(
                    "upstream `{upstream_text}` is not an http(s) URL, like https://api.github.com"
                ))
            })?;
        let duration = |flag: Option<String>,
                        var: &'static str,
                        default: u64|
         -> Result<std::time::Duration, ConfigProblem> {
            match flag.or_else(|| env.var(var)) {
                None => Ok(std::time::Duration::from_secs(default)),
                Some(text) => sluice_spec::duration::SpecDuration::parse(&text)
                    .map(|d| d.get())
                    .map_err(|e| ConfigProblem(format!("{var}: {e}"))),
            }
        };
        let upstream_timeout = duration(flags.upstream_timeout, "SLUICE_UPSTREAM_TIMEOUT", 30)?;
        let total_timeout = duration(flags.total_timeout, "SLUICE_TOTAL_TIMEOUT", 60)?;
        let log_format = match flags.log_format {
            Some(f) => f,
            None => match env.var("SLUICE_LOG_FORMAT").as_deref() {
                None | Some("text") => LogFormat::Text,
                Some("json") => LogFormat::Json,
                Some(other) => {
                    return Err(ConfigProblem(format!(
                        "SLUICE_LOG_FORMAT={other}: expected text or json"
                    )));
                }
            },
        };
        let caller_auth = if flags.insecure_no_auth {
            CallerAuthConfig::Disabled
        } else if let Some(keys) = env.var("SLUICE_API_KEYS") {
            let keys: Vec<String> = keys
                .split(',')
                .map(|k| k.trim().to_owned())
                .filter(|k| !k.is_empty())
                .collect();
            if keys.is_empty() {
                return Err(ConfigProblem(
                    "SLUICE_API_KEYS holds no key; list keys separated by commas".into(),
                ));
            }
            CallerAuthConfig::ApiKeys(keys)
        } else if env.var("SLUICE_JWT_SECRET").is_some() || env.var("SLUICE_JWT_JWKS").is_some() {
            CallerAuthConfig::Jwt(JwtConfig {
                hs256_secret: env.var("SLUICE_JWT_SECRET"),
                jwks: env.var("SLUICE_JWT_JWKS"),
                audience: env.var("SLUICE_JWT_AUDIENCE"),
                issuer: env.var("SLUICE_JWT_ISSUER"),
            })
        } else {
            return Err(ConfigProblem(
                "no caller authentication configured: set SLUICE_API_KEYS (comma-separated keys, or \
                 sha256:<hex> digests), or SLUICE_JWT_SECRET / SLUICE_JWT_JWKS; --insecure-no-auth \
                 serves without it"
                    .into(),
            ));
        };
        let pseudonyms = PseudonymSettings::resolve(env, flags.salt, flags.key)?;
        pseudonyms.check_keys_for(rules, &rules_source(spec))?;
        let mut warnings = Vec::new();
        let source_credentials =
            credentials::Credentials::resolve(&spec.source_auth, env, &mut warnings)?;
        if let CallerAuthConfig::Jwt(JwtConfig {
            jwks: Some(source), ..
        }) = &caller_auth
            && !(source.starts_with("http://") || source.starts_with("https://"))
        {
            warnings.extend(StartupWarning::for_trusted_file(
                source.as_ref(),
                "the JWKS file (SLUICE_JWT_JWKS)",
            ));
        }
        warnings.extend(StartupWarning::for_rules(rules, &rules_source(spec)));
        let public_base_url = public_base_url(flags.public_base_url, env)?;
        let async_jobs = AsyncConfig::resolve(spec, rules, env, public_base_url.clone())?;
        let max_body_bytes = match env.var("SLUICE_MAX_BODY_BYTES") {
            None => 64 << 20,
            Some(v) => v.parse().map_err(|_| {
                ConfigProblem(format!(
                    "SLUICE_MAX_BODY_BYTES={v}: expected a number of bytes"
                ))
            })?,
        };
        let threads = match flags
            .threads
            .map(|n| n.to_string())
            .or_else(|| env.var("SLUICE_THREADS"))
        {
            None => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            Some(text) => text
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=1024).contains(n))
                .ok_or_else(|| {
                    ConfigProblem(format!(
                        "SLUICE_THREADS / --threads `{text}`: expected a number of threads from 1 \
                         to 1024 (default: one per CPU core)"
                    ))
                })?,
        };
        let token_failure_limit = match env.var("SLUICE_TOKEN_FAILURE_LIMIT") {
            None => crate::token_failures::DEFAULT_LIMIT,
            Some(v) => v.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                ConfigProblem(format!(
                    "SLUICE_TOKEN_FAILURE_LIMIT={v}: expected a number of refused tokens per \
                     minute, at least 1 (default {})",
                    crate::token_failures::DEFAULT_LIMIT
                ))
            })?,
        };
        Ok(Self {
            token_failure_limit,
            listen,
            upstream,
            upstream_timeout,
            total_timeout,
            log_format,
            caller_auth,
            pseudonyms,
            source_credentials,
            max_body_bytes,
            async_jobs,
            threads,
            side_outputs: side_outputs(&spec.side_outputs, env)?,
            warnings,
            public_base_url,
            trust_forwarded: match env.var("SLUICE_TRUST_FORWARDED") {
                None => Vec::new(),
                Some(text) => crate::origin::parse_trusted(&text)
                    .map_err(|e| ConfigProblem(format!("SLUICE_TRUST_FORWARDED: {e}")))?,
            },
            connections: ConnectionSettings::resolve(env)?,
            caller_concurrency: positive(env, "SLUICE_CALLER_CONCURRENCY", 32)?,
        })
    }
}

/// Where a connector's rules were written, for messages: its rules file, or the spec itself.
pub fn rules_source(spec: &sluice_spec::ConnectorSpec) -> String {
    match &spec.rules_file {
        Some(file) => file.value.clone(),
        None => format!("the `{}` spec's inline rules", spec.name.value),
    }
}

/// The side outputs to write: the spec's, unless the deployment says otherwise. For each content,
/// `SLUICE_SIDE_OUTPUT_ORIGINAL` / `SLUICE_SIDE_OUTPUT_SANITIZED` (or psoxy's
/// `SIDE_OUTPUT_ORIGINAL` / `SIDE_OUTPUT_SANITIZED`) set to a destination replace the spec's
/// entries of that content with one writing there (keeping the first entry's `gzip` and
/// `required`, or adding a plain one where the spec has none), and `none` turns them off. A
/// compiled-in spec can so be pointed at a production bucket, or a replica told to keep no
/// copies, without a rebuild.
pub fn side_outputs(
    spec: &[sluice_spec::connector::SideOutput],
    env: &impl Env,
) -> Result<Vec<sluice_spec::connector::SideOutput>, ConfigProblem> {
    use sluice_spec::connector::{SideOutput, SideOutputContent};
    use sluice_spec::destination::Destination;
    let mut outputs = spec.to_vec();
    for (content, names) in [
        (
            SideOutputContent::Original,
            ["SLUICE_SIDE_OUTPUT_ORIGINAL", "SIDE_OUTPUT_ORIGINAL"],
        ),
        (
            SideOutputContent::Sanitized,
            ["SLUICE_SIDE_OUTPUT_SANITIZED", "SIDE_OUTPUT_SANITIZED"],
        ),
    ] {
        let Some((name, text)) = names
            .iter()
            .find_map(|name| env.var(name).map(|text| (name, text)))
        else {
            continue;
        };
        let position = outputs.iter().position(|o| o.content == content);
        let (required, gzip) =
            position.map_or((false, false), |i| (outputs[i].required, outputs[i].gzip));
        outputs.retain(|o| o.content != content);
        if text.trim().eq_ignore_ascii_case("none") {
            continue;
        }
        let destination = Destination::parse(text.trim()).map_err(|e| {
            ConfigProblem(format!(
                "{name}={text}: {e}; or `none` to write no {content} side output",
                content = match content {
                    SideOutputContent::Original => "original",
                    SideOutputContent::Sanitized => "sanitized",
                }
            ))
        })?;
        let entry = SideOutput {
            content,
            destination: sluice_spec::Located::unlocated(destination),
            required,
            gzip,
        };
        // Where the spec's first entry of this content was: the entries before it all stay.
        outputs.insert(position.unwrap_or(outputs.len()), entry);
    }
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn flags_win_over_sluice_names_which_win_over_psoxy_names() {
        let e = env(&[
            ("SLUICE_SALT", "s1"),
            ("PSOXY_SALT", "s2"),
            ("PSOXY_ENCRYPTION_KEY", "k"),
        ]);
        let s = PseudonymSettings::resolve(&e, None, None).unwrap();
        assert_eq!(
            (s.salt.as_str(), s.encryption_key.as_deref()),
            ("s1", Some("k"))
        );
        let s = PseudonymSettings::resolve(&e, Some("flag".into()), None).unwrap();
        assert_eq!(s.salt, "flag");
    }

    #[test]
    fn no_salt_is_refused_with_what_to_set() {
        let err = PseudonymSettings::resolve(&env(&[]), None, None).unwrap_err();
        assert!(err.to_string().contains("SLUICE_SALT"), "{err}");
        assert!(
            !format!(
                "{:?}",
                PseudonymSettings::resolve(&env(&[("PSOXY_SALT", "hush")]), None, None).unwrap()
            )
            .contains("hush")
        );
    }

    #[test]
    fn bad_choices_name_the_variable_and_the_choices() {
        let err = PseudonymSettings::resolve(
            &env(&[("PSOXY_SALT", "s"), ("EMAIL_DOMAIN_HANDLING", "drop")]),
            None,
            None,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "EMAIL_DOMAIN_HANDLING=drop is not valid; expected one of: PRESERVE, REDACT, ENCRYPT, HASH"
        );
    }

    #[test]
    fn side_output_variables_redirect_or_turn_off_the_specs_outputs() {
        let loaded = sluice_spec::parse_spec(
            "t.yaml".as_ref(),
            "name: t\ntarget_host: api.example.com\nside_outputs:\n  \
             - { content: sanitized, destination: file://./var/s/ }\n  \
             - { content: original, destination: file://./var/o/, gzip: true, required: true }\n\
             rules:\n  endpoints:\n    - pathTemplate: /x\n",
        )
        .unwrap();
        let resolve = |pairs: &[(&str, &str)]| side_outputs(&loaded.spec.side_outputs, &env(pairs));
        let shown = |outputs: Vec<sluice_spec::connector::SideOutput>| {
            outputs
                .iter()
                .map(|o| {
                    format!(
                        "{:?} {} gzip={} required={}",
                        o.content, o.destination.value, o.gzip, o.required
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            shown(resolve(&[]).unwrap()),
            [
                "Sanitized file://./var/s/ gzip=false required=false",
                "Original file://./var/o/ gzip=true required=true"
            ]
        );
        // psoxy's name redirects, keeping the spec's gzip and required; sluice's name wins.
        assert_eq!(
            shown(
                resolve(&[
                    ("SIDE_OUTPUT_ORIGINAL", "s3://raw/github/"),
                    ("SIDE_OUTPUT_SANITIZED", "none")
                ])
                .unwrap()
            ),
            ["Original s3://raw/github/ gzip=true required=true"]
        );
        assert_eq!(
            shown(
                resolve(&[
                    ("SIDE_OUTPUT_ORIGINAL", "s3://raw/github/"),
                    ("SLUICE_SIDE_OUTPUT_ORIGINAL", "NONE")
                ])
                .unwrap()
            ),
            ["Sanitized file://./var/s/ gzip=false required=false"]
        );
        // A content the spec does not write can be added.
        let none = side_outputs(&[], &env(&[("SIDE_OUTPUT_SANITIZED", "memory://")])).unwrap();
        assert_eq!(
            shown(none),
            ["Sanitized memory:// gzip=false required=false"]
        );
        let err = resolve(&[("SIDE_OUTPUT_SANITIZED", "ftp://host/x")])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("SIDE_OUTPUT_SANITIZED=ftp://host/x: ")
                && err.contains("s3://")
                && err.ends_with("or `none` to write no sanitized side output"),
            "{err}"
        );
    }

    #[test]
    fn serving_threads_default_to_one_per_core_and_bad_counts_say_what_is_allowed() {
        let loaded = sluice_spec::parse_spec(
            "t.yaml".as_ref(),
            "name: t\ntarget_host: api.example.com\nrules:\n  endpoints:\n    - pathTemplate: /x\n",
        )
        .unwrap();
        let resolve = |threads_env: Option<&str>, flag: Option<usize>| {
            let mut pairs = vec![("SLUICE_SALT", "s"), ("SLUICE_API_KEYS", "k")];
            if let Some(t) = threads_env {
                pairs.push(("SLUICE_THREADS", t));
            }
            let flags = ServeFlags {
                threads: flag,
                ..ServeFlags::default()
            };
            ServeConfig::resolve(&loaded.spec, &loaded.rules, &env(&pairs), flags)
        };
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        assert_eq!(resolve(None, None).unwrap().threads, cores);
        assert_eq!(resolve(Some("3"), None).unwrap().threads, 3);
        assert_eq!(
            resolve(Some("3"), Some(5)).unwrap().threads,
            5,
            "the flag wins"
        );
        for bad in ["0", "many", "-1", "5000"] {
            let err = resolve(Some(bad), None).unwrap_err().to_string();
            assert!(
                err.contains("SLUICE_THREADS") && err.contains(bad) && err.contains("1 to 1024"),
                "{err}"
            );
        }
    }

    fn load(yaml: &str) -> sluice_spec::LoadedSpec {
        sluice_spec::parse_spec("t.yaml".as_ref(), yaml).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn rules_that_issue_reversible_tokens_without_a_key_are_refused_naming_each_rule() {
        let loaded = load(
            "name: t\ntarget_host: api.example.com\nrules:\n  endpoints:\n    - pathTemplate: /x\n      \
             transforms:\n        - !<pseudonymize>\n          jsonPaths: ['$.a']\n          \
             includeReversible: true\n        - !<pseudonymizeRegexMatches>\n          \
             jsonPaths: ['$.b']\n          regex: '(.*)'\n          includeReversible: true\n        \
             - !<tokenize>\n          jsonPaths: ['$.c']\n        - !<encryptIp>\n          \
             jsonPaths: ['$.d']\n        - !<pseudonymize>\n          jsonPaths: ['$.e']\n",
        );
        let resolve = |pairs: &[(&str, &str)]| {
            let mut all = vec![("SLUICE_SALT", "s"), ("SLUICE_API_KEYS", "k")];
            all.extend_from_slice(pairs);
            ServeConfig::resolve(
                &loaded.spec,
                &loaded.rules,
                &env(&all),
                ServeFlags::default(),
            )
        };
        let err = resolve(&[]).unwrap_err().to_string();
        for line in [
            "the `t` spec's inline rules:8:11: `pseudonymize`: includeReversible",
            "the `t` spec's inline rules:11:11: `pseudonymizeRegexMatches`: includeReversible",
            "the `t` spec's inline rules:15:11: `tokenize`",
            "the `t` spec's inline rules:17:11: `encryptIp`",
        ] {
            assert!(err.contains(line), "missing {line:?} in:\n{err}");
        }
        assert!(err.contains("SLUICE_ENCRYPTION_KEY"), "{err}");
        assert!(
            !err.contains(":19:"),
            "a plain pseudonym needs no key: {err}"
        );
        assert!(resolve(&[("SLUICE_ENCRYPTION_KEY", "k")]).is_ok());
        // An IP key alone serves encryptIp, not the others.
        let err = resolve(&[("SLUICE_IP_ENCRYPTION_KEY", "k")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`tokenize`") && !err.contains("`encryptIp`"),
            "{err}"
        );

        // Encrypted email domains need the key wherever addresses are pseudonymized.
        let plain = load(
            "name: t\ntarget_host: api.example.com\nrules:\n  endpoints:\n    \
             - pathTemplate: /x\n      transforms:\n        - !<pseudonymize>\n          \
             jsonPaths: ['$.e']\n",
        );
        let settings = |pairs: &[(&str, &str)]| {
            let mut all = vec![("SLUICE_SALT", "s")];
            all.extend_from_slice(pairs);
            PseudonymSettings::resolve(&env(&all), None, None).unwrap()
        };
        assert!(settings(&[]).check_keys_for(&plain.rules, "r.yaml").is_ok());
        let err = settings(&[("EMAIL_DOMAIN_HANDLING", "encrypt")])
            .check_keys_for(&plain.rules, "r.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("r.yaml:8:11: `pseudonymize`: EMAIL_DOMAIN_HANDLING=ENCRYPT"),
            "{err}"
        );
    }

    #[test]
    fn rules_that_load_but_will_not_work_as_written_are_warned_about_at_start_up() {
        let loaded = load(
            "name: t\ntarget_host: api.example.com\nrules:\n  endpoints:\n    \
             - pathTemplate: /graphql\n      responseSchema:\n        type: object\n        \
             properties:\n          actor: { type: onBehalfOf }\n",
        );
        let e = env(&[("SLUICE_SALT", "s"), ("SLUICE_API_KEYS", "k")]);
        let warnings = ServeConfig::resolve(&loaded.spec, &loaded.rules, &e, ServeFlags::default())
            .unwrap()
            .warnings;
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let message = &warnings[0].message;
        for part in [
            "inline rules",
            "endpoint `/graphql` responseSchema/properties/actor",
            "`onBehalfOf`",
            "502",
        ] {
            assert!(message.contains(part), "missing {part:?} in {message}");
        }
    }

    #[test]
    fn secret_files_others_can_read_or_change_are_warned_about() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token");
        let jwks = dir.path().join("jwks.json");
        std::fs::write(&token, "t0ken\n").unwrap();
        std::fs::write(&jwks, r#"{"keys":[]}"#).unwrap();
        let loaded = load(&format!(
            "name: t\ntarget_host: api.example.com\nsource_auth: {{ kind: bearer, token_file: \"{}\" }}\n\
             rules:\n  endpoints:\n    - pathTemplate: /x\n",
            token.display()
        ));
        let jwks_path = jwks.display().to_string();
        let warnings = |token_mode: u32, jwks_mode: u32| {
            std::fs::set_permissions(&token, std::fs::Permissions::from_mode(token_mode)).unwrap();
            std::fs::set_permissions(&jwks, std::fs::Permissions::from_mode(jwks_mode)).unwrap();
            let e = env(&[("SLUICE_SALT", "s"), ("SLUICE_JWT_JWKS", &jwks_path)]);
            ServeConfig::resolve(&loaded.spec, &loaded.rules, &e, ServeFlags::default())
                .unwrap()
                .warnings
        };
        assert_eq!(
            warnings(0o600, 0o644),
            [],
            "private token, public keys: nothing to say"
        );
        assert_eq!(warnings(0o400, 0o444), []);

        let readable = warnings(0o644, 0o644);
        assert_eq!(readable.len(), 1, "{readable:?}");
        let message = &readable[0].message;
        assert!(!readable[0].severe);
        for part in [
            "bearer token file",
            &token.display().to_string(),
            "0644",
            "other users can read it",
            "chmod 600",
        ] {
            assert!(message.contains(part), "missing {part:?} in {message}");
        }
        assert!(
            !message.contains("t0ken"),
            "the secret itself is never logged"
        );

        let world = warnings(0o666, 0o666);
        assert_eq!(world.len(), 2, "{world:?}");
        assert!(world.iter().all(|w| w.severe), "{world:?}");
        assert!(world[0].message.contains("0666") && world[0].message.contains("ANY USER"));
        assert!(world[1].message.contains("JWKS") && world[1].message.contains(&jwks_path));

        let group = warnings(0o620, 0o664);
        assert_eq!(group.len(), 2, "{group:?}");
        assert!(
            group
                .iter()
                .all(|w| !w.severe && w.message.contains("group can change it"))
        );
    }

    #[test]
    fn connection_limits_default_from_the_open_file_limit_and_bad_values_say_what_is_expected() {
        assert_eq!(default_max_connections(Some(1024)), 512);
        assert_eq!(default_max_connections(Some(1 << 20)), 16_384);
        assert_eq!(default_max_connections(Some(1)), 1);
        assert_eq!(default_max_connections(None), 1024);
        let resolved = ConnectionSettings::resolve(&env(&[])).unwrap();
        assert_eq!(
            (
                resolved.header_timeout,
                resolved.idle_timeout,
                resolved.h2_max_streams
            ),
            (
                std::time::Duration::from_secs(10),
                std::time::Duration::from_secs(60),
                100
            )
        );
        assert_eq!(
            resolved.max_connections,
            default_max_connections(open_file_limit())
        );
        let set = ConnectionSettings::resolve(&env(&[
            ("SLUICE_HEADER_TIMEOUT", "2s"),
            ("SLUICE_IDLE_TIMEOUT", "500ms"),
            ("SLUICE_MAX_CONNECTIONS", "64"),
        ]))
        .unwrap();
        assert_eq!(
            (set.header_timeout, set.idle_timeout, set.max_connections),
            (
                std::time::Duration::from_secs(2),
                std::time::Duration::from_millis(500),
                64
            )
        );
        for (var, bad) in [
            ("SLUICE_HEADER_TIMEOUT", "0s"),
            ("SLUICE_IDLE_TIMEOUT", "soon"),
            ("SLUICE_MAX_CONNECTIONS", "0"),
            ("SLUICE_H2_MAX_STREAMS", "-1"),
        ] {
            let err = ConnectionSettings::resolve(&env(&[(var, bad)]))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(&format!("{var}={bad}: expected")), "{err}");
        }
    }
}
