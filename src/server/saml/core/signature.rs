//! Checklist item 2: what a `ds:Signature` may contain, and its verification with libxmlsec against the
//! certificates registered for the identity provider, never one from `KeyInfo`.
//!
//! Verification goes through samael's `reduce_xml_to_signed` in `PreDigest` mode: libxmlsec verifies every
//! signature libxml2 finds, and hands back the canonical bytes it hashed for the signed element. Values are read
//! from those bytes only, so no difference between how libxml2 and our reader see the original document can make
//! us read something the signature does not cover. (That mode returns before the steps of samael's reduction that
//! leak memory; the soak benchmark watches it.)
//!
//! The structure is checked before any cryptography: one reference, to the element that holds the signature (`""`
//! only for the document's root); only the enveloped-signature and exclusive C14N transforms; no `ds:Object`,
//! `ds:Manifest` or `ds:RetrievalMethod`; SHA-256 or stronger unless the administrator allowed SHA-1.

use roxmltree::Node;
use samael::crypto::{CertificateDer, Crypto, CryptoProvider, ReduceMode};

use super::certificate::{fingerprints, Certificate};
use super::error::{SamlError, SamlErrorCode};
use super::xml::{child, children, is, text, NS_DSIG};

const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const EXC_C14N_WITH_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
const C14N_10: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";

const STRONG_SIGNATURE_METHODS: &[&str] = &[
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
];
const SHA1_SIGNATURE_METHODS: &[&str] = &[
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
];
const STRONG_DIGESTS: &[&str] = &[
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
];
const SHA1_DIGEST: &str = "http://www.w3.org/2000/09/xmldsig#sha1";

/// The value of an element's `ID` attribute, the one SAML references point to.
pub fn id_of<'a>(node: Node<'a, '_>) -> Option<&'a str> {
    node.attribute("ID")
}

/// Checks one signature's structure. `parent` is the element the signature sits in, which it must sign.
pub fn check_structure(
    signature: Node<'_, '_>,
    parent: Node<'_, '_>,
    allow_sha1: bool,
) -> Result<(), SamlError> {
    if let Some(found) = signature.descendants().find(|n| {
        is(*n, NS_DSIG, "Object")
            || is(*n, NS_DSIG, "Manifest")
            || is(*n, NS_DSIG, "RetrievalMethod")
    }) {
        return Err(SamlError::new(
            SamlErrorCode::SignatureContentForbidden,
            format!(
                "the signature contains ds:{}, which is never allowed in a SAML response",
                found.tag_name().name()
            ),
        ));
    }
    let malformed = |what: &str| SamlError::new(SamlErrorCode::SignatureInvalid, what.to_string());
    let signed_info = child(signature, NS_DSIG, "SignedInfo")
        .ok_or_else(|| malformed("the signature has no ds:SignedInfo"))?;

    let canonicalization = child(signed_info, NS_DSIG, "CanonicalizationMethod")
        .and_then(|n| n.attribute("Algorithm"))
        .unwrap_or("(none)");
    if ![EXC_C14N, EXC_C14N_WITH_COMMENTS, C14N_10].contains(&canonicalization) {
        return Err(SamlError::mismatch(
            SamlErrorCode::TransformForbidden,
            "SignedInfo canonicalization",
            EXC_C14N,
            canonicalization,
        ));
    }

    let method = child(signed_info, NS_DSIG, "SignatureMethod")
        .and_then(|n| n.attribute("Algorithm"))
        .unwrap_or("(none)");
    let method_allowed = STRONG_SIGNATURE_METHODS.contains(&method)
        || (allow_sha1 && SHA1_SIGNATURE_METHODS.contains(&method));
    if !method_allowed {
        return Err(algorithm_refused("signature algorithm", method, allow_sha1));
    }

    let references: Vec<_> = children(signed_info, NS_DSIG, "Reference").collect();
    let [reference] = references.as_slice() else {
        return Err(SamlError::new(
            SamlErrorCode::ReferenceForbidden,
            format!(
                "the signature has {} references; exactly one, to the signed element, is allowed",
                references.len()
            ),
        ));
    };
    check_reference_uri(reference.attribute("URI"), parent)?;

    if let Some(transforms) = child(*reference, NS_DSIG, "Transforms") {
        for transform in children(transforms, NS_DSIG, "Transform") {
            let algorithm = transform.attribute("Algorithm").unwrap_or("(none)");
            if algorithm != ENVELOPED && algorithm != EXC_C14N {
                return Err(SamlError::new(
                    SamlErrorCode::TransformForbidden,
                    format!(
                        "the reference uses the transform {algorithm:?}; only {ENVELOPED:?} and {EXC_C14N:?} are allowed"
                    ),
                ));
            }
        }
    }

    let digest = child(*reference, NS_DSIG, "DigestMethod")
        .and_then(|n| n.attribute("Algorithm"))
        .unwrap_or("(none)");
    let digest_allowed = STRONG_DIGESTS.contains(&digest) || (allow_sha1 && digest == SHA1_DIGEST);
    if !digest_allowed {
        return Err(algorithm_refused("digest algorithm", digest, allow_sha1));
    }
    Ok(())
}

