//! The test harness: starts the real application on port 0 with a fresh database (SQLite, and PostgreSQL too when
//! `TEST_DATABASE_URL` is set) and a real SMTP server on loopback whose messages the test reads; drives it like a
//! browser does, through cookies, CSRF tokens and server-function endpoints.

use mailin_embedded::response::OK;
use mailin_embedded::{Handler, Response, Server, SslConfig};
use portcullis::server::clock::ManualClock;
use portcullis::server::config::Config;
use portcullis::server::startup::Application;
use portcullis::server::state::AppState;
use reqwest::header::{HeaderMap, ACCEPT};
use serde_json::Value;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::OnceCell;

/// A strong password for tests.
pub const PASSWORD: &str = "violet-tractor-mango-71";

#[derive(Clone, Debug)]
pub struct Mail {
    pub to: Vec<String>,
    pub raw: String,
}

impl Mail {
    pub fn subject(&self) -> String {
        self.raw
            .lines()
            .find_map(|l| l.strip_prefix("Subject: "))
            .unwrap_or_default()
            .to_string()
    }

    /// The body with quoted-printable soft line breaks and `=3D` undone.
    pub fn body(&self) -> String {
        let body = self
            .raw
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .unwrap_or(&self.raw);
        body.replace("=\r\n", "").replace("=3D", "=")
    }

    /// The path and query of the first link to this app in the message.
    pub fn link_path(&self) -> String {
        let body = self.body();
        let start = body.find("http://").expect("the email has a link");
        let link: String = body[start..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        let after_scheme = &link["http://".len()..];
        let path_start = after_scheme.find('/').expect("the link has a path");
        after_scheme[path_start..].to_string()
    }
}

#[derive(Clone, Default)]
struct Collector {
    mails: Arc<Mutex<Vec<Mail>>>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Collector {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let mail = Mail {
            to: self.to.clone(),
            raw: String::from_utf8_lossy(&self.data).into_owned(),
        };
        self.mails.lock().unwrap().push(mail);
        OK
    }
}

/// A real SMTP server on loopback, collecting what it receives.
#[derive(Clone)]
pub struct Mailbox {
    mails: Arc<Mutex<Vec<Mail>>>,
    pub port: u16,
}

impl Mailbox {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let collector = Collector::default();
        let mails = collector.mails.clone();
        let mut server = Server::new(collector);
        server
            .with_name("mail.test")
            .with_ssl(SslConfig::None)
            .unwrap()
            // A thread per connection: the app's SMTP pool keeps a few connections open (idle) after a burst of
            // messages, and each would otherwise hold one of too few threads while the next connection waits.
            .with_num_threads(16)
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Self { mails, port }
    }

    pub fn all(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    fn find(&self, to: &str, subject_part: &str) -> Option<Mail> {
        self.all().into_iter().rev().find(|m| {
            m.to.iter().any(|t| t.eq_ignore_ascii_case(to)) && m.subject().contains(subject_part)
        })
    }

    /// Waits up to twenty seconds (a loaded machine delivers slowly) for the newest message to `to` whose subject contains `subject_part`.
    pub async fn wait_for(&self, to: &str, subject_part: &str) -> Mail {
        for _ in 0..400 {
            if let Some(mail) = self.find(to, subject_part) {
                return mail;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "no mail to {to} with subject containing {subject_part:?}; received: {:?}",
            self.all()
                .iter()
                .map(|m| (m.to.clone(), m.subject()))
                .collect::<Vec<_>>()
        );
    }

    pub fn count_to(&self, to: &str) -> usize {
        self.all()
            .iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
            .count()
    }
}

/// The database engines every database test runs on.
#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

pub fn backends() -> Vec<Backend> {
    let mut list = vec![Backend::Sqlite];
    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        if url.starts_with("postgres") {
            list.push(Backend::Postgres(url));
        }
    }
    list
}

static PG_CLEANED: OnceCell<()> = OnceCell::const_new();

/// Test databases are named `pc_test_{unix seconds}_{random}`; those older than this were left by earlier runs.
const STALE_AFTER_SECONDS: i64 = 3600;

fn created_at(database: &str) -> Option<i64> {
    database
        .strip_prefix("pc_test_")?
        .split('_')
        .next()?
        .parse()
        .ok()
}

/// Creates a fresh PostgreSQL database for one test and returns its URL; the first call of a test run drops the
/// databases that earlier runs left behind (over an hour old, so a run going on beside this one keeps its own).
async fn fresh_postgres(server_url: &str) -> String {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let admin = Database::connect(server_url)
        .await
        .expect("connect to TEST_DATABASE_URL");
    PG_CLEANED
        .get_or_init(|| async {
            let rows = admin
                .query_all_raw(Statement::from_string(
                    admin.get_database_backend(),
                    "SELECT datname FROM pg_database WHERE datname LIKE 'pc_test_%'",
                ))
                .await
                .unwrap();
            let now = chrono::Utc::now().timestamp();
            for row in rows {
                let name: String = row.try_get("", "datname").unwrap();
                if created_at(&name).is_some_and(|at| now - at < STALE_AFTER_SECONDS) {
                    continue;
                }
                let _ = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await;
            }
        })
        .await;
    let name = format!(
        "pc_test_{}_{}",
        chrono::Utc::now().timestamp(),
        uuid::Uuid::new_v4().simple()
    );
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create test database");
    admin.close().await.ok();
    let (base, _) = server_url
        .rsplit_once('/')
        .expect("TEST_DATABASE_URL has a database name");
    format!("{base}/{name}")
}

pub struct TestApp {
    pub address: String,
    pub mail: Mailbox,
    pub clock: ManualClock,
    pub state: AppState,
    _data_dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn spawn(backend: &Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts an app whose configuration `adjust` may change (e.g. low rate limits).
    pub async fn spawn_with(backend: &Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
        eprintln!("database backend: {backend:?}");
        let data_dir = tempfile::tempdir().unwrap();
        let mail = Mailbox::start();
        let database_url = match backend {
            Backend::Sqlite => format!(
                "sqlite://{}?mode=rwc",
                data_dir.path().join("test.db").display()
            ),
            Backend::Postgres(url) => fresh_postgres(url).await,
        };
        let mut config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: data_dir.path().to_path_buf(),
            database_url: Some(database_url),
            smtp_url: Some(format!("smtp://127.0.0.1:{}", mail.port)),
            rate_limit_per_ip: 10_000,
            rate_limit_per_account: 10_000,
            ..Config::default()
        };
        adjust(&mut config);
        let clock = ManualClock::default();
        let app = Application::build(config, Arc::new(clock.clone()))
            .await
            .expect("app starts");
        let address = format!("http://{}", app.addr);
        let state = app.state.clone();
        tokio::spawn(app.run());
        TestApp {
            address,
            mail,
            clock,
            state,
            _data_dir: data_dir,
        }
    }

