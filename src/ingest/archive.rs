//! Zip archives of exports (WhatsApp's iOS `_chat.txt` zip, Mailchimp's audience zip, …).
//!
//! Takes: a file's bytes. Gives: its members (name, bytes), sorted by name, directories and
//! macOS resource forks left out. Member names (which can name a person: `WhatsApp Chat with
//! Rosa.txt`) never appear in errors; members are named by index. Promises: bounded memory — a member or an archive that would
//! inflate beyond the limits (a zip bomb) is an error naming the member, not an exhausted machine.

use std::io::Read;

/// Largest member turnout inflates.
pub const MAX_MEMBER_BYTES: u64 = 1 << 30;
/// Largest total it inflates from one archive.
pub const MAX_TOTAL_BYTES: u64 = 2 << 30;

pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// The members of a zip archive, or a reason it cannot be read.
pub fn members(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    members_limited(bytes, MAX_MEMBER_BYTES, MAX_TOTAL_BYTES)
}

/// The members' first `head` bytes (at most): enough to check headers without inflating a
/// large archive (`turnout check`, the run's preflight).
pub fn member_heads(bytes: &[u8], head: u64) -> Result<Vec<(String, Vec<u8>)>, String> {
    read_members(bytes, head, None)
}

/// [`members`] with explicit limits (tests use small ones).
pub fn members_limited(bytes: &[u8], max_member: u64, max_total: u64) -> Result<Vec<(String, Vec<u8>)>, String> {
    read_members(bytes, max_member, Some(max_total))
}

/// Members inflated up to `max_member` bytes each: an error beyond it when `max_total` is set
/// (whole members wanted), a cut there when it is not (heads wanted).
fn read_members(bytes: &[u8], max_member: u64, max_total: Option<u64>) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| format!("not a readable zip archive ({e})"))?;
    let mut out = Vec::new();
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).map_err(|e| format!("cannot open member {i} ({e})"))?;
        let name = f
            .name()
            .map_err(|e| format!("member {i} has an unreadable name ({e})"))?
            .to_string();
        if f.is_dir() || name.starts_with("__MACOSX/") || name.rsplit('/').next().is_some_and(|b| b.starts_with("._")) {
            continue;
        }
        let mut buf = Vec::new();
        // Read one byte past the limit to detect an oversized member whatever its header claims.
        let read = (&mut f)
            .take(max_member + 1)
            .read_to_end(&mut buf)
            .map_err(|e| format!("cannot inflate member {i} ({e})"))?;
        let Some(max_total) = max_total else {
            buf.truncate(max_member as usize);
            out.push((name, buf));
            continue;
        };
        if read as u64 > max_member {
            return Err(format!("member {i} inflates beyond {} MiB (a zip bomb?)", max_member >> 20));
        }
        total += read as u64;
        if total > max_total {
            return Err(format!("the archive inflates beyond {} MiB (a zip bomb?)", max_total >> 20));
        }
        out.push((name, buf));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn make(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in entries {
            if name.ends_with('/') {
                w.add_directory(*name, zip::write::SimpleFileOptions::default()).unwrap();
            } else {
                w.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
                w.write_all(data).unwrap();
            }
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn heads_are_cut_and_never_a_bomb() {
        let big = vec![b'x'; 300_000];
        let z = make(&[("b.txt", b"short"), ("a/_chat.txt", &big)]);
        let h = member_heads(&z, 1000).unwrap();
        assert_eq!(
            h.iter().map(|(n, b)| (n.as_str(), b.len())).collect::<Vec<_>>(),
            [("a/_chat.txt", 1000), ("b.txt", 5)]
        );
        assert!(
            members_limited(&z, 1000, 1 << 20).is_err(),
            "whole members over the limit are an error"
        );
    }

    #[test]
    fn members_sorted_without_dirs_and_resource_forks() {
        let z = make(&[("b.csv", b"2"), ("dir/", b""), ("__MACOSX/._b.csv", b"x"), ("a/_chat.txt", b"1")]);
        assert!(is_zip(&z));
        let m = members(&z).unwrap();
        assert_eq!(
            m,
            vec![("a/_chat.txt".to_string(), b"1".to_vec()), ("b.csv".to_string(), b"2".to_vec())]
        );
    }

    #[test]
    fn a_zip_bomb_is_refused_at_the_limit_without_inflating_it_all() {
        // 8 MiB of zeros compress to a few KiB; with a 1 MiB limit per member it is refused,
        // and the member is named by index, not by a name that could name a person.
        let zeros = vec![0u8; 8 << 20];
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        w.start_file("WhatsApp Chat with Rosa.txt", opts).unwrap();
        w.write_all(&zeros).unwrap();
        let z = w.finish().unwrap().into_inner();
        assert!(z.len() < 100_000, "a bomb is small: {}", z.len());
        let err = members_limited(&z, 1 << 20, 4 << 20).unwrap_err();
        assert!(err.contains("inflates beyond 1 MiB"), "{err}");
        assert!(!err.contains("Rosa"), "{err}");
        // Under the per-member limit but over the total: two 3 MiB members, 4 MiB in all.
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for n in ["a.txt", "b.txt"] {
            w.start_file(n, opts).unwrap();
            w.write_all(&zeros[..3 << 20]).unwrap();
        }
        let z = w.finish().unwrap().into_inner();
        let err = members_limited(&z, 4 << 20, 4 << 20).unwrap_err();
        assert!(err.contains("the archive inflates beyond 4 MiB"), "{err}");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(members(b"PK\x03\x04garbage").is_err());
        assert!(!is_zip(b"Name,Phone\n"));
    }
}
