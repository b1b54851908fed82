//! Identity provider metadata in, service provider metadata out. Incoming metadata is checked against its budget
//! (before any parser), parsed once (with the position of the first error) and read from that tree; each way it can
//! be unusable has its own error: no `IDPSSODescriptor`, no signing certificate, only expired or not-yet-valid certificates, no
//! NameID format we support, no SingleSignOnService binding we can use. Entered-by-hand settings go through the
//! same checks.

use chrono::{DateTime, Utc};
use roxmltree::{Document, Node, ParsingOptions};
use samael::metadata::{
    EntityDescriptor, IndexedEndpoint, SpSsoDescriptor, HTTP_POST_BINDING, HTTP_REDIRECT_BINDING,
};
use samael::traits::ToXml;

use super::budget::{self, Limit, METADATA_BUDGET};
use super::certificate::Certificate;
use super::config::{NameIdFormat, SpEndpoints};
use super::envelope::check_xml_str;
use super::xml::{child, children, describe, is, text, NS_DSIG, NS_METADATA};
use crate::shared::error::{AppError, ErrorCode};

const FIELD: &str = "metadata";

/// The largest metadata document read: AD FS publishes the largest single-provider metadata, about 70 KB. (Within
/// the envelope check's own cap, and small enough that the worst document costs no more than 20 normal logins.)
pub const MAX_METADATA_BYTES: usize = 100 * 1024;

/// How we send the AuthnRequest to the identity provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SsoBinding {
    Redirect,
    Post,
}

impl SsoBinding {
    pub fn key(self) -> &'static str {
        match self {
            SsoBinding::Redirect => "redirect",
            SsoBinding::Post => "post",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "redirect" => Some(SsoBinding::Redirect),
            "post" => Some(SsoBinding::Post),
            _ => None,
        }
    }
}

/// What Portcullis keeps from an identity provider's metadata.
#[derive(Clone, Debug)]
pub struct IdpMetadata {
    pub entity_id: String,
    pub sso_url: String,
    /// HTTP-Redirect when offered (DESIGN's default), HTTP-POST when it is the only binding.
    pub sso_binding: SsoBinding,
    /// Valid now or later; expired ones are dropped and named in `warnings`.
    pub certificates: Vec<Certificate>,
    /// The supported formats the IdP lists; empty when it lists none (Entra ID, for one, does not).
    pub name_id_formats: Vec<NameIdFormat>,
    pub warnings: Vec<String>,
}

fn metadata_error(code: ErrorCode, message: impl Into<String>) -> AppError {
    AppError::new(code).with_message(message).on_field(FIELD)
}

