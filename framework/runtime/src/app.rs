//! The command line of every connector binary (`github-proxy`, …): generated `main`s call
//! [`main`] (or [`main_with_hooks`]) with their connector. Without a subcommand, or with
//! `serve`, it runs the proxy; `routes` lists what the rules allow, and `sanitize` dry-runs one
//! response through the compiled router and sanitizer.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::config::{
    CallerAuthConfig, ConfigProblem, ProcessEnv, PseudonymSettings, ServeConfig, ServeFlags,
};
use crate::connector::{Connector, Hooks, NoHooks};
use crate::engine::{Answer, Engine};

#[derive(Debug, Parser)]
#[command(version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeFlags,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the proxy (the default).
    Serve(ServeFlags),
    /// List the endpoints the rules allow: methods, path, query parameters, transforms.
    Routes,
    /// Sanitize one upstream response (stdin) as the proxy would for a request; print it.
    Sanitize {
        /// The request's HTTP method.
        #[arg(long, default_value = "GET")]
        method: String,
        /// The request path and query, e.g. `/orgs/acme/members?per_page=5`.
        #[arg(long)]
        url: String,
        /// Pseudonymization salt [env: SLUICE_SALT, or PSOXY_SALT].
        #[arg(long)]
        salt: Option<String>,
        /// Encryption key for reversible tokens [env: SLUICE_ENCRYPTION_KEY].
        #[arg(long)]
        key: Option<String>,
    },
}

/// Runs a connector binary's command line.
pub fn main<C: Connector>(connector: C) -> ExitCode {
    main_with_hooks(connector, NoHooks)
}