    /// A new browser with its own cookies.
    pub fn browser(&self) -> Browser {
        self.browser_with_headers(HeaderMap::new())
    }

    /// A browser that sends `name: value` with every request (e.g. a proxy's `X-Forwarded-For`).
    pub fn browser_with_header(&self, name: &'static str, value: &str) -> Browser {
        let mut headers = HeaderMap::new();
        headers.insert(name, value.parse().unwrap());
        self.browser_with_headers(headers)
    }

    fn browser_with_headers(&self, headers: HeaderMap) -> Browser {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        Browser {
            address: self.address.clone(),
            client: reqwest::Client::builder()
                .cookie_provider(jar.clone())
                .default_headers(headers)
                // Shorter than the server's 5 s keep-alive, so a connection the server is closing is never reused.
                .pool_idle_timeout(Duration::from_secs(3))
                // A stuck request fails its test instead of hanging the run.
                .timeout(Duration::from_secs(60))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar,
        }
    }

    /// Signs up, follows the verification link and logs in; returns the signed-in browser.
    pub async fn signed_in_user(&self, name: &str, email: &str) -> Browser {
        let browser = self.browser();
        browser.sign_up(name, email, PASSWORD).await.assert_ok();
        let mail = self.mail.wait_for(email, "Verify your email").await;
        browser.verify(&mail).await.assert_ok();
        browser.log_in(email, PASSWORD).await.assert_ok();
        browser
    }
}

/// The outcome of a server-function call.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        assert!(
            (200..400).contains(&self.status),
            "expected success, got {} {}",
            self.status,
            self.body
        );
        self
    }

    /// Asserts a refusal with this HTTP status and error code, and returns the error's JSON.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status, status, "status; body: {}", self.body);
        assert_eq!(self.body["code"], code, "code; body: {}", self.body);
        assert!(self.body["message"].as_str().is_some_and(|m| !m.is_empty()));
        &self.body
    }

    pub fn field(&self) -> Option<&str> {
        self.body["field"].as_str()
    }

    pub fn location(&self) -> Option<String> {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

/// A browser: its own cookie jar, calling pages and server functions the way the hydrated app does. A clone is
/// the same browser (shared cookie jar).
#[derive(Clone)]
pub struct Browser {
    pub address: String,
    pub client: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
}

impl Browser {
    fn url(&self) -> reqwest::Url {
        self.address.parse().unwrap()
    }

    /// The `Cookie` header this browser sends, e.g. `pc_pre=…; pc_session=…`.
    pub fn cookies(&self) -> String {
        use reqwest::cookie::CookieStore;
        self.jar
            .cookies(&self.url())
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }

    /// Stores cookies given as a `Cookie` header (`a=1; b=2`).
    pub fn set_cookie(&self, header: &str) {
        for pair in header.split("; ").filter(|p| !p.is_empty()) {
            self.jar
                .add_cookie_str(&format!("{pair}; Path=/"), &self.url());
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .header(ACCEPT, "text/html")
            .send()
            .await
            .unwrap()
    }

    /// The visit: who is signed in and this browser's CSRF token.
    pub async fn visit(&self) -> Value {
        self.call_raw("visit", &[]).await.body
    }

    pub async fn csrf(&self) -> String {
        self.visit().await["csrf_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn signed_in_email(&self) -> Option<String> {
        self.visit().await["user"]["email"]
            .as_str()
            .map(str::to_owned)
    }

    /// Calls a server function without adding a CSRF token.
    pub async fn call_raw(&self, endpoint: &str, form: &[(&str, &str)]) -> Reply {
        let response = self
            .client
            .post(format!("{}/api/{endpoint}", self.address))
            .header(ACCEPT, "application/json")
            .form(form)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Calls a state-changing server function with this browser's CSRF token.
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> Reply {
        let token = self.csrf().await;
        let mut with_token = vec![("csrf_token", token.as_str())];
        with_token.extend_from_slice(form);
        self.call_raw(endpoint, &with_token).await
    }

    pub async fn sign_up(&self, name: &str, email: &str, password: &str) -> Reply {
        self.call(
            "sign_up",
            &[("name", name), ("email", email), ("password", password)],
        )
        .await
    }

    pub async fn verify(&self, mail: &Mail) -> Reply {
        let path = mail.link_path();
        let token = path
            .split("token=")
            .nth(1)
            .expect("verification link has a token");
        self.call_raw("verify_email", &[("token", token)]).await
    }

    pub async fn log_in(&self, email: &str, password: &str) -> Reply {
        self.call("log_in", &[("email", email), ("password", password)])
            .await
    }

    pub fn cookie_header(&self, reply: &Reply) -> Vec<String> {
        reply
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }
}

/// `owner` invites `member` (signed in as `email`) to the organization with `role`, and `member` accepts.
pub async fn join_organization(
    app: &TestApp,
    owner: &Browser,
    member: &Browser,
    organization_id: i64,
    email: &str,
    role: &str,
) {
    owner
        .call(
            "invite_member",
            &[
                ("organization_id", &organization_id.to_string()),
                ("email", email),
                ("role", role),
            ],
        )
        .await
        .assert_ok();
    let mail = app.mail.wait_for(email, "Join ").await;
    member
        .call(
            "accept_invitation",
            &[("token", &token_of(&mail.link_path()))],
        )
        .await
        .assert_ok();
}

/// The user id of the member with `email`, read from the organization page's data as `viewer` sees it.
pub async fn member_id(viewer: &Browser, organization_id: &str, email: &str) -> String {
    let detail = viewer
        .call_raw("organization", &[("organization_id", organization_id)])
        .await
        .body;
    detail["members"]
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["email"] == email)
        .expect("a member with this email")["user_id"]
        .to_string()
}

/// Token from a link path such as `/reset-password?token=…` or `/invitations/…`.
pub fn token_of(path: &str) -> String {
    match path.split_once("token=") {
        Some((_, token)) => token.to_string(),
        None => path.rsplit('/').next().unwrap().to_string(),
    }
}

/// The TOTP code an authenticator app with `secret` (base32) shows at the app's current time, computed with the
/// totp-rs crate directly (RFC 6238: SHA-1, 6 digits, 30 s).
pub fn totp_code(app: &TestApp, secret: &str) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_string())
        .to_bytes()
        .expect("base32 secret");
    let generator = totp_rs::TOTP::new_unchecked(
        totp_rs::Algorithm::SHA1,
        6,
        0,
        30,
        bytes,
        None,
        String::new(),
    );
    generator.generate(app.state.now().timestamp() as u64)
}

/// Moves the app's clock to the start of the next 30-second TOTP step, so a new code is shown.
pub fn next_totp_step(app: &TestApp) {
    let now = app.state.now().timestamp();
    let to_next = 30 - now.rem_euclid(30);
    app.clock.advance(chrono::Duration::seconds(to_next));
}

/// A REST API response.
#[derive(Debug)]
pub struct ApiReply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl ApiReply {
    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "body: {}", self.body);
        &self.body
    }

    /// Asserts a refusal with this status and code, as JSON `{code, message}`.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status, status, "status; body: {}", self.body);
        assert_eq!(self.body["code"], code, "code; body: {}", self.body);
        assert!(self.body["message"].as_str().is_some_and(|m| !m.is_empty()));
        &self.body
    }
}

impl TestApp {
    /// Calls the REST API with `key` (as `Authorization: Bearer …`, when given) and an optional JSON body.
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> ApiReply {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = client.request(method, format!("{}{path}", self.address));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        ApiReply {
            status,
            headers,
            body,
        }
    }
}
