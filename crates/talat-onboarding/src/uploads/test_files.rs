//! Files for tests: real, decodable PNGs and JPEGs (made with the `image` crate's encoders) of
//! the sides asked for, whose size comes from their pixels, and the pieces to graft onto them
//! what a hostile upload would carry.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ImageEncoder, RgbImage};

/// An image whose first `noisy_rows` rows are noise (which no encoder can shrink much) and whose
/// other rows are one colour (which every encoder shrinks to almost nothing).
fn partly_noisy(width: u32, height: u32, noisy_rows: u32) -> RgbImage {
    let mut state = 0x9E37_79B9u32 ^ width.rotate_left(16) ^ height;
    RgbImage::from_fn(width, height, |_, y| {
        if y >= noisy_rows {
            return image::Rgb([200, 210, 220]);
        }
        // xorshift32: deterministic noise, so a test's file is the same on every run.
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [r, g, b, _] = state.to_le_bytes();
        image::Rgb([r, g, b])
    })
}

/// Encodes ever more noisy rows until the file has at least `min_bytes` (0: a flat image).
fn encoded_of_size(width: u32, height: u32, min_bytes: usize, encode: impl Fn(&RgbImage) -> Vec<u8>) -> Vec<u8> {
    let row_bytes = 3 * width as usize;
    let mut rows = u32::try_from(min_bytes.div_ceil(row_bytes).min(height as usize)).expect("rows fit in u32");
    loop {
        let bytes = encode(&partly_noisy(width, height, rows));
        if bytes.len() >= min_bytes {
            return bytes;
        }
        assert!(rows < height, "a {width}×{height} image cannot reach {min_bytes} bytes");
        rows = (rows * 2).clamp(1, height);
    }
}

/// A real `width`×`height` RGB PNG of at least `min_bytes`.
pub fn png(width: u32, height: u32, min_bytes: usize) -> Vec<u8> {
    encoded_of_size(width, height, min_bytes, |image| {
        let mut out = Vec::new();
        PngEncoder::new_with_quality(&mut out, CompressionType::Best, FilterType::Adaptive)
            .write_image(image.as_raw(), width, height, image::ExtendedColorType::Rgb8)
            .expect("encode a PNG");
        out
    })
}

/// A real `width`×`height` RGB JPEG of at least `min_bytes`.
pub fn jpeg(width: u32, height: u32, min_bytes: usize) -> Vec<u8> {
    encoded_of_size(width, height, min_bytes, |image| {
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 90).write_image(image.as_raw(), width, height, image::ExtendedColorType::Rgb8).expect("encode a JPEG");
        out
    })
}

/// A minimal-looking PDF padded to `total_bytes`.
pub fn pdf(total_bytes: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.resize(total_bytes - 6, b' ');
    bytes.extend_from_slice(b"%%EOF\n");
    bytes
}

/// CRC-32 (ISO-HDLC, the PNG chunk checksum), bit by bit: slow, and small enough for tests.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { 0xEDB8_8320 ^ (crc >> 1) } else { crc >> 1 };
        }
    }
    !crc
}

/// A PNG chunk with its length and checksum.
pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = u32::try_from(data.len()).expect("a small chunk").to_be_bytes().to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    let sum = crc32(&chunk[4..]);
    chunk.extend_from_slice(&sum.to_be_bytes());
    chunk
}

/// Where a PNG's first chunk after `IHDR` starts (signature 8, IHDR 4 + 4 + 13 + 4).
const PNG_AFTER_IHDR: usize = 33;

/// `png` with `chunk` inserted right after its header.
pub fn with_png_chunk(png: &[u8], chunk: &[u8]) -> Vec<u8> {
    [&png[..PNG_AFTER_IHDR], chunk, &png[PNG_AFTER_IHDR..]].concat()
}

/// `png` with its header rewritten (checksum and all) to claim other sides, bit depth and
/// colour type; the pixel data is left as it was.
pub fn with_png_header(png: &[u8], width: u32, height: u32, bit_depth: u8, color_type: u8) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[bit_depth, color_type, 0, 0, 0]);
    [&png[..8], &png_chunk(b"IHDR", &ihdr), &png[PNG_AFTER_IHDR..]].concat()
}

/// A JPEG segment: marker, length, payload.
pub fn jpeg_segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut segment = vec![0xFF, marker];
    segment.extend_from_slice(&u16::try_from(payload.len() + 2).expect("a small segment").to_be_bytes());
    segment.extend_from_slice(payload);
    segment
}

/// `jpeg` with `segment` inserted right after its start-of-image marker.
pub fn with_jpeg_segment(jpeg: &[u8], segment: &[u8]) -> Vec<u8> {
    [&jpeg[..2], segment, &jpeg[2..]].concat()
}

/// `jpeg` with its baseline frame header (SOF0) rewritten to claim other sides.
pub fn with_jpeg_sides(jpeg: &[u8], width: u16, height: u16) -> Vec<u8> {
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).expect("a baseline JPEG");
    let mut out = jpeg.to_vec();
    out[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    out[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    out
}

#[test]
fn crc32_matches_the_standard_check_value() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
}
