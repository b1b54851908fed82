//! The ACS validator: a pure function of (response text, IdP trust, SP endpoints, current time, outstanding request
//! IDs) that returns the accepted identity or the first checklist item the response violates.
//!
//! The document is parsed once (roxmltree) for the structure and the values, and the signatures are verified by
//! libxmlsec over the same text. Signature wrapping is ruled out structurally before anything is read: exactly one
//! `samlp:Response` (the root) and one `saml:Assertion` (its child), every ID unique, and each signature a child of
//! the element it references. Values are then read only from elements a verified signature covers: the assertion
//! always (its own signature, or the response's), the response envelope only when the response itself is signed or
//! when its values are cross-checked against signed ones.
//!
//! Replay (checklist item 8) needs shared state, so the validator returns the assertion ID and how long to remember
//! it, and the caller records it; consuming the matched request ID is likewise the caller's job.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use roxmltree::{Document, Node, ParsingOptions};

use super::budget::{self, RESPONSE_BUDGET};
use super::c14n::canonicalize;
use super::config::{IdpTrust, NameIdFormat, SpEndpoints};
use super::envelope::check_xml_str;
use super::error::{SamlError, SamlErrorCode};
use super::signature::{self, id_of};
use super::time::{check_session_end, check_times, Window};
use super::xml::{
    child, children, describe, excerpt, is, text, NS_ASSERTION, NS_DSIG, NS_PROTOCOL, NS_XML,
};
use super::xmldsig::{self, Outcome, SignatureValue};

const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/// Bounds the nodes roxmltree builds (elements, text, comments, processing instructions). A backstop only: the
/// budget scan allows 4,096 elements, comments and processing instructions, so with the text between them a
/// document within budget has fewer than 8,200 nodes.
const MAX_NODES: u32 = 20_000;

/// What an assertion may say about the person: attributes, their values in all, and one value's length. Real
/// assertions carry a dozen attributes; a thousand values leaves room for large group lists.
pub const MAX_ASSERTION_ATTRIBUTES: usize = 128;
pub const MAX_ATTRIBUTE_VALUES: usize = 1_024;
pub const MAX_ATTRIBUTE_VALUE_CHARS: usize = 1_024;
/// Responses whose signature only libxmlsec verifies here (see [`SignatureEngine`]) parse again in libxml2, at
/// several times the cost; they are accepted up to this size, which real ones stay well below.
pub const MAX_LIBXMLSEC_XML_BYTES: usize = 32 * 1024;
/// SAML core (8.3.7) caps persistent identifiers at 256 characters; an email address is shorter.
pub const MAX_NAME_ID_CHARS: usize = 256;
/// Unsigned text the identity provider sends for people to read (StatusMessage): kept to a few hundred characters.
pub const MAX_UNSIGNED_TEXT_CHARS: usize = 300;

/// Who verifies signatures: our verifier over the parsed tree (falling back to libxmlsec for constructs it does not
/// implement), or libxmlsec alone (the differential oracle in the tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureEngine {
    Native,
    Libxmlsec,
}

/// How the response relates to a request we sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Solicitation {
    /// It answers this outstanding request; the caller consumes the request ID.
    Answers(String),
    /// IdP-initiated, accepted because the IdP allows it.
    Unsolicited,
}

/// A person the identity provider vouched for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcceptedIdentity {
    pub idp_entity_id: String,
    pub name_id: String,
    pub name_id_format: NameIdFormat,
    /// Attribute name → values, in document order.
    pub attributes: BTreeMap<String, Vec<String>>,
    /// `AuthnStatement/@SessionNotOnOrAfter`: the IdP's cap on the session, if it sets one.
    pub session_not_on_or_after: Option<DateTime<Utc>>,
    pub session_index: Option<String>,
    pub assertion_id: String,
    /// Until when the assertion could be replayed: the replay cache keeps its ID until then.
    pub valid_until: DateTime<Utc>,
    pub solicitation: Solicitation,
    /// The registered certificate that verified the signature.
    pub signing_certificate_sha256: String,
}

impl AcceptedIdentity {
    /// The first value of an attribute.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .get(name)
            .and_then(|values| values.first())
            .map(String::as_str)
    }
}

