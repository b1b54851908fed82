//! Checklist item 1, before any XML parser sees the response: the size is capped before base64 decoding, the text
//! must be UTF-8, and no document type declaration (`<!DOCTYPE`, `<!ENTITY`, or any other `<!` markup but comments
//! and CDATA) may appear, which rules out entity expansion and external entities whatever the parser would do.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::error::{SamlError, SamlErrorCode};

/// The largest base64 `SAMLResponse` accepted. Real responses are a few KiB (Entra ID's, with its 150 groups at
/// most, about 15 KiB); the cap (120 KiB of XML) leaves room for the 500 groups the budget allows and bounds the
/// work an unauthenticated request can cause to under 20 validations of a normal response (the hostile bench).
pub const MAX_ENCODED_BYTES: usize = 160 * 1024;

/// The largest decoded document (what `MAX_ENCODED_BYTES` of base64 decodes to).
pub const MAX_XML_BYTES: usize = MAX_ENCODED_BYTES / 4 * 3;

/// The longest `RelayState` accepted. The binding allows 80 bytes; some identity providers send more, and ours are
/// short paths.
pub const MAX_RELAY_STATE_BYTES: usize = 1024;

/// The sizes of a posted form's values, checked before anything else is done with them (even echoing them back in
/// the cookie-check page): `SAMLResponse` (base64) and `RelayState`.
pub fn check_post_sizes(encoded: &str, relay_state: Option<&str>) -> Result<(), SamlError> {
    if encoded.len() > MAX_ENCODED_BYTES {
        return Err(SamlError::new(
            SamlErrorCode::BodyTooLarge,
            format!(
                "SAMLResponse is {} bytes of base64; at most {MAX_ENCODED_BYTES} are accepted",
                encoded.len()
            ),
        ));
    }
    let relay_state = relay_state.unwrap_or_default();
    if relay_state.len() > MAX_RELAY_STATE_BYTES {
        return Err(SamlError::new(
            SamlErrorCode::RelayStateTooLong,
            format!(
                "RelayState is {} bytes; at most {MAX_RELAY_STATE_BYTES} are accepted (SAML's bindings allow 80)",
                relay_state.len()
            ),
        ));
    }
    Ok(())
}

/// Decodes the `SAMLResponse` form value of the HTTP-POST binding into checked XML text.
pub fn decode_post_value(encoded: &str) -> Result<String, SamlError> {
    check_post_sizes(encoded, None)?;
    // Form encoders may wrap base64 in lines.
    let compact: Vec<u8> = encoded
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let bytes = STANDARD.decode(&compact).map_err(|e| {
        SamlError::new(
            SamlErrorCode::NotBase64,
            format!("SAMLResponse is not valid base64: {e}"),
        )
    })?;
    check_xml_text(&bytes)
}

/// Accepts either raw XML or its base64 encoding (the offline checker reads files of both kinds).
pub fn decode_any(input: &[u8]) -> Result<String, SamlError> {
    let start = input
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(input.len());
    let looks_like_xml =
        input[start..].starts_with(b"<") || input[start..].starts_with(b"\xEF\xBB\xBF");
    if looks_like_xml {
        check_xml_text(input)
    } else {
        let text = std::str::from_utf8(input).map_err(|e| {
            SamlError::new(
                SamlErrorCode::NotBase64,
                format!("input is neither XML nor base64: {e}"),
            )
        })?;
        decode_post_value(text)
    }
}

/// Checks decoded bytes: size, UTF-8 (a leading byte-order mark is dropped), and no DTD markup.
pub fn check_xml_text(bytes: &[u8]) -> Result<String, SamlError> {
    check_xml_str(bytes).map(str::to_string)
}

