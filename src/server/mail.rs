//! Outgoing email. Through SMTP (lettre) when `smtp_url` is configured; otherwise each message is written to the
//! outbox directory as an `.eml` file and logged, so development needs no mail server.

use lettre::message::{header::ContentType, Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::path::PathBuf;

use crate::server::config::{redact_url, Config};

/// An email ready to send.
#[derive(Clone, Debug)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Outbox {
        dir: PathBuf,
        from: Mailbox,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail configuration: {0}")]
    Config(String),
    #[error("mail delivery: {0}")]
    Delivery(String),
}

impl Mailer {
    pub fn from_config(config: &Config) -> Result<Self, MailError> {
        let from: Mailbox = config
            .mail_from
            .parse()
            .map_err(|e| MailError::Config(format!("mail_from {:?}: {e}", config.mail_from)))?;
        match &config.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| MailError::Config(format!("smtp_url {}: {e}", redact_url(url))))?
                    .build();
                Ok(Mailer::Smtp { transport, from })
            }
            None => {
                let dir = config.outbox_dir();
                std::fs::create_dir_all(&dir).map_err(|e| {
                    MailError::Config(format!("cannot create outbox {}: {e}", dir.display()))
                })?;
                Ok(Mailer::Outbox { dir, from })
            }
        }
    }

    pub async fn send(&self, email: &Email) -> Result<(), MailError> {
        let from = match self {
            Mailer::Smtp { from, .. } | Mailer::Outbox { from, .. } => from.clone(),
        };
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e| MailError::Delivery(format!("recipient {:?}: {e}", email.to)))?;
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(email.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(email.body.clone())
            .map_err(|e| MailError::Delivery(e.to_string()))?;
        match self {
            Mailer::Smtp { transport, .. } => {
                transport
                    .send(message)
                    .await
                    .map_err(|e| MailError::Delivery(e.to_string()))?;
                tracing::info!(to = %email.to, subject = %email.subject, "email sent");
            }
            Mailer::Outbox { dir, .. } => {
                let name = format!(
                    "{}-{}.eml",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"),
                    email
                        .to
                        .chars()
                        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                        .collect::<String>()
                );
                let path = dir.join(&name);
                // Written beside it, then renamed: whoever reads the outbox never sees half a message.
                let partial = dir.join(format!(".{name}.partial"));
                tokio::fs::write(&partial, message.formatted())
                    .await
                    .map_err(|e| MailError::Delivery(format!("{}: {e}", partial.display())))?;
                tokio::fs::rename(&partial, &path)
                    .await
                    .map_err(|e| MailError::Delivery(format!("{}: {e}", path.display())))?;
                tracing::info!(to = %email.to, subject = %email.subject, path = %path.display(),
                    "email written to the outbox (no smtp_url configured)");
            }
        }
        Ok(())
    }

    /// Sends after the request has been answered, logging a failure (the person can ask for the message again).
    /// Off the request path, the answer takes the same time whether or not a message goes out, so its timing does
    /// not tell whether an address has an account.
    pub fn send_in_background(&self, email: Email) {
        let mailer = self.clone();
        tokio::spawn(async move {
            if let Err(err) = mailer.send(&email).await {
                tracing::error!(to = %email.to, subject = %email.subject, error = %err, "email not sent");
            }
        });
    }
}
