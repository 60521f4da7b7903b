//! Which images an article may carry: the one media rule, read by the
//! renderer (which images a page shows), the export (which media files a
//! redaction removes) and the command line (which files `import` takes).
//!
//! Raster only: an SVG is a document that can run script when opened
//! directly, and static hosts cannot be relied on to send the headers that
//! would stop it.

/// The extensions of the image formats an article may carry, in the form
/// media paths use (`media/<id>.<ext>`).
pub const MEDIA_EXTENSIONS: [&str; 5] = ["png", "jpg", "jpeg", "gif", "webp"];

/// The media extension `ext` names, in its canonical (lowercase) form:
/// `Some("png")` for `png` or `PNG`, `None` for anything not a raster image
/// format erkin carries (`svg` among them).
pub fn media_extension(ext: &str) -> Option<&'static str> {
    MEDIA_EXTENSIONS
        .iter()
        .copied()
        .find(|e| e.eq_ignore_ascii_case(ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raster_formats_in_any_case_and_nothing_else() {
        assert_eq!(media_extension("PNG"), Some("png"));
        assert_eq!(media_extension("jpeg"), Some("jpeg"));
        assert_eq!(media_extension("svg"), None);
        assert_eq!(media_extension(""), None);
    }
}
