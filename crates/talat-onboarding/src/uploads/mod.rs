//! Checking uploaded KYC files (ID card photos, selfies, bank statements) before storing them.
//!
//! The type is decided by the file's first bytes ("magic bytes"), never by its name or the
//! browser's declared content type, both of which the uploader controls: a `statement.pdf` that
//! is really HTML or an executable is refused. Accepted:
//!
//! | kind | magic bytes | allowed for |
//! |---|---|---|
//! | JPEG | `FF D8 FF` | images and documents |
//! | PNG | `89 50 4E 47 0D 0A 1A 0A` | images and documents |
//! | PDF | `%PDF-` (and `%%EOF` near the end) | documents only |
//!
//! Images are then decoded in full and encoded again ([`clean`]): what is stored and served is
//! the new encoding only, so metadata, bytes after the image's end and anything else riding
//! along are gone. Their sides must be within [`UploadLimits`] (checked from the header, before
//! decoding): a 50×50 picture cannot show an ID card legibly, and a 30000×30000 one is a
//! decompression bomb. Size limits (1 KiB–5 MiB by default) apply to the bytes as uploaded.
//! PDFs are stored as uploaded, once [`pdf_has_active_content`] has found nothing that runs.
//!
//! Storage is in [`store`], the only module of this crate that performs I/O.

pub mod clean;
pub mod store;
#[cfg(test)]
pub(crate) mod test_files;

use clean::Format;

use serde::{Deserialize, Serialize};

/// Default largest upload.
pub const DEFAULT_MAX_BYTES: usize = 5 * 1024 * 1024;
/// Default smallest upload; anything smaller cannot be a legible photo or statement.
pub const DEFAULT_MIN_BYTES: usize = 1024;
/// Default smallest image side.
pub const DEFAULT_MIN_SIDE_PX: u32 = 300;
/// Default largest image side.
pub const DEFAULT_MAX_SIDE_PX: u32 = 8000;
/// No configuration may allow more than this, whatever staff set.
pub const HARD_MAX_BYTES: usize = 64 * 1024 * 1024;
/// A PDF's `%%EOF` marker must appear within this many bytes of its end (trailing whitespace
/// and a few bytes of junk are common); its absence means a truncated upload.
const PDF_EOF_WINDOW_BYTES: usize = 1024;

const JPEG_MAGIC: &[u8] = &[0xFF, 0xD8, 0xFF];
const PNG_MAGIC: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
const PDF_MAGIC: &[u8] = b"%PDF-";

/// What the upload is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadPurpose {
    /// ID card, passport page, selfie: JPEG or PNG only.
    Image,
    /// Payslip, bank statement, proof of address: JPEG, PNG or PDF.
    Document,
}

/// The detected file type; an image's sides are those of the stored image (after its EXIF
/// orientation was applied).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum FileKind {
    Jpeg { width_px: u32, height_px: u32 },
    Png { width_px: u32, height_px: u32 },
    Pdf,
}

impl FileKind {
    /// The content type to serve the stored file with.
    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Jpeg { .. } => "image/jpeg",
            FileKind::Png { .. } => "image/png",
            FileKind::Pdf => "application/pdf",
        }
    }
}

/// An upload that passed [`validate_upload`]: its type and the bytes to store and serve (for an
/// image, its new encoding; for a PDF, the bytes as uploaded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedUpload {
    pub kind: FileKind,
    pub bytes: Vec<u8>,
}

/// Size and dimension limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadLimits {
    pub min_bytes: usize,
    pub max_bytes: usize,
    pub min_side_px: u32,
    pub max_side_px: u32,
}

impl Default for UploadLimits {
    fn default() -> UploadLimits {
        UploadLimits { min_bytes: DEFAULT_MIN_BYTES, max_bytes: DEFAULT_MAX_BYTES, min_side_px: DEFAULT_MIN_SIDE_PX, max_side_px: DEFAULT_MAX_SIDE_PX }
    }
}

impl UploadLimits {
    /// Checks the limits are ordered and within [`HARD_MAX_BYTES`].
    pub fn validate(&self) -> Result<(), UploadError> {
        let ok = self.min_bytes >= 1
            && self.min_bytes <= self.max_bytes
            && self.max_bytes <= HARD_MAX_BYTES
            && self.min_side_px >= 1
            && self.min_side_px <= self.max_side_px;
        if ok {
            Ok(())
        } else {
            Err(UploadError::Limits)
        }
    }

