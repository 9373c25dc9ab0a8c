//! Sanitising the HTML of render fragments that callers publish.
//!
//! A publish-scope key may push HTML into every page subscribed to a
//! channel, so what it sends must not be able to run script or change how
//! the page behaves. The fragment is cleaned when it is published (here,
//! with ammonia's allow-list: no `<script>`, `<iframe>`, `<object>`,
//! `<embed>`, `<base>`, `<meta>`, `<form>`, `<style>` or SVG, no `on*`
//! attributes, no `style`, and only `http`, `https`, `mailto` and relative
//! URLs), and again by the browser client before it inserts anything
//! (`sanitizeFragment` in web/static/asynchronio.js). `id`, `class` and
//! `data-*` are kept, since render targets and scripts address elements by
//! them.

use std::sync::LazyLock;

/// The one cleaner, built once: its configuration is fixed.
static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .add_generic_attributes(["id", "class"])
        .add_generic_attribute_prefixes(["data-"])
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer"));
    builder
});

/// `html` with everything that could run script or navigate the page
/// removed.
pub fn clean_fragment_html(html: &str) -> String {
    CLEANER.clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_content_is_removed_and_markup_kept() {
        let cleaned = clean_fragment_html(
            "<p id=\"a\" class=\"b\" data-x=\"1\" onclick=\"x()\">hi <b>there</b></p>\
             <img src=\"x\" onerror=\"alert(1)\"><script>alert(2)</script>\
             <a href=\"javascript:alert(3)\">j</a><iframe srcdoc=\"x\"></iframe>",
        );
        for gone in [
            "onclick",
            "onerror",
            "<script",
            "javascript:",
            "<iframe",
            "alert(",
        ] {
            assert!(!cleaned.contains(gone), "{gone} in {cleaned}");
        }
        for kept in ["id=\"a\"", "class=\"b\"", "data-x=\"1\"", "<b>there</b>"] {
            assert!(cleaned.contains(kept), "{kept} lost from {cleaned}");
        }
    }
}
