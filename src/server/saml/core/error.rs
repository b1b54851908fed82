//! Why a SAML response was refused: a stable code per check of the ACS checklist, a short message the person may
//! see, and a diagnosis for administrators with expected and received values. The raw library error never reaches
//! the person.

use std::fmt;

use super::budget::{Limit, OverBudget};

macro_rules! saml_codes {
    ($($variant:ident => ($code:literal, $message:literal),)+) => {
        /// One code per way a response can fail validation. The strings are a public contract (logs, admin
        /// diagnostics, `portcullis saml check-response`): never rename one.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum SamlErrorCode {
            $($variant,)+
        }

        impl SamlErrorCode {
            pub const ALL: &'static [SamlErrorCode] = &[$(SamlErrorCode::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(SamlErrorCode::$variant => $code,)+
                }
            }

            /// What the person signing in is told.
            pub fn message(self) -> &'static str {
                match self {
                    $(SamlErrorCode::$variant => $message,)+
                }
            }
        }
    };
}

saml_codes! {
    // 1. Envelope
    BodyTooLarge => ("saml.body_too_large", "The sign-in response from your identity provider is too large."),
    RelayStateTooLong => ("saml.relay_state_too_long", "The sign-in response from your identity provider is too large."),
    NotBase64 => ("saml.not_base64", "The sign-in response from your identity provider could not be read."),
    NotUtf8 => ("saml.not_utf8", "The sign-in response from your identity provider could not be read."),
    DoctypeForbidden => ("saml.doctype_forbidden", "The sign-in response from your identity provider was refused for security reasons."),
    MalformedXml => ("saml.malformed_xml", "The sign-in response from your identity provider could not be read."),
    XmlTooDeep => ("saml.xml_too_deep", "The sign-in response from your identity provider is too complex."),
    XmlTooManyElements => ("saml.xml_too_many_elements", "The sign-in response from your identity provider is too complex."),
    XmlElementAttributes => ("saml.xml_too_many_attributes_on_element", "The sign-in response from your identity provider is too complex."),
    XmlTooManyAttributes => ("saml.xml_too_many_attributes", "The sign-in response from your identity provider is too complex."),
    XmlTextTooLong => ("saml.xml_text_too_long", "The sign-in response from your identity provider is too complex."),
    XmlAttributeValueTooLong => ("saml.xml_attribute_value_too_long", "The sign-in response from your identity provider is too complex."),
    // 2. Signature
    NoRegisteredCertificate => ("saml.no_registered_certificate", "Single sign-on is not set up completely for this identity provider. Contact your administrator."),
    SignatureMissing => ("saml.signature_missing", "The sign-in response was not signed, so it cannot be trusted."),
    SignatureInvalid => ("saml.signature_invalid", "The sign-in response's signature is not valid."),
    UntrustedCertificate => ("saml.untrusted_certificate", "The sign-in response was signed with a certificate this identity provider has not registered."),
    SignatureAlgorithmForbidden => ("saml.signature_algorithm_forbidden", "The sign-in response was signed with an algorithm that is not allowed."),
    ReferenceForbidden => ("saml.reference_forbidden", "The sign-in response's signature covers something it should not."),
    TransformForbidden => ("saml.transform_forbidden", "The sign-in response's signature uses a transform that is not allowed."),
    SlowSignatureTooLarge => ("saml.slow_signature_too_large", "The sign-in response from your identity provider is too large."),
    SignatureContentForbidden => ("saml.signature_content_forbidden", "The sign-in response's signature contains content that is not allowed."),
    // 3. Structure
    AssertionCount => ("saml.assertion_count", "The sign-in response must contain exactly one assertion."),
    DuplicateId => ("saml.duplicate_id", "The sign-in response is malformed."),
    SignatureWrapping => ("saml.signature_wrapping", "The sign-in response was refused for security reasons: its signature does not cover what it claims."),
    // 4. Issuer and status
    IssuerMismatch => ("saml.issuer_mismatch", "The sign-in response comes from a different identity provider."),
    StatusNotSuccess => ("saml.status_not_success", "Your identity provider did not sign you in."),
    // 5. Audience and endpoints
    AudienceMismatch => ("saml.audience_mismatch", "The sign-in response was meant for a different application."),
    DestinationMismatch => ("saml.destination_mismatch", "The sign-in response was sent to a different address."),
    RecipientMismatch => ("saml.recipient_mismatch", "The sign-in response was meant for a different address."),
    // 6. Time
    NotYetValid => ("saml.not_yet_valid", "The sign-in response is not valid yet. Check the clocks of this server and your identity provider."),
    Expired => ("saml.expired", "The sign-in response has expired. Please sign in again."),
    IssuedInFuture => ("saml.issued_in_future", "The sign-in response was issued in the future. Check the clocks of this server and your identity provider."),
    SessionEnded => ("saml.session_ended", "Your identity provider's session for you has already ended. Please sign in again."),
    // 7. Request binding
    InResponseToMismatch => ("saml.in_response_to_mismatch", "The sign-in response does not answer a sign-in started in this browser. Please sign in again."),
    Unsolicited => ("saml.unsolicited", "Sign-in must start from this application. Please sign in again."),
    // 8. Replay
    Replayed => ("saml.replayed", "This sign-in response was already used. Please sign in again."),
    // 9. Subject
    NameIdMissing => ("saml.name_id_missing", "The sign-in response does not say who you are."),
    NameIdFormatMismatch => ("saml.name_id_format_mismatch", "Your identity provider identified you in an unexpected way. Contact your administrator."),
    NameIdTooLong => ("saml.name_id_too_long", "Your identity provider identified you in an unexpected way. Contact your administrator."),
    // 10. What the assertion says about the person (bounded like every other input)
    TooManyAttributes => ("saml.too_many_assertion_attributes", "Your identity provider sent more about you than Portcullis accepts. Contact your administrator."),
    TooManyAttributeValues => ("saml.too_many_attribute_values", "Your identity provider sent more about you than Portcullis accepts. Contact your administrator."),
    AttributeValueTooLong => ("saml.attribute_value_too_long", "Your identity provider sent more about you than Portcullis accepts. Contact your administrator."),
    TooManyGroups => ("saml.too_many_groups", "Your identity provider sent more groups for you than Portcullis accepts. Contact your administrator."),
    GroupTooLong => ("saml.group_too_long", "Your identity provider sent a group name longer than Portcullis accepts. Contact your administrator."),
}