/// Validates a decoded response (see [`super::envelope`] for decoding the HTTP-POST value).
pub fn validate(
    xml: &str,
    idp: &IdpTrust,
    sp: &SpEndpoints,
    now: DateTime<Utc>,
    outstanding_request_ids: &[&str],
) -> Result<AcceptedIdentity, SamlError> {
    validate_with(
        SignatureEngine::Native,
        xml,
        idp,
        sp,
        now,
        outstanding_request_ids,
    )
}

/// [`validate`] with a chosen signature engine.
pub fn validate_with(
    engine: SignatureEngine,
    xml: &str,
    idp: &IdpTrust,
    sp: &SpEndpoints,
    now: DateTime<Utc>,
    outstanding_request_ids: &[&str],
) -> Result<AcceptedIdentity, SamlError> {
    let xml = check_xml_str(xml.as_bytes())?;
    // Before any parser recurses or does work that grows faster than the input.
    budget::check(xml, &RESPONSE_BUDGET).map_err(SamlError::over_budget)?;
    if idp.certificates.is_empty() {
        return Err(SamlError::new(
            SamlErrorCode::NoRegisteredCertificate,
            format!(
                "identity provider {:?} has no registered signing certificate, so no response can be trusted",
                idp.entity_id
            ),
        ));
    }
    let document = Document::parse_with_options(xml, parsing_options()).map_err(|e| {
        SamlError::new(
            SamlErrorCode::MalformedXml,
            format!("the XML is not well-formed: {e}"),
        )
    })?;
    let response = document.root_element();
    if !is(response, NS_PROTOCOL, "Response") {
        return Err(SamlError::new(
            SamlErrorCode::MalformedXml,
            format!(
                "the document is a {} element, not a samlp:Response",
                describe(response)
            ),
        ));
    }

    // An error status usually comes unsigned and without an assertion; saying what the IdP reported is the most
    // useful diagnosis, and refusing is safe whatever the status claims.
    check_status(response)?;
    let census = census(&document)?;
    let assertion = the_assertion(&census, response)?;
    let signatures = locate_signatures(&census, response, assertion)?;
    for (signature, parent) in signatures.iter() {
        signature::check_structure(signature, parent, idp.allow_sha1)?;
    }
    let verified = verify_signatures(engine, xml, &signatures, idp)?;
    let signing_certificate_sha256 = verified.certificate_sha256.clone();
    let response_signed = signatures.response.is_some();
    // Fast path: when our own canonical form of the signed element equals the bytes libxmlsec hashed, the element
    // as we parsed it is exactly what is signed. Otherwise read the hashed bytes themselves.
    let (signed_original, enveloped) = if response_signed {
        (response, signatures.response)
    } else {
        (assertion, signatures.assertion)
    };
    // Our own verifier checked the tree we parsed; libxmlsec's bytes are compared with it, else read themselves.
    let hashed_elsewhere = verified
        .canonical_xml
        .as_deref()
        .filter(|hashed| canonicalize(signed_original, enveloped).as_deref() != Some(*hashed));
    let signed_document = match hashed_elsewhere {
        None => None,
        Some(hashed) => Some(
            Document::parse_with_options(hashed, parsing_options()).map_err(|e| {
                SamlError::new(
                    SamlErrorCode::SignatureWrapping,
                    format!("the signed content could not be read back: {e}"),
                )
            })?,
        ),
    };
    let (response, assertion) = match &signed_document {
        None => (response, assertion),
        Some(signed) => signed_elements(signed, response, assertion, response_signed)?,
    };

    // From here on the assertion (and, when it is signed, the response) is read from the bytes libxmlsec hashed;
    // unsigned response attributes are only ever compared with what we expect.
    let issuer = child(assertion, NS_ASSERTION, "Issuer").map(text);
    check_issuer("Assertion Issuer", issuer.as_deref(), &idp.entity_id)?;
    if let Some(response_issuer) = child(response, NS_ASSERTION, "Issuer") {
        check_issuer(
            "Response Issuer",
            Some(&text(response_issuer)),
            &idp.entity_id,
        )?;
    }

    let destination = response.attribute("Destination").unwrap_or("");
    if destination != sp.acs_url {
        return Err(SamlError::mismatch(
            SamlErrorCode::DestinationMismatch,
            "Response Destination",
            &sp.acs_url,
            destination,
        ));
    }
    check_audience(assertion, &sp.entity_id)?;
    let subject = child(assertion, NS_ASSERTION, "Subject").ok_or_else(|| {
        SamlError::new(
            SamlErrorCode::NameIdMissing,
            "the assertion has no saml:Subject",
        )
    })?;
    let confirmation = bearer_confirmation(subject, &sp.acs_url)?;

    let issue_instants = [
        ("Response", instant(response, "IssueInstant", "Response")?),
        (
            "Assertion",
            instant(assertion, "IssueInstant", "Assertion")?,
        ),
    ];
    let conditions = child(assertion, NS_ASSERTION, "Conditions");
    let mut windows = Vec::with_capacity(2);
    if let Some(conditions) = conditions {
        windows.push(window(conditions, "Conditions")?);
    }
    windows.push(window(confirmation, "SubjectConfirmationData")?);
    let valid_until = check_times(
        &issue_instants
            .iter()
            .map(|(what, at)| (*what, *at))
            .collect::<Vec<_>>(),
        &windows,
        now,
        idp.clock_skew,
    )?;

    let solicitation = check_in_response_to(
        response,
        response_signed,
        confirmation,
        idp,
        outstanding_request_ids,
    )?;
    let (name_id, name_id_format) = name_id(subject, idp.name_id_format)?;

    let authn_statement = child(assertion, NS_ASSERTION, "AuthnStatement");
    let session_not_on_or_after = match authn_statement {
        Some(statement) => optional_instant(statement, "SessionNotOnOrAfter", "AuthnStatement")?,
        None => None,
    };
    check_session_end(session_not_on_or_after, now, idp.clock_skew)?;
    let session_index = authn_statement
        .and_then(|s| s.attribute("SessionIndex"))
        .map(str::to_string);

    Ok(AcceptedIdentity {
        idp_entity_id: idp.entity_id.clone(),
        name_id,
        name_id_format,
        attributes: attributes(assertion)?,
        session_not_on_or_after,
        session_index,
        assertion_id: id_of(assertion).unwrap_or_default().to_string(),
        valid_until,
        solicitation,
        signing_certificate_sha256,
    })
}

