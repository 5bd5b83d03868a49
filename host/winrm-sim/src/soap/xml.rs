//! The simulator reads requests with the client's XML reader
//! ([`stigpack_winrm::soap::xml`]): one setup for both ends of the wire, so a document one
//! side refuses (a DTD, an unknown entity, nesting past `MAX_DEPTH`) the other refuses
//! too. Requests come from any client on the network, so an element after the root is
//! refused here as well.

use stigpack_winrm::soap::xml::{self as reader, AfterRoot};

pub use stigpack_winrm::soap::xml::{escape, Element};

/// Parses a document into its root element, or says why it is not acceptable XML.
pub fn parse(doc: &str) -> Result<Element, String> {
    reader::parse_with(doc.as_bytes(), AfterRoot::Refuse).map_err(|e| e.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn refuses_dtd_and_unknown_entities() {
        assert!(parse("<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>").is_err());
        assert!(parse("<x>&a;</x>").is_err());
        let e = parse("<p:x xmlns:p='u' p:A='1&amp;2'>a&lt;b&#65;</p:x>").unwrap();
        assert_eq!(e.name, "x");
        assert_eq!(e.attr("A"), Some("1&2"));
        assert_eq!(e.text, "a<bA");
    }

    #[test]
    fn refuses_content_after_the_root() {
        assert!(parse("<a/><b/>").is_err());
    }
}
