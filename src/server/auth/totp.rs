//! Time-based one-time passwords (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, as every authenticator app
//! expects) and recovery codes. Pure: the time is passed in. The matching time step is returned, so callers can
//! refuse a code whose step was already used.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::{Rng, RngCore};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::shared::error::{AppError, AppResult, ErrorCode};

pub const STEP_SECONDS: u64 = 30;
pub const DIGITS: usize = 6;
/// Codes of the previous and next step are accepted too, for clocks a little off and people a little slow.
pub const WINDOW_STEPS: u64 = 1;
/// 160 bits, the length RFC 4226 recommends.
const SECRET_BYTES: usize = 20;
pub const RECOVERY_CODE_COUNT: usize = 10;
/// 32 characters without i, l, o and u (which people confuse with 1, 1, 0 and v; typed, they are read as those):
/// 5 bits each; a code is 10 of them (50 bits), shown as `xxxxx-xxxxx`.
const RECOVERY_ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstvwxyz0123456789";
const ISSUER: &str = "Portcullis";

fn internal(what: &str, detail: impl std::fmt::Display) -> AppError {
    tracing::error!(%detail, "{what}");
    AppError::new(ErrorCode::Internal)
}

/// A new random secret, base32 without padding (how authenticator apps show it for manual entry).
pub fn generate_secret() -> String {
    let mut bytes = vec![0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    Secret::Raw(bytes).to_encoded().to_string()
}

fn totp(secret_base32: &str, account: &str) -> AppResult<TOTP> {
    let bytes = Secret::Encoded(secret_base32.to_owned())
        .to_bytes()
        .map_err(|e| internal("stored TOTP secret is not base32", format!("{e:?}")))?;
    // The otpauth label may not contain ':'; an email address never does, but a name could.
    let account = account.replace(':', " ");
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        0,
        STEP_SECONDS,
        bytes,
        Some(ISSUER.to_owned()),
        account,
    )
    .map_err(|e| internal("TOTP parameters refused", format!("{e:?}")))
}

/// The `otpauth://totp/Portcullis:{account}?secret=…&issuer=Portcullis` URI an authenticator app scans.
pub fn provisioning_uri(secret_base32: &str, account: &str) -> AppResult<String> {
    Ok(totp(secret_base32, account)?.get_url())
}

/// The provisioning URI as a QR code: an SVG image in a `data:` URL, drawn on the server.
pub fn qr_code_data_url(uri: &str) -> AppResult<String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(|e| internal("QR code", e))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    Ok(format!(
        "data:image/svg+xml;base64,{}",
        STANDARD.encode(svg.as_bytes())
    ))
}

/// The code for the step containing `unix_seconds` (what the person's app shows then).
pub fn code_at(secret_base32: &str, unix_seconds: u64) -> AppResult<String> {
    Ok(totp(secret_base32, "")?.generate(unix_seconds))
}

/// The code as typed, without spaces, if it has the shape of a TOTP code (six digits).
pub fn as_totp_code(raw: &str) -> Option<String> {
    let code: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    (code.len() == DIGITS && code.chars().all(|c| c.is_ascii_digit())).then_some(code)
}

/// The time step whose code equals `code`, looking one step either side of `unix_seconds`; `None` if no step
/// matches (a wrong code, or a code of another secret).
pub fn matching_step(secret_base32: &str, code: &str, unix_seconds: u64) -> AppResult<Option<i64>> {
    let generator = totp(secret_base32, "")?;
    let current = unix_seconds / STEP_SECONDS;
    let mut found = None;
    // Every candidate is compared (no early exit), in constant time.
    for step in current.saturating_sub(WINDOW_STEPS)..=current + WINDOW_STEPS {
        let expected = generator.generate(step * STEP_SECONDS);
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) {
            found = i64::try_from(step).ok();
        }
    }
    Ok(found)
}

/// Ten fresh recovery codes, as shown to the person (`xxxxx-xxxxx`).
pub fn generate_recovery_codes() -> Vec<String> {
    let mut rng = rand::rngs::OsRng;
    (0..RECOVERY_CODE_COUNT)
        .map(|_| {
            let chars: String = (0..10)
                .map(|_| char::from(RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())]))
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// A recovery code as typed (any case, with or without the dash or spaces) in its canonical form, if it could be one.
pub fn as_recovery_code(raw: &str) -> Option<String> {
    let code: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_lowercase() {
            'i' | 'l' => '1',
            'o' => '0',
            'u' => 'v',
            other => other,
        })
        .collect();
    (code.len() == 10 && code.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)))
        .then(|| format!("{}-{}", &code[..5], &code[5..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret, "12345678901234567890", in base32.
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        // The RFC lists 8-digit codes; a 6-digit code is their last six digits.
        for (time, eight_digits) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(
                code_at(RFC_SECRET, time).unwrap(),
                &eight_digits[2..],
                "at {time}"
            );
        }
    }

    #[test]
    fn the_neighbouring_steps_match_and_others_do_not() {
        let secret = generate_secret();
        let now = 1_700_000_015;
        let step = (now / STEP_SECONDS) as i64;
        let code = code_at(&secret, now).unwrap();
        assert_eq!(matching_step(&secret, &code, now).unwrap(), Some(step));
        assert_eq!(matching_step(&secret, &code, now + 30).unwrap(), Some(step));
        assert_eq!(matching_step(&secret, &code, now - 30).unwrap(), Some(step));
        assert_eq!(matching_step(&secret, &code, now + 60).unwrap(), None);
        let other = generate_secret();
        let foreign = code_at(&other, now).unwrap();
        if foreign != code {
            assert_eq!(matching_step(&secret, &foreign, now).unwrap(), None);
        }
    }

    #[test]
    fn secrets_are_random_base32_and_give_an_otpauth_uri_and_qr_code() {
        let a = generate_secret();
        assert_ne!(a, generate_secret());
        assert_eq!(a.len(), 32);
        let uri = provisioning_uri(&a, "ada@example.com").unwrap();
        assert!(
            uri.starts_with("otpauth://totp/Portcullis:ada%40example.com?secret="),
            "{uri}"
        );
        assert!(uri.contains("issuer=Portcullis"));
        let qr = qr_code_data_url(&uri).unwrap();
        let svg = STANDARD
            .decode(qr.strip_prefix("data:image/svg+xml;base64,").unwrap())
            .unwrap();
        assert!(String::from_utf8(svg).unwrap().contains("<svg"));
    }

    #[test]
    fn typed_codes_are_recognised() {
        assert_eq!(as_totp_code(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(as_totp_code("12345"), None);
        assert_eq!(as_totp_code("12345a"), None);
        let codes = generate_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODE_COUNT);
        assert_eq!(codes[0].len(), 11);
        assert_eq!(
            as_recovery_code(&codes[0].to_uppercase().replace('-', " ")),
            Some(codes[0].clone())
        );
        assert_eq!(as_recovery_code("abcde-fghi"), None);
        assert_eq!(
            as_recovery_code("abcde-fghjO").as_deref(),
            Some("abcde-fghj0"),
            "an O is read as a zero"
        );
        assert_eq!(as_recovery_code("abcde-fgh!0"), None);
    }
}