/// Runs a connector binary's command line, with a team's own hooks around each request.
pub fn main_with_hooks<C: Connector, H: Hooks>(connector: C, hooks: H) -> ExitCode {
    let spec = connector.spec();
    let name = format!("{}-proxy", spec.name.value);
    let about = spec
        .description
        .clone()
        .unwrap_or_else(|| format!("sluice sanitizing proxy for {}", spec.target_host.value));
    let matches = Cli::command().name(name).about(about).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let command = cli.command.unwrap_or(Command::Serve(cli.serve));
    match run(connector, hooks, command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run<C: Connector, H: Hooks>(
    connector: C,
    hooks: H,
    command: Command,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    match command {
        Command::Serve(flags) => {
            let config =
                ServeConfig::resolve(connector.spec(), connector.rules(), &ProcessEnv, flags)?;
            init_logging(config.log_format);
            // This runtime accepts connections and runs background work; requests are served
            // by the serving threads `server::serve_threads` starts.
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(serve(connector, hooks, config))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Routes => {
            print_routes(&connector)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Sanitize {
            method,
            url,
            salt,
            key,
        } => {
            let settings = PseudonymSettings::resolve(&ProcessEnv, salt, key)?;
            settings.check_keys_for(
                connector.rules(),
                &crate::config::rules_source(connector.spec()),
            )?;
            let engine = Engine::new(connector, Arc::new(settings.pseudonymizer()?));
            let (path, query) = url
                .split_once('?')
                .map_or((url.as_str(), None), |(p, q)| (p, Some(q)));
            let mut body = Vec::new();
            std::io::stdin().read_to_end(&mut body)?;
            match engine.run(&method, path, query, &body) {
                Answer::Sanitized { body, .. } => {
                    let mut out = std::io::stdout().lock();
                    out.write_all(&body)?;
                    out.write_all(b"\n")?;
                    Ok(ExitCode::SUCCESS)
                }
                Answer::Refused(p) => {
                    eprintln!("refused ({}): {}", p.status, p.detail);
                    Ok(ExitCode::FAILURE)
                }
                Answer::Failed(e) => {
                    eprintln!("cannot sanitize: {e}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}

fn print_routes<C: Connector>(connector: &C) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} → https://{}",
        connector.spec().name,
        connector.spec().target_host
    )?;
    for endpoint in &connector.rules().endpoints {
        let path = endpoint
            .path_template
            .as_ref()
            .map(|t| t.value.clone())
            .or_else(|| {
                endpoint
                    .path_regex
                    .as_ref()
                    .map(|r| format!("~{}", r.as_str()))
            })
            .unwrap_or_default();
        let methods = endpoint
            .allowed_methods
            .as_ref()
            .map_or("*".to_owned(), |m| {
                m.iter()
                    .map(|m| m.value.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            });
        let query = endpoint
            .allowed_query_params
            .as_ref()
            .map_or("any".to_owned(), |q| q.join(","));
        let transforms: Vec<&str> = endpoint
            .transforms
            .iter()
            .map(|t| t.kind().name())
            .collect();
        writeln!(
            out,
            "{methods:<8} {path}  query: {query}  transforms: {}",
            transforms.join(", ")
        )?;
    }
    Ok(())
}

/// Runs the proxy for `connector` with `flags` (resolved with the environment), until SIGINT or
/// SIGTERM; the exit code says whether it started. `sluice serve --spec` uses this.
pub fn serve_main<C: Connector>(connector: C, flags: ServeFlags) -> ExitCode {
    match run(connector, NoHooks, Command::Serve(flags)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Installs the log subscriber (`RUST_LOG` filters; default `info`).
fn init_logging(format: crate::config::LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        crate::config::LogFormat::Json => builder.json().flatten_event(true).try_init(),
        crate::config::LogFormat::Text => builder.try_init(),
    };
}

/// Builds the proxy from `config` and serves until SIGINT or SIGTERM.
pub async fn serve<C: Connector, H: Hooks>(
    connector: C,
    hooks: H,
    config: ServeConfig,
) -> Result<(), ConfigProblem> {
    let started = std::time::Instant::now();
    if config.caller_auth == CallerAuthConfig::Disabled {
        tracing::warn!(
            "CALLER AUTHENTICATION IS OFF (--insecure-no-auth): anyone who reaches {} can use the upstream \
             credentials through this proxy",
            config.listen
        );
    }
    for warning in &config.warnings {
        warning.log();
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| ConfigProblem(format!("cannot listen on {}: {e}", config.listen)))?;
    let proxy = Arc::new(build_proxy(connector, hooks, &config).await?);
    proxy.start_background();
    tracing::info!(
        listen = %config.listen,
        upstream = %config.upstream,
        threads = config.threads,
        connector = %proxy.connector().spec().name,
        startup_ms = started.elapsed().as_secs_f64() * 1000.0,
        "listening"
    );
    crate::server::serve_threads(
        proxy,
        listener,
        config.threads,
        crate::server::shutdown_signal(),
        std::time::Duration::from_secs(30),
    )
    .await
    .map_err(|e| ConfigProblem(format!("the server stopped: {e}")))
}

/// Assembles a proxy from resolved configuration. Sets the process's umask to keep the files it
/// creates private ([`crate::stores::private_new_files`]).
pub async fn build_proxy<C: Connector, H: Hooks>(
    connector: C,
    hooks: H,
    config: &ServeConfig,
) -> Result<crate::proxy::Proxy<C, H>, ConfigProblem> {
    // Before any bucket is opened: job records, results and side outputs in local directories
    // are then readable by this user only.
    crate::stores::private_new_files();
    let pseudonymizer = Arc::new(config.pseudonyms.pseudonymizer()?);
    let jwks_text = match &config.caller_auth {
        CallerAuthConfig::Jwt(jwt) => match &jwt.jwks {
            Some(source) => Some(load_jwks(source, config.upstream_timeout).await?),
            None => None,
        },
        _ => None,
    };
    let auth = crate::auth::CallerAuth::new(&config.caller_auth, jwks_text.as_deref())?;
    let upstream = crate::upstream::Upstream::new(
        config.upstream.clone(),
        config.source_credentials.clone(),
        config.upstream_timeout,
        config.max_body_bytes,
    )
    .pools(config.threads + 1);
    let outputs = crate::outputs::SideOutputs::open(&config.side_outputs)?;
    let jobs = config
        .async_jobs
        .clone()
        .map(crate::jobs::Jobs::open)
        .transpose()?;
    // The encryption key is still being derived in the background (`pseudonym::keys`):
    // requests that may need it wait for it in `Proxy::keys_derived`, readiness reports it.
    Ok(crate::proxy::Proxy::new(crate::proxy::Parts {
        connector,
        hooks,
        pseudonymizer,
        auth,
        upstream,
        outputs,
        total_timeout: config.total_timeout,
        max_body: config.max_body_bytes,
        token_failure_limit: config.token_failure_limit,
        public_base_url: config.public_base_url.clone(),
        trust_forwarded: config.trust_forwarded.clone(),
        jobs,
        caller_concurrency: config.caller_concurrency,
        connections: config.connections,
    }))
}

/// Reads a JWKS from a file, or fetches it from an http(s) URL.
async fn load_jwks(source: &str, timeout: std::time::Duration) -> Result<String, ConfigProblem> {
    if !(source.starts_with("http://") || source.starts_with("https://")) {
        return std::fs::read_to_string(source)
            .map_err(|e| ConfigProblem(format!("SLUICE_JWT_JWKS: cannot read {source}: {e}")));
    }
    let uri: http::Uri = source
        .parse()
        .map_err(|e| ConfigProblem(format!("SLUICE_JWT_JWKS: {e}")))?;
    let client = crate::upstream::Upstream::new(
        uri.clone(),
        crate::upstream::Credentials::None,
        timeout,
        1 << 20,
    );
    let request = http::Request::get(uri)
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .map_err(|e| ConfigProblem(format!("SLUICE_JWT_JWKS: {e}")))?;
    let answer = client
        .send(request)
        .await
        .map_err(|e| ConfigProblem(format!("SLUICE_JWT_JWKS: {e}")))?;
    if !answer.status.is_success() {
        return Err(ConfigProblem(format!(
            "SLUICE_JWT_JWKS: {source} answered {}",
            answer.status
        )));
    }
    String::from_utf8(answer.body.to_vec())
        .map_err(|_| ConfigProblem("SLUICE_JWT_JWKS: the JWKS is not UTF-8".into()))
}