fn algorithm_refused(what: &str, algorithm: &str, allow_sha1: bool) -> SamlError {
    let hint = if !allow_sha1 && algorithm.ends_with("sha1") {
        " (SHA-1 is refused unless an administrator allows it for this identity provider)"
    } else {
        ""
    };
    SamlError::new(
        SamlErrorCode::SignatureAlgorithmForbidden,
        format!(
            "the {what} is {algorithm:?}; RSA or ECDSA with SHA-256 or stronger is required{hint}"
        ),
    )
}

fn check_reference_uri(uri: Option<&str>, parent: Node<'_, '_>) -> Result<(), SamlError> {
    let parent_is_root = parent.parent().is_some_and(|p| p.is_root());
    let parent_id = id_of(parent).unwrap_or("");
    match uri {
        Some("") | None if parent_is_root => Ok(()),
        Some("") | None => Err(SamlError::new(
            SamlErrorCode::ReferenceForbidden,
            "the assertion's signature references the whole document instead of the assertion",
        )),
        Some(uri) => match uri.strip_prefix('#') {
            Some(id) if !parent_id.is_empty() && id == parent_id => Ok(()),
            Some(id) => Err(SamlError::new(
                SamlErrorCode::SignatureWrapping,
                format!(
                    "the signature inside the element with ID {parent_id:?} references {id:?}: a signature must sign the element it belongs to"
                ),
            )),
            None => Err(SamlError::new(
                SamlErrorCode::ReferenceForbidden,
                format!("the signature references {uri:?}; only \"\" or \"#ID\" of the signed element are allowed"),
            )),
        },
    }
}

/// The certificate an attacker (or a misconfigured IdP) put in `KeyInfo`, for the diagnosis only.
fn key_info_certificate(signature: Node<'_, '_>) -> Option<Certificate> {
    let key_info = child(signature, NS_DSIG, "KeyInfo")?;
    let cert = key_info
        .descendants()
        .find(|n| is(*n, NS_DSIG, "X509Certificate"))?;
    Certificate::from_text(&text(cert)).ok()
}

extern "C" {
    /// libxmlsec's switch for its default error callback, which otherwise prints every failed check to stderr.
    fn xmlSecErrorsDefaultCallbackEnableOutput(enabled: std::os::raw::c_int);
}

/// A refused signature is an expected outcome here, reported with its own code; libxmlsec's own stderr lines
/// would only flood the logs (an attacker could post thousands).
fn silence_libxmlsec_errors() {
    static SILENCED: std::sync::Once = std::sync::Once::new();
    // SAFETY: sets one global flag in libxmlsec (linked through samael); no pointers, callable at any time.
    SILENCED.call_once(|| unsafe { xmlSecErrorsDefaultCallbackEnableOutput(0) });
}

/// What was verified: the registered certificate that verified it and, when libxmlsec verified, the canonical
/// form it hashed of the signed element (the response, or the assertion when only it is signed).
pub struct Verified {
    pub canonical_xml: Option<String>,
    pub certificate_sha256: String,
}

/// Verifies every signature of `document` with one registered certificate after another.
pub fn verify(
    document: &str,
    signature: Node<'_, '_>,
    certificates: &[Certificate],
    signed_element: &str,
) -> Result<Verified, SamlError> {
    silence_libxmlsec_errors();
    for certificate in certificates {
        let der = CertificateDer::from(certificate.der().to_vec());
        if let Ok(canonical_xml) =
            Crypto::reduce_xml_to_signed(document, &[der], ReduceMode::PreDigest)
        {
            return Ok(Verified {
                canonical_xml: Some(canonical_xml),
                certificate_sha256: certificate.fingerprint_sha256.clone(),
            });
        }
    }
    Err(diagnose(document, signature, certificates, signed_element))
}

/// Why no registered certificate verified the document; the `KeyInfo` certificate is tried for the diagnosis only.
fn diagnose(
    document: &str,
    signature: Node<'_, '_>,
    certificates: &[Certificate],
    signed_element: &str,
) -> SamlError {
    let registered = fingerprints(certificates);
    if let Some(offered) = key_info_certificate(signature) {
        let registered_already = certificates
            .iter()
            .any(|c| c.fingerprint_sha256 == offered.fingerprint_sha256);
        let der = CertificateDer::from(offered.der().to_vec());
        if !registered_already
            && Crypto::reduce_xml_to_signed(document, &[der], ReduceMode::PreDigest).is_ok()
        {
            return SamlError::new(
                SamlErrorCode::UntrustedCertificate,
                format!(
                    "the {signed_element} is signed by the certificate in its KeyInfo (SHA-256 {}, subject {:?}), which is not registered for this identity provider; registered: {registered}",
                    offered.fingerprint_sha256, offered.subject
                ),
            );
        }
    }
    SamlError::new(
        SamlErrorCode::SignatureInvalid,
        format!(
            "the {signed_element}'s signature does not verify with any registered certificate ({registered}): it was signed with another key or its content was changed after signing"
        ),
    )
}
