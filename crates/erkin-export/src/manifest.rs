//! The export's record of the files it wrote (`.erkin-files`), read and
//! written at a cost that follows the change, not the archive.
//!
//! Two files:
//! - the base, `.erkin-files`: a header line `# erkin-files 2 size=N` (the
//!   log size the copy's site was made at), then one line per file,
//!   `<hash> <len> <path>` (hash: hex of the first 16 bytes of SHA-256, or
//!   `-`), sorted by path. Written whole by an export of the whole site.
//!   Looked up by binary search over the file, never read whole by an
//!   incremental export.
//! - the journal, `.erkin-files.journal`: what each incremental export
//!   changed since the base, appended as a group of lines (`<hash> <len>
//!   <path>` for a file written, `! <path>` for a file deleted) closed by
//!   `# size=N files=K` (K the group's lines). A group not closed, or closed
//!   with the wrong count (a crash while appending), and everything after
//!   it, is ignored: the next export starts from the last closed group's
//!   size and renders again what followed.
//!
//! When the journal outgrows a share of the base, the next export folds
//! it into a new base (compaction: the one O(archive) step, amortized).
//! A base without a header (an older export) gives no size: the next
//! export renders the whole site.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::ExportError;

/// A file's fingerprint in the manifest: length and truncated SHA-256.
pub(crate) type Fingerprint = (u64, [u8; 16]);

pub(crate) fn fingerprint(bytes: &[u8]) -> Fingerprint {
    let digest = Sha256::digest(bytes);
    let mut short = [0u8; 16];
    short.copy_from_slice(&digest[..16]);
    (bytes.len() as u64, short)
}

pub const JOURNAL_FILE: &str = ".erkin-files.journal";
const HEADER: &str = "# erkin-files 2 size=";

/// A file's entry: listed with its fingerprint (`None`: unknown), or
/// deleted (in the journal only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    Listed(Option<Fingerprint>),
    Gone,
}

pub(crate) struct Manifest {
    /// The base file, open for lookups, and where its lines start.
    base: Option<(fs::File, u64, u64)>,
    /// The size the base was made at.
    base_size: Option<u64>,
    /// Closed journal groups, folded: the latest entry per path.
    journal: BTreeMap<String, Entry>,
    /// The size of the last closed group, if any.
    journal_size: Option<u64>,
    /// The journal's length in bytes up to the last closed group.
    journal_len: u64,
}

fn parse_line(line: &str) -> Option<(&str, Option<Fingerprint>)> {
    let mut parts = line.splitn(3, ' ');
    let (hash, len, path) = (parts.next()?, parts.next()?, parts.next()?);
    if !is_plain_relative(path) {
        return None;
    }
    let fp = hex::decode(hash)
        .ok()
        .and_then(|h| <[u8; 16]>::try_from(h).ok())
        .zip(len.parse::<u64>().ok())
        .map(|(h, l)| (l, h));
    Some((path, fp))
}

fn format_line(path: &str, fp: Option<Fingerprint>) -> String {
    let (len, hash) = fp.map_or((0, String::from("-")), |(l, h)| (l, hex::encode(h)));
    format!("{hash} {len} {path}\n")
}

