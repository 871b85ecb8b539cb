//! Images are decoded in full and encoded again; only the new encoding is kept.
//!
//! The first bytes say what a file claims to be, not what else it carries: EXIF and text chunks
//! (GPS positions, names, anything at all), bytes after a PNG's `IEND` or a JPEG's `EOI`, or a
//! ZIP or HTML page laid inside a comment so that the same bytes are also another kind of file (a
//! polyglot). A fresh encoding of the decoded pixels has none of that: a JPEG is stored as a new
//! JPEG (quality [`JPEG_QUALITY`]), a PNG as a new PNG, with no metadata at all — not even an ICC
//! profile, which is free-form bytes too. The one piece of metadata that changes what a reviewer
//! sees, the EXIF orientation of a phone photo, is applied to the pixels before it is dropped.
//!
//! Decoding is bounded before anything is allocated for pixels: the sides are read from the
//! header and checked against [`UploadLimits`], and the decoded buffer may not exceed
//! [`MAX_DECODED_BYTES`]; the decoders get the same limits for their own buffers.

use super::{UploadError, UploadLimits};
use image::codecs::jpeg::{JpegDecoder, JpegEncoder};
use image::codecs::png::{CompressionType, FilterType, PngDecoder, PngEncoder};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, Limits};
use std::borrow::Cow;
use std::io::Cursor;

/// Largest decoded pixel buffer: an 8000×8000 RGBA image (the largest default side at 8 bits
/// per channel) fits; the same at 16 bits per channel does not.
pub const MAX_DECODED_BYTES: u64 = 256 * 1024 * 1024;
/// Quality of a re-encoded JPEG: close enough to a phone's own output that text on an ID card
/// stays legible, without growing the file much.
pub const JPEG_QUALITY: u8 = 90;

/// The image formats accepted, as told by their first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Format {
    Jpeg,
    Png,
}

/// An image as it will be stored: its sides (after orientation) and its new encoding.
pub(super) struct Cleaned {
    pub width_px: u32,
    pub height_px: u32,
    pub bytes: Vec<u8>,
}

/// Decodes `bytes` in full within `limits` and encodes the pixels again in the same format.
pub(super) fn reencode(bytes: &[u8], format: Format, limits: &UploadLimits) -> Result<Cleaned, UploadError> {
    let image = match format {
        Format::Png => decode(PngDecoder::with_limits(Cursor::new(bytes), header_limits()).map_err(unreadable)?, limits)?,
        Format::Jpeg => {
            // The JPEG decoder is lenient: a file cut short decodes with the missing part grey.
            // A cut-short upload is a failed upload, so its structure is checked first.
            if !jpeg_reaches_end(bytes) {
                return Err(UploadError::Unreadable);
            }
            decode(JpegDecoder::new(Cursor::new(bytes)).map_err(unreadable)?, limits)?
        }
    };
    let bytes = match format {
        Format::Png => encode_png(&image)?,
        Format::Jpeg => encode_jpeg(&image)?,
    };
    Ok(Cleaned { width_px: image.width(), height_px: image.height(), bytes })
}

/// Every decoding failure is the customer's file: damaged, cut short, or not what it claims.
fn unreadable(_: image::ImageError) -> UploadError {
    UploadError::Unreadable
}

/// Limits while only the header is read: the sides are checked by [`decode`] (to name them in
/// the error), but whatever the decoder buffers on the way (text chunks, say) is bounded.
fn header_limits() -> Limits {
    let mut limits = Limits::no_limits();
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    limits
}

/// The full decoder limits: the sides allowed and the buffer bound.
fn decode_limits(limits: &UploadLimits) -> Limits {
    let mut decoder_limits = header_limits();
    decoder_limits.max_image_width = Some(limits.max_side_px);
    decoder_limits.max_image_height = Some(limits.max_side_px);
    decoder_limits
}

