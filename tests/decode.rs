//! The core decoder over every recorded stream in tests/fixtures/streams, in every dialect: whole, one
//! byte at a time and split at every offset, the chunks and the outcome must not change.

use std::path::PathBuf;

use rillm::chunk::Chunk;
use rillm::decode::{Options, StreamDecoder};
use rillm::error::{Error, Pos};
use rillm::framing::DEFAULT_MAX_EVENT_BYTES;

/// The recordings in the repository, with their manifest.
fn streams() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/streams")
}

/// The recordings read: the repository's, or the copy `RILLM_FIXTURES` names.
fn fixtures() -> PathBuf {
    std::env::var_os("RILLM_FIXTURES").map_or_else(streams, PathBuf::from)
}

/// (folder, dialect) from the repository's manifest of the recordings (`folder<TAB>dialect` lines, `#`
/// comments), whichever copy of them is read. Twin: `tests/conftest.py::read_dialects`.
fn dialects() -> Vec<(String, String)> {
    let manifest = streams().join("dialects.tsv");
    let text = std::fs::read_to_string(&manifest).unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
    let mut out: Vec<(String, String)> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim_end();
        if line.is_empty() {
            continue;
        }
        let pair = line.split_once('\t').filter(|(folder, dialect)| {
            !folder.is_empty() && !dialect.is_empty() && !dialect.contains('\t') && out.iter().all(|o| o.0 != *folder)
        });
        let (folder, dialect) = pair.unwrap_or_else(|| {
            panic!(
                "{}:{}: expected one `folder<TAB>dialect` per folder, got {line:?}",
                manifest.display(),
                number + 1
            )
        });
        out.push((folder.to_owned(), dialect.to_owned()));
    }
    out
}

/// (name, dialect, bytes) of every recording.
fn recordings() -> Vec<(String, String, Vec<u8>)> {
    let mut out = Vec::new();
    for (folder, dialect) in dialects() {
        let dir = fixtures().join(&folder);
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .flatten()
            .collect();
        entries.sort_by_key(std::fs::DirEntry::path);
        for entry in entries {
            let name = format!("{folder}/{}", entry.file_name().to_string_lossy());
            out.push((name, dialect.clone(), std::fs::read(entry.path()).unwrap()));
        }
    }
    assert!(out.len() >= 80, "expected the 80 recordings, found {}", out.len());
    out
}

type Outcome = (Vec<(Chunk, Pos)>, Result<(), Error>);

fn decode(dialect: &str, pieces: &[&[u8]]) -> Outcome {
    let options = Options {
        model: String::new(),
        id: "chatcmpl-test".to_owned(),
        created: 0,
        max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
    };
    let mut decoder = StreamDecoder::new(dialect, &options).unwrap();
    let mut chunks = Vec::new();
    let mut sink = |chunk, pos| {
        chunks.push((chunk, pos));
        Ok(())
    };
    let mut result = Ok(());
    for piece in pieces {
        result = decoder.feed(piece, &mut sink);
        if result.is_err() {
            break;
        }
    }
    if result.is_ok() {
        result = decoder.finish(&mut sink);
    }
    (chunks, result)
}

/// Every offset, except in recordings over 64 KiB (quadratic cost), where a cut in the middle of a long
/// run of ordinary bytes only changes how much the line buffer holds: there it is every offset within
/// 8 bytes of a line end or next to a non-ASCII byte, plus every 7th offset.
fn cuts(bytes: &[u8]) -> Vec<usize> {
    let n = bytes.len();
    if n <= 64 * 1024 {
        return (0..=n).collect();
    }
    let mut cuts: Vec<usize> = (0..=n).step_by(7).chain(n.saturating_sub(64)..=n).collect();
    for (i, b) in bytes.iter().enumerate() {
        if matches!(b, b'\n' | b'\r') {
            cuts.extend(i.saturating_sub(8)..=(i + 9).min(n));
        } else if *b >= 0x80 {
            cuts.extend([i, i + 1]);
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

#[test]
fn every_recording_decodes_the_same_however_it_is_split() {
    for (name, dialect, bytes) in recordings() {
        let whole = decode(&dialect, &[&bytes]);
        assert!(!whole.0.is_empty(), "{name}: no chunks");
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(decode(&dialect, &singles), whole, "{name}: one byte at a time");
        for cut in cuts(&bytes) {
            let split = decode(&dialect, &[&bytes[..cut], &bytes[cut..]]);
            assert_eq!(split, whole, "{name}: split at {cut}");
        }
    }
}

#[test]
fn only_the_error_recordings_fail_and_they_fail_as_provider_errors() {
    for (name, dialect, bytes) in recordings() {
        let (_, result) = decode(&dialect, &[&bytes]);
        if name.contains("error") {
            assert!(matches!(result, Err(Error::Provider { .. })), "{name}: {result:?}");
        } else {
            assert_eq!(result, Ok(()), "{name}");
        }
    }
}

#[test]
fn truncation_is_reported() {
    let bytes = std::fs::read(fixtures().join("openai/gpt4o-finish-length.sse")).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let cut = text.find("\"finish_reason\":\"length\"").unwrap();
    let (_, result) = decode("openai", &[&bytes[..cut]]);
    assert!(matches!(result, Err(Error::Incomplete { .. })), "{result:?}");
}

#[test]
fn every_native_recording_cut_short_is_incomplete() {
    for (name, dialect, bytes) in recordings().into_iter().filter(|r| r.1 != "openai") {
        if name.contains("error") {
            continue;
        }
        // Cut half-way, inside an event (SSE, JSON array) or frame (event-stream): incomplete. An NDJSON last
        // line without its newline is still read at the end, and cut short it is not JSON.
        let cut = bytes.len() / 2;
        let (_, result) = decode(&dialect, &[&bytes[..cut]]);
        let ok = match result {
            Err(Error::Incomplete { .. }) => true,
            Err(Error::Decode { .. }) => name.ends_with(".ndjson"),
            _ => false,
        };
        assert!(ok, "{name}: {result:?}");
    }
}

#[test]
fn the_manifest_names_exactly_the_folders_present() {
    let mut named: Vec<String> = dialects().into_iter().map(|(folder, _)| folder).collect();
    let mut present: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .flatten()
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    named.sort();
    present.sort();
    assert_eq!(named, present);
}