impl fmt::Display for SamlErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much of a received value a diagnosis quotes.
const RECEIVED_CHARS: usize = 300;

/// The longest diagnosis kept. A diagnosis is stored with each refused login and in the audit log of every
/// organization the identity provider serves, and parts of it (element names, parser errors, IDs, received values)
/// come from whoever posted the response, signed or not: one cap here bounds them all, whatever a check quotes.
pub const MAX_DIAGNOSIS_CHARS: usize = 1_000;

/// A refused response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SamlError {
    pub code: SamlErrorCode,
    /// For administrators only: what was expected and what was received (fingerprints, times, URLs).
    pub diagnosis: String,
}

impl SamlError {
    /// A document over its XML budget, refused with the code of the limit it broke.
    pub fn over_budget(over: OverBudget) -> Self {
        let code = match over.limit {
            Limit::Depth => SamlErrorCode::XmlTooDeep,
            Limit::Elements => SamlErrorCode::XmlTooManyElements,
            Limit::AttributesPerElement => SamlErrorCode::XmlElementAttributes,
            Limit::Attributes => SamlErrorCode::XmlTooManyAttributes,
            Limit::TextBytes => SamlErrorCode::XmlTextTooLong,
            Limit::AttributeValueBytes => SamlErrorCode::XmlAttributeValueTooLong,
        };
        Self::new(code, format!("the response has {over}"))
    }

    pub fn new(code: SamlErrorCode, diagnosis: impl Into<String>) -> Self {
        Self {
            code,
            diagnosis: super::xml::excerpt(&diagnosis.into(), MAX_DIAGNOSIS_CHARS),
        }
    }

    /// A diagnosis of the form "expected X, received Y"; what was received is cut to a few hundred characters.
    pub fn mismatch(code: SamlErrorCode, what: &str, expected: &str, received: &str) -> Self {
        Self::new(
            code,
            format!(
                "{what}: expected {expected:?}, received {:?}",
                super::xml::excerpt(received, RECEIVED_CHARS)
            ),
        )
    }

    /// The message the person is shown.
    pub fn message(&self) -> &'static str {
        self.code.message()
    }
}

impl fmt::Display for SamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.diagnosis)
    }
}

impl std::error::Error for SamlError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_namespaced_and_explained() {
        let mut seen = std::collections::HashSet::new();
        for code in SamlErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate {code}");
            assert!(code.as_str().starts_with("saml."), "{code}");
            assert!(!code.message().is_empty());
            assert!(
                !code.message().contains("saml."),
                "messages never show codes: {code}"
            );
        }
    }

    #[test]
    fn mismatch_diagnosis_names_both_values() {
        let err = SamlError::mismatch(
            SamlErrorCode::AudienceMismatch,
            "Audience",
            "https://sp.example/saml/acme/metadata",
            "https://other.example",
        );
        assert_eq!(
            err.diagnosis,
            "Audience: expected \"https://sp.example/saml/acme/metadata\", received \"https://other.example\""
        );
        assert_eq!(err.message(), SamlErrorCode::AudienceMismatch.message());
    }
}
