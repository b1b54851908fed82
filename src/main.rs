//! The `portcullis` server binary: `serve` (default) runs the web app, `migrate` applies database migrations.

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
    }

    pub async fn main() -> std::process::ExitCode {
        let cli = Cli::parse();
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
