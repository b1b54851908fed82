//! CSRF tokens: HMAC-SHA256 of the browser's session (or pre-login) cookie under a server key kept in the database,
//! so every app instance accepts every other's tokens and a token is useless with another browser's cookie.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::shared::error::{AppError, ErrorCode};

/// The form field (and header `x-csrf-token`) that carries the token.
pub const FIELD: &str = "csrf_token";

#[derive(Clone)]
pub struct CsrfKey(Vec<u8>);

impl CsrfKey {
    pub fn new(key: Vec<u8>) -> Self {
        Self(key)
    }

    /// The token for a browser identified by `binding` (its session or pre-login cookie value).
    pub fn token_for(&self, binding: &str) -> String {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            // HMAC accepts keys of any length; this arm cannot be reached.
            Err(_) => return String::new(),
        };
        mac.update(b"portcullis-csrf\0");
        mac.update(binding.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Checks a submitted token against the browser's binding.
    pub fn verify(&self, binding: Option<&str>, submitted: Option<&str>) -> Result<(), AppError> {
        let submitted = match submitted.map(str::trim) {
            Some(s) if !s.is_empty() => s,
            _ => return Err(AppError::new(ErrorCode::CsrfMissing)),
        };
        let binding = binding.ok_or_else(|| AppError::new(ErrorCode::CsrfInvalid))?;
        let expected = self.token_for(binding);
        if expected.as_bytes().ct_eq(submitted.as_bytes()).into() {
            Ok(())
        } else {
            Err(AppError::new(ErrorCode::CsrfInvalid))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_bound_to_the_browser() {
        let key = CsrfKey::new(vec![7; 32]);
        let token = key.token_for("session-a");
        assert!(key.verify(Some("session-a"), Some(&token)).is_ok());
        assert_eq!(
            key.verify(Some("session-b"), Some(&token))
                .unwrap_err()
                .code,
            ErrorCode::CsrfInvalid
        );
        assert_eq!(
            key.verify(Some("session-a"), None).unwrap_err().code,
            ErrorCode::CsrfMissing
        );
        assert_eq!(
            key.verify(Some("session-a"), Some("  ")).unwrap_err().code,
            ErrorCode::CsrfMissing
        );
        let other_key = CsrfKey::new(vec![8; 32]);
        assert!(other_key.verify(Some("session-a"), Some(&token)).is_err());
    }
}