/// [`check_xml_text`] without a copy: the checked text, borrowed.
pub fn check_xml_str(bytes: &[u8]) -> Result<&str, SamlError> {
    if bytes.len() > MAX_XML_BYTES {
        return Err(SamlError::new(
            SamlErrorCode::BodyTooLarge,
            format!(
                "the response is {} bytes; at most {MAX_XML_BYTES} are accepted",
                bytes.len()
            ),
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        SamlError::new(
            SamlErrorCode::NotUtf8,
            format!("the response is not UTF-8 text: {e}"),
        )
    })?;
    check_encoding_declaration(text)?;
    if let Some(offset) = find_declaration(text) {
        let excerpt: String = text[offset..].chars().take(40).collect();
        return Err(SamlError::new(
            SamlErrorCode::DoctypeForbidden,
            format!(
                "document type or entity declarations are refused; found {excerpt:?} at byte {offset}"
            ),
        ));
    }
    Ok(text)
}

/// libxml2 (which verifies signatures) honours an XML declaration's encoding while our reader takes the text as
/// UTF-8; a document declaring, say, UTF-7 would look different to the two and could hide a signed element from
/// one of them. Only UTF-8 is accepted, the declaration may only open the document, and NUL characters (which
/// would let libxml2 guess UTF-16) are refused.
fn check_encoding_declaration(text: &str) -> Result<(), SamlError> {
    if text.contains('\0') {
        return Err(SamlError::new(
            SamlErrorCode::NotUtf8,
            "the response contains NUL characters",
        ));
    }
    for (offset, _) in text.match_indices("<?") {
        let rest = text.as_bytes()[offset + 2..]
            .iter()
            .take(4)
            .copied()
            .collect::<Vec<u8>>();
        let is_declaration = rest.len() == 4
            && rest[..3].eq_ignore_ascii_case(b"xml")
            && (rest[3].is_ascii_whitespace() || rest[3] == b'?');
        if !is_declaration {
            continue;
        }
        if offset != 0 {
            return Err(SamlError::new(
                SamlErrorCode::MalformedXml,
                format!(
                    "an XML declaration may only open the document; found one at byte {offset}"
                ),
            ));
        }
        let declaration = text[..text.find("?>").unwrap_or(text.len())].to_ascii_lowercase();
        if let Some(position) = declaration.find("encoding") {
            let value: String = declaration[position + 8..]
                .trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '=')
                .trim_start_matches(['"', '\''])
                .chars()
                .take_while(|c| !matches!(c, '"' | '\''))
                .collect();
            if value != "utf-8" && value != "utf8" {
                return Err(SamlError::new(
                    SamlErrorCode::NotUtf8,
                    format!("the response declares the encoding {value:?}; only UTF-8 is accepted"),
                ));
            }
        }
    }
    Ok(())
}

