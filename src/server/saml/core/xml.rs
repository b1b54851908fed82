//! Namespaces and small read helpers over a parsed (`roxmltree`) document. Lookups always match the namespace as
//! well as the local name, so a look-alike element in another namespace is never mistaken for a SAML one.

use roxmltree::Node;

pub const NS_PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub const NS_ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub const NS_DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
pub const NS_METADATA: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
pub const NS_XML: &str = "http://www.w3.org/XML/1998/namespace";

/// Whether `node` is the element `{namespace}name`.
pub fn is(node: Node<'_, '_>, namespace: &str, name: &str) -> bool {
    node.is_element()
        && node.tag_name().name() == name
        && node.tag_name().namespace() == Some(namespace)
}

/// The element children of `node` named `{namespace}name`.
pub fn children<'a, 'input>(
    node: Node<'a, 'input>,
    namespace: &'a str,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'input>> + 'a {
    node.children()
        .filter(move |child| is(*child, namespace, name))
}

/// The first element child named `{namespace}name`.
pub fn child<'a, 'input>(
    node: Node<'a, 'input>,
    namespace: &'a str,
    name: &'a str,
) -> Option<Node<'a, 'input>> {
    children(node, namespace, name).next()
}

/// The text content as canonicalization sees it: every text node below `node` joined, so a comment or processing
/// instruction inside (`alice@corp.example<!---->.evil.example`) cannot truncate the value, then trimmed.
pub fn text(node: Node<'_, '_>) -> String {
    let joined: String = node
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    joined.trim().to_string()
}

/// At most `max_chars` of untrusted text for a diagnosis, with an ellipsis and the full length when cut.
pub fn excerpt(value: &str, max_chars: usize) -> String {
    match value.char_indices().nth(max_chars) {
        None => value.to_string(),
        Some((cut, _)) => format!(
            "{}… ({} characters in all)",
            value.get(..cut).unwrap_or_default(),
            value.chars().count()
        ),
    }
}

/// How an element is written in messages: `samlp:Response`-like, with the namespace's usual prefix.
pub fn describe(node: Node<'_, '_>) -> String {
    let prefix = match node.tag_name().namespace() {
        Some(NS_PROTOCOL) => "samlp:",
        Some(NS_ASSERTION) => "saml:",
        Some(NS_DSIG) => "ds:",
        Some(NS_METADATA) => "md:",
        _ => "",
    };
    // Element names come from the sender: a long one is cut like any other received value.
    format!(
        "{prefix}{}",
        excerpt(node.tag_name().name(), DESCRIBED_NAME_CHARS)
    )
}

/// How much of an element's name a message quotes.
const DESCRIBED_NAME_CHARS: usize = 64;
