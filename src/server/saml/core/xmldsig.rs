//! Our own verification of an enveloped XML signature, over the tree the validator already parsed: the signed
//! element is canonicalized (exclusive C14N, the enveloped signature left out) and hashed, the digest compared with
//! `DigestValue`, and `SignatureValue` checked over the canonical `SignedInfo` with the public key of a registered
//! certificate (parsed once, when the certificate was loaded). No second parse, no certificate decoding per
//! request, one public-key operation when `KeyInfo` names a registered certificate.
//!
//! Because the canonical bytes are produced from the very tree the validator reads values from, no difference
//! between two parsers can make it read something the signature does not cover. Constructs this verifier does not
//! implement (an `InclusiveNamespaces` prefix list, canonicalization with comments or inclusive C14N, processing
//! instructions inside the signed element) are reported as unsupported, and the validator hands the document to
//! libxmlsec instead. libxmlsec also stays the differential oracle in the tests: both must give the same verdict.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use openssl::bn::BigNum;
use openssl::ecdsa::EcdsaSig;
use openssl::hash::{hash, MessageDigest};
use openssl::pkey::Id;
use openssl::sign::Verifier;
use roxmltree::Node;

use super::c14n::canonicalize;
use super::certificate::{fingerprints, Certificate};
use super::error::{SamlError, SamlErrorCode};
use super::xml::{child, children, is, text, NS_DSIG};

const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

/// The outcome of verifying one signature ourselves.
#[derive(Debug)]
pub enum Outcome {
    /// Verified with this registered certificate (its SHA-256 fingerprint).
    Verified(String),
    /// Verifiably wrong: a changed digest, or no registered key verifies the signature value.
    Refused(SamlError),
    /// Uses something this verifier does not implement (named); libxmlsec decides instead.
    Unsupported(&'static str),
}

#[derive(Clone, Copy)]
enum KeyKind {
    Rsa,
    Ecdsa,
}

fn signature_method(uri: &str) -> Option<(KeyKind, MessageDigest)> {
    Some(match uri {
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" => {
            (KeyKind::Rsa, MessageDigest::sha256())
        }
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" => {
            (KeyKind::Rsa, MessageDigest::sha384())
        }
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => {
            (KeyKind::Rsa, MessageDigest::sha512())
        }
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1" => (KeyKind::Rsa, MessageDigest::sha1()),
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256" => {
            (KeyKind::Ecdsa, MessageDigest::sha256())
        }
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384" => {
            (KeyKind::Ecdsa, MessageDigest::sha384())
        }
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512" => {
            (KeyKind::Ecdsa, MessageDigest::sha512())
        }
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1" => {
            (KeyKind::Ecdsa, MessageDigest::sha1())
        }
        _ => return None,
    })
}

fn digest_method(uri: &str) -> Option<MessageDigest> {
    Some(match uri {
        "http://www.w3.org/2001/04/xmlenc#sha256" => MessageDigest::sha256(),
        "http://www.w3.org/2001/04/xmldsig-more#sha384" => MessageDigest::sha384(),
        "http://www.w3.org/2001/04/xmlenc#sha512" => MessageDigest::sha512(),
        "http://www.w3.org/2000/09/xmldsig#sha1" => MessageDigest::sha1(),
        _ => return None,
    })
}

/// The base64 content of an element, whitespace ignored (signers wrap long values in lines).
fn base64_of(node: Option<Node<'_, '_>>) -> Option<Vec<u8>> {
    let compact: String = text(node?)
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    STANDARD.decode(compact.as_bytes()).ok()
}

fn algorithm<'a>(node: Option<Node<'a, '_>>) -> Option<&'a str> {
    node?.attribute("Algorithm")
}