/// Only plain relative paths (no `..`, no root, no empty parts) are taken
/// from a manifest, which anyone with write access to the copy could edit.
pub(crate) fn is_plain_relative(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 1024
        && !path.contains('\\')
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

impl Manifest {
    /// Opens the manifest of the copy at `out` (empty if there is none).
    pub(crate) fn open(out: &Path) -> Manifest {
        let mut m = Manifest {
            base: None,
            base_size: None,
            journal: BTreeMap::new(),
            journal_size: None,
            journal_len: 0,
        };
        if let Ok(f) = fs::File::open(out.join(crate::MANIFEST_FILE)) {
            let len = f.metadata().map_or(0, |x| x.len());
            let (first, next) = read_line(&f, 0, len);
            let start = match first.strip_prefix(HEADER) {
                Some(size) => {
                    m.base_size = size.parse().ok();
                    next
                }
                None => 0,
            };
            m.base = Some((f, start, len));
        }
        if m.base_size.is_some() {
            m.read_journal(out);
        }
        m
    }

    fn read_journal(&mut self, out: &Path) {
        let Ok(text) = fs::read(out.join(JOURNAL_FILE)) else {
            return;
        };
        let mut group: Vec<(String, Entry)> = Vec::new();
        let mut offset = 0u64;
        for raw in text.split_inclusive(|b| *b == b'\n') {
            offset += raw.len() as u64;
            let Some(line) = raw.strip_suffix(b"\n") else {
                break; // a line cut short: the group is not closed
            };
            let Ok(line) = std::str::from_utf8(line) else {
                break;
            };
            if let Some(rest) = line.strip_prefix("# size=") {
                let closed = rest
                    .split_once(" files=")
                    .and_then(|(s, k)| Some((s.parse::<u64>().ok()?, k.parse::<usize>().ok()?)));
                match closed {
                    Some((size, k)) if k == group.len() => {
                        self.journal.extend(group.drain(..));
                        self.journal_size = Some(size);
                        self.journal_len = offset;
                    }
                    _ => break,
                }
            } else if let Some(path) = line.strip_prefix("! ") {
                if !is_plain_relative(path) {
                    break;
                }
                group.push((path.to_string(), Entry::Gone));
            } else {
                match parse_line(line) {
                    Some((path, fp)) => group.push((path.to_string(), Entry::Listed(fp))),
                    None => break,
                }
            }
        }
    }

    /// The log size the copy's site was made at, if known.
    pub(crate) fn size(&self) -> Option<u64> {
        self.journal_size.or(self.base_size)
    }

    /// Whether the journal has grown past a share of the base (or 4 MB):
    /// time to fold it into a new base.
    pub(crate) fn wants_compaction(&self) -> bool {
        let base = self.base.as_ref().map_or(0, |b| b.2);
        self.journal_len > (base / 4).clamp(64 * 1024, 4 << 20)
    }

    /// The entry of `path`: the journal's, else the base's.
    pub(crate) fn get(&self, path: &str) -> Option<Option<Fingerprint>> {
        match self.journal.get(path) {
            Some(Entry::Listed(fp)) => return Some(*fp),
            Some(Entry::Gone) => return None,
            None => {}
        }
        let (f, start, end) = self.base.as_ref()?;
        let at = lower_bound(f, *start, *end, path);
        let (line, _) = read_line(f, at, *end);
        match parse_line(&line) {
            Some((p, fp)) if p == path => Some(fp),
            _ => None,
        }
    }

    /// Every listed path that starts with `prefix`.
    pub(crate) fn listed_under(&self, prefix: &str) -> Vec<String> {
        let mut out = std::collections::BTreeSet::new();
        if let Some((f, start, end)) = &self.base {
            let mut at = lower_bound(f, *start, *end, prefix);
            while at < *end {
                let (line, next) = read_line(f, at, *end);
                match parse_line(&line) {
                    Some((p, _)) if p.starts_with(prefix) => {
                        out.insert(p.to_string());
                    }
                    Some((p, _)) if p > prefix => break,
                    _ => {}
                }
                at = next;
            }
        }
        for (p, e) in self.journal.range(prefix.to_string()..) {
            if !p.starts_with(prefix) {
                break;
            }
            match e {
                Entry::Listed(_) => out.insert(p.clone()),
                Entry::Gone => out.remove(p),
            };
        }
        out.into_iter().collect()
    }

    /// The whole record, base and journal folded (an O(archive) read, for
    /// an export of the whole site or a compaction).
    pub(crate) fn load_all(&self) -> BTreeMap<String, Option<Fingerprint>> {
        let mut map = BTreeMap::new();
        if let Some((f, start, end)) = &self.base {
            let mut bytes = vec![0u8; (end - start) as usize];
            if f.read_exact_at(&mut bytes, *start).is_ok() {
                for line in String::from_utf8_lossy(&bytes).lines() {
                    if let Some((p, fp)) = parse_line(line) {
                        map.insert(p.to_string(), fp);
                    }
                }
            }
        }
        for (p, e) in &self.journal {
            match e {
                Entry::Listed(fp) => {
                    map.insert(p.clone(), *fp);
                }
                Entry::Gone => {
                    map.remove(p);
                }
            }
        }
        map
    }
}

/// Writes a new base for `files` at log size `size`, the journal removed
/// first (a journal left over a newer base would misstate it; a base left
/// without its journal only makes the next export render more).
pub(crate) fn write_base(
    out: &Path,
    files: &BTreeMap<String, Option<Fingerprint>>,
    size: u64,
) -> Result<(), ExportError> {
    let journal = out.join(JOURNAL_FILE);
    match fs::remove_file(&journal) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(ExportError::Io {
                path: journal,
                source,
            })
        }
    }
    // Written line by line (some 20 MB at 100,000 articles): never whole
    // in memory beside the map.
    crate::dir::replace_whole_with(&out.join(crate::MANIFEST_FILE), false, &mut |w| {
        writeln!(w, "{HEADER}{size}")?;
        for (path, fp) in files {
            w.write_all(format_line(path, *fp).as_bytes())?;
        }
        Ok(())
    })
}

