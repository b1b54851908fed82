//! Signing certificates registered for an identity provider: parsed once from PEM or from the bare base64 found in
//! metadata, with what administrators need to tell them apart (SHA-256 fingerprint, subject, validity period).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use openssl::asn1::{Asn1Time, Asn1TimeRef};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Public};
use openssl::x509::X509;

/// One X.509 certificate trusted to sign an identity provider's responses. Its public key is decoded once, here,
/// and reused for every signature it checks.
#[derive(Clone, Debug)]
pub struct Certificate {
    der: Vec<u8>,
    public_key: PKey<Public>,
    /// Upper-case hex, colon separated, as identity providers display it.
    pub fingerprint_sha256: String,
    pub subject: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
}

/// Why a certificate could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateError(pub String);

impl std::fmt::Display for CertificateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Certificate {
    /// Reads a certificate given as PEM (`-----BEGIN CERTIFICATE-----`) or as bare base64 of the DER encoding, the
    /// form `ds:X509Certificate` uses. Whitespace anywhere is ignored.
    pub fn from_text(text: &str) -> Result<Self, CertificateError> {
        let body: String = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.starts_with("-----"))
            .collect::<String>()
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        if body.is_empty() {
            return Err(CertificateError("the certificate is empty".into()));
        }
        let der = STANDARD.decode(body.as_bytes()).map_err(|e| {
            CertificateError(format!("the certificate is not valid base64 or PEM: {e}"))
        })?;
        Self::from_der(der)
    }

    pub fn from_der(der: Vec<u8>) -> Result<Self, CertificateError> {
        let x509 = X509::from_der(&der)
            .map_err(|_| CertificateError("the data is not an X.509 certificate".into()))?;
        let digest = x509
            .digest(MessageDigest::sha256())
            .map_err(|e| CertificateError(format!("could not fingerprint the certificate: {e}")))?;
        let fingerprint_sha256 = digest
            .iter()
            .map(|byte| format!("{byte:02X}"))
            .collect::<Vec<_>>()
            .join(":");
        let subject = x509
            .subject_name()
            .entries_by_nid(Nid::COMMONNAME)
            .next()
            .and_then(|entry| entry.data().to_string().ok())
            .unwrap_or_else(|| "(no common name)".to_string());
        let public_key = x509
            .public_key()
            .map_err(|_| CertificateError("the certificate's public key cannot be read".into()))?;
        Ok(Self {
            public_key,
            fingerprint_sha256,
            subject,
            not_before: asn1_to_utc(x509.not_before())?,
            not_after: asn1_to_utc(x509.not_after())?,
            der,
        })
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The key that verifies signatures made with this certificate.
    pub fn public_key(&self) -> &PKey<Public> {
        &self.public_key
    }

    /// The bare base64 form, as written in `ds:X509Certificate`.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.der)
    }

    /// The PEM form, as stored and shown to administrators.
    pub fn to_pem(&self) -> String {
        let encoded = self.to_base64();
        let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
        for chunk in encoded.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(chunk));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
        pem
    }

    pub fn is_valid_at(&self, at: DateTime<Utc>) -> bool {
        self.not_before <= at && at <= self.not_after
    }
}

/// The fingerprints of `certificates`, as diagnoses list the registered ones.
pub fn fingerprints(certificates: &[Certificate]) -> String {
    certificates
        .iter()
        .map(|c| c.fingerprint_sha256.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Two certificates are the same when their encodings are (the decoded key follows from it).
impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Eq for Certificate {}

fn asn1_to_utc(time: &Asn1TimeRef) -> Result<DateTime<Utc>, CertificateError> {
    let unreadable =
        |_| CertificateError("the certificate has an unreadable validity period".into());
    let epoch = Asn1Time::from_unix(0).map_err(unreadable)?;
    let diff = epoch.diff(time).map_err(unreadable)?;
    let seconds = i64::from(diff.days) * 86_400 + i64::from(diff.secs);
    DateTime::from_timestamp(seconds, 0)
        .ok_or_else(|| CertificateError("the certificate's validity period is out of range".into()))
}