fn check_status(response: Node<'_, '_>) -> Result<(), SamlError> {
    let status = child(response, NS_PROTOCOL, "Status");
    let code = status.and_then(|s| child(s, NS_PROTOCOL, "StatusCode"));
    let value = code
        .and_then(|c| c.attribute("Value"))
        .unwrap_or("(missing)");
    if value == STATUS_SUCCESS {
        return Ok(());
    }
    let detail = code
        .and_then(|c| child(c, NS_PROTOCOL, "StatusCode"))
        .and_then(|c| c.attribute("Value"));
    let message = status
        .and_then(|s| child(s, NS_PROTOCOL, "StatusMessage"))
        .map(text);
    let mut diagnosis = format!(
        "the identity provider answered with status {}",
        excerpt(value, MAX_UNSIGNED_TEXT_CHARS)
    );
    if let Some(detail) = detail {
        diagnosis.push_str(&format!(" / {}", excerpt(detail, MAX_UNSIGNED_TEXT_CHARS)));
    }
    if let Some(message) = message.filter(|m| !m.is_empty()) {
        diagnosis.push_str(&format!(
            " with the unsigned message {:?}",
            excerpt(&message, MAX_UNSIGNED_TEXT_CHARS)
        ));
    }
    Err(SamlError::new(SamlErrorCode::StatusNotSuccess, diagnosis))
}

/// What one walk over the document finds: the elements wrapping attacks play with. The walk also refuses
/// undeclared prefixes and repeated IDs.
struct Census<'a, 'input> {
    responses: usize,
    encrypted_assertion: bool,
    assertions: Vec<Node<'a, 'input>>,
    signatures: Vec<Node<'a, 'input>>,
}

