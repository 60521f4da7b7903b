//! Lead images in several widths, so a phone downloads a small one
//! (`<img srcset>`).
//!
//! Where the sizes are made: here, when the site is rendered, from the
//! image blob the article declares — not at publish time, because the log
//! names only the original (a size is no fact of the publication, and a
//! mirror must be able to make the same files from the log alone). Each
//! size is a pure function of the original's bytes and the width (the
//! `image` crate's decoders, a triangle filter and its JPEG/PNG encoders:
//! no clock, no threads), so every copy renders the same bytes and an
//! incremental export finds them unchanged. The server keeps the sizes it
//! made (`BodyCache`), so a re-render after a batch resizes nothing.
//!
//! Images come from members' files and, on mirrors, from anywhere: decoding
//! is bounded ([`MAX_SIDE`], [`MAX_ALLOC`]), and an image that is too large,
//! truncated or not an image simply gets no sizes (the original is still
//! shown as it is).

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageReader, Limits};

use crate::markdown::MediaRef;

/// The widths a lead image is offered in, below its own.
pub const WIDTHS: [u32; 3] = [320, 640, 1280];
/// Neither side of an image may exceed this many pixels to be resized.
pub const MAX_SIDE: u32 = 8192;
/// The most the decoder may allocate for one image.
pub const MAX_ALLOC: u64 = 160 * 1024 * 1024;
/// JPEG quality of the sizes.
const QUALITY: u8 = 82;

/// An article's lead image: the original and the smaller sizes made of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lead {
    pub original: MediaRef,
    pub width: u32,
    pub height: u32,
    /// (width, path) of each smaller size, narrowest first.
    pub sizes: Vec<(u32, String)>,
}

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_image_width = Some(MAX_SIDE);
    l.max_image_height = Some(MAX_SIDE);
    l.max_alloc = Some(MAX_ALLOC);
    l
}

fn reader(bytes: &[u8]) -> Option<ImageReader<Cursor<&[u8]>>> {
    let mut r = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()?;
    r.limits(limits());
    Some(r)
}

/// The width and height an image's header declares, within the limits;
/// `None` for anything else (reads the header only).
pub fn dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    let (w, h) = reader(bytes)?.into_dimensions().ok()?;
    (w > 0 && h > 0 && w <= MAX_SIDE && h <= MAX_SIDE).then_some((w, h))
}

/// Whether a size of an image with these dimensions keeps an alpha channel
/// (and is therefore a PNG rather than a JPEG).
fn keeps_alpha(img: &DynamicImage) -> bool {
    img.color().has_alpha()
}

/// The lead image `original` (whose bytes are `bytes`) as the page shows
/// it: its dimensions and the paths of the sizes below its width. `None`
/// if its header cannot be read within the limits.
pub fn lead(original: &MediaRef, bytes: &[u8]) -> Option<Lead> {
    let (width, height) = dimensions(bytes)?;
    // The extension of a size follows the original's alpha, known only
    // after decoding; the header's colour type says it for PNG, GIF and
    // WebP alike, so ask the decoder without decoding the pixels.
    let alpha = {
        let r = reader(bytes)?;
        let decoder = r.into_decoder().ok()?;
        image::ImageDecoder::color_type(&decoder).has_alpha()
    };
    let ext = if alpha { "png" } else { "jpg" };
    let sizes = WIDTHS
        .iter()
        .copied()
        .filter(|w| *w < width)
        .map(|w| (w, format!("media/{}-{w}w.{ext}", original.id)))
        .collect();
    Some(Lead {
        original: original.clone(),
        width,
        height,
        sizes,
    })
}

/// The image `bytes` resized to `width` (height in proportion), encoded as
/// JPEG (PNG if it has an alpha channel); `None` if it cannot be decoded
/// within the limits or is not wider than `width`.
pub fn resize(bytes: &[u8], width: u32) -> Option<Vec<u8>> {
    let img = reader(bytes)?.decode().ok()?;
    if img.width() <= width || width == 0 {
        return None;
    }
    let height = ((u64::from(img.height()) * u64::from(width) + u64::from(img.width()) / 2)
        / u64::from(img.width()))
    .max(1) as u32;
    let small = img.resize_exact(width, height, FilterType::Triangle);
    let mut out = Vec::new();
    if keeps_alpha(&img) {
        small
            .to_rgba8()
            .write_with_encoder(PngEncoder::new(&mut out))
            .ok()?;
    } else {
        small
            .to_rgb8()
            .write_with_encoder(JpegEncoder::new_with_quality(&mut out, QUALITY))
            .ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut out = Vec::new();
        img.write_with_encoder(PngEncoder::new(&mut out)).unwrap();
        out
    }

    #[test]
    fn sizes_are_smaller_proportional_and_the_same_every_time() {
        let original = png(1000, 500);
        let small = resize(&original, 320).unwrap();
        assert_eq!(dimensions(&small), Some((320, 160)));
        assert_eq!(resize(&original, 320).unwrap(), small, "deterministic");
        assert!(small.starts_with(&[0xFF, 0xD8]), "a JPEG");
        assert_eq!(resize(&original, 1280), None, "never enlarged");
    }

    #[test]
    fn a_header_claiming_a_huge_image_or_garbage_gets_no_sizes() {
        // A valid PNG header declaring 100000 x 100000 pixels and no data.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        assert_eq!(dimensions(&bomb), None);
        // A real image beyond the side limit is not decoded at all.
        let wide = png(MAX_SIDE + 1, 2);
        assert_eq!(dimensions(&wide), None);
        assert_eq!(resize(&wide, 320), None);
        assert_eq!(resize(&bomb, 320), None);
        let truncated = &png(800, 600)[..200];
        assert_eq!(resize(truncated, 320), None);
        assert_eq!(resize(b"not an image", 320), None);
    }
}
