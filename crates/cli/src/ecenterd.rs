//! `ecenterd`: the ecenter hub daemon (its `main` is in the root package, `src/bin/ecenterd.rs`).
//!
//! Configuration is layered: embedded defaults, then the TOML file (`--config`), then `ECENTER_*`
//! environment variables and flags. Prints `listening on ADDR` once it serves, so scripts started
//! with `--listen 127.0.0.1:0` can learn the port.

use anyhow::{Context, Result};
use clap::{Parser, ValueEnum};
use ecenter_server::Config;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tokio::net::TcpListener;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// ecenterd — the ecenter hub (收转发E中心): receives filings, seals documents, serves them on
/// parties, and keeps every step in a hash-chained event log.
#[derive(Debug, Parser)]
#[command(name = "ecenterd", version)]
struct Args {
    /// TOML configuration file; unset keys keep their defaults.
    #[arg(long, env = "ECENTER_CONFIG")]
    config: Option<PathBuf>,
    /// Directory holding the event log and the documents.
    #[arg(long, env = "ECENTER_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Address of the gRPC port, e.g. 127.0.0.1:50051 (port 0 picks a free port).
    #[arg(long, env = "ECENTER_LISTEN")]
    listen: Option<SocketAddr>,
    /// Development mode: no TLS, callers name themselves in x-ecenter-identity. Loopback only.
    /// ECENTER_DEV takes 1/0, true/false, yes/no, on/off.
    #[arg(long, env = "ECENTER_DEV", value_parser = clap::builder::BoolishValueParser::new())]
    dev: bool,
    /// Log format on stderr.
    #[arg(long, env = "ECENTER_LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LogFormat,
    /// Print the effective configuration as TOML and exit.
    #[arg(long)]
    print_config: bool,
    /// Accept that log entries FIRST-LAST are lost (the hub refused to start naming exactly that
    /// range). Recorded in the log with --operator and --reason; the log as found is kept aside.
    #[arg(long, value_name = "FIRST-LAST", requires_all = ["operator", "reason"])]
    accept_loss: Option<String>,
    /// Who accepts the loss (recorded in the log).
    #[arg(long, requires = "accept_loss")]
    operator: Option<String>,
    /// Why the loss is accepted (recorded in the log).
    #[arg(long, requires = "accept_loss")]
    reason: Option<String>,
}

fn load_config(args: &Args) -> Result<Config> {
    let mut config = match &args.config {
        Some(path) => Config::from_file(path)?,
        None => Config::default(),
    };
    if args.dev && config.tls.is_some() {
        // Never a silent choice between the two: the operator says which hub this is.
        anyhow::bail!(
            "--dev (or ECENTER_DEV) asks for a development hub without TLS, but {} has a [tls] \
             section: drop --dev to serve mutual TLS, or remove [tls] for development",
            args.config
                .as_deref()
                .unwrap_or(Path::new("the configuration"))
                .display()
        );
    }
    if let Some(dir) = &args.data_dir {
        config.data_dir = dir.clone();
    }
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    config.dev_mode |= args.dev;
    if let Some(range) = &args.accept_loss {
        let (first, last) = ecenter_server::loss::LossAcceptance::parse_range(range)
            .map_err(|e| anyhow::anyhow!("--accept-loss: {e}"))?;
        config.accept_loss = Some(ecenter_server::loss::LossAcceptance {
            first,
            last,
            by: args.operator.clone().unwrap_or_default(),
            reason: args.reason.clone().unwrap_or_default(),
        });
    }
    Ok(config)
}

/// Parses the command line, then serves until SIGINT or SIGTERM; on failure prints why and exits 1,
/// or 75 (EX_TEMPFAIL) when a replica of the PostgreSQL log must be rebuilt by starting again.
pub fn main() {
    let args = Args::parse();
    // A parsing thread still busy after the stop's grace period does not keep the process: the
    // runtime waits a moment for blocking work, then the process exits without it.
    let result = tokio::runtime::Runtime::new()
        .map_err(anyhow::Error::from)
        .and_then(|rt| {
            let result = rt.block_on(run(args));
            rt.shutdown_timeout(std::time::Duration::from_secs(1));
            result
        });
    if let Err(e) = result {
        // Each cause once: errors that quote their source would otherwise repeat it.
        let mut text = String::new();
        for cause in e.chain().map(ToString::to_string) {
            if !text.contains(&cause) {
                if !text.is_empty() {
                    text.push_str(": ");
                }
                text.push_str(&cause);
            }
        }
        eprintln!("ecenterd: {text}");
        let restart = matches!(
            e.downcast_ref::<ecenter_server::ServeError>(),
            Some(ecenter_server::ServeError::ReplicaAhead(_))
        );
        std::process::exit(if restart {
            ecenter_server::ServeError::RESTART_ME
        } else {
            1
        });
    }
}

async fn run(args: Args) -> Result<()> {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::EnvFilter::try_from_env("ECENTER_LOG")
        .unwrap_or_else(|_| "info".into());
    let text = tracing_subscriber::fmt::layer()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let writer = match args.log_format {
        LogFormat::Text => text.boxed(),
        LogFormat::Json => text.json().boxed(),
    };
    // A parser's messages during a parse are counted on its budget and summarised (parser_noise).
    tracing_subscriber::registry()
        .with(filter)
        .with(crate::parser_noise::CountParserNoise)
        .with(writer.with_filter(crate::parser_noise::QuietParsers))
        .init();
    let config = load_config(&args)?;
    if args.print_config {
        print!("{}", toml::to_string_pretty(&config)?);
        return Ok(());
    }
    // The port first: a hub that cannot listen must not make a data directory's key and first
    // checkpoint on the way to saying so (outside tests, round 20, m12).
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let hub = ecenter_server::Hub::open(config.clone(), config.listen)?;
    let signals = StopSignals::listen().context("cannot watch SIGINT and SIGTERM")?;
    println!("listening on {}", listener.local_addr()?);
    hub.serve(listener, shutdown_signal(signals)).await?;
    Ok(())
}

/// Exit status after a second stop signal: 128 + SIGINT, as shells report an interrupted program.
const STOPPED_AT_ONCE: i32 = 130;

/// SIGINT (Ctrl-C) and SIGTERM, listened to from the moment this is made: made before the hub
/// says where it listens, so neither a signal sent right after that line nor a second one sent
/// while the first is handled is missed (or, unhandled, kills the process without its stop).
struct StopSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn listen() -> std::io::Result<StopSignals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(StopSignals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// The next SIGINT or SIGTERM.
    async fn next(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {},
            _ = self.terminate.recv() => {},
        }
    }
}

/// Resolves at the first SIGINT or SIGTERM, which starts the graceful stop (bounded by
/// `stop_grace_secs`); from then on a second signal ends the process at once. Nothing
/// acknowledged is lost by that: every acknowledged event is already durable, and service work
/// leased when the process ends is given back at the next start (counted as in doubt).
async fn shutdown_signal(mut signals: StopSignals) {
    signals.next().await;
    tokio::spawn(async move {
        signals.next().await;
        tracing::warn!("a second stop signal: exiting now, without waiting for requests in flight");
        eprintln!(
            "ecenterd: second stop signal: exiting now; requests in flight are cut, leased work is given back at the next start"
        );
        std::process::exit(STOPPED_AT_ONCE);
    });
}

/// clap's own checks (unique argument and group names, valid `requires`), which otherwise panic
/// only when the command is run.
#[test]
fn the_command_line_is_consistent() {
    <Args as clap::CommandFactory>::command().debug_assert();
}
