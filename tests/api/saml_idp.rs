//! A test identity provider: RSA keys and self-signed certificates generated once per process, and SAML responses
//! built and signed here with libxmlsec (samael's `sign_xml`), so every response is genuinely valid at the tests'
//! fixed clock until a test breaks exactly one thing. Shared by the security suite, the benchmark and the soak run.

#![allow(dead_code)]

use std::sync::OnceLock;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Duration, SecondsFormat, TimeZone, Utc};
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::x509::{X509NameBuilder, X509};
use portcullis::server::saml::core::certificate::Certificate;
use portcullis::server::saml::core::config::{IdpTrust, NameIdFormat, SpEndpoints};
use samael::crypto::{Crypto, CryptoProvider};

pub const IDP_ENTITY_ID: &str = "https://idp.corp.example/saml";
pub const SP_ENTITY_ID: &str = "http://127.0.0.1:3000/saml/acme/metadata";
pub const ACS_URL: &str = "http://127.0.0.1:3000/saml/acme/acs";
pub const REQUEST_ID: &str = "_req-4f0c1d2e";

pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
pub const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
pub const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
pub const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

/// The tests' fixed clock.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0)
        .single()
        .expect("a valid time")
}

pub fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A signing key and its self-signed certificate.
pub struct TestKey {
    pub private_der: Vec<u8>,
    pub certificate: Certificate,
}

fn generate_key(common_name: &str) -> TestKey {
    // 2020-01-01 .. 2040-01-01
    generate_key_valid(common_name, 1_577_836_800, 2_208_988_800)
}

fn generate_key_valid(common_name: &str, not_before: i64, not_after: i64) -> TestKey {
    let rsa = Rsa::generate(2048).expect("RSA key");
    let pkey = PKey::from_rsa(rsa).expect("pkey");
    let mut name = X509NameBuilder::new().expect("name");
    name.append_entry_by_text("CN", common_name).expect("CN");
    let name = name.build();
    let mut builder = X509::builder().expect("builder");
    builder.set_version(2).expect("version");
    let serial = BigNum::from_u32(1)
        .and_then(|n| n.to_asn1_integer())
        .expect("serial");
    builder.set_serial_number(&serial).expect("serial");
    builder.set_subject_name(&name).expect("subject");
    builder.set_issuer_name(&name).expect("issuer");
    builder.set_pubkey(&pkey).expect("pubkey");
    builder
        .set_not_before(&Asn1Time::from_unix(not_before).expect("time"))
        .expect("not before");
    builder
        .set_not_after(&Asn1Time::from_unix(not_after).expect("time"))
        .expect("not after");
    builder.sign(&pkey, MessageDigest::sha256()).expect("sign");
    let der = builder.build().to_der().expect("der");
    TestKey {
        private_der: pkey.private_key_to_der().expect("private der"),
        certificate: Certificate::from_der(der).expect("certificate"),
    }
}

/// The identity provider's registered key.
pub fn idp_key() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(|| generate_key("idp.corp.example"))
}

/// A second key of the same identity provider (certificate rotation).
pub fn idp_next_key() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(|| generate_key("idp.corp.example 2027"))
}

/// A key nobody registered.
pub fn attacker_key() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(|| generate_key("idp.corp.example"))
}

pub fn trust() -> IdpTrust {
    IdpTrust {
        entity_id: IDP_ENTITY_ID.to_string(),
        certificates: vec![idp_key().certificate.clone()],
        name_id_format: NameIdFormat::EmailAddress,
        clock_skew: Duration::minutes(3),
        allow_sha1: false,
        allow_idp_initiated: false,
    }
}

