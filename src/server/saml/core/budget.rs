//! Budgets for untrusted XML, checked by one linear scan over the text before any parser sees it. XML parsers
//! recurse per level of nesting and some checks inside them grow with the square of an element's attributes, so
//! depth, element and attribute counts and the size of each value are bounded here, in time proportional to the
//! input and with constant memory. The scan is a lexer for well-formed XML (comments, CDATA, processing
//! instructions, quoted attribute values that may contain `>`); on anything else it stops and leaves the refusal
//! to the parser, which then never gets deeper than what was already counted.

/// The limits one kind of document gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XmlBudget {
    /// Elements open at once.
    pub max_depth: usize,
    /// Elements in the whole document.
    pub max_elements: usize,
    /// Attributes (namespace declarations included) on one element.
    pub max_attributes_per_element: usize,
    /// Attributes in the whole document.
    pub max_attributes: usize,
    /// Bytes of one run of character data (text between two tags, CDATA included).
    pub max_text_bytes: usize,
    /// Bytes of one attribute value.
    pub max_attribute_value_bytes: usize,
}

/// A SAML response: real ones nest about 8 deep and hold some dozens of elements; 1,000 group values (Entra ID
/// switches to its overage claim at 150) fit easily. The largest text is a certificate in `KeyInfo` (about 2 KB
/// of base64 for RSA-4096).
pub const RESPONSE_BUDGET: XmlBudget = XmlBudget {
    max_depth: 32,
    max_elements: 4_096,
    max_attributes_per_element: 64,
    max_attributes: 8_192,
    max_text_bytes: 16 * 1024,
    max_attribute_value_bytes: 4 * 1024,
};

/// Identity provider metadata: AD FS publishes the largest (about 70 KB, some 1,500 elements, mostly claim types).
pub const METADATA_BUDGET: XmlBudget = XmlBudget {
    max_depth: 32,
    max_elements: 10_000,
    max_attributes_per_element: 64,
    max_attributes: 10_000,
    max_text_bytes: 64 * 1024,
    max_attribute_value_bytes: 8 * 1024,
};

/// Which limit a document went over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    Depth,
    Elements,
    AttributesPerElement,
    Attributes,
    TextBytes,
    AttributeValueBytes,
}

impl Limit {
    /// How the limit is named in diagnoses.
    pub fn describe(self) -> &'static str {
        match self {
            Limit::Depth => "elements nested",
            Limit::Elements => "elements (comments and processing instructions included)",
            Limit::AttributesPerElement => "attributes on one element",
            Limit::Attributes => "attributes",
            Limit::TextBytes => "bytes of text in one value",
            Limit::AttributeValueBytes => "bytes in one attribute value",
        }
    }

    fn allowed(self, budget: &XmlBudget) -> usize {
        match self {
            Limit::Depth => budget.max_depth,
            Limit::Elements => budget.max_elements,
            Limit::AttributesPerElement => budget.max_attributes_per_element,
            Limit::Attributes => budget.max_attributes,
            Limit::TextBytes => budget.max_text_bytes,
            Limit::AttributeValueBytes => budget.max_attribute_value_bytes,
        }
    }
}

/// A document over its budget: which limit, the allowed number, and where the scan stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverBudget {
    pub limit: Limit,
    pub allowed: usize,
    pub at_byte: usize,
}

impl std::fmt::Display for OverBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "more than {} {} (at byte {}); the limit keeps hostile documents from exhausting the server",
            self.allowed,
            self.limit.describe(),
            self.at_byte
        )
    }
}

/// Running counts of the scan.
struct Scan<'b> {
    bytes: &'b [u8],
    budget: &'b XmlBudget,
    position: usize,
    depth: usize,
    elements: usize,
    attributes: usize,
}

