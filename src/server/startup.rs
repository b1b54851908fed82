//! Builds the application from its configuration: database (migrated), shared keys, mailer, HTTP server with
//! middleware (request IDs and tracing, security headers, the visitor), Leptos pages and server functions, health
//! check and static files.

use actix_files::Files;
use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpMessage, HttpResponse, HttpServer};
use leptos::config::{get_configuration, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_actix::{generate_route_list, LeptosRoutes};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use tracing_actix_web::{RequestId, TracingLogger};

use crate::app::{shell, App as PortcullisApp};
use crate::server::auth::csrf::CsrfKey;
use crate::server::auth::visitor;
use crate::server::clock::Clock;
use crate::server::config::Config;
use crate::server::containment;
use crate::server::db;
use crate::server::mail::Mailer;
use crate::server::pool::Pools;
use crate::server::security;
use crate::server::services::maintenance;
use crate::server::state::{shared_secret, AppState};

/// The largest body a server function accepts. Metadata uploads are the largest forms: up to 100 KiB of XML,
/// which form encoding can make three times as long (`<` is sent as `%3C`).
pub const SERVER_FUNCTION_BODY_LIMIT: usize = 512 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Mail(#[from] crate::server::mail::MailError),
    #[error("leptos configuration: {0}")]
    Leptos(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Other(String),
}

/// A built application, bound to its port and ready to run.
pub struct Application {
    pub addr: SocketAddr,
    pub state: AppState,
    server: Server,
}

/// Leptos' own settings: `Leptos.toml` when present (environment variables `LEPTOS_*` override it), else the
/// environment that cargo-leptos sets.
fn leptos_options() -> Result<LeptosOptions, StartupError> {
    let file = Path::new("Leptos.toml");
    let conf = if file.exists() {
        get_configuration(Some("Leptos.toml"))
    } else {
        get_configuration(None)
    }
    .map_err(|e| StartupError::Leptos(e.to_string()))?;
    Ok(conf.leptos_options)
}

/// Connects and migrates the database and prepares the shared state.
pub async fn prepare_state(
    config: Config,
    clock: Arc<dyn Clock>,
) -> Result<AppState, StartupError> {
    let db = db::connect_and_migrate(&config.database_url()).await?;
    let csrf_key = shared_secret(&db, "csrf", clock.now())
        .await
        .map_err(|e| StartupError::Other(format!("cannot load the CSRF key: {}", e.message)))?;
    let mailer = Mailer::from_config(&config)?;
    Ok(AppState {
        db,
        config: Arc::new(config),
        clock,
        mailer,
        csrf: CsrfKey::new(csrf_key),
        pools: Pools::per_core().map_err(StartupError::Other)?,
    })
}

impl Application {
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> Result<Self, StartupError> {
        let listen = config.listen;
        let state = prepare_state(config, clock).await?;
        let listener = TcpListener::bind(listen).map_err(|source| StartupError::Listen {
            addr: listen,
            source,
        })?;
        let addr = listener
            .local_addr()
            .map_err(|source| StartupError::Listen {
                addr: listen,
                source,
            })?;
        let mut options = leptos_options()?;
        options.site_addr = addr;
        let server = http_server(state.clone(), options, listener)?;
        maintenance::spawn(state.clone());
        tracing::info!(%addr, base_url = %state.config.base_url, "listening");
        Ok(Self {
            addr,
            state,
            server,
        })
    }

    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}

async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.ping().await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({"status": "ok"})),
        Err(err) => {
            tracing::error!(error = %err, "health check: database unreachable");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({"status": "database unavailable"}))
        }
    }
}

fn http_server(
    state: AppState,
    options: LeptosOptions,
    listener: TcpListener,
) -> Result<Server, StartupError> {
    let site_root = options.site_root.to_string();
    let https = state.config.secure_cookies();
    // The route list is computed once by rendering the app's router; every worker gets a copy.
    let routes = generate_route_list(PortcullisApp);
    let server = HttpServer::new(move || {
        let routes = routes.clone();
        let context_state = state.clone();
        let shell_options = options.clone();
        App::new()
            .app_data(web::Data::new(state.clone()))
            .app_data(web::Data::new(options.clone()))
            // Every server function's body (all forms): read whole, so bounded (README, "Limits").
            .app_data(web::PayloadConfig::new(SERVER_FUNCTION_BODY_LIMIT))
            .route("/healthz", web::get().to(healthz))
            .configure(crate::server::saml::routes::configure)
            .configure(crate::server::rest::configure)
            .configure(crate::server::exports::configure)
            .service(Files::new("/pkg", format!("{site_root}/pkg")))
            .leptos_routes_with_context(
                routes,
                {
                    let context_state = context_state.clone();
                    move || provide_context(context_state.clone())
                },
                {
                    let shell_options = shell_options.clone();
                    move || shell(shell_options.clone())
                },
            )
            // Static assets; any other path renders the app, whose router shows the not-found page with a 404.
            .service(Files::new("/", site_root.clone()).default_handler(
                leptos_actix::render_app_async_with_context(
                    move || provide_context(context_state.clone()),
                    move || shell(shell_options.clone()),
                    leptos_router::Method::Get,
                ),
            ))
            .wrap(from_fn(visitor::middleware))
            .wrap(security::default_headers(https))
            .wrap(Compress::default())
            .wrap(from_fn(containment::contain))
            .wrap(from_fn(request_id_header))
            .wrap(TracingLogger::default())
    })
    .listen(listener)
    .map_err(|e| StartupError::Other(e.to_string()))?
    .run();
    Ok(server)
}

/// Echoes the request ID that tracing assigned, so a person reporting a problem can quote it.
async fn request_id_header(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<
    actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody + 'static>,
    actix_web::Error,
> {
    let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let mut res = next.call(req).await?;
    if let Some(value) = request_id.and_then(|id| header::HeaderValue::from_str(&id).ok()) {
        res.headers_mut()
            .insert(header::HeaderName::from_static("x-request-id"), value);
    }
    Ok(res)
}