/// Verifies `signature`, which sits in and references `signed` (the structure check ran before). `certificates`
/// are the registered ones; the one `KeyInfo` names, if registered, is tried first, and `KeyInfo`'s key itself is
/// never used.
pub fn verify(
    signature: Node<'_, '_>,
    signed: Node<'_, '_>,
    certificates: &[Certificate],
) -> Outcome {
    let Some(signed_info) = child(signature, NS_DSIG, "SignedInfo") else {
        return Outcome::Unsupported("no SignedInfo");
    };
    let Some(reference) = child(signed_info, NS_DSIG, "Reference") else {
        return Outcome::Unsupported("no Reference");
    };
    let transforms: Vec<Node<'_, '_>> = child(reference, NS_DSIG, "Transforms")
        .map(|t| children(t, NS_DSIG, "Transform").collect())
        .unwrap_or_default();
    let plain_transforms = transforms.len() == 2
        && transforms.first().and_then(|t| t.attribute("Algorithm")) == Some(ENVELOPED)
        && transforms.get(1).and_then(|t| t.attribute("Algorithm")) == Some(EXC_C14N)
        && transforms
            .iter()
            .all(|t| !t.children().any(|n| n.is_element()));
    if !plain_transforms {
        return Outcome::Unsupported(
            "transforms other than enveloped-signature then exclusive C14N",
        );
    }
    let Some(reference_digest) =
        algorithm(child(reference, NS_DSIG, "DigestMethod")).and_then(digest_method)
    else {
        return Outcome::Unsupported("digest method");
    };
    let Some(canonical_element) = canonicalize(signed, Some(signature)) else {
        return Outcome::Unsupported("processing instructions in the signed content");
    };

    let described = if is(signed, super::xml::NS_PROTOCOL, "Response") {
        "response"
    } else {
        "assertion"
    };
    let Some(expected_digest) = base64_of(child(reference, NS_DSIG, "DigestValue")) else {
        return Outcome::Refused(SamlError::new(
            SamlErrorCode::SignatureInvalid,
            format!("the {described}'s signature has no readable DigestValue"),
        ));
    };
    let digest_matches =
        hash(reference_digest, canonical_element.as_bytes()).is_ok_and(|computed| {
            computed.len() == expected_digest.len()
                && openssl::memcmp::eq(&computed, &expected_digest)
        });
    if !digest_matches {
        // Who signed tells the administrator whether the key or the content is wrong.
        let signer = match check_signature_value(signature, certificates, described) {
            SignatureValue::Verified(certificate) => format!(
                "it was signed with the registered certificate {}",
                certificate.fingerprint_sha256
            ),
            _ => format!(
                "nor does its signature verify with a registered certificate ({})",
                fingerprints(certificates)
            ),
        };
        return Outcome::Refused(SamlError::new(
            SamlErrorCode::SignatureInvalid,
            format!(
                "the {described}'s content does not match the digest in its signature, so it was changed after signing; {signer}"
            ),
        ));
    }
    match check_signature_value(signature, certificates, described) {
        SignatureValue::Verified(certificate) => {
            Outcome::Verified(certificate.fingerprint_sha256.clone())
        }
        SignatureValue::Refused(error) => Outcome::Refused(error),
        SignatureValue::Unsupported(what) => Outcome::Unsupported(what),
    }
}

