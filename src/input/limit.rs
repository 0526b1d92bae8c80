//! The input-size guard: a file (or standard input) larger than the limit is refused before it
//! is read to the end, with a message naming the file, its size and how to raise the limit,
//! instead of being read until memory runs out. Reading costs about 4× the input in memory at
//! peak, so the default, 1 GiB, keeps a run within a few GiB.
//!
//! The limit is process-wide (every file a run reads: inputs, parameters files, linked
//! templates): `--max-input-size` sets it, else the `AKS_PREFLIGHT_MAX_INPUT_SIZE` variable.
//! *Invariant:* no input read through [`read_bounded`] holds more than the limit plus one byte.

use crate::error::Error;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};

/// The default limit: 1 GiB.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 1 << 30;

/// The environment variable that sets the limit when the flag is not given.
pub const ENV_VAR: &str = "AKS_PREFLIGHT_MAX_INPUT_SIZE";

static MAX_INPUT_BYTES: AtomicU64 = AtomicU64::new(DEFAULT_MAX_INPUT_BYTES);

/// Set the limit for the rest of the process.
pub fn set_max_input_bytes(limit: u64) {
    MAX_INPUT_BYTES.store(limit, Ordering::Relaxed);
}

/// Set the limit from the command line's `--max-input-size` when given, else from
/// [`ENV_VAR`] when set; a malformed variable is a usage error.
pub fn configure(flag: Option<u64>) -> Result<(), Error> {
    let limit = match flag {
        Some(l) => l,
        None => match std::env::var(ENV_VAR) {
            Ok(v) => parse_size(&v).map_err(|e| Error::Usage(format!("{ENV_VAR}: {e}")))?,
            Err(_) => return Ok(()),
        },
    };
    set_max_input_bytes(limit);
    Ok(())
}

/// The limit in force.
pub fn max_input_bytes() -> u64 {
    MAX_INPUT_BYTES.load(Ordering::Relaxed)
}

/// Parse a size: bytes, or a number with a binary suffix `K`, `M`, `G` (`KiB`, `MiB`, `GiB`,
/// `KB`… read the same), e.g. `200M`, `2G`, `1.5GiB`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits_end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(digits_end);
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => {
            return Err(format!(
                "unknown size unit `{other}` in `{s}` (use bytes, or K, M, G: `500M`, `2G`)"
            ));
        }
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a size (bytes, or K, M, G: `500M`, `2G`)"))?;
    let bytes = n * factor as f64;
    if !(bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!("`{s}` is not a usable size (at least one byte)"));
    }
    Ok(bytes as u64)
}

/// A size for people: `1.0 GiB`, `55.3 MiB`, `812 bytes`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if bytes >= size {
            return format!("{:.1} {unit}", bytes as f64 / size as f64);
        }
    }
    format!("{bytes} bytes")
}

/// The error for an input over the limit. `size` is the file's size when it is known (a
/// regular file), `None` when reading stopped at the limit (standard input, a pipe).
pub fn too_large(name: &str, size: Option<u64>, limit: u64) -> Error {
    let how_big = match size {
        Some(s) => format!("is {} ({s} bytes)", human_size(s)),
        None => "goes on beyond it".to_string(),
    };
    Error::Unsupported {
        message: format!(
            "{name} {how_big}, over the input size limit of {} ({limit} bytes): not read",
            human_size(limit)
        ),
        help: Some(format!(
            "reading an input takes about four times its size in memory. If the file is what \
             you meant to check, raise the limit: `--max-input-size 4G` (or {ENV_VAR}=4G)"
        )),
    }
}

/// Read everything from `reader`, refusing more than the limit in force. `size_hint` is the
/// file's size when known: a larger file is refused before any byte is read.
pub fn read_bounded(
    name: &str,
    reader: impl Read,
    size_hint: Option<u64>,
) -> Result<Vec<u8>, Error> {
    read_within(name, reader, size_hint, max_input_bytes())
}

fn read_within(
    name: &str,
    reader: impl Read,
    size_hint: Option<u64>,
    limit: u64,
) -> Result<Vec<u8>, Error> {
    if let Some(s) = size_hint {
        if s > limit {
            return Err(too_large(name, Some(s), limit));
        }
    }
    let mut bytes = Vec::with_capacity(size_hint.unwrap_or(0).min(limit) as usize);
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Io {
            path: name.to_string(),
            message: e.to_string(),
        })?;
    if bytes.len() as u64 > limit {
        return Err(too_large(name, None, limit));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("1024").unwrap(), 1024);
        assert_eq!(parse_size("200M").unwrap(), 200 << 20);
        assert_eq!(parse_size("2G").unwrap(), 2 << 30);
        assert_eq!(parse_size("1.5GiB").unwrap(), 3 << 29);
        assert_eq!(parse_size("64 kb").unwrap(), 64 << 10);
        assert!(parse_size("0").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5X").unwrap_err().contains("unit"));
        assert!(parse_size("").is_err());
    }

    #[test]
    fn an_endless_reader_is_refused_after_the_limit() {
        let e = read_within("<stdin>", std::io::repeat(b'x'), None, 4096).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("<stdin> goes on beyond it"), "{text}");
        assert!(text.contains("4.0 KiB (4096 bytes)"), "{text}");
        // exactly at the limit is read
        let ok = read_within("<stdin>", std::io::repeat(b'x').take(4096), None, 4096).unwrap();
        assert_eq!(ok.len(), 4096);
        // a file known to be larger is refused before reading
        let e = read_within("plan.json", std::io::empty(), Some(3 << 30), 1 << 30).unwrap_err();
        assert!(e.to_string().contains("plan.json is 3.0 GiB"), "{e}");
    }
}
