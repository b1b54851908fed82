//! The `portcullis` server binary: `serve` (default) runs the web app, `migrate` applies database migrations,
//! `saml check-response` runs the ACS validator offline.

#[cfg(feature = "ssr")]
mod cli {
    use clap::{Parser, Subcommand};
    use portcullis::server::clock::SystemClock;
    use portcullis::server::config::{Config, LogFormat};
    use portcullis::server::{db, startup::Application, telemetry};
    use std::path::PathBuf;
    use std::sync::Arc;

    #[derive(Parser)]
    #[command(
        name = "portcullis",
        version,
        about = "Portcullis: cloud dashboard with enterprise SSO"
    )]
    struct Cli {
        /// TOML configuration file (also PORTCULLIS_CONFIG). Environment variables PORTCULLIS_* override it.
        #[arg(long, global = true, env = "PORTCULLIS_CONFIG")]
        config: Option<PathBuf>,
        /// Log format: text or json (overrides the configuration's log_format).
        #[arg(long, global = true, value_parser = ["text", "json"])]
        log_format: Option<String>,
        #[command(subcommand)]
        command: Option<Command>,
    }

    #[derive(Subcommand)]
    enum Command {
        /// Run the web server (the default).
        Serve,
        /// Apply pending database migrations and exit.
        Migrate,
        /// SAML tools for administrators.
        #[command(subcommand)]
        Saml(SamlCommand),
    }

    #[derive(Subcommand)]
    enum SamlCommand {
        /// Validate a SAML response offline with the same checks as the ACS; prints one JSON object.
        /// Exit code 0: accepted, 1: rejected, 2: usage error.
        CheckResponse(CheckResponseArgs),
    }

    #[derive(clap::Args)]
    struct CheckResponseArgs {
        /// The identity provider's metadata XML file.
        #[arg(long)]
        metadata: PathBuf,
        /// The response: raw XML or its base64 (the SAMLResponse form value).
        #[arg(long)]
        response: PathBuf,
        /// Our SP entity ID for this identity provider (its Audience).
        #[arg(long)]
        sp_entity_id: String,
        /// Our ACS URL (Destination and Recipient).
        #[arg(long)]
        acs_url: String,
        /// The AuthnRequest ID the response should answer; without it only IdP-initiated responses can pass.
        #[arg(long)]
        request_id: Option<String>,
        /// Validate as of this time (RFC 3339), e.g. when the response was received; default: now.
        #[arg(long)]
        at: Option<String>,
        #[arg(long)]
        allow_sha1: bool,
        #[arg(long)]
        allow_idp_initiated: bool,
        /// email or persistent (default: the first the metadata offers, else email).
        #[arg(long)]
        name_id_format: Option<String>,
        /// Allowed clock skew in seconds (default 180).
        #[arg(long)]
        clock_skew: Option<i64>,
    }

    fn check_response(args: CheckResponseArgs) -> std::process::ExitCode {
        use portcullis::server::saml::check::{check_response, CheckRequest};
        let usage = |message: String| {
            eprintln!("portcullis saml check-response: {message}");
            std::process::ExitCode::from(2)
        };
        let metadata = match std::fs::read_to_string(&args.metadata) {
            Ok(text) => text,
            Err(e) => return usage(format!("cannot read {}: {e}", args.metadata.display())),
        };
        let response = match std::fs::read(&args.response) {
            Ok(bytes) => bytes,
            Err(e) => return usage(format!("cannot read {}: {e}", args.response.display())),
        };
        let at = match args.at.as_deref() {
            None => chrono::Utc::now(),
            Some(raw) => match chrono::DateTime::parse_from_rfc3339(raw) {
                Ok(at) => at.with_timezone(&chrono::Utc),
                Err(e) => return usage(format!("--at {raw:?} is not an RFC 3339 time: {e}")),
            },
        };
        let request = CheckRequest {
            metadata_xml: &metadata,
            response: &response,
            sp_entity_id: &args.sp_entity_id,
            acs_url: &args.acs_url,
            request_id: args.request_id.as_deref(),
            at,
            allow_sha1: args.allow_sha1,
            allow_idp_initiated: args.allow_idp_initiated,
            name_id_format: args.name_id_format.as_deref(),
            clock_skew_seconds: args.clock_skew,
        };
        match check_response(&request) {
            Ok(verdict) => {
                match serde_json::to_string(&verdict) {
                    Ok(json) => println!("{json}"),
                    Err(e) => return usage(format!("cannot print the verdict: {e}")),
                }
                if verdict.ok {
                    std::process::ExitCode::SUCCESS
                } else {
                    std::process::ExitCode::from(1)
                }
            }
            Err(e) => usage(e.0),
        }
    }

    pub async fn main() -> std::process::ExitCode {
        let cli = Cli::parse();
        // Offline tools need neither configuration nor database.
        if let Some(Command::Saml(SamlCommand::CheckResponse(args))) = cli.command {
            return check_response(args);
        }
        let mut config = match Config::load(cli.config.as_deref()) {
            Ok(config) => config,
            Err(err) => {
                eprintln!("portcullis: {err}");
                return std::process::ExitCode::from(2);
            }
        };
        if let Some(format) = cli.log_format.as_deref() {
            config.log_format = if format == "json" {
                LogFormat::Json
            } else {
                LogFormat::Text
            };
        }
        telemetry::init(config.log_format);
        tracing::debug!(?config, "configuration loaded");
        let outcome = match cli.command.unwrap_or(Command::Serve) {
            Command::Migrate => db::connect_and_migrate(&config.database_url())
                .await
                .map(|_| tracing::info!("migrations applied"))
                .map_err(|e| e.to_string()),
            Command::Saml(_) => Ok(()),
            Command::Serve => match Application::build(config, Arc::new(SystemClock)).await {
                Ok(app) => app.run().await.map_err(|e| e.to_string()),
                Err(err) => Err(err.to_string()),
            },
        };
        match outcome {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(err) => {
                tracing::error!(error = %err, "portcullis stopped");
                eprintln!("portcullis: {err}");
                std::process::ExitCode::FAILURE
            }
        }
    }
}

#[cfg(feature = "ssr")]
#[actix_web::main]
async fn main() -> std::process::ExitCode {
    cli::main().await
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser bundle is built from the library; this binary needs the "ssr" feature.
}
