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
//! Images must decode far enough for their dimensions (read from the header with `imagesize`)
//! to be within [`UploadLimits`]: a 50×50 picture cannot show an ID card legibly, and a
//! 30000×30000 one is a decompression bomb. Size limits default to 1 KiB–5 MiB.
//!
//! Storage is in [`store`], the only module of this crate that performs I/O.

pub mod store;

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

/// The detected file type.
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

/// Checks an upload's size, type and (for images) dimensions.
pub fn validate_upload(bytes: &[u8], purpose: UploadPurpose, limits: &UploadLimits) -> Result<FileKind, UploadError> {
    limits.validate()?;
    if bytes.len() < limits.min_bytes {
        return Err(UploadError::TooSmall { bytes: bytes.len(), min_bytes: limits.min_bytes });
    }
    if bytes.len() > limits.max_bytes {
        return Err(UploadError::TooLarge { bytes: bytes.len(), max_bytes: limits.max_bytes });
    }
    if bytes.starts_with(PDF_MAGIC) {
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
        return Ok(FileKind::Pdf);
    }
    let is_jpeg = bytes.starts_with(JPEG_MAGIC);
    let is_png = bytes.starts_with(PNG_MAGIC);
    if !is_jpeg && !is_png {
        return Err(UploadError::UnsupportedType { documents_allowed: purpose == UploadPurpose::Document });
    }
    // A PNG's first chunk must be its header; without it the "dimensions" would be noise.
    if is_png && bytes.get(12..16) != Some(b"IHDR".as_slice()) {
        return Err(UploadError::Unreadable);
    }
    let size = imagesize::blob_size(bytes).map_err(|_| UploadError::Unreadable)?;
    let width_px = u32::try_from(size.width).unwrap_or(u32::MAX);
    let height_px = u32::try_from(size.height).unwrap_or(u32::MAX);
    let side_ok = |side: u32| (limits.min_side_px..=limits.max_side_px).contains(&side);
    if !side_ok(width_px) || !side_ok(height_px) {
        return Err(UploadError::Dimensions { width_px, height_px, min_side_px: limits.min_side_px, max_side_px: limits.max_side_px });
    }
    Ok(if is_jpeg { FileKind::Jpeg { width_px, height_px } } else { FileKind::Png { width_px, height_px } })
}

#[cfg(test)]
pub(crate) mod test_files {
    /// A PNG signature and IHDR chunk for the given size, padded to `total_bytes`. Enough for a
    /// header reader; not a displayable image (the CRC is not computed).
    pub fn png(width: u32, height: u32, total_bytes: usize) -> Vec<u8> {
        let mut bytes = super::PNG_MAGIC.to_vec();
        bytes.extend_from_slice(&13u32.to_be_bytes());
        bytes.extend_from_slice(b"IHDR");
        bytes.extend_from_slice(&width.to_be_bytes());
        bytes.extend_from_slice(&height.to_be_bytes());
        bytes.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
        bytes.extend_from_slice(&[0, 0, 0, 0]); // CRC placeholder
        assert!(total_bytes >= bytes.len());
        bytes.resize(total_bytes, 0);
        bytes
    }

    /// A JPEG start-of-image and baseline start-of-frame marker, padded to `total_bytes`.
    pub fn jpeg(width: u16, height: u16, total_bytes: usize) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08];
        bytes.extend_from_slice(&height.to_be_bytes());
        bytes.extend_from_slice(&width.to_be_bytes());
        bytes.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        assert!(total_bytes >= bytes.len());
        bytes.resize(total_bytes, 0);
        bytes
    }

    /// A minimal-looking PDF padded to `total_bytes`.
    pub fn pdf(total_bytes: usize) -> Vec<u8> {
        let mut bytes = b"%PDF-1.7\n".to_vec();
        bytes.resize(total_bytes - 6, b' ');
        bytes.extend_from_slice(b"%%EOF\n");
        bytes
    }
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
    use super::test_files::{jpeg, pdf, png};
    use super::*;

    fn check(bytes: &[u8], purpose: UploadPurpose) -> Result<FileKind, UploadError> {
        validate_upload(bytes, purpose, &UploadLimits::default())
    }

    #[test]
    fn accepts_images_and_pdf_documents() {
        assert_eq!(check(&png(1200, 800, 4096), UploadPurpose::Image), Ok(FileKind::Png { width_px: 1200, height_px: 800 }));
        assert_eq!(check(&jpeg(640, 480, 2048), UploadPurpose::Image), Ok(FileKind::Jpeg { width_px: 640, height_px: 480 }));
        assert_eq!(check(&pdf(2048), UploadPurpose::Document), Ok(FileKind::Pdf));
        assert_eq!(check(&png(300, 300, 1024), UploadPurpose::Document).unwrap().content_type(), "image/png");
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
        assert_eq!(check(&png(400, 400, 1023), UploadPurpose::Image), Err(UploadError::TooSmall { bytes: 1023, min_bytes: 1024 }));
        let limits = UploadLimits { max_bytes: 4096, ..UploadLimits::default() };
        assert_eq!(validate_upload(&png(400, 400, 4097), UploadPurpose::Image, &limits), Err(UploadError::TooLarge { bytes: 4097, max_bytes: 4096 }));
        assert!(matches!(check(&png(299, 400, 2048), UploadPurpose::Image), Err(UploadError::Dimensions { .. })));
        assert!(matches!(check(&png(400, 8001, 2048), UploadPurpose::Image), Err(UploadError::Dimensions { .. })));
        assert!(matches!(check(&jpeg(30000, 30000, 2048), UploadPurpose::Image), Err(UploadError::Dimensions { .. })));
        assert!(check(&png(8000, 300, 2048), UploadPurpose::Image).is_ok());
        let bad = UploadLimits { min_bytes: 10, max_bytes: 5, ..UploadLimits::default() };
        assert_eq!(validate_upload(&png(400, 400, 2048), UploadPurpose::Image, &bad), Err(UploadError::Limits));
    }
}