fn census<'a, 'input>(document: &'a Document<'input>) -> Result<Census<'a, 'input>, SamlError> {
    let mut census = Census {
        responses: 0,
        encrypted_assertion: false,
        assertions: Vec::with_capacity(1),
        signatures: Vec::with_capacity(2),
    };
    // A response holds a handful of IDs, but a hostile one may hold thousands (one per element): a map keeps the
    // check linear.
    let mut ids: HashMap<&str, Node<'a, 'input>> = HashMap::with_capacity(8);
    for element in document.descendants().filter(Node::is_element) {
        check_namespace_declarations(element)?;
        check_unique_ids(element, &mut ids)?;
        match (element.tag_name().namespace(), element.tag_name().name()) {
            (Some(NS_PROTOCOL), "Response") => census.responses += 1,
            (Some(NS_ASSERTION), "Assertion") => census.assertions.push(element),
            (Some(NS_ASSERTION), "EncryptedAssertion") => census.encrypted_assertion = true,
            (Some(NS_DSIG), "Signature") => census.signatures.push(element),
            _ => {}
        }
    }
    Ok(census)
}

/// Every ID-like attribute value in the document is unique, so a reference can only resolve to one element, in
/// libxmlsec as here.
fn check_unique_ids<'a, 'input>(
    element: Node<'a, 'input>,
    seen: &mut HashMap<&'a str, Node<'a, 'input>>,
) -> Result<(), SamlError> {
    for attribute in element.attributes() {
        // libxmlsec registers every attribute whose local name is ID, in any namespace.
        let is_id = match attribute.namespace() {
            None => matches!(attribute.name(), "ID" | "Id" | "id" | "AssertionID"),
            Some(NS_XML) => attribute.name() == "id",
            Some(_) => attribute.name() == "ID",
        };
        if !is_id {
            continue;
        }
        if let Some(first) = seen.get(attribute.value()) {
            return Err(SamlError::new(
                SamlErrorCode::DuplicateId,
                format!(
                    "the ID {:?} is used by both a {} and a {} element",
                    excerpt(attribute.value(), 64),
                    describe(*first),
                    describe(element)
                ),
            ));
        }
        seen.insert(attribute.value(), element);
    }
    Ok(())
}

/// Exactly one `samlp:Response` (the root) and one `saml:Assertion`, a child of the root. Copies of signed elements
/// hidden elsewhere (in `Extensions`, in a signature, inside another assertion) are what wrapping attacks need.
fn the_assertion<'a, 'input>(
    census: &Census<'a, 'input>,
    response: Node<'a, 'input>,
) -> Result<Node<'a, 'input>, SamlError> {
    let responses = census.responses;
    if responses != 1 {
        return Err(SamlError::new(
            SamlErrorCode::SignatureWrapping,
            format!("the document holds {responses} samlp:Response elements; only the root one is allowed"),
        ));
    }
    if census.encrypted_assertion {
        return Err(SamlError::new(
            SamlErrorCode::AssertionCount,
            "the response holds an encrypted assertion; configure the identity provider to sign assertions without encrypting them",
        ));
    }
    let assertions = &census.assertions;
    let [assertion] = assertions.as_slice() else {
        return Err(SamlError::new(
            SamlErrorCode::AssertionCount,
            format!(
                "the response holds {} saml:Assertion elements; exactly one is required",
                assertions.len()
            ),
        ));
    };
    if assertion.parent() != Some(response) {
        return Err(SamlError::new(
            SamlErrorCode::SignatureWrapping,
            format!(
                "the assertion sits inside a {} element instead of directly in the response",
                assertion.parent().map(describe).unwrap_or_default()
            ),
        ));
    }
    if id_of(*assertion).unwrap_or("").is_empty() {
        return Err(SamlError::new(
            SamlErrorCode::MalformedXml,
            "the assertion has no ID",
        ));
    }
    Ok(*assertion)
}

/// The signatures found: on the response and/or on the assertion, each with the element it sits in.
struct Signatures<'a, 'input> {
    response: Option<Node<'a, 'input>>,
    assertion: Option<Node<'a, 'input>>,
    response_node: Node<'a, 'input>,
    assertion_node: Node<'a, 'input>,
}

impl<'a, 'input> Signatures<'a, 'input> {
    fn iter(&self) -> impl Iterator<Item = (Node<'a, 'input>, Node<'a, 'input>)> + '_ {
        self.response
            .map(|s| (s, self.response_node))
            .into_iter()
            .chain(self.assertion.map(|s| (s, self.assertion_node)))
    }
}