/// Reads an identity provider's metadata document.
pub fn parse_idp_metadata(xml: &str, now: DateTime<Utc>) -> Result<IdpMetadata, AppError> {
    if xml.len() > MAX_METADATA_BYTES {
        return Err(metadata_error(
            ErrorCode::MetadataTooLarge,
            format!(
                "The metadata is {} bytes; at most {MAX_METADATA_BYTES} are accepted (an identity provider's metadata is rarely over 70 KB).",
                xml.len()
            ),
        ));
    }
    check_xml_str(xml.as_bytes()).map_err(|e| {
        metadata_error(
            ErrorCode::MetadataMalformed,
            format!("The metadata could not be read: {}", e.diagnosis),
        )
    })?;
    budget::check(xml, &METADATA_BUDGET).map_err(|over| {
        let code = match over.limit {
            Limit::Depth => ErrorCode::MetadataTooDeep,
            Limit::Elements => ErrorCode::MetadataTooManyElements,
            Limit::AttributesPerElement => ErrorCode::MetadataElementAttributes,
            Limit::Attributes => ErrorCode::MetadataTooManyAttributes,
            Limit::TextBytes => ErrorCode::MetadataTextTooLong,
            Limit::AttributeValueBytes => ErrorCode::MetadataAttributeValueTooLong,
        };
        metadata_error(code, format!("The metadata has {over}."))
    })?;
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: 100_000,
    };
    let document = Document::parse_with_options(xml, options).map_err(|e| {
        metadata_error(
            ErrorCode::MetadataMalformed,
            format!("The metadata is not well-formed XML: {e}."),
        )
    })?;
    let root = document.root_element();
    if !(is(root, NS_METADATA, "EntityDescriptor") || is(root, NS_METADATA, "EntitiesDescriptor")) {
        return Err(metadata_error(
            ErrorCode::MetadataMalformed,
            format!(
                "The file is XML but not SAML metadata: its root is {}, not md:EntityDescriptor or md:EntitiesDescriptor.",
                describe(root)
            ),
        ));
    }
    // The first identity provider descriptor, read from the tree already parsed (one parse, bounded above).
    let descriptor = document
        .descendants()
        .find(|n| {
            is(*n, NS_METADATA, "IDPSSODescriptor")
                && n.parent()
                    .is_some_and(|p| is(p, NS_METADATA, "EntityDescriptor"))
        })
        .ok_or_else(|| AppError::new(ErrorCode::MetadataNoIdpDescriptor).on_field(FIELD))?;
    let entity_id = descriptor
        .parent()
        .and_then(|entity| entity.attribute("entityID"))
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| {
            metadata_error(
                ErrorCode::EntityIdInvalid,
                "The metadata's EntityDescriptor has no entityID.",
            )
        })?;

    let (sso_url, sso_binding) = single_sign_on_service(descriptor)?;
    let certificates = signing_certificates(descriptor)?;
    let (certificates, warnings) = usable_certificates(certificates, now)?;

    let formats: Vec<String> = children(descriptor, NS_METADATA, "NameIDFormat")
        .map(text)
        .collect();
    let listed: Vec<&str> = formats.iter().map(String::as_str).collect();
    let name_id_formats: Vec<NameIdFormat> = listed
        .iter()
        .filter_map(|f| NameIdFormat::from_uri(f))
        .collect();
    if !listed.is_empty() && name_id_formats.is_empty() {
        return Err(metadata_error(
            ErrorCode::MetadataNoNameIdFormat,
            format!(
                "The identity provider offers only these NameID formats: {}. Portcullis needs emailAddress or persistent.",
                listed.join(", ")
            ),
        ));
    }
    Ok(IdpMetadata {
        entity_id: entity_id.trim().to_string(),
        sso_url,
        sso_binding,
        certificates,
        name_id_formats,
        warnings,
    })
}

fn single_sign_on_service(descriptor: Node<'_, '_>) -> Result<(String, SsoBinding), AppError> {
    let services: Vec<(&str, &str)> = children(descriptor, NS_METADATA, "SingleSignOnService")
        .map(|service| {
            (
                service.attribute("Binding").unwrap_or_default(),
                service.attribute("Location").unwrap_or_default(),
            )
        })
        .collect();
    let find = |binding: &str| {
        services
            .iter()
            .find(|(offered, _)| *offered == binding)
            .map(|(_, location)| location.trim().to_string())
    };
    if let Some(url) = find(HTTP_REDIRECT_BINDING) {
        return Ok((check_sso_url(&url)?, SsoBinding::Redirect));
    }
    if let Some(url) = find(HTTP_POST_BINDING) {
        return Ok((check_sso_url(&url)?, SsoBinding::Post));
    }
    let offered: Vec<&str> = services.iter().map(|(binding, _)| *binding).collect();
    let message = if offered.is_empty() {
        "The identity provider lists no SingleSignOnService.".to_string()
    } else {
        format!(
            "The identity provider's SingleSignOnService bindings ({}) include neither HTTP-Redirect nor HTTP-POST.",
            offered.join(", ")
        )
    };
    Err(metadata_error(ErrorCode::MetadataNoBinding, message))
}

/// Signing certificates one identity provider may have at once: during a rotation two, rarely three, are listed.
/// Each costs a public-key operation when no `KeyInfo` hint picks one.
pub const MAX_CERTIFICATES: usize = 4;

