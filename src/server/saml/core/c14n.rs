//! Exclusive XML Canonicalization 1.0 (without comments) of a parsed element, to compare with the bytes libxmlsec
//! hashed. When they are equal, the element as we parsed it is exactly what the signature covers, so values can be
//! read from it without parsing the hashed bytes again (the validator's fast path). Anything unusual (processing
//! instructions, `InclusiveNamespaces` prefix lists) simply yields a different string, and the validator then
//! reads from the hashed bytes themselves: a mismatch costs time, never safety.

use roxmltree::Node;

use super::xml::NS_XML;

/// Canonicalizes `apex` and its subtree, leaving out `skip` (the enveloped signature), or `None` when the subtree
/// holds something this serializer does not handle.
pub fn canonicalize<'a>(apex: Node<'a, '_>, skip: Option<Node<'_, '_>>) -> Option<String> {
    let mut out = String::with_capacity(apex.range().len() + 256);
    let mut rendered: Vec<(&'a str, &'a str)> = Vec::with_capacity(16);
    write_element(apex, skip, &mut rendered, &mut out)?;
    Some(out)
}

/// The prefix an element was written with, read from the source text (`saml` in `<saml:Assertion …>`).
fn element_prefix<'a>(node: Node<'a, '_>) -> &'a str {
    let input = node.document().input_text();
    let start = node.range().start + 1;
    let name_end = input[start..]
        .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .map_or(input.len(), |i| start + i);
    match input[start..name_end].split_once(':') {
        Some((prefix, _)) => prefix,
        None => "",
    }
}

fn write_element<'a>(
    node: Node<'a, '_>,
    skip: Option<Node<'_, '_>>,
    rendered: &mut Vec<(&'a str, &'a str)>,
    out: &mut String,
) -> Option<()> {
    let prefix = element_prefix(node);
    let namespace = node.tag_name().namespace().unwrap_or("");
    let input = node.document().input_text();

    // Visibly utilized namespaces: the element's own, and those of its prefixed attributes.
    let mut utilized: Vec<(&'a str, &'a str)> = Vec::with_capacity(4);
    utilized.push((prefix, namespace));
    let mut attributes: Vec<(&'a str, &'a str, &'a str, &'a str)> = Vec::with_capacity(8);
    for attribute in node.attributes() {
        let qname = &input[attribute.range_qname()];
        let attribute_namespace = attribute.namespace().unwrap_or("");
        match qname.split_once(':') {
            Some((attribute_prefix, _)) if attribute_namespace != NS_XML => {
                utilized.push((attribute_prefix, attribute_namespace));
            }
            _ => {}
        }
        attributes.push((
            attribute_namespace,
            attribute.name(),
            qname,
            attribute.value(),
        ));
    }
    utilized.sort_unstable();
    utilized.dedup();

    let depth = rendered.len();
    for (utilized_prefix, uri) in &utilized {
        let (utilized_prefix, uri) = (*utilized_prefix, *uri);
        let current = rendered
            .iter()
            .rev()
            .find(|(p, _)| *p == utilized_prefix)
            .map_or("", |(_, u)| *u);
        if current != uri {
            rendered.push((utilized_prefix, uri));
        }
    }
    out.push('<');
    push_qname(out, prefix, node.tag_name().name());
    for &(declared_prefix, uri) in &rendered[depth..] {
        if declared_prefix.is_empty() {
            out.push_str(" xmlns=\"");
        } else {
            out.push_str(" xmlns:");
            out.push_str(declared_prefix);
            out.push_str("=\"");
        }
        escape_attribute(uri, out);
        out.push('"');
    }
    attributes.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    for (_, _, qname, value) in attributes {
        out.push(' ');
        out.push_str(qname);
        out.push_str("=\"");
        escape_attribute(value, out);
        out.push('"');
    }
    out.push('>');
    for child in node.children() {
        if Some(child) == skip {
            continue;
        }
        if child.is_element() {
            write_element(child, skip, rendered, out)?;
        } else if child.is_text() {
            escape_text(child.text().unwrap_or(""), out);
        } else if child.is_pi() {
            return None;
        }
    }
    out.push_str("</");
    push_qname(out, prefix, node.tag_name().name());
    out.push('>');
    rendered.truncate(depth);
    Some(())
}

fn push_qname(out: &mut String, prefix: &str, local: &str) {
    if !prefix.is_empty() {
        out.push_str(prefix);
        out.push(':');
    }
    out.push_str(local);
}

/// Copies `text`, replacing the bytes `escape` maps (all ASCII, so runs between them stay valid UTF-8).
fn escape_into(text: &str, out: &mut String, escape: fn(u8) -> Option<&'static str>) {
    let mut run_start = 0;
    for (index, byte) in text.bytes().enumerate() {
        if let Some(replacement) = escape(byte) {
            out.push_str(&text[run_start..index]);
            out.push_str(replacement);
            run_start = index + 1;
        }
    }
    out.push_str(&text[run_start..]);
}

fn escape_text(text: &str, out: &mut String) {
    escape_into(text, out, |byte| match byte {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'\r' => Some("&#xD;"),
        _ => None,
    });
}

fn escape_attribute(value: &str, out: &mut String) {
    escape_into(value, out, |byte| match byte {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'"' => Some("&quot;"),
        b'\t' => Some("&#x9;"),
        b'\n' => Some("&#xA;"),
        b'\r' => Some("&#xD;"),
        _ => None,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use roxmltree::Document;

    fn c14n(xml: &str) -> String {
        let doc = Document::parse(xml).unwrap();
        canonicalize(doc.root_element(), None).unwrap()
    }

    #[test]
    fn namespaces_are_declared_where_used_and_attributes_sorted() {
        let xml = r#"<r:Root xmlns:r="urn:r" xmlns:unused="urn:u" b="2" a="1"><r:Child xmlns:x="urn:x" x:z="&amp;&lt;" y="tab&#9;"/>text &amp; &gt;</r:Root>"#;
        assert_eq!(
            c14n(xml),
            r#"<r:Root xmlns:r="urn:r" a="1" b="2"><r:Child xmlns:x="urn:x" y="tab&#x9;" x:z="&amp;&lt;"></r:Child>text &amp; &gt;</r:Root>"#
        );
    }

    #[test]
    fn a_subtree_redeclares_what_its_ancestors_declared_and_defaults_are_handled() {
        let xml = r#"<a xmlns="urn:d" xmlns:p="urn:p"><p:b><c/></p:b></a>"#;
        let doc = Document::parse(xml).unwrap();
        let b = doc.root_element().first_element_child().unwrap();
        assert_eq!(
            canonicalize(b, None).unwrap(),
            r#"<p:b xmlns:p="urn:p"><c xmlns="urn:d"></c></p:b>"#
        );
    }

    #[test]
    fn processing_instructions_are_left_to_the_slow_path() {
        let doc = Document::parse("<a><?pi x?></a>").unwrap();
        assert_eq!(canonicalize(doc.root_element(), None), None);
    }
}