fn locate_signatures<'a, 'input>(
    census: &Census<'a, 'input>,
    response: Node<'a, 'input>,
    assertion: Node<'a, 'input>,
) -> Result<Signatures<'a, 'input>, SamlError> {
    let mut found = Signatures {
        response: None,
        assertion: None,
        response_node: response,
        assertion_node: assertion,
    };
    for &signature in &census.signatures {
        let parent = signature.parent();
        let slot = if parent == Some(response) {
            &mut found.response
        } else if parent == Some(assertion) {
            &mut found.assertion
        } else {
            return Err(SamlError::new(
                SamlErrorCode::SignatureWrapping,
                format!(
                    "a ds:Signature sits inside a {} element; signatures belong directly in the response or the assertion",
                    parent.map(describe).unwrap_or_default()
                ),
            ));
        };
        if slot.replace(signature).is_some() {
            return Err(SamlError::new(
                SamlErrorCode::SignatureWrapping,
                format!(
                    "the {} holds two signatures",
                    parent.map(describe).unwrap_or_default()
                ),
            ));
        }
        check_signature_position(signature)?;
    }
    if found.response.is_none() && found.assertion.is_none() {
        return Err(SamlError::new(
            SamlErrorCode::SignatureMissing,
            "neither the response nor the assertion carries a ds:Signature",
        ));
    }
    Ok(found)
}

/// The schema puts a signature right after the element's `saml:Issuer` (or first, without one). Holding to it also
/// means the response's signature precedes the assertion, which is what libxmlsec verifies first.
fn check_signature_position(signature: Node<'_, '_>) -> Result<(), SamlError> {
    let previous = signature.prev_siblings().skip(1).find(Node::is_element);
    match previous {
        None => Ok(()),
        Some(previous) if is(previous, NS_ASSERTION, "Issuer") => Ok(()),
        Some(previous) => Err(SamlError::new(
            SamlErrorCode::SignatureWrapping,
            format!(
                "the ds:Signature follows a {} element; it must come right after saml:Issuer",
                describe(previous)
            ),
        )),
    }
}

fn parsing_options() -> ParsingOptions {
    ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
    }
}

/// Every signature must verify. Our verifier checks each over the parsed tree; when one uses a construct it does
/// not implement, libxmlsec verifies every signature in the document instead, and the canonical bytes it returns
/// are the response's when it is signed (they include the assertion), else the assertion's.
fn verify_signatures(
    engine: SignatureEngine,
    xml: &str,
    signatures: &Signatures<'_, '_>,
    idp: &IdpTrust,
) -> Result<signature::Verified, SamlError> {
    if engine == SignatureEngine::Native {
        let mut first_certificate = None;
        let mut unsupported = None;
        for (signature, parent) in signatures.iter() {
            match xmldsig::verify(signature, parent, &idp.certificates) {
                // Both signatures must verify with one registered certificate, as libxmlsec (the oracle, and
                // the path for what we do not implement) requires: an identity provider signs both with its
                // current key.
                Outcome::Verified(fingerprint) => match &first_certificate {
                    Some(first) if *first != fingerprint => {
                        return Err(SamlError::new(
                            SamlErrorCode::SignatureInvalid,
                            format!(
                                "the response is signed with the registered certificate {first} and the assertion with {fingerprint}; both signatures must verify with the same certificate"
                            ),
                        ))
                    }
                    Some(_) => {}
                    None => first_certificate = Some(fingerprint),
                },
                Outcome::Refused(error) => return Err(error),
                Outcome::Unsupported(what) => {
                    unsupported = Some(what);
                    break;
                }
            }
        }
        if let (None, Some(certificate_sha256)) = (unsupported, first_certificate) {
            return Ok(signature::Verified {
                canonical_xml: None,
                certificate_sha256,
            });
        }
        if xml.len() > MAX_LIBXMLSEC_XML_BYTES {
            return Err(SamlError::new(
                SamlErrorCode::SlowSignatureTooLarge,
                format!(
                    "the signature uses {}, which only the slower libxmlsec path verifies here, and such responses may be at most {MAX_LIBXMLSEC_XML_BYTES} bytes (this one is {}); configure the identity provider to sign with plain exclusive C14N, or to send fewer attributes",
                    unsupported.unwrap_or("an unusual construct"),
                    xml.len()
                ),
            ));
        }
    }
    // libxmlsec parses the document once per certificate it is given: when the signature value can be checked
    // here, it gets only the certificate that signed (or nothing to do at all).
    let (first, described) = match (signatures.response, signatures.assertion) {
        (Some(first), _) => (first, "response"),
        (None, Some(first)) => (first, "assertion"),
        (None, None) => {
            return Err(SamlError::new(
                SamlErrorCode::SignatureMissing,
                "nothing is signed",
            ))
        }
    };
    let signer = match engine {
        SignatureEngine::Libxmlsec => idp.certificates.as_slice(),
        SignatureEngine::Native => {
            match xmldsig::check_signature_value(first, &idp.certificates, described) {
                SignatureValue::Verified(certificate) => std::slice::from_ref(certificate),
                SignatureValue::Refused(error) => return Err(error),
                SignatureValue::Unsupported(_) => idp.certificates.as_slice(),
            }
        }
    };
    match (signatures.response, signatures.assertion) {
        (Some(first), _) => signature::verify(xml, first, signer, "response"),
        (None, Some(first)) => signature::verify(xml, first, signer, "assertion"),
        (None, None) => Err(SamlError::new(
            SamlErrorCode::SignatureMissing,
            "nothing is signed",
        )),
    }
}