fn too_many_certificates(count: usize) -> AppError {
    AppError::new(ErrorCode::TooManyCertificates)
        .with_message(format!(
            "The identity provider lists {count} signing certificates; at most {MAX_CERTIFICATES} are accepted at once. \
             Remove the ones it no longer signs with."
        ))
        .on_field(FIELD)
}

fn signing_certificates(descriptor: Node<'_, '_>) -> Result<Vec<Certificate>, AppError> {
    // A KeyDescriptor without `use` serves both signing and encryption.
    let mut texts: Vec<String> = children(descriptor, NS_METADATA, "KeyDescriptor")
        .filter(|key| key.attribute("use").is_none_or(|u| u == "signing"))
        .filter_map(|key| child(key, NS_DSIG, "KeyInfo"))
        .flat_map(|info| children(info, NS_DSIG, "X509Data"))
        .flat_map(|data| children(data, NS_DSIG, "X509Certificate"))
        .map(|certificate| text(certificate).split_whitespace().collect::<String>())
        .collect();
    texts.sort_unstable();
    texts.dedup();
    // Counted before any is decoded.
    if texts.len() > MAX_CERTIFICATES {
        return Err(too_many_certificates(texts.len()));
    }
    let mut certificates: Vec<Certificate> = Vec::new();
    for text in &texts {
        let certificate = Certificate::from_text(text).map_err(|e| {
            metadata_error(
                ErrorCode::CertificateInvalid,
                format!("A signing certificate in the metadata could not be read: {e}."),
            )
        })?;
        if !certificates
            .iter()
            .any(|c| c.fingerprint_sha256 == certificate.fingerprint_sha256)
        {
            certificates.push(certificate);
        }
    }
    if certificates.is_empty() {
        return Err(AppError::new(ErrorCode::MetadataNoSigningCertificate).on_field(FIELD));
    }
    Ok(certificates)
}

/// Keeps certificates that are valid now or will be (a rotation may publish the next one early); refuses when none
/// is valid now.
pub fn usable_certificates(
    certificates: Vec<Certificate>,
    now: DateTime<Utc>,
) -> Result<(Vec<Certificate>, Vec<String>), AppError> {
    if certificates.len() > MAX_CERTIFICATES {
        return Err(too_many_certificates(certificates.len()));
    }
    let day = |at: DateTime<Utc>| at.format("%Y-%m-%d").to_string();
    let mut warnings = Vec::new();
    let (expired, current): (Vec<_>, Vec<_>) =
        certificates.into_iter().partition(|c| c.not_after < now);
    for certificate in &expired {
        warnings.push(format!(
            "The certificate {} (SHA-256 {}) expired on {} and was not registered.",
            certificate.subject,
            certificate.fingerprint_sha256,
            day(certificate.not_after)
        ));
    }
    if current.iter().any(|c| c.is_valid_at(now)) {
        return Ok((current, warnings));
    }
    if let Some(future) = current.first() {
        return Err(AppError::new(ErrorCode::CertificateNotYetValid)
            .with_message(format!(
                "The signing certificate {} is not valid until {}.",
                future.subject,
                day(future.not_before)
            ))
            .on_field(FIELD));
    }
    let newest = expired
        .iter()
        .map(|c| c.not_after)
        .max()
        .map(day)
        .unwrap_or_default();
    Err(AppError::new(ErrorCode::CertificateExpired)
        .with_message(format!(
            "The signing certificate expired on {newest}. Ask the identity provider for its current certificate."
        ))
        .on_field(FIELD))
}

/// Checks an SSO URL typed by hand or found in metadata.
pub fn check_sso_url(raw: &str) -> Result<String, AppError> {
    let trimmed = raw.trim();
    let parsed = url::Url::parse(trimmed)
        .map_err(|_| AppError::new(ErrorCode::SsoUrlInvalid).on_field("sso_url"))?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none() {
        return Err(AppError::new(ErrorCode::SsoUrlInvalid).on_field("sso_url"));
    }
    Ok(trimmed.to_string())
}

