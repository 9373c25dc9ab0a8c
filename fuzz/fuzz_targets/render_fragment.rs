//! A render fragment a publish-scope caller sends, and the HTML cleaner
//! every fragment goes through before it reaches a page. In the cleaned
//! HTML, every tag is one the allow-list keeps, no attribute is an event
//! handler or a style, and no URL runs script; text stays text (a `<` in
//! text comes out as `&lt;`, so every `<` left opens a real tag), and so
//! it is when cleaned again.
#![no_main]

use asynchronio_protocol::render::Fragment;
use asynchronio_protocol::render::sanitize::clean_fragment_html;
use libfuzzer_sys::fuzz_target;

/// Elements that must never survive cleaning.
const FORBIDDEN_TAGS: &[&str] = &[
    "script", "iframe", "object", "embed", "base", "meta", "form", "style", "svg", "math", "link",
    "frame", "frameset", "template", "noscript", "textarea", "input", "button", "select",
];

/// URL schemes that must never survive in an attribute.
const FORBIDDEN_SCHEMES: &[&str] = &["javascript:", "vbscript:", "data:"];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(fragment) = serde_json::from_str::<Fragment>(text) {
        if let Ok(payload) = fragment.to_payload() {
            let again: Fragment = serde_json::from_slice(&payload).expect("a payload decodes");
            assert_eq!(again, fragment);
        }
        // What rest-api cleans is the fragment's html.
        check_tags(&clean_fragment_html(&fragment.html));
    }
    let clean = clean_fragment_html(text);
    check_tags(&clean);
    // Parsed again (as the browser's own sanitizer does), the clean HTML
    // is still clean. It need not come out the same: serialized HTML does
    // not always parse back to the same tree (a nested <a>, foster-parented
    // table content), which is why the check is on the second parse too.
    check_tags(&clean_fragment_html(&clean));
});

/// A URL as a browser reads it before its scheme (WHATWG URL): leading
/// and trailing C0 controls and spaces dropped, tabs and newlines dropped
/// everywhere, the scheme case-insensitive. (Any other control character
/// inside, such as `ja\x1dvascript:`, makes it no scheme at all.)
fn as_browsers_read(value: &str) -> String {
    value
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Walks every tag of serialized HTML (attribute values double-quoted, as
/// the serializer writes them) and checks it.
fn check_tags(html: &str) {
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let closing = rest.starts_with('/');
        let body = rest.trim_start_matches('/');
        let name_end = body
            .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
            .unwrap_or(body.len());
        let name = body[..name_end].to_ascii_lowercase();
        assert!(!name.is_empty(), "a bare < survived: {html:?}");
        assert!(
            !FORBIDDEN_TAGS.contains(&name.as_str()),
            "<{name}> survived: {html:?}"
        );
        let mut attrs = &body[name_end..];
        loop {
            attrs = attrs.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
            if attrs.starts_with('>') || attrs.is_empty() {
                break;
            }
            assert!(!closing, "a closing tag with attributes: {html:?}");
            let attr_end = attrs
                .find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '>')
                .unwrap_or(attrs.len());
            let attr = attrs[..attr_end].to_ascii_lowercase();
            assert!(
                !attr.starts_with("on") && attr != "style" && attr != "srcdoc",
                "attribute {attr} survived: {html:?}"
            );
            attrs = &attrs[attr_end..];
            if let Some(value) = attrs.strip_prefix("=\"") {
                let end = value.find('"').expect("a quoted value ends");
                let url = as_browsers_read(&value[..end]);
                for scheme in FORBIDDEN_SCHEMES {
                    assert!(
                        !(matches!(attr.as_str(), "href" | "src" | "action" | "formaction")
                            && url.starts_with(scheme)),
                        "{attr}={url} survived: {html:?}"
                    );
                }
                attrs = &value[end + 1..];
            }
        }
        rest = attrs.strip_prefix('>').unwrap_or(attrs);
    }
}