/// The byte offset of the first `<!` that opens neither a comment nor a CDATA section.
fn find_declaration(text: &str) -> Option<usize> {
    text.match_indices("<!").map(|(i, _)| i).find(|&i| {
        let rest = &text[i..];
        !(rest.starts_with("<!--") || rest.starts_with("<![CDATA["))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESPONSE: &str = r#"<?xml version="1.0" encoding="UTF-8"?><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1"><!-- a comment --><x><![CDATA[<b>]]></x></samlp:Response>"#;

    fn code(result: Result<String, SamlError>) -> SamlErrorCode {
        result.expect_err("refused").code
    }

    #[test]
    fn only_utf8_may_be_declared_and_only_at_the_start() {
        let utf7 = RESPONSE.replace("UTF-8", "UTF-7");
        assert_eq!(
            code(check_xml_text(utf7.as_bytes())),
            SamlErrorCode::NotUtf8
        );
        let latin = RESPONSE.replace("encoding=\"UTF-8\"", "encoding='ISO-8859-1'");
        assert_eq!(
            code(check_xml_text(latin.as_bytes())),
            SamlErrorCode::NotUtf8
        );
        let late = format!(" {RESPONSE}");
        assert_eq!(
            code(check_xml_text(late.as_bytes())),
            SamlErrorCode::MalformedXml
        );
        let nul = RESPONSE.replace("<x>", "<x>\0");
        assert_eq!(code(check_xml_text(nul.as_bytes())), SamlErrorCode::NotUtf8);
        let lower = RESPONSE.replace("UTF-8", "utf-8");
        assert!(check_xml_text(lower.as_bytes()).is_ok());
        // A processing instruction whose name merely starts with "xml" is not a declaration.
        let pi = RESPONSE.replace("<x>", "<?xml-stylesheet href='a'?><x>");
        assert!(check_xml_text(pi.as_bytes()).is_ok());
    }

    #[test]
    fn a_plain_response_passes_in_both_forms() {
        let encoded = STANDARD.encode(RESPONSE);
        assert_eq!(decode_post_value(&encoded).unwrap(), RESPONSE);
        // Wrapped in lines, as some form encoders send it.
        let wrapped: String = encoded
            .as_bytes()
            .chunks(76)
            .map(|c| format!("{}\r\n", std::str::from_utf8(c).unwrap()))
            .collect();
        assert_eq!(decode_post_value(&wrapped).unwrap(), RESPONSE);
        assert_eq!(decode_any(RESPONSE.as_bytes()).unwrap(), RESPONSE);
        assert_eq!(
            decode_any(format!("\n  {encoded}\n").as_bytes()).unwrap(),
            RESPONSE
        );
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), RESPONSE.as_bytes()].concat();
        assert_eq!(decode_any(&with_bom).unwrap(), RESPONSE);
    }

    #[test]
    fn oversized_bodies_are_refused_before_decoding() {
        let huge = "A".repeat(MAX_ENCODED_BYTES + 4);
        let err = decode_post_value(&huge).unwrap_err();
        assert_eq!(err.code, SamlErrorCode::BodyTooLarge);
        assert!(err.diagnosis.contains(&(MAX_ENCODED_BYTES + 4).to_string()));
        let raw = format!("<a>{}</a>", "x".repeat(MAX_XML_BYTES));
        assert_eq!(
            code(decode_any(raw.as_bytes())),
            SamlErrorCode::BodyTooLarge
        );
        // Exactly at the cap is fine as far as size goes.
        let at_cap = STANDARD.encode("<a/>".repeat(MAX_XML_BYTES / 4));
        assert!(at_cap.len() <= MAX_ENCODED_BYTES);
        assert!(decode_post_value(&at_cap).is_ok());
    }

    #[test]
    fn broken_encodings_are_refused() {
        assert_eq!(
            code(decode_post_value("not base64 at all!")),
            SamlErrorCode::NotBase64
        );
        assert_eq!(
            code(decode_post_value(&STANDARD.encode(b"<a>\xff\xfe</a>"))),
            SamlErrorCode::NotUtf8
        );
        // UTF-16 with its byte-order mark is not accepted.
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("<a/>".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(
            code(decode_post_value(&STANDARD.encode(utf16))),
            SamlErrorCode::NotUtf8
        );
    }

    #[test]
    fn document_type_and_entity_declarations_are_refused() {
        let attacks = [
            // External entity (XXE).
            r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"#,
            // Entity expansion ("billion laughs").
            r#"<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><r>&lol2;</r>"#,
            // A DOCTYPE alone, in lower case, or after a comment.
            r#"<!DOCTYPE r><r/>"#,
            r#"<!doctype r><r/>"#,
            r#"<!-- hello --><!DOCTYPE r SYSTEM "http://evil.example/r.dtd"><r/>"#,
            // Declarations without a DOCTYPE.
            r#"<r><!ENTITY x "y"></r>"#,
            r#"<r><!ATTLIST r a CDATA #IMPLIED></r>"#,
        ];
        for attack in attacks {
            let err = decode_any(attack.as_bytes()).unwrap_err();
            assert_eq!(err.code, SamlErrorCode::DoctypeForbidden, "{attack}");
            assert_eq!(
                code(decode_post_value(&STANDARD.encode(attack))),
                SamlErrorCode::DoctypeForbidden
            );
        }
    }
}