/// Our metadata for one identity provider: entity ID, the ACS (HTTP-POST), the NameID format we ask for, signed
/// assertions wanted.
pub fn sp_metadata_xml(sp: &SpEndpoints, name_id_format: NameIdFormat) -> Result<String, AppError> {
    let descriptor = SpSsoDescriptor {
        protocol_support_enumeration: Some("urn:oasis:names:tc:SAML:2.0:protocol".to_string()),
        authn_requests_signed: Some(false),
        want_assertions_signed: Some(true),
        name_id_formats: Some(vec![name_id_format.uri().to_string()]),
        assertion_consumer_services: vec![IndexedEndpoint {
            binding: HTTP_POST_BINDING.to_string(),
            location: sp.acs_url.clone(),
            response_location: None,
            index: 0,
            is_default: Some(true),
        }],
        ..SpSsoDescriptor::default()
    };
    let entity = EntityDescriptor {
        entity_id: Some(sp.entity_id.clone()),
        sp_sso_descriptors: Some(vec![descriptor]),
        ..EntityDescriptor::default()
    };
    // Serializing our own well-formed structure cannot fail for any input we build; report it as internal if it does.
    entity
        .to_string()
        .map_err(|_| AppError::new(ErrorCode::Internal))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"></md:IDPSSODescriptor></md:EntityDescriptor>"#;

    fn code_for(extra: &str) -> ErrorCode {
        let xml = MINIMAL.replacen(
            "</md:IDPSSODescriptor>",
            &format!("{extra}</md:IDPSSODescriptor>"),
            1,
        );
        match parse_idp_metadata(&xml, Utc::now()) {
            Ok(_) => panic!("accepted"),
            Err(e) => e.code,
        }
    }

    #[test]
    fn each_metadata_budget_one_over_gets_its_code() {
        let b = METADATA_BUDGET;
        // Within every budget, the document is read (and refused for lacking a certificate).
        assert_eq!(code_for(""), ErrorCode::MetadataNoBinding);
        assert_eq!(
            code_for(&format!(
                "{}{}",
                "<x>".repeat(b.max_depth - 2),
                "</x>".repeat(b.max_depth - 2)
            )),
            ErrorCode::MetadataNoBinding
        );
        assert_eq!(
            code_for(&format!(
                "{}{}",
                "<x>".repeat(b.max_depth - 1),
                "</x>".repeat(b.max_depth - 1)
            )),
            ErrorCode::MetadataTooDeep
        );
        assert_eq!(
            code_for(&"<x/>".repeat(b.max_elements)),
            ErrorCode::MetadataTooManyElements
        );
        let attributes: String = (0..=b.max_attributes_per_element)
            .map(|i| format!(" a{i}=\"1\""))
            .collect();
        assert_eq!(
            code_for(&format!("<x{attributes}/>")),
            ErrorCode::MetadataElementAttributes
        );
        // Short names (one letter each), so the document stays under the size cap.
        let letters: Vec<char> = ('a'..='z').chain('A'..='Z').collect();
        let per_element = letters.len();
        let spread: String = (0..=(b.max_attributes / per_element))
            .map(|_| {
                let attributes: String = letters.iter().map(|c| format!(" {c}=\"1\"")).collect();
                format!("<x{attributes}/>")
            })
            .collect();
        assert_eq!(code_for(&spread), ErrorCode::MetadataTooManyAttributes);
        assert_eq!(
            code_for(&format!("<x>{}</x>", "t".repeat(b.max_text_bytes + 1))),
            ErrorCode::MetadataTextTooLong
        );
        assert_eq!(
            code_for(&format!(
                "<x a=\"{}\"/>",
                "v".repeat(b.max_attribute_value_bytes + 1)
            )),
            ErrorCode::MetadataAttributeValueTooLong
        );
    }
}