    /// Checks both sides of an image are within `min_side_px..=max_side_px`.
    pub fn check_sides(&self, width_px: u32, height_px: u32) -> Result<(), UploadError> {
        let side_ok = |side: u32| (self.min_side_px..=self.max_side_px).contains(&side);
        if side_ok(width_px) && side_ok(height_px) {
            Ok(())
        } else {
            Err(UploadError::Dimensions { width_px, height_px, min_side_px: self.min_side_px, max_side_px: self.max_side_px })
        }
    }
}

/// Why an upload was refused. Messages are shown to customers.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error("the file is too small ({bytes} bytes); it must be at least {min_bytes} bytes")]
    TooSmall { bytes: usize, min_bytes: usize },
    #[error("the file is too large ({bytes} bytes); the limit is {max_bytes} bytes")]
    TooLarge { bytes: usize, max_bytes: usize },
    #[error("this type of file is not accepted; please upload a JPEG or PNG photo{}", if *.documents_allowed { " or a PDF" } else { "" })]
    UnsupportedType { documents_allowed: bool },
    #[error("a PDF is not accepted here; please upload a JPEG or PNG photo")]
    PdfNotAllowed,
    #[error("the image could not be read; it may be damaged")]
    Unreadable,
    #[error("the PDF appears to be incomplete; please upload it again")]
    TruncatedPdf,
    #[error("the image is {width_px}×{height_px} pixels; each side must be {min_side_px} to {max_side_px} pixels")]
    Dimensions { width_px: u32, height_px: u32, min_side_px: u32, max_side_px: u32 },
    #[error("the image is {width_px}×{height_px} pixels at a colour depth too large to process; please upload a smaller or 8-bit image")]
    TooManyPixels { width_px: u32, height_px: u32 },
    #[error("the image is too large once re-encoded ({bytes} bytes; the limit is {max_bytes} bytes); please upload a smaller image")]
    TooLargeReencoded { bytes: usize, max_bytes: usize },
    #[error("the PDF contains scripts or automatic actions, which are not accepted; please print it to a plain PDF and upload that")]
    ActiveContent,
    #[error("the upload limits are misconfigured")]
    Limits,
}

/// The PDF names that run something: JavaScript, actions on open or on events, launching a
/// program, submitting a form, embedded files. Matched as whole names (followed by a delimiter).
const PDF_ACTIVE_NAMES: [&[u8]; 8] = [b"/JavaScript", b"/JS", b"/OpenAction", b"/AA", b"/Launch", b"/SubmitForm", b"/EmbeddedFile", b"/ObjStm"];

/// Whether a PDF carries active content. Names written with `#xx` escapes are decoded first, so
/// `/J#53` is `/JS`. (A name inside a compressed object stream is not seen: such a stream is
/// itself refused, since what it hides cannot be checked without decompressing it.)
pub fn pdf_has_active_content(bytes: &[u8]) -> bool {
    let decoded = decode_name_escapes(bytes);
    let is_delimiter = |b: Option<&u8>| b.is_none_or(|b| b.is_ascii_whitespace() || b"/<>[]()%{}".contains(b));
    for name in PDF_ACTIVE_NAMES {
        let mut from = 0;
        while let Some(at) = decoded[from..].windows(name.len()).position(|w| w == name) {
            let end = from + at + name.len();
            if is_delimiter(decoded.get(end)) {
                return true;
            }
            from = end;
        }
    }
    false
}