/// The response and assertion to read from: the signed element as libxmlsec canonicalized it, which must be the
/// element our own reading of the document found (same name, same ID), else the two parsers disagree about the
/// document and it is refused.
fn signed_elements<'a, 'input>(
    signed: &'a Document<'input>,
    response: Node<'a, 'input>,
    assertion: Node<'a, 'input>,
    response_signed: bool,
) -> Result<(Node<'a, 'input>, Node<'a, 'input>), SamlError> {
    let root = signed.root_element();
    let differs = |what: &str| {
        SamlError::new(
            SamlErrorCode::SignatureWrapping,
            format!(
                "libxmlsec verified a different element than the {what} this response presents"
            ),
        )
    };
    if !response_signed {
        if !is(root, NS_ASSERTION, "Assertion") || id_of(root) != id_of(assertion) {
            return Err(differs("assertion"));
        }
        return Ok((response, root));
    }
    if !is(root, NS_PROTOCOL, "Response") || id_of(root) != id_of(response) {
        return Err(differs("response"));
    }
    let signed_assertions: Vec<_> = children(root, NS_ASSERTION, "Assertion").collect();
    match signed_assertions.as_slice() {
        [only]
            if id_of(*only) == id_of(assertion)
                && signed
                    .descendants()
                    .filter(|n| is(*n, NS_ASSERTION, "Assertion"))
                    .count()
                    == 1 =>
        {
            Ok((root, *only))
        }
        _ => Err(differs("assertion")),
    }
}

/// `xmlns:p=""` is not allowed by Namespaces in XML; libxml2 drops such a declaration (keeping the outer binding)
/// while other readers take it, so the two would see different elements.
fn check_namespace_declarations(element: Node<'_, '_>) -> Result<(), SamlError> {
    if let Some(ns) = element
        .namespaces()
        .find(|ns| ns.name().is_some() && ns.uri().is_empty())
    {
        return Err(SamlError::new(
            SamlErrorCode::MalformedXml,
            format!(
                "the {} element undeclares the prefix {:?} (xmlns:{}=\"\"), which XML namespaces do not allow",
                describe(element),
                ns.name().unwrap_or_default(),
                ns.name().unwrap_or_default()
            ),
        ));
    }
    if element.tag_name().namespace() == Some("") {
        return Err(SamlError::new(
            SamlErrorCode::MalformedXml,
            format!(
                "the {} element has an empty namespace name",
                describe(element)
            ),
        ));
    }
    Ok(())
}

fn check_issuer(what: &str, received: Option<&str>, expected: &str) -> Result<(), SamlError> {
    match received {
        Some(issuer) if issuer == expected => Ok(()),
        Some(issuer) => Err(SamlError::mismatch(
            SamlErrorCode::IssuerMismatch,
            what,
            expected,
            issuer,
        )),
        None => Err(SamlError::mismatch(
            SamlErrorCode::IssuerMismatch,
            what,
            expected,
            "(missing)",
        )),
    }
}