/// Checks the header's sides and the decoded size, then decodes and applies the orientation.
fn decode(mut decoder: impl ImageDecoder, limits: &UploadLimits) -> Result<DynamicImage, UploadError> {
    let (width_px, height_px) = decoder.dimensions();
    limits.check_sides(width_px, height_px)?;
    // Sides within limits can still need more memory than is reasonable (16-bit channels).
    if decoder.total_bytes() > MAX_DECODED_BYTES {
        return Err(UploadError::TooManyPixels { width_px, height_px });
    }
    decoder.set_limits(decode_limits(limits)).map_err(unreadable)?;
    // A damaged EXIF block costs the rotation, not the upload.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn encode_png(image: &DynamicImage) -> Result<Vec<u8>, UploadError> {
    let mut out = Vec::new();
    let encoder = PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive);
    image.write_with_encoder(encoder).map_err(unreadable)?;
    Ok(out)
}

fn encode_jpeg(image: &DynamicImage) -> Result<Vec<u8>, UploadError> {
    // The JPEG encoder takes grey or RGB; any other layout (a rare JPEG with alpha) becomes RGB.
    let pixels = match image {
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => Cow::Borrowed(image),
        other => Cow::Owned(DynamicImage::ImageRgb8(other.to_rgb8())),
    };
    let mut out = Vec::new();
    pixels.write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)).map_err(unreadable)?;
    Ok(out)
}

/// JPEG markers that stand alone, without a length: TEM and RST0–RST7.
fn is_standalone_marker(marker: u8) -> bool {
    marker == 0x01 || (0xD0..=0xD7).contains(&marker)
}

/// Whether a JPEG's segments, walked from its start-of-image, reach an end-of-image marker.
/// Segments are skipped by their lengths (so an EXIF thumbnail's own end marker is not taken
/// for the image's) and each scan's entropy-coded data up to the next real marker. Stray bytes
/// where a marker should be are skipped, as common decoders do, rather than refused.
fn jpeg_reaches_end(bytes: &[u8]) -> bool {
    let mut at = 2; // past SOI, which the caller has seen
    loop {
        // The next marker: any run of 0xFF fill bytes, then the marker's code.
        let Some(ff) = bytes.get(at..).and_then(|rest| rest.iter().position(|&b| b == 0xFF)) else { return false };
        at += ff;
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let Some(&marker) = bytes.get(at) else { return false };
        at += 1;
        match marker {
            0xD9 => return true,
            m if is_standalone_marker(m) => {}
            _ => {
                let Some(len) = bytes.get(at..at + 2).map(|b| usize::from(u16::from_be_bytes([b[0], b[1]]))) else { return false };
                if len < 2 {
                    return false;
                }
                at += len;
                if marker == 0xDA {
                    let Some(end) = end_of_scan(bytes, at) else { return false };
                    at = end;
                }
            }
        }
    }
}

/// Where a scan's entropy-coded data, starting at `from`, ends: at the first 0xFF that is
/// neither a stuffed zero (`FF 00`) nor a restart marker inside the scan.
fn end_of_scan(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        at += bytes.get(at..)?.iter().position(|&b| b == 0xFF)?;
        match *bytes.get(at + 1)? {
            0x00 | 0xD0..=0xD7 => at += 2,
            _ => return Some(at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jpeg_walk_finds_the_real_end_only() {
        // SOI, an APP1 whose payload holds an end marker (a thumbnail's), SOS, data with a
        // stuffed byte and a restart marker, then EOI.
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x06, 0xFF, 0xD9, 0x00, 0x00];
        jpeg.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x04, 0x01, 0x00, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        assert!(!jpeg_reaches_end(&jpeg), "cut short inside the scan");
        jpeg.extend_from_slice(&[0xFF, 0xFF, 0xD9]);
        assert!(jpeg_reaches_end(&jpeg));
        jpeg.extend_from_slice(b"trailing bytes are not the walk's concern");
        assert!(jpeg_reaches_end(&jpeg));
        // A segment whose length runs past the end of the file.
        assert!(!jpeg_reaches_end(&[0xFF, 0xD8, 0xFF, 0xE0, 0x40, 0x00, 0x01]));
        assert!(!jpeg_reaches_end(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01, 0xFF, 0xD9]), "a length below 2");
        assert!(!jpeg_reaches_end(&[0xFF, 0xD8, 0xFF]));
    }
}
