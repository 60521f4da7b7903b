//! Metadata hygiene for the newsroom (`erkin tips fetch --clean`): strips
//! what documents carry about their makers, with well-kept parsers —
//! `img-parts` for JPEG, PNG and WebP (EXIF, XMP, IPTC, comments, text
//! chunks), `lopdf` for PDF (the Info dictionary and the catalog's XMP
//! metadata). Everything else is left as it is and said so: the reader
//! must check it by hand (mat2, exiftool). Cleaning cannot see what is in
//! the pixels or the words: a printer's tracking dots, a name in the text.

use bytes::Bytes;

/// What cleaning did with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Cleaned: the kind of file, and what was removed.
    Cleaned {
        kind: &'static str,
        removed: &'static str,
    },
    /// Not cleaned: why (an unknown kind, or one that did not parse).
    Untouched { why: String },
}

/// The cleaned bytes (a copy of the input when untouched) and what happened.
pub fn clean(bytes: &[u8]) -> (Vec<u8>, Outcome) {
    let untouched = |why: String| (bytes.to_vec(), Outcome::Untouched { why });
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return match img_parts::jpeg::Jpeg::from_bytes(Bytes::copy_from_slice(bytes)) {
            Ok(mut j) => {
                // Keep JFIF (APP0), ICC colour (APP2) and Adobe (APP14):
                // they describe how to show the image, not who made it.
                j.segments_mut()
                    .retain(|s| !matches!(s.marker(), 0xE1 | 0xE3..=0xED | 0xEF | 0xFE));
                let mut out = Vec::new();
                let _ = j.encoder().write_to(&mut out);
                (
                    out,
                    Outcome::Cleaned {
                        kind: "JPEG",
                        removed: "EXIF, XMP, IPTC and comments",
                    },
                )
            }
            Err(e) => untouched(format!("a JPEG that does not parse ({e})")),
        };
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return match img_parts::png::Png::from_bytes(Bytes::copy_from_slice(bytes)) {
            Ok(mut p) => {
                p.chunks_mut().retain(|c| {
                    !matches!(&c.kind(), b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt" | b"tIME")
                });
                let mut out = Vec::new();
                let _ = p.encoder().write_to(&mut out);
                (
                    out,
                    Outcome::Cleaned {
                        kind: "PNG",
                        removed: "EXIF, text chunks and the time",
                    },
                )
            }
            Err(e) => untouched(format!("a PNG that does not parse ({e})")),
        };
    }
    if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return match img_parts::webp::WebP::from_bytes(Bytes::copy_from_slice(bytes)) {
            Ok(mut w) => {
                w.remove_chunks_by_id(*b"EXIF");
                w.remove_chunks_by_id(*b"XMP ");
                let mut out = Vec::new();
                let _ = w.encoder().write_to(&mut out);
                (
                    out,
                    Outcome::Cleaned {
                        kind: "WebP",
                        removed: "EXIF and XMP",
                    },
                )
            }
            Err(e) => untouched(format!("a WebP that does not parse ({e})")),
        };
    }
    if bytes.starts_with(b"%PDF-") {
        return match lopdf::Document::load_mem(bytes) {
            Ok(mut doc) if !doc.is_encrypted() => {
                doc.trailer.remove(b"Info");
                if let Ok(catalog) = doc.catalog_mut() {
                    catalog.remove(b"Metadata");
                }
                // Objects no longer referenced (the old Info) are dropped.
                doc.prune_objects();
                let mut out = Vec::new();
                match doc.save_to(&mut out) {
                    Ok(()) => (
                        out,
                        Outcome::Cleaned {
                            kind: "PDF",
                            removed: "the document information and XMP metadata",
                        },
                    ),
                    Err(e) => untouched(format!("a PDF that could not be rewritten ({e})")),
                }
            }
            Ok(_) => untouched("an encrypted PDF".into()),
            Err(e) => untouched(format!("a PDF that does not parse ({e})")),
        };
    }
    untouched("a kind of file erkin cannot clean".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    fn segment(marker: u8, body: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        s.extend_from_slice(body);
        s
    }

    #[test]
    fn a_jpeg_loses_exif_and_comments_and_keeps_its_picture() {
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
        jpeg.extend(segment(
            0xE1,
            b"Exif\0\0GPS 43.2389N 76.8897E SECRET-CAMERA",
        ));
        jpeg.extend(segment(0xFE, b"SECRET-COMMENT by the deputy"));
        jpeg.extend(segment(0xDA, b"\x01\x01\0\0\x3F\0"));
        jpeg.extend_from_slice(b"\x12\x34\x56PICTURE");
        jpeg.extend_from_slice(&[0xFF, 0xD9]);
        let (out, o) = clean(&jpeg);
        assert!(matches!(o, Outcome::Cleaned { kind: "JPEG", .. }), "{o:?}");
        assert!(!contains(&out, b"SECRET"));
        assert!(contains(&out, b"JFIF"));
        assert!(contains(&out, b"PICTURE"));
    }

    #[test]
    fn a_pdf_loses_its_information_dictionary() {
        use lopdf::{dictionary, Object};
        let mut doc = lopdf::Document::with_version("1.5");
        let pages = doc.new_object_id();
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages, "MediaBox" => vec![0.into(), 0.into(), 100.into(), 100.into()],
        });
        doc.objects.insert(
            pages,
            Object::Dictionary(
                dictionary! {"Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1},
            ),
        );
        let catalog = doc.add_object(dictionary! {"Type" => "Catalog", "Pages" => pages});
        let info = doc.add_object(dictionary! {
            "Author" => Object::string_literal("SECRET-AUTHOR Aigerim"),
            "Producer" => Object::string_literal("SECRET-PRODUCER ministry scanner"),
        });
        doc.trailer.set("Root", catalog);
        doc.trailer.set("Info", info);
        let mut pdf = Vec::new();
        doc.save_to(&mut pdf).unwrap();
        assert!(contains(&pdf, b"SECRET-AUTHOR"));
        let (out, o) = clean(&pdf);
        assert!(matches!(o, Outcome::Cleaned { kind: "PDF", .. }), "{o:?}");
        assert!(
            !contains(&out, b"SECRET"),
            "{}",
            String::from_utf8_lossy(&out)
        );
        assert!(lopdf::Document::load_mem(&out).is_ok());
    }

    #[test]
    fn what_cannot_be_cleaned_is_said() {
        let (out, o) = clean(b"PK\x03\x04 a .docx");
        assert_eq!(out, b"PK\x03\x04 a .docx");
        assert!(matches!(o, Outcome::Untouched { .. }));
        let (_, o) = clean(b"%PDF-1.4 broken");
        assert!(matches!(o, Outcome::Untouched { why } if why.contains("PDF")));
    }
}