/// Every `AudienceRestriction` must name us (SAML core 2.5.1.4), and there must be at least one.
fn check_audience(assertion: Node<'_, '_>, sp_entity_id: &str) -> Result<(), SamlError> {
    let restrictions: Vec<_> = child(assertion, NS_ASSERTION, "Conditions")
        .map(|c| children(c, NS_ASSERTION, "AudienceRestriction").collect())
        .unwrap_or_default();
    if restrictions.is_empty() {
        return Err(SamlError::mismatch(
            SamlErrorCode::AudienceMismatch,
            "Audience",
            sp_entity_id,
            "(no AudienceRestriction)",
        ));
    }
    for restriction in restrictions {
        let audiences: Vec<String> = children(restriction, NS_ASSERTION, "Audience")
            .map(text)
            .collect();
        if !audiences.iter().any(|a| a == sp_entity_id) {
            return Err(SamlError::mismatch(
                SamlErrorCode::AudienceMismatch,
                "Audience",
                sp_entity_id,
                &audiences.join(", "),
            ));
        }
    }
    Ok(())
}

/// The bearer `SubjectConfirmationData` addressed to our ACS.
fn bearer_confirmation<'a, 'input>(
    subject: Node<'a, 'input>,
    acs_url: &str,
) -> Result<Node<'a, 'input>, SamlError> {
    let mut recipients = Vec::new();
    for confirmation in children(subject, NS_ASSERTION, "SubjectConfirmation") {
        if confirmation.attribute("Method") != Some(BEARER) {
            continue;
        }
        let Some(data) = child(confirmation, NS_ASSERTION, "SubjectConfirmationData") else {
            continue;
        };
        let recipient = data.attribute("Recipient").unwrap_or("(missing)");
        if recipient == acs_url {
            return Ok(data);
        }
        recipients.push(recipient.to_string());
    }
    let received = if recipients.is_empty() {
        "(no bearer SubjectConfirmationData)".to_string()
    } else {
        recipients.join(", ")
    };
    Err(SamlError::mismatch(
        SamlErrorCode::RecipientMismatch,
        "SubjectConfirmationData Recipient",
        acs_url,
        &received,
    ))
}

fn parse_instant(value: &str, what: &str) -> Result<DateTime<Utc>, SamlError> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            SamlError::new(
                SamlErrorCode::MalformedXml,
                format!("{what} {value:?} is not a valid time"),
            )
        })
}

fn optional_instant(
    node: Node<'_, '_>,
    attribute: &str,
    element: &str,
) -> Result<Option<DateTime<Utc>>, SamlError> {
    node.attribute(attribute)
        .map(|value| parse_instant(value, &format!("{element} {attribute}")))
        .transpose()
}

fn instant(node: Node<'_, '_>, attribute: &str, element: &str) -> Result<DateTime<Utc>, SamlError> {
    optional_instant(node, attribute, element)?.ok_or_else(|| {
        SamlError::new(
            SamlErrorCode::MalformedXml,
            format!("the {element} has no {attribute}"),
        )
    })
}

fn window<'a>(node: Node<'_, '_>, source: &'a str) -> Result<Window<'a>, SamlError> {
    Ok(Window {
        source,
        not_before: optional_instant(node, "NotBefore", source)?,
        not_on_or_after: optional_instant(node, "NotOnOrAfter", source)?,
    })
}