pub fn sp() -> SpEndpoints {
    SpEndpoints {
        entity_id: SP_ENTITY_ID.to_string(),
        acs_url: ACS_URL.to_string(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signed {
    Nothing,
    Assertion,
    Response,
    Both,
}

/// Everything a response says, with values valid at [`now`].
#[derive(Clone)]
pub struct ResponseSpec {
    pub response_id: String,
    pub assertion_id: String,
    pub response_issuer: Option<String>,
    pub assertion_issuer: Option<String>,
    pub destination: Option<String>,
    pub recipient: String,
    pub audience: Option<String>,
    pub response_in_response_to: Option<String>,
    pub confirmation_in_response_to: Option<String>,
    pub issue_instant: DateTime<Utc>,
    pub not_before: DateTime<Utc>,
    pub not_on_or_after: DateTime<Utc>,
    pub status: String,
    /// The NameID element's inner XML (so tests can put comments in it).
    pub name_id_xml: String,
    pub name_id_format: String,
    pub attributes: Vec<(String, Vec<String>)>,
    pub signed: Signed,
    pub signature_method: String,
    pub digest_method: String,
    pub transforms: Vec<String>,
    pub key: &'static TestKey,
    /// The certificate written in KeyInfo (none when `None`).
    pub key_info: Option<&'static TestKey>,
    /// Text replacements applied to the assertion before it is signed (to build unusual but signed content).
    pub edit_assertion: Vec<(String, String)>,
}

impl Default for ResponseSpec {
    fn default() -> Self {
        let now = now();
        Self {
            response_id: "_resp-9a8b7c6d".into(),
            assertion_id: "_assert-1a2b3c4d".into(),
            response_issuer: Some(IDP_ENTITY_ID.into()),
            assertion_issuer: Some(IDP_ENTITY_ID.into()),
            destination: Some(ACS_URL.into()),
            recipient: ACS_URL.into(),
            audience: Some(SP_ENTITY_ID.into()),
            response_in_response_to: Some(REQUEST_ID.into()),
            confirmation_in_response_to: Some(REQUEST_ID.into()),
            issue_instant: now - Duration::seconds(5),
            not_before: now - Duration::seconds(5),
            not_on_or_after: now + Duration::minutes(5),
            status: "urn:oasis:names:tc:SAML:2.0:status:Success".into(),
            name_id_xml: "alice@corp.example".into(),
            name_id_format: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress".into(),
            attributes: vec![
                ("email".into(), vec!["alice@corp.example".into()]),
                ("firstName".into(), vec!["Alice".into()]),
                ("lastName".into(), vec!["Liddell".into()]),
                (
                    "groups".into(),
                    vec![
                        "engineering".into(),
                        "sso-admins".into(),
                        "all-staff".into(),
                    ],
                ),
            ],
            signed: Signed::Assertion,
            signature_method: RSA_SHA256.into(),
            digest_method: SHA256.into(),
            transforms: vec![ENVELOPED.into(), EXC_C14N.into()],
            key: idp_key(),
            key_info: Some(idp_key()),
            edit_assertion: Vec::new(),
        }
    }
}

fn optional_attribute(name: &str, value: &Option<String>) -> String {
    value
        .as_ref()
        .map(|v| format!(r#" {name}="{v}""#))
        .unwrap_or_default()
}

impl ResponseSpec {
    /// A response valid at `now`, for a Portcullis at `base_url` and the identity provider `identifier`.
    pub fn for_app(base_url: &str, identifier: &str, now: DateTime<Utc>) -> Self {
        Self {
            destination: Some(format!("{base_url}/saml/{identifier}/acs")),
            recipient: format!("{base_url}/saml/{identifier}/acs"),
            audience: Some(format!("{base_url}/saml/{identifier}/metadata")),
            issue_instant: now - Duration::seconds(5),
            not_before: now - Duration::seconds(5),
            not_on_or_after: now + Duration::minutes(5),
            ..Self::default()
        }
    }

    pub fn answering(mut self, request_id: Option<&str>) -> Self {
        self.response_in_response_to = request_id.map(str::to_string);
        self.confirmation_in_response_to = request_id.map(str::to_string);
        self
    }

    pub fn for_name_id(mut self, name_id: &str) -> Self {
        self.name_id_xml = name_id.to_string();
        self
    }

    pub fn signed(signed: Signed) -> Self {
        Self {
            signed,
            ..Self::default()
        }
    }

    /// A `ds:Signature` template for the element with `id`, filled in by libxmlsec.
    pub fn signature_template(&self, id: &str) -> String {
        let transforms: String = self
            .transforms
            .iter()
            .map(|t| format!(r#"<ds:Transform Algorithm="{t}"/>"#))
            .collect();
        format!(
            r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="{EXC_C14N}"/><ds:SignatureMethod Algorithm="{method}"/><ds:Reference URI="#{id}"><ds:Transforms>{transforms}</ds:Transforms><ds:DigestMethod Algorithm="{digest}"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue></ds:Signature>"##,
            method = self.signature_method,
            digest = self.digest_method,
        )
    }

    pub fn assertion_xml(&self, with_signature_template: bool) -> String {
        let issue = stamp(self.issue_instant);
        let issuer = self
            .assertion_issuer
            .as_ref()
            .map(|i| format!("<saml:Issuer>{i}</saml:Issuer>"))
            .unwrap_or_default();
        let signature = if with_signature_template {
            self.signature_template(&self.assertion_id)
        } else {
            String::new()
        };
        let audience = self
            .audience
            .as_ref()
            .map(|a| format!("<saml:AudienceRestriction><saml:Audience>{a}</saml:Audience></saml:AudienceRestriction>"))
            .unwrap_or_default();
        let attributes: String = self
            .attributes
            .iter()
            .map(|(name, values)| {
                let values: String = values
                    .iter()
                    .map(|v| format!(r#"<saml:AttributeValue xsi:type="xs:string">{v}</saml:AttributeValue>"#))
                    .collect();
                format!(
                    r#"<saml:Attribute Name="{name}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">{values}</saml:Attribute>"#
                )
            })
            .collect();
        let xml = format!(
            r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="{id}" Version="2.0" IssueInstant="{issue}">{issuer}{signature}<saml:Subject><saml:NameID Format="{format}">{name_id}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData{in_response_to} NotOnOrAfter="{until}" Recipient="{recipient}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{from}" NotOnOrAfter="{until}">{audience}</saml:Conditions><saml:AuthnStatement AuthnInstant="{issue}" SessionIndex="_session-77" SessionNotOnOrAfter="{session_until}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement>{attributes}</saml:AttributeStatement></saml:Assertion>"#,
            id = self.assertion_id,
            format = self.name_id_format,
            name_id = self.name_id_xml,
            in_response_to = optional_attribute("InResponseTo", &self.confirmation_in_response_to),
            until = stamp(self.not_on_or_after),
            from = stamp(self.not_before),
            recipient = self.recipient,
            session_until = stamp(self.issue_instant + Duration::hours(8)),
        );
        self.edit_assertion
            .iter()
            .fold(xml, |xml, (from, to)| xml.replace(from.as_str(), to))
    }

    pub fn editing(mut self, from: &str, to: &str) -> Self {
        self.edit_assertion.push((from.to_string(), to.to_string()));
        self
    }

    /// Wraps an assertion (already signed or not) in a response.
    pub fn response_xml(&self, assertion: &str, with_signature_template: bool) -> String {
        let issuer = self
            .response_issuer
            .as_ref()
            .map(|i| format!(r#"<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">{i}</saml:Issuer>"#))
            .unwrap_or_default();
        let signature = if with_signature_template {
            self.signature_template(&self.response_id)
        } else {
            String::new()
        };
        format!(
            r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="{id}" Version="2.0" IssueInstant="{issue}"{destination}{in_response_to}>{issuer}{signature}<samlp:Status><samlp:StatusCode Value="{status}"/></samlp:Status>{assertion}</samlp:Response>"#,
            id = self.response_id,
            issue = stamp(self.issue_instant),
            destination = optional_attribute("Destination", &self.destination),
            in_response_to = optional_attribute("InResponseTo", &self.response_in_response_to),
            status = self.status,
        )
    }

    pub fn sign(&self, xml: &str) -> String {
        let signed =
            Crypto::sign_xml(xml, &self.key.private_der).expect("libxmlsec signs the template");
        let signed = match signed.find("?>") {
            Some(end) if signed.starts_with("<?xml") => signed[end + 2..].trim_start().to_string(),
            _ => signed,
        };
        match self.key_info {
            Some(key) => add_key_info(&signed, key),
            None => signed,
        }
    }

    /// The signed assertion alone.
    pub fn signed_assertion(&self) -> String {
        let assertion = self.assertion_xml(true);
        self.sign(&assertion)
    }

    /// The complete response as the identity provider would post it (before base64).
    pub fn build(&self) -> String {
        let sign_assertion = matches!(self.signed, Signed::Assertion | Signed::Both);
        let sign_response = matches!(self.signed, Signed::Response | Signed::Both);
        let assertion = if sign_assertion {
            self.signed_assertion()
        } else {
            self.assertion_xml(false)
        };
        let response = self.response_xml(&assertion, sign_response);
        if sign_response {
            self.sign(&response)
        } else {
            response
        }
    }

    pub fn build_base64(&self) -> String {
        STANDARD.encode(self.build())
    }
}

/// Writes the certificate into the `KeyInfo` of every signature lacking one (KeyInfo is not covered by the
/// signature, so this changes nothing a verifier checks).
pub fn add_key_info(xml: &str, key: &TestKey) -> String {
    let key_info = format!(
        "</ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>",
        key.certificate.to_base64()
    );
    xml.replace(
        "</ds:SignatureValue></ds:Signature>",
        &format!("{key_info}</ds:Signature>"),
    )
}

/// The text between the first `open` tag start and the matching `close` (inclusive), for editing tests.
pub fn element<'a>(xml: &'a str, open: &str, close: &str) -> &'a str {
    let start = xml.find(open).expect("element start");
    let end = xml[start..].find(close).expect("element end") + start + close.len();
    &xml[start..end]
}

/// Identity provider metadata as an IdP publishes it.
pub fn idp_metadata(
    entity_id: &str,
    sso_url: &str,
    keys: &[&TestKey],
    name_id_formats: &[&str],
    binding: &str,
) -> String {
    let keys: String = keys
        .iter()
        .map(|k| {
            format!(
                r#"<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#,
                k.certificate.to_base64()
            )
        })
        .collect();
    let formats: String = name_id_formats
        .iter()
        .map(|f| format!("<md:NameIDFormat>{f}</md:NameIDFormat>"))
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{entity_id}"><md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">{keys}{formats}<md:SingleSignOnService Binding="{binding}" Location="{sso_url}"/></md:IDPSSODescriptor></md:EntityDescriptor>"#
    )
}

pub const REDIRECT_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
pub const POST_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
pub const EMAIL_FORMAT: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";

/// Four more keys of the identity provider (the certificate budget).
pub fn spare_keys() -> &'static [TestKey] {
    static KEYS: OnceLock<Vec<TestKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        (1..=4)
            .map(|n| generate_key(&format!("idp.corp.example spare {n}")))
            .collect()
    })
}

/// A key whose certificate expired (2020-2021).
pub fn expired_key() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(|| generate_key_valid("old.corp.example", 1_577_836_800, 1_609_459_200))
}