/// Which registered certificate's key verifies `SignatureValue` over the canonical `SignedInfo`.
pub enum SignatureValue<'c> {
    Verified(&'c Certificate),
    Refused(SamlError),
    Unsupported(&'static str),
}

/// Checks only the signature value (not the reference's digest): the hinted registered certificate first, then the
/// others, one public-key operation each. libxmlsec's path uses it too, to hand libxmlsec the one key that signed
/// (a single parse) or to refuse before libxmlsec parses anything.
pub fn check_signature_value<'c>(
    signature: Node<'_, '_>,
    certificates: &'c [Certificate],
    described: &str,
) -> SignatureValue<'c> {
    let Some(signed_info) = child(signature, NS_DSIG, "SignedInfo") else {
        return SignatureValue::Unsupported("no SignedInfo");
    };
    let canonicalization = child(signed_info, NS_DSIG, "CanonicalizationMethod");
    if algorithm(canonicalization) != Some(EXC_C14N)
        || canonicalization.is_some_and(|c| c.children().any(|n| n.is_element()))
    {
        return SignatureValue::Unsupported(
            "SignedInfo canonicalization other than plain exclusive C14N",
        );
    }
    let Some((kind, signature_digest)) =
        algorithm(child(signed_info, NS_DSIG, "SignatureMethod")).and_then(signature_method)
    else {
        return SignatureValue::Unsupported("signature method");
    };
    let Some(canonical_signed_info) = canonicalize(signed_info, None) else {
        return SignatureValue::Unsupported("processing instructions in SignedInfo");
    };
    let Some(signature_value) = base64_of(child(signature, NS_DSIG, "SignatureValue")) else {
        return SignatureValue::Refused(SamlError::new(
            SamlErrorCode::SignatureInvalid,
            format!("the {described}'s signature has no readable SignatureValue"),
        ));
    };
    let offered = key_info_der(signature);
    let hinted = certificates
        .iter()
        .filter(|c| offered.as_deref() == Some(c.der()));
    let others = certificates
        .iter()
        .filter(|c| offered.as_deref() != Some(c.der()));
    for certificate in hinted.chain(others) {
        if signature_verifies(
            certificate,
            kind,
            signature_digest,
            canonical_signed_info.as_bytes(),
            &signature_value,
        ) {
            return SignatureValue::Verified(certificate);
        }
    }
    let registered = fingerprints(certificates);
    // For the diagnosis only: was it signed by the (unregistered) certificate it carries?
    if let Some(offered) = offered.and_then(|der| Certificate::from_der(der).ok()) {
        let registered_already = certificates
            .iter()
            .any(|c| c.fingerprint_sha256 == offered.fingerprint_sha256);
        if !registered_already
            && signature_verifies(
                &offered,
                kind,
                signature_digest,
                canonical_signed_info.as_bytes(),
                &signature_value,
            )
        {
            return SignatureValue::Refused(SamlError::new(
                SamlErrorCode::UntrustedCertificate,
                format!(
                    "the {described} is signed by the certificate in its KeyInfo (SHA-256 {}, subject {:?}), which is not registered for this identity provider; registered: {registered}",
                    offered.fingerprint_sha256, offered.subject
                ),
            ));
        }
    }
    SignatureValue::Refused(SamlError::new(
        SamlErrorCode::SignatureInvalid,
        format!(
            "the {described}'s signature does not verify with any registered certificate ({registered}): it was signed with another key or its content was changed after signing"
        ),
    ))
}

/// The DER of the certificate `KeyInfo` carries, if any: a hint which registered certificate to try first.
fn key_info_der(signature: Node<'_, '_>) -> Option<Vec<u8>> {
    let key_info = child(signature, NS_DSIG, "KeyInfo")?;
    let certificate = key_info
        .descendants()
        .find(|n| is(*n, NS_DSIG, "X509Certificate"));
    base64_of(certificate)
}

fn signature_verifies(
    certificate: &Certificate,
    kind: KeyKind,
    digest: MessageDigest,
    signed_info: &[u8],
    signature_value: &[u8],
) -> bool {
    let key = certificate.public_key();
    let signature = match (kind, key.id()) {
        (KeyKind::Rsa, Id::RSA) => signature_value.to_vec(),
        // XML-DSig writes ECDSA signatures as r and s side by side; openssl wants DER.
        (KeyKind::Ecdsa, Id::EC) => match ecdsa_der(signature_value) {
            Some(der) => der,
            None => return false,
        },
        _ => return false,
    };
    Verifier::new(digest, key)
        .and_then(|mut verifier| verifier.verify_oneshot(&signature, signed_info))
        .unwrap_or(false)
}

fn ecdsa_der(raw: &[u8]) -> Option<Vec<u8>> {
    if raw.is_empty() || raw.len() % 2 != 0 {
        return None;
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    let signature =
        EcdsaSig::from_private_components(BigNum::from_slice(r).ok()?, BigNum::from_slice(s).ok()?)
            .ok()?;
    signature.to_der().ok()
}