impl Scan<'_> {
    fn over(&self, limit: Limit, count: usize) -> Result<(), OverBudget> {
        let allowed = limit.allowed(self.budget);
        if count > allowed {
            return Err(OverBudget {
                limit,
                allowed,
                at_byte: self.position,
            });
        }
        Ok(())
    }

    fn rest(&self) -> &[u8] {
        self.bytes.get(self.position..).unwrap_or_default()
    }

    /// Moves past the next `terminator`; `false` when there is none (the parser will refuse the document).
    fn skip_past(&mut self, terminator: &[u8]) -> bool {
        match find(self.rest(), terminator) {
            Some(offset) => {
                self.position += offset + terminator.len();
                true
            }
            None => false,
        }
    }

    /// One more element, comment or processing instruction.
    fn node(&mut self) -> Result<(), OverBudget> {
        self.elements += 1;
        self.over(Limit::Elements, self.elements)
    }

    /// A start or empty-element tag, from just after its `<`.
    fn tag(&mut self) -> Result<bool, OverBudget> {
        self.node()?;
        let mut on_element = 0usize;
        let mut previous = 0u8;
        while let Some(&byte) = self.bytes.get(self.position) {
            match byte {
                b'"' | b'\'' => {
                    let value_start = self.position + 1;
                    let Some(length) = self
                        .bytes
                        .get(value_start..)
                        .and_then(|rest| rest.iter().position(|&b| b == byte))
                    else {
                        return Ok(false);
                    };
                    self.over(Limit::AttributeValueBytes, length)?;
                    self.position = value_start + length + 1;
                    previous = byte;
                    continue;
                }
                b'=' => {
                    on_element += 1;
                    self.attributes += 1;
                    self.over(Limit::AttributesPerElement, on_element)?;
                    self.over(Limit::Attributes, self.attributes)?;
                }
                b'>' => {
                    self.position += 1;
                    if previous != b'/' {
                        self.depth += 1;
                        self.over(Limit::Depth, self.depth)?;
                    }
                    return Ok(true);
                }
                _ => {}
            }
            previous = byte;
            self.position += 1;
        }
        Ok(false)
    }

    fn run(&mut self) -> Result<(), OverBudget> {
        let mut text_run = 0usize;
        while let Some(&byte) = self.bytes.get(self.position) {
            if byte != b'<' {
                // Text up to the next tag, counted in one step.
                let length = self
                    .rest()
                    .iter()
                    .position(|&b| b == b'<')
                    .unwrap_or(self.rest().len());
                text_run += length;
                self.position += length;
                self.over(Limit::TextBytes, text_run)?;
                continue;
            }
            let rest = self.rest();
            // The common case first: a start tag.
            if rest
                .get(1)
                .is_some_and(|&b| !matches!(b, b'!' | b'?' | b'/'))
            {
                text_run = 0;
                self.position += 1;
                if !self.tag()? {
                    return Ok(());
                }
                continue;
            }
            if rest.starts_with(b"<![CDATA[") {
                let start = self.position + 9;
                self.position = start;
                if !self.skip_past(b"]]>") {
                    return Ok(());
                }
                text_run += self.position - start - 3;
                self.over(Limit::TextBytes, text_run)?;
                continue;
            }
            // Comments and processing instructions do not end a run: readers join the text around them. They are
            // nodes of the parsed tree like elements, so they count against the same limit (which keeps the
            // parser's own node limit out of reach).
            if rest.starts_with(b"<!--") {
                self.node()?;
                self.position += 4;
                if !self.skip_past(b"-->") {
                    return Ok(());
                }
                continue;
            }
            if rest.starts_with(b"<?") {
                self.node()?;
                self.position += 2;
                if !self.skip_past(b"?>") {
                    return Ok(());
                }
                continue;
            }
            text_run = 0;
            if rest.starts_with(b"</") {
                self.depth = self.depth.saturating_sub(1);
                if !self.skip_past(b">") {
                    return Ok(());
                }
                continue;
            }
            if rest.starts_with(b"<!") {
                // A document type declaration: the envelope check refuses it; the scan goes no further.
                return Ok(());
            }
            self.position += 1;
            if !self.tag()? {
                return Ok(());
            }
        }
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Checks `text` against `budget` in one pass.
pub fn check(text: &str, budget: &XmlBudget) -> Result<(), OverBudget> {
    Scan {
        bytes: text.as_bytes(),
        budget,
        position: 0,
        depth: 0,
        elements: 0,
        attributes: 0,
    }
    .run()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: XmlBudget = XmlBudget {
        max_depth: 3,
        max_elements: 6,
        max_attributes_per_element: 2,
        max_attributes: 4,
        max_text_bytes: 8,
        max_attribute_value_bytes: 5,
    };

    fn limit(xml: &str) -> Option<Limit> {
        check(xml, &SMALL).err().map(|e| e.limit)
    }

    #[test]
    fn documents_within_the_budget_pass() {
        assert_eq!(limit("<a><b><c/></b><b x='1' y=\"2\">text</b></a>"), None);
        // `>` and `=` inside quoted values, comments, CDATA and processing instructions are not markup.
        assert_eq!(
            limit("<a x='>=/'><!-- <b><b><b> --><?pi <b>?><![CDATA[<b>]]></a>"),
            None
        );
    }

    #[test]
    fn depth_is_counted_at_every_level_and_empty_elements_do_not_nest() {
        assert_eq!(limit("<a><b><c><d/></c></b></a>"), None);
        assert_eq!(limit("<a><b><c><d></d></c></b></a>"), Some(Limit::Depth));
        // Depth returns when elements close.
        assert_eq!(limit("<a><b><c/></b><b><c/></b></a>"), None);
    }

    #[test]
    fn each_limit_has_its_own_refusal() {
        assert_eq!(
            limit("<a><b/><b/><b/><b/><b/><b/></a>"),
            Some(Limit::Elements)
        );
        assert_eq!(
            limit("<a><!--1--><?p 2?><b/><!--3--><b/><?p 4?></a>"),
            Some(Limit::Elements),
            "comments and processing instructions count as nodes"
        );
        assert_eq!(
            limit("<a x='1' y='2' z='3'/>"),
            Some(Limit::AttributesPerElement)
        );
        assert_eq!(
            limit("<a x='1' y='2'><b x='1' y='2'/><c x='1'/></a>"),
            Some(Limit::Attributes)
        );
        assert_eq!(limit("<a>123456789</a>"), Some(Limit::TextBytes));
        assert_eq!(
            limit("<a>1234<!-- c -->56789</a>"),
            Some(Limit::TextBytes),
            "a comment does not split a value"
        );
        assert_eq!(
            limit("<a><![CDATA[123456789]]></a>"),
            Some(Limit::TextBytes)
        );
        assert_eq!(limit("<a x='123456'/>"), Some(Limit::AttributeValueBytes));
    }

    #[test]
    fn deep_documents_are_refused_in_linear_time() {
        let deep = "<a>".repeat(100_000);
        let err = check(&deep, &SMALL).unwrap_err();
        assert_eq!(err.limit, Limit::Depth);
        assert_eq!(err.allowed, 3);
        // Unterminated markup ends the scan; the parser refuses the document.
        assert_eq!(limit("<a><!-- never closed"), None);
        assert_eq!(limit("<a x='never closed"), None);
    }
}
