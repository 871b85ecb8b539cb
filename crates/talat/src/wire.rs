//! The framed protocol of `talat sequencer-driver`, the stand-in for the gateway that the
//! real-crash test drives over loopback TCP.
//!
//! Each frame is a 4-byte little-endian length and that many bytes of postcard. A client sends
//! [`Request`]s and may pipeline them; the driver answers every request, in the order received,
//! with a [`Response`] — an acknowledgement only once the command is durable and executed.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};
use talat_core::{Command, Event};

/// Largest request frame (a command is bounded by the sequencer's admission to 64 KiB).
pub const REQUEST_MAX_BYTES: usize = 128 * 1024;
/// Largest response frame (a cancel-all of many orders has many events).
pub const RESPONSE_MAX_BYTES: usize = 64 << 20;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Chosen by the client; echoed in the response.
    pub id: u64,
    /// `talat_sequencer::Lane::index` of the lane to offer the command to.
    pub lane: u8,
    pub command: Command,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    pub id: u64,
    pub reply: Reply,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    /// Durable and executed.
    Acknowledged { seq: u64, journal_seq: u64, ts_ms: u64, events: Vec<Event> },
    /// The lane was full; nothing was journaled.
    Busy { lane: u8 },
    /// The sequencer stopped before the command was durable: its fate is unknown.
    NotAcknowledged { reason: String },
    /// Refused before admission (bad lane, too large); nothing was journaled.
    Refused { reason: String },
}

/// Writes one frame (does not flush).
pub fn write_frame<T: Serialize>(out: &mut impl Write, value: &T, max_bytes: usize) -> io::Result<()> {
    let bytes = postcard::to_stdvec(value).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    if bytes.len() > max_bytes {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("frame of {} bytes exceeds the {max_bytes}-byte limit", bytes.len())));
    }
    out.write_all(&(bytes.len() as u32).to_le_bytes())?;
    out.write_all(&bytes)
}

/// Reads one frame; `Ok(None)` at a clean end of stream between frames.
pub fn read_frame<T: DeserializeOwned>(input: &mut impl Read, max_bytes: usize) -> io::Result<Option<T>> {
    let mut len = [0u8; 4];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_le_bytes(len) as usize;
    if len > max_bytes {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("frame of {len} bytes exceeds the {max_bytes}-byte limit")));
    }
    let mut bytes = vec![0u8; len];
    input.read_exact(&mut bytes)?;
    postcard::from_bytes(&bytes).map(Some).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_oversize_is_refused() {
        let request = Request { id: 7, lane: 2, command: Command::CreateUser };
        let mut bytes = Vec::new();
        write_frame(&mut bytes, &request, REQUEST_MAX_BYTES).unwrap();
        let mut input = &bytes[..];
        assert_eq!(read_frame::<Request>(&mut input, REQUEST_MAX_BYTES).unwrap(), Some(request));
        assert_eq!(read_frame::<Request>(&mut input, REQUEST_MAX_BYTES).unwrap(), None);
        assert!(read_frame::<Request>(&mut &bytes[..], 2).is_err());
        assert!(read_frame::<Request>(&mut &bytes[..bytes.len() - 1], REQUEST_MAX_BYTES).is_err());
    }
}