/// `#xx` hex escapes in names decoded (PDF 1.2+), everything else as it is.
fn decode_name_escapes(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'#' && i + 2 < bytes.len() {
            if let Ok(v) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// Checks an upload's size and type; an image must decode in full within the limits and comes
/// back re-encoded, a PDF must be complete and run nothing. The size limits apply to `bytes` as
/// uploaded; store and serve [`CheckedUpload::bytes`], never the upload itself.
pub fn validate_upload(bytes: &[u8], purpose: UploadPurpose, limits: &UploadLimits) -> Result<CheckedUpload, UploadError> {
    limits.validate()?;
    if bytes.len() < limits.min_bytes {
        return Err(UploadError::TooSmall { bytes: bytes.len(), min_bytes: limits.min_bytes });
    }
    if bytes.len() > limits.max_bytes {
        return Err(UploadError::TooLarge { bytes: bytes.len(), max_bytes: limits.max_bytes });
    }
    if bytes.starts_with(PDF_MAGIC) {
        check_pdf(bytes, purpose)?;
        return Ok(CheckedUpload { kind: FileKind::Pdf, bytes: bytes.to_vec() });
    }
    let format = if bytes.starts_with(JPEG_MAGIC) {
        Format::Jpeg
    } else if bytes.starts_with(PNG_MAGIC) {
        Format::Png
    } else {
        return Err(UploadError::UnsupportedType { documents_allowed: purpose == UploadPurpose::Document });
    };
    let cleaned = clean::reencode(bytes, format, limits)?;
    // The store takes nothing larger; a re-encoding this large is pathological, not a photo.
    if cleaned.bytes.len() > HARD_MAX_BYTES {
        return Err(UploadError::TooLargeReencoded { bytes: cleaned.bytes.len(), max_bytes: HARD_MAX_BYTES });
    }
    let (width_px, height_px) = (cleaned.width_px, cleaned.height_px);
    let kind = match format {
        Format::Jpeg => FileKind::Jpeg { width_px, height_px },
        Format::Png => FileKind::Png { width_px, height_px },
    };
    Ok(CheckedUpload { kind, bytes: cleaned.bytes })
}

/// A PDF is for documents only, must end with its `%%EOF` marker and may run nothing.
fn check_pdf(bytes: &[u8], purpose: UploadPurpose) -> Result<(), UploadError> {
    if purpose != UploadPurpose::Document {
        return Err(UploadError::PdfNotAllowed);
    }
    let tail = &bytes[bytes.len().saturating_sub(PDF_EOF_WINDOW_BYTES)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(UploadError::TruncatedPdf);
    }
    if pdf_has_active_content(bytes) {
        return Err(UploadError::ActiveContent);
    }
    Ok(())
}

#[cfg(test)]
mod active_pdf_tests {
    use super::*;

    #[test]
    fn pdfs_with_scripts_or_actions_are_refused() {
        let plain = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n%%EOF\n";
        assert!(!pdf_has_active_content(plain));
        for hostile in [
            &b"1 0 obj << /OpenAction 5 0 R >>"[..],
            b"<< /S /JavaScript /JS (app.alert(1)) >>",
            b"<</AA<</O 3 0 R>>>>",
            b"<< /J#53 (x) >>",
            b"<< /Type /ObjStm /N 3 >>",
            b"<< /S /Launch /F (cmd.exe) >>",
        ] {
            assert!(pdf_has_active_content(hostile), "{}", String::from_utf8_lossy(hostile));
        }
        assert!(!pdf_has_active_content(b"<< /JSON (not a script name) /AAA 1 >>"), "whole names only");
    }
}

#[cfg(test)]
mod tests {
    use super::test_files::{jpeg, jpeg_segment, pdf, png, png_chunk, with_jpeg_segment, with_jpeg_sides, with_png_chunk, with_png_header};
    use super::*;

    fn check(bytes: &[u8], purpose: UploadPurpose) -> Result<FileKind, UploadError> {
        validate_upload(bytes, purpose, &UploadLimits::default()).map(|c| c.kind)
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn accepts_images_and_pdf_documents() {
        assert_eq!(check(&png(1200, 800, 4096), UploadPurpose::Image), Ok(FileKind::Png { width_px: 1200, height_px: 800 }));
        assert_eq!(check(&jpeg(640, 480, 2048), UploadPurpose::Image), Ok(FileKind::Jpeg { width_px: 640, height_px: 480 }));
        assert_eq!(check(&pdf(2048), UploadPurpose::Document), Ok(FileKind::Pdf));
        assert_eq!(check(&png(300, 300, 1024), UploadPurpose::Document).unwrap().content_type(), "image/png");
        // A PDF is kept as uploaded; an image is not.
        let document = pdf(2048);
        assert_eq!(validate_upload(&document, UploadPurpose::Document, &UploadLimits::default()).unwrap().bytes, document);
    }

    #[test]
    fn refuses_by_content_not_name() {
        assert_eq!(check(&pdf(2048), UploadPurpose::Image), Err(UploadError::PdfNotAllowed));
        let mut html = b"<html><script>alert(1)</script>".to_vec();
        html.resize(2048, b' ');
        assert_eq!(check(&html, UploadPurpose::Document), Err(UploadError::UnsupportedType { documents_allowed: true }));
        let mut exe = b"MZ\x90\x00".to_vec();
        exe.resize(2048, 0);
        let err = check(&exe, UploadPurpose::Image).unwrap_err();
        assert_eq!(err.to_string(), "this type of file is not accepted; please upload a JPEG or PNG photo");
        let mut gif = b"GIF89a".to_vec();
        gif.resize(2048, 0);
        assert!(matches!(check(&gif, UploadPurpose::Image), Err(UploadError::UnsupportedType { .. })));
        let mut truncated = pdf(4096);
        truncated.truncate(3000);
        assert_eq!(check(&truncated, UploadPurpose::Document), Err(UploadError::TruncatedPdf));
        // JPEG signature but no frame header: unreadable.
        let mut broken = JPEG_MAGIC.to_vec();
        broken.resize(2048, 0x01);
        assert_eq!(check(&broken, UploadPurpose::Image), Err(UploadError::Unreadable));
        // PNG signature with garbage where the header should be.
        let mut garbage = PNG_MAGIC.to_vec();
        garbage.resize(2048, 0xFF);
        assert_eq!(check(&garbage, UploadPurpose::Image), Err(UploadError::Unreadable));
    }

    #[test]
    fn size_and_dimension_limits() {
        let mut tiny = png(400, 400, 0);
        tiny.truncate(1023);
        assert_eq!(check(&tiny, UploadPurpose::Image), Err(UploadError::TooSmall { bytes: 1023, min_bytes: 1024 }));
        let flat = png(400, 400, 0);
        let limits = UploadLimits { min_bytes: 4096, ..UploadLimits::default() };
        assert!(flat.len() < 4096, "a one-colour image compresses to {} bytes", flat.len());
        assert_eq!(validate_upload(&flat, UploadPurpose::Image, &limits), Err(UploadError::TooSmall { bytes: flat.len(), min_bytes: 4096 }));
        let limits = UploadLimits { max_bytes: 4096, ..UploadLimits::default() };
        let large = png(400, 400, 4097);
        assert_eq!(validate_upload(&large, UploadPurpose::Image, &limits), Err(UploadError::TooLarge { bytes: large.len(), max_bytes: 4096 }));
        assert!(matches!(check(&png(299, 400, 2048), UploadPurpose::Image), Err(UploadError::Dimensions { .. })));
        assert!(matches!(check(&png(400, 8001, 2048), UploadPurpose::Image), Err(UploadError::Dimensions { .. })));
        assert!(check(&png(8000, 300, 2048), UploadPurpose::Image).is_ok());
        let bad = UploadLimits { min_bytes: 10, max_bytes: 5, ..UploadLimits::default() };
        assert_eq!(validate_upload(&png(400, 400, 2048), UploadPurpose::Image, &bad), Err(UploadError::Limits));
    }

    /// Decodes stored bytes again, as a reviewer's viewer would.
    fn decoded(bytes: &[u8]) -> image::DynamicImage {
        image::load_from_memory(bytes).expect("the stored image decodes")
    }

    #[test]
    fn png_text_chunks_and_bytes_after_iend_are_not_kept() {
        let original = png(640, 480, 4096);
        let secret = b"Comment\0GPS 13.7563N 100.5018E; <script>alert(1)</script>";
        let mut upload = with_png_chunk(&original, &png_chunk(b"tEXt", secret));
        upload.extend_from_slice(b"PK\x03\x04 a zip archive riding along after IEND");
        let checked = validate_upload(&upload, UploadPurpose::Image, &UploadLimits::default()).unwrap();
        assert_eq!(checked.kind, FileKind::Png { width_px: 640, height_px: 480 });
        assert!(checked.bytes.starts_with(PNG_MAGIC) && checked.bytes.ends_with(&png_chunk(b"IEND", b"")), "nothing after IEND");
        for gone in [&b"tEXt"[..], b"GPS 13.7563N", b"<script>", b"PK\x03\x04", b"riding along"] {
            assert!(!contains(&checked.bytes, gone), "{} was kept", String::from_utf8_lossy(gone));
        }
        // Same pixels (PNG is lossless), same sides.
        assert_eq!(decoded(&checked.bytes).to_rgb8(), decoded(&original).to_rgb8());
    }

    /// An APP1 segment with an EXIF block: big-endian TIFF, one entry (orientation), then
    /// whatever else a camera or an attacker puts there.
    fn exif_segment(orientation: u16, extra: &[u8]) -> Vec<u8> {
        let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01".to_vec();
        exif.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1]); // Orientation, SHORT, 1 value
        exif.extend_from_slice(&orientation.to_be_bytes());
        exif.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // value padding, no next IFD
        exif.extend_from_slice(extra);
        jpeg_segment(0xE1, &exif)
    }

    #[test]
    fn jpeg_exif_and_bytes_after_eoi_are_not_kept() {
        let original = jpeg(640, 480, 4096);
        let mut upload = with_jpeg_segment(&original, &exif_segment(1, b"Owner: Somchai Jaidee, GPS 13.7563N"));
        upload.extend_from_slice(b"<html><script>alert(1)</script></html> after EOI");
        let checked = validate_upload(&upload, UploadPurpose::Image, &UploadLimits::default()).unwrap();
        assert_eq!(checked.kind, FileKind::Jpeg { width_px: 640, height_px: 480 });
        assert!(checked.bytes.starts_with(JPEG_MAGIC) && checked.bytes.ends_with(&[0xFF, 0xD9]), "nothing after EOI");
        for gone in [&b"Exif\0\0"[..], b"Somchai", b"GPS", b"<script>", b"after EOI"] {
            assert!(!contains(&checked.bytes, gone), "{} was kept", String::from_utf8_lossy(gone));
        }
        let again = decoded(&checked.bytes);
        assert_eq!((again.width(), again.height()), (640, 480));
        assert_eq!(again.color(), image::ColorType::Rgb8);
    }

    #[test]
    fn a_phone_photos_orientation_is_applied_before_its_exif_is_dropped() {
        // Orientation 6: the camera was turned a quarter; viewers rotate the 640×480 pixels.
        let upload = with_jpeg_segment(&jpeg(640, 480, 4096), &exif_segment(6, b""));
        let checked = validate_upload(&upload, UploadPurpose::Image, &UploadLimits::default()).unwrap();
        assert_eq!(checked.kind, FileKind::Jpeg { width_px: 480, height_px: 640 });
        let again = decoded(&checked.bytes);
        assert_eq!((again.width(), again.height()), (480, 640));
    }

    #[test]
    fn damaged_pixel_data_is_refused_as_unreadable() {
        let limits = UploadLimits::default();
        // Cut short: the header is whole, the pixel data is not.
        let png_bytes = png(640, 480, 8192);
        let jpeg_bytes = jpeg(640, 480, 8192);
        for cut in [&png_bytes[..png_bytes.len() / 2], &jpeg_bytes[..jpeg_bytes.len() / 2]] {
            let refused = validate_upload(cut, UploadPurpose::Image, &limits).unwrap_err();
            assert_eq!(refused, UploadError::Unreadable);
            assert_eq!(refused.to_string(), "the image could not be read; it may be damaged");
        }
        // Whole length, but the compressed pixels overwritten (their checksum no longer matches).
        let mut corrupt = png_bytes.clone();
        let middle = corrupt.len() / 2;
        corrupt[middle..middle + 64].fill(0x55);
        assert_eq!(validate_upload(&corrupt, UploadPurpose::Image, &limits), Err(UploadError::Unreadable));
    }

    #[test]
    fn oversized_headers_are_refused_before_decoding() {
        let limits = UploadLimits::default();
        // A decompression bomb's header: 60000×60000 RGB would need 10.8 GB to decode. Refused
        // from the header alone (the test would run out of memory otherwise).
        let bomb = with_png_header(&png(400, 400, 2048), 60_000, 60_000, 8, 2);
        assert_eq!(
            validate_upload(&bomb, UploadPurpose::Image, &limits),
            Err(UploadError::Dimensions { width_px: 60_000, height_px: 60_000, min_side_px: 300, max_side_px: 8000 })
        );
        let jpeg_bomb = with_jpeg_sides(&jpeg(640, 480, 2048), 30_000, 30_000);
        assert!(matches!(validate_upload(&jpeg_bomb, UploadPurpose::Image, &limits), Err(UploadError::Dimensions { width_px: 30_000, .. })));
        // Sides within limits, but 16-bit RGBA: 8000×8000×8 bytes is past MAX_DECODED_BYTES.
        let deep = with_png_header(&png(400, 400, 2048), 8000, 8000, 16, 6);
        let refused = validate_upload(&deep, UploadPurpose::Image, &limits).unwrap_err();
        assert_eq!(refused, UploadError::TooManyPixels { width_px: 8000, height_px: 8000 });
        assert!(refused.to_string().starts_with("the image is 8000×8000 pixels"), "{refused}");
    }
}