/// Appends one closed group to the journal: what an incremental export
/// wrote and deleted, and the size it brought the copy to. (Appended after
/// the last closed group: a torn group after it is cut off first.)
pub(crate) fn append_group(
    out: &Path,
    manifest: &Manifest,
    group: &BTreeMap<String, Entry>,
    size: u64,
) -> Result<(), ExportError> {
    let path = out.join(JOURNAL_FILE);
    let io = |source| ExportError::Io {
        path: path.clone(),
        source,
    };
    let mut text = String::new();
    for (p, e) in group {
        match e {
            Entry::Listed(fp) => text.push_str(&format_line(p, *fp)),
            Entry::Gone => text.push_str(&format!("! {p}\n")),
        }
    }
    text.push_str(&format!("# size={size} files={}\n", group.len()));
    let mut f = fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    f.set_len(manifest.journal_len).map_err(io)?;
    f.write_all_at(text.as_bytes(), manifest.journal_len)
        .map_err(io)?;
    f.flush().map_err(io)
}

/// The line starting at `at` (without its newline, lossy) and where the
/// next one starts; reads in small pieces, never past `end`.
fn read_line(f: &fs::File, at: u64, end: u64) -> (String, u64) {
    let mut line = Vec::new();
    let mut pos = at;
    let mut buf = [0u8; 512];
    while pos < end {
        let want = buf.len().min((end - pos) as usize);
        let Ok(n) = f.read_at(&mut buf[..want], pos) else {
            break;
        };
        if n == 0 {
            break;
        }
        if let Some(i) = buf[..n].iter().position(|b| *b == b'\n') {
            line.extend_from_slice(&buf[..i]);
            return (
                String::from_utf8_lossy(&line).into_owned(),
                pos + i as u64 + 1,
            );
        }
        line.extend_from_slice(&buf[..n]);
        pos += n as u64;
        // No line of a manifest is this long: stop rather than read on.
        if line.len() > 4096 {
            break;
        }
    }
    (String::from_utf8_lossy(&line).into_owned(), end)
}

