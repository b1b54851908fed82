//! `portcullis saml check-response`: the ACS validator, offline. Reads the identity provider's metadata and a
//! response (raw XML or base64), validates at the given time against the given SP entity ID and ACS URL, and
//! reports one JSON object. Administrators use it to debug a failing login; tests use it too.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

use super::core::config::{IdpTrust, NameIdFormat, SpEndpoints, DEFAULT_CLOCK_SKEW_SECONDS};
use super::core::envelope::decode_any;
use super::core::metadata::parse_idp_metadata;
use super::core::response::validate;

/// What the command was asked to check.
pub struct CheckRequest<'a> {
    pub metadata_xml: &'a str,
    pub response: &'a [u8],
    pub sp_entity_id: &'a str,
    pub acs_url: &'a str,
    pub request_id: Option<&'a str>,
    pub at: DateTime<Utc>,
    pub allow_sha1: bool,
    pub allow_idp_initiated: bool,
    /// `email` or `persistent`; by default the first one the metadata offers, else `email`.
    pub name_id_format: Option<&'a str>,
    pub clock_skew_seconds: Option<i64>,
}

/// The printed verdict.
#[derive(Debug, Serialize)]
pub struct Verdict {
    pub ok: bool,
    pub code: Option<String>,
    pub message: String,
    pub diagnosis: String,
    pub name_id: Option<String>,
    pub name_id_format: Option<String>,
    pub attributes: BTreeMap<String, Vec<String>>,
}

/// A problem with the command's inputs rather than with the response (exit code 2).
#[derive(Debug)]
pub struct UsageError(pub String);

pub fn check_response(request: &CheckRequest<'_>) -> Result<Verdict, UsageError> {
    let metadata = parse_idp_metadata(request.metadata_xml, request.at).map_err(|e| {
        UsageError(format!(
            "the metadata cannot be used ({}): {}",
            e.code, e.message
        ))
    })?;
    let name_id_format = match request.name_id_format {
        Some(key) => NameIdFormat::from_key(key).ok_or_else(|| {
            UsageError(format!(
                "--name-id-format must be email or persistent, not {key:?}"
            ))
        })?,
        None => metadata
            .name_id_formats
            .first()
            .copied()
            .unwrap_or(NameIdFormat::EmailAddress),
    };
    let trust = IdpTrust {
        entity_id: metadata.entity_id,
        certificates: metadata.certificates,
        name_id_format,
        clock_skew: Duration::seconds(
            request
                .clock_skew_seconds
                .unwrap_or(DEFAULT_CLOCK_SKEW_SECONDS),
        ),
        allow_sha1: request.allow_sha1,
        allow_idp_initiated: request.allow_idp_initiated,
    };
    let sp = SpEndpoints {
        entity_id: request.sp_entity_id.to_string(),
        acs_url: request.acs_url.to_string(),
    };
    let outstanding: Vec<&str> = request.request_id.into_iter().collect();
    let outcome = decode_any(request.response)
        .and_then(|xml| validate(&xml, &trust, &sp, request.at, &outstanding));
    Ok(match outcome {
        Ok(identity) => Verdict {
            ok: true,
            code: None,
            message: "The response is valid: it would sign this person in.".to_string(),
            diagnosis: format!(
                "signed by the certificate with SHA-256 {}; assertion {} valid until {}",
                identity.signing_certificate_sha256,
                identity.assertion_id,
                identity.valid_until.to_rfc3339()
            ),
            name_id: Some(identity.name_id),
            name_id_format: Some(identity.name_id_format.uri().to_string()),
            attributes: identity.attributes,
        },
        Err(refusal) => Verdict {
            ok: false,
            code: Some(refusal.code.as_str().to_string()),
            message: refusal.message().to_string(),
            diagnosis: refusal.diagnosis,
            name_id: None,
            name_id_format: None,
            attributes: BTreeMap::new(),
        },
    })
}