/// The signed `InResponseTo` (in the bearer confirmation) decides; the response's own, when present, must agree.
fn check_in_response_to(
    response: Node<'_, '_>,
    response_signed: bool,
    confirmation: Node<'_, '_>,
    idp: &IdpTrust,
    outstanding: &[&str],
) -> Result<Solicitation, SamlError> {
    let signed = confirmation.attribute("InResponseTo");
    let envelope = response.attribute("InResponseTo");
    if !response_signed && signed.is_none() && envelope.is_some() {
        // An unsigned envelope could otherwise turn an unsolicited assertion into an answer.
        return Err(SamlError::new(
            SamlErrorCode::InResponseToMismatch,
            "only the unsigned response names the request it answers (InResponseTo); the signed assertion's SubjectConfirmationData must",
        ));
    }
    if let (Some(signed), Some(envelope)) = (signed, envelope) {
        if signed != envelope {
            return Err(SamlError::mismatch(
                SamlErrorCode::InResponseToMismatch,
                "Response InResponseTo (must equal the assertion's)",
                signed,
                envelope,
            ));
        }
    }
    match signed.or(envelope) {
        Some(request_id) if outstanding.contains(&request_id) => Ok(Solicitation::Answers(request_id.to_string())),
        Some(request_id) => Err(SamlError::new(
            SamlErrorCode::InResponseToMismatch,
            format!(
                "InResponseTo is {request_id:?}, which is not a sign-in request outstanding in this browser ({} outstanding): it was already used, expired, or started elsewhere",
                outstanding.len()
            ),
        )),
        None if idp.allow_idp_initiated => Ok(Solicitation::Unsolicited),
        None => Err(SamlError::new(
            SamlErrorCode::Unsolicited,
            "the response answers no request (no InResponseTo) and IdP-initiated sign-in is not allowed for this identity provider",
        )),
    }
}

fn name_id(
    subject: Node<'_, '_>,
    expected: NameIdFormat,
) -> Result<(String, NameIdFormat), SamlError> {
    let node = child(subject, NS_ASSERTION, "NameID").ok_or_else(|| {
        SamlError::new(
            SamlErrorCode::NameIdMissing,
            "the assertion's subject has no saml:NameID",
        )
    })?;
    if node.children().any(|n| n.is_element()) {
        return Err(SamlError::new(
            SamlErrorCode::MalformedXml,
            "the NameID contains elements",
        ));
    }
    let value = text(node);
    if value.chars().count() > MAX_NAME_ID_CHARS {
        return Err(SamlError::new(
            SamlErrorCode::NameIdTooLong,
            format!("the NameID has more than {MAX_NAME_ID_CHARS} characters"),
        ));
    }
    if value.is_empty() {
        return Err(SamlError::new(
            SamlErrorCode::NameIdMissing,
            "the NameID is empty",
        ));
    }
    let format = node
        .attribute("Format")
        .unwrap_or("urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified");
    if format != expected.uri() {
        return Err(SamlError::mismatch(
            SamlErrorCode::NameIdFormatMismatch,
            "NameID Format",
            expected.uri(),
            format,
        ));
    }
    Ok((value, expected))
}

/// The attributes, within their budgets (each broken one refused with its own code).
fn attributes(assertion: Node<'_, '_>) -> Result<BTreeMap<String, Vec<String>>, SamlError> {
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut attribute_count = 0usize;
    let mut value_count = 0usize;
    for statement in children(assertion, NS_ASSERTION, "AttributeStatement") {
        for attribute in children(statement, NS_ASSERTION, "Attribute") {
            let Some(name) = attribute.attribute("Name") else {
                continue;
            };
            attribute_count += 1;
            if attribute_count > MAX_ASSERTION_ATTRIBUTES {
                return Err(SamlError::new(
                    SamlErrorCode::TooManyAttributes,
                    format!("the assertion has more than {MAX_ASSERTION_ATTRIBUTES} attributes; release only the ones Portcullis reads"),
                ));
            }
            let values = found.entry(name.to_string()).or_default();
            for value in children(attribute, NS_ASSERTION, "AttributeValue").map(text) {
                value_count += 1;
                if value_count > MAX_ATTRIBUTE_VALUES {
                    return Err(SamlError::new(
                        SamlErrorCode::TooManyAttributeValues,
                        format!("the assertion's attributes have more than {MAX_ATTRIBUTE_VALUES} values in all"),
                    ));
                }
                if value.chars().count() > MAX_ATTRIBUTE_VALUE_CHARS {
                    return Err(SamlError::new(
                        SamlErrorCode::AttributeValueTooLong,
                        format!(
                            "a value of the attribute {:?} has more than {MAX_ATTRIBUTE_VALUE_CHARS} characters",
                            excerpt(name, 100)
                        ),
                    ));
                }
                values.push(value);
            }
        }
    }
    Ok(found)
}