/// Where the first line whose path is not less than `target` starts
/// (`end` if none), in lines sorted by path between `start` and `end`.
fn lower_bound(f: &fs::File, start: u64, end: u64, target: &str) -> u64 {
    let (mut lo, mut hi) = (start, end);
    // Invariant: lines starting before `lo` sort below `target`; the line
    // starting at `hi` (if any) does not.
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        // The first line starting at or after `mid`.
        let s = if mid == lo {
            lo
        } else {
            read_line(f, mid - 1, end).1
        };
        if s >= hi {
            hi = mid;
            continue;
        }
        let (line, next) = read_line(f, s, end);
        let below = parse_line(&line).is_some_and(|(p, _)| p < target);
        if below {
            lo = next;
        } else {
            hi = s;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(n: u64) -> Option<Fingerprint> {
        Some((n, [n as u8; 16]))
    }

    /// Every path of a base is found by binary search over the file, and
    /// no path that is not in it; a prefix lists exactly its paths.
    #[test]
    fn a_base_is_looked_up_without_reading_it_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let mut files = BTreeMap::new();
        for i in 0..1500u64 {
            files.insert(format!("a/s-{i}/index.html"), fp(i));
        }
        files.insert("media/x.png".into(), None);
        write_base(tmp.path(), &files, 42).unwrap();
        let m = Manifest::open(tmp.path());
        assert_eq!(m.size(), Some(42));
        for (p, f) in &files {
            assert_eq!(m.get(p), Some(*f), "{p}");
        }
        for p in [
            "a/s-15",
            "a/s-1500/index.html",
            "",
            "zzz",
            "a/",
            "media/x.pn",
        ] {
            assert_eq!(m.get(p), None, "{p}");
        }
        let under: Vec<String> = m.listed_under("a/s-149");
        assert_eq!(
            under,
            (1490..1500)
                .map(|i| format!("a/s-{i}/index.html"))
                .chain(["a/s-149/index.html".to_string()])
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
        );
        assert_eq!(m.listed_under("media/"), vec!["media/x.png".to_string()]);
        assert!(m.listed_under("zz").is_empty());
    }

    /// A closed group changes the record; a group torn by a crash (a line
    /// cut short, or a closing line whose count is wrong) is ignored, and
    /// the next group is appended where the last closed one ended.
    #[test]
    fn a_torn_journal_group_is_ignored() {
        let tmp = tempfile::tempdir().unwrap();
        let mut files = BTreeMap::new();
        files.insert("a/one/index.html".to_string(), fp(1));
        files.insert("a/two/index.html".to_string(), fp(2));
        write_base(tmp.path(), &files, 10).unwrap();
        let m = Manifest::open(tmp.path());
        let group = BTreeMap::from([
            ("a/one/index.html".to_string(), Entry::Gone),
            ("a/three/index.html".to_string(), Entry::Listed(fp(3))),
        ]);
        append_group(tmp.path(), &m, &group, 12).unwrap();
        let m = Manifest::open(tmp.path());
        assert_eq!(m.size(), Some(12));
        assert_eq!(m.get("a/one/index.html"), None);
        assert_eq!(m.get("a/three/index.html"), Some(fp(3)));
        assert_eq!(m.get("a/two/index.html"), Some(fp(2)));
        let journal = tmp.path().join(JOURNAL_FILE);
        let closed = fs::read(&journal).unwrap();
        for torn in [
            &b"00 4 a/four/index.html"[..],
            &b"00000000000000000000000000000000 4 a/four/index.html\n# size=14 files=2\n"[..],
        ] {
            let mut bytes = closed.clone();
            bytes.extend_from_slice(torn);
            fs::write(&journal, &bytes).unwrap();
            let m = Manifest::open(tmp.path());
            assert_eq!(m.size(), Some(12));
            assert_eq!(m.get("a/four/index.html"), None);
            // The next group replaces the torn one.
            let next = BTreeMap::from([("a/five/index.html".to_string(), Entry::Listed(fp(5)))]);
            append_group(tmp.path(), &m, &next, 13).unwrap();
            let m = Manifest::open(tmp.path());
            assert_eq!(m.size(), Some(13));
            assert_eq!(m.get("a/five/index.html"), Some(fp(5)));
            assert_eq!(m.get("a/three/index.html"), Some(fp(3)));
            fs::write(&journal, &closed).unwrap();
        }
        // A base without a header (an older export's) gives no size, and
        // its journal is not read.
        fs::write(
            tmp.path().join(crate::MANIFEST_FILE),
            "- 0 a/one/index.html\n",
        )
        .unwrap();
        let m = Manifest::open(tmp.path());
        assert_eq!(m.size(), None);
        assert_eq!(m.get("a/one/index.html"), Some(None));
        assert_eq!(m.get("a/three/index.html"), None);
    }
}
