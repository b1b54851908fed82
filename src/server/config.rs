//! Configuration: built-in defaults, then an optional TOML file, then `PORTCULLIS_*` environment variables (and the
//! conventional `DATABASE_URL`). Unknown keys are refused at start-up; secrets are redacted from `Debug`.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Public URL people reach the app at; used in emails and, later, SAML URLs. No trailing slash.
    pub base_url: String,
    /// Address the HTTP server binds to.
    pub listen: SocketAddr,
    /// Directory for the embedded SQLite database and the development outbox.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; defaults to a SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// Where the compiled site (`pkg/`, CSS, assets) lives.
    pub site_root: PathBuf,
    /// `smtps://user:pass@host:465` (TLS), `smtp://user:pass@host:587?tls=required` (STARTTLS), or
    /// `smtp://host:25` (unencrypted: only for a relay on the same host). Without it, mail goes to `outbox_dir`.
    pub smtp_url: Option<String>,
    /// Sender of every email.
    pub mail_from: String,
    /// Development outbox; defaults to `data_dir/outbox`.
    pub outbox_dir: Option<PathBuf>,
    /// A signed-in session ends after this long without a request.
    pub session_idle_minutes: i64,
    /// A signed-in session ends this long after login, however active.
    pub session_absolute_hours: i64,
    /// No SSO session lasts longer than this, whatever its identity provider's setting (at most 24 hours).
    pub sso_session_max_minutes: i64,
    /// Attempts per IP address per 15 minutes for login, signup and password reset.
    pub rate_limit_per_ip: u32,
    /// Attempts per account (email) per 15 minutes for login and password reset.
    pub rate_limit_per_account: u32,
    /// SAML responses posted to the ACS per IP address per 15 minutes (a whole office may share one address).
    pub acs_rate_limit_per_ip: u32,
    /// SAML responses posted to one identity provider's ACS per 15 minutes, from everywhere.
    pub acs_rate_limit_per_idp: u32,
    /// The DNS server domain verification asks (`host:port`); the system's resolver when unset.
    pub dns_nameserver: Option<SocketAddr>,
    /// Requests per API key per minute on the REST API.
    pub api_requests_per_key_per_minute: u32,
    /// Honour `X-Forwarded-For` from the proxy in front of the app (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// `text` or `json`.
    pub log_format: LogFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            base_url: "http://127.0.0.1:3000".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            data_dir: PathBuf::from("data"),
            database_url: None,
            site_root: PathBuf::from("target/site"),
            smtp_url: None,
            mail_from: "Portcullis <no-reply@portcullis.localhost>".into(),
            outbox_dir: None,
            session_idle_minutes: 8 * 60,
            session_absolute_hours: 7 * 24,
            sso_session_max_minutes: 24 * 60,
            rate_limit_per_ip: 50,
            rate_limit_per_account: 10,
            acs_rate_limit_per_ip: 300,
            acs_rate_limit_per_idp: 20_000,
            dns_nameserver: None,
            api_requests_per_key_per_minute: 600,
            trust_forwarded_for: false,
            log_format: LogFormat::Text,
        }
    }
}

/// Errors that stop start-up.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Loads defaults → `file` (if given) → environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::Invalid(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment
            .merge(Env::raw().only(&["DATABASE_URL"]))
            .merge(Env::prefixed("PORTCULLIS_").ignore(&["CONFIG"]));
        let config: Config = figment
            .extract()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let url = url::Url::parse(&self.base_url)
            .map_err(|e| ConfigError::Invalid(format!("base_url {:?}: {e}", self.base_url)))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(ConfigError::Invalid(format!(
                "base_url {:?} must be an http or https URL",
                self.base_url
            )));
        }
        if self.base_url.ends_with('/') {
            return Err(ConfigError::Invalid(format!(
                "base_url {:?} must not end with a slash",
                self.base_url
            )));
        }
        if !(1..=24 * 60).contains(&self.sso_session_max_minutes) {
            return Err(ConfigError::Invalid(
                "sso_session_max_minutes must be between 1 and 1440 (24 hours)".into(),
            ));
        }
        if self.session_idle_minutes < 1 || self.session_absolute_hours < 1 {
            return Err(ConfigError::Invalid(
                "session lifetimes must be positive".into(),
            ));
        }
        if let Some(db) = &self.database_url {
            if !(db.starts_with("sqlite:")
                || db.starts_with("postgres://")
                || db.starts_with("postgresql://"))
            {
                return Err(ConfigError::Invalid(
                    "database_url must start with sqlite:, postgres:// or postgresql://".into(),
                ));
            }
        }
        Ok(())
    }

    /// Cookies get the `Secure` attribute when the public URL is https.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("portcullis.db").display()
            )
        })
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.outbox_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("outbox"))
    }
}

/// Replaces the password in a URL by `***`.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        Ok(url) => url.to_string(),
        Err(_) => "<unparseable url>".into(),
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("base_url", &self.base_url)
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact_url(&self.database_url()))
            .field("site_root", &self.site_root)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("mail_from", &self.mail_from)
            .field("outbox_dir", &self.outbox_dir())
            .field("session_idle_minutes", &self.session_idle_minutes)
            .field("session_absolute_hours", &self.session_absolute_hours)
            .field("sso_session_max_minutes", &self.sso_session_max_minutes)
            .field("rate_limit_per_ip", &self.rate_limit_per_ip)
            .field("rate_limit_per_account", &self.rate_limit_per_account)
            .field("dns_nameserver", &self.dns_nameserver)
            .field(
                "api_requests_per_key_per_minute",
                &self.api_requests_per_key_per_minute,
            )
            .field("trust_forwarded_for", &self.trust_forwarded_for)
            .field("log_format", &self.log_format)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn unknown_key_in_file_is_refused() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "base_url = \"https://example.com\"\nbogus = 1").unwrap();
        let err = Config::load(Some(file.path())).unwrap_err().to_string();
        assert!(err.contains("bogus"), "{err}");
    }

    #[test]
    fn file_values_are_read_and_secrets_redacted() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(
            file,
            "base_url = \"https://dash.example.com\"\nsmtp_url = \"smtp://mailer:hunter2@mail.example.com:587\""
        )
        .unwrap();
        let config = Config::load(Some(file.path())).unwrap();
        assert!(config.secure_cookies());
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("***"));
    }

    #[test]
    fn base_url_with_trailing_slash_is_refused() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "base_url = \"https://example.com/\"").unwrap();
        assert!(Config::load(Some(file.path())).is_err());
    }
}
