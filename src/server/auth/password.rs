//! Passwords: argon2id with OWASP parameters (19 MiB, 2 passes, 1 lane), hashed on the bounded password pool so the
//! async runtime keeps serving and memory stays at 19 MiB per core however many log in at once; a dummy verification for unknown accounts so timing does not reveal which emails exist;
//! and a strength policy with a specific message for each failure.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;

use crate::server::pool::WorkPool;
use crate::shared::error::{AppError, ErrorCode};

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 128;

fn hasher() -> Argon2<'static> {
    // OWASP Password Storage Cheat Sheet: argon2id, m=19456 KiB, t=2, p=1.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_blocking(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            AppError::new(ErrorCode::Internal)
        })
}

fn verify_blocking(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of a random password, verified against when the account does not exist.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_blocking(&super::tokens::random_token()).unwrap_or_default())
}

/// Hashes on the password pool (bounded: `server.busy` when it is full).
pub async fn hash(pool: &WorkPool, password: String) -> Result<String, AppError> {
    pool.run(move || hash_blocking(&password)).await?
}

/// Verifies `password` against `stored`, or against the dummy hash when there is no stored hash, taking the same
/// time, on the password pool (`server.busy` when it is full, never a wrong "no").
pub async fn verify(
    pool: &WorkPool,
    password: String,
    stored: Option<String>,
) -> Result<bool, AppError> {
    pool.run(move || match stored {
        Some(stored) => verify_blocking(&password, &stored),
        None => {
            let _ = verify_blocking(&password, dummy_hash());
            false
        }
    })
    .await
}

/// Refuses passwords that are too short, too long, contain the person's name or email address, or are easy to guess
/// (zxcvbn score below 3, which also knows the person's name and email).
pub fn check_strength(password: &str, user_inputs: &[&str]) -> Result<(), AppError> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(AppError::new(ErrorCode::PasswordTooShort).on_field("password"));
    }
    if length > MAX_LENGTH {
        return Err(AppError::new(ErrorCode::PasswordTooLong).on_field("password"));
    }
    let squashed = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let password_squashed = squashed(password);
    let personal = user_inputs.iter().flat_map(|input| {
        let local_part = input.split('@').next().unwrap_or_default();
        [squashed(input), squashed(local_part)]
    });
    for token in personal {
        if token.chars().count() >= 4 && password_squashed.contains(&token) {
            return Err(AppError::new(ErrorCode::PasswordWeak)
                .with_message("Do not use your name or email address in your password.")
                .on_field("password"));
        }
    }
    let inputs: Vec<&str> = user_inputs
        .iter()
        .flat_map(|s| s.split(|c: char| !c.is_alphanumeric()))
        .filter(|s| s.len() >= 3)
        .collect();
    let estimate = zxcvbn::zxcvbn(password, &inputs);
    if (estimate.score() as u8) < 3 {
        let mut message = ErrorCode::PasswordWeak.default_message().to_string();
        if let Some(feedback) = estimate.feedback() {
            if let Some(warning) = feedback.warning() {
                message = format!("This password is too easy to guess: {warning}");
            }
        }
        return Err(AppError::new(ErrorCode::PasswordWeak)
            .with_message(message)
            .on_field("password"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let pool = WorkPool::new("password", 1, std::time::Duration::from_secs(5)).unwrap();
        let stored = hash(&pool, "correct horse battery staple".into())
            .await
            .unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let check = |typed: &str, stored: Option<String>| verify(&pool, typed.into(), stored);
        assert!(check("correct horse battery staple", Some(stored.clone()))
            .await
            .unwrap());
        assert!(!check("wrong horse battery staple", Some(stored))
            .await
            .unwrap());
        assert!(!check("anything", None).await.unwrap());
    }

    #[test]
    fn strength_policy() {
        assert_eq!(
            check_strength("short", &[]).unwrap_err().code,
            ErrorCode::PasswordTooShort
        );
        assert_eq!(
            check_strength(&"a".repeat(129), &[]).unwrap_err().code,
            ErrorCode::PasswordTooLong
        );
        assert_eq!(
            check_strength("password123", &[]).unwrap_err().code,
            ErrorCode::PasswordWeak
        );
        assert_eq!(
            check_strength(
                "alice.smith2024",
                &["alice.smith@example.com", "Alice Smith"]
            )
            .unwrap_err()
            .code,
            ErrorCode::PasswordWeak
        );
        assert!(check_strength("violet-tractor-mango-71", &[]).is_ok());
    }
}
