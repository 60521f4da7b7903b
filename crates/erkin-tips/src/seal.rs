//! Sealing a submission: encrypted with age before anything touches disk,
//! padded to a size bucket.
//!
//! The plaintext of a tip is a tar archive (POSIX ustar, GNU long names):
//! `message.txt` (the text typed in the form, if any) and `files/NN-name`
//! for each file, every header's time 0, then zero bytes up to the bucket
//! (tar readers stop at the end-of-archive blocks, so the padding is
//! invisible: `age -d -i key tip.age | tar x` gives the files). That
//! archive is written straight into age's encryptor (`age::Encryptor`,
//! X25519 recipients: every current tip reader), whose output goes to an
//! unnamed temporary file in the inbox's `tmp/`: only ciphertext is ever
//! written.
//!
//! A tar header needs the file's size before its contents, which a stream
//! only knows at the end, so each file is first spooled — also encrypted,
//! to a throwaway X25519 identity that exists only in memory — and copied
//! into the archive once its size is known. Memory stays bounded by the
//! stream buffers whatever the size of the file.
//!
//! **Buckets**: the archive is padded to the smallest power of two of at
//! least [`MIN_BUCKET`] (64 KiB) that holds it, so a stored tip's size says
//! only which power of two its contents fall under. The ciphertext adds
//! age's header (its length depends on the recipients and a random
//! "grease" stanza age adds, never on the contents) and 16 bytes per 64 KiB
//! chunk: [`payload_len`], [`bucket_of`].

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

use age::x25519;

/// The smallest bucket: 64 KiB of plaintext.
pub const MIN_BUCKET: u64 = 64 * 1024;
/// Longest name a file keeps in the archive, in bytes (longer ones are cut
/// at a character boundary).
pub const MAX_NAME_LEN: usize = 200;

/// The padded size of `len` bytes of archive.
pub fn bucket(len: u64) -> u64 {
    len.max(MIN_BUCKET).next_power_of_two()
}

/// The size of age's payload for `bucket` bytes of plaintext: a 16-byte
/// nonce, then the plaintext in 64 KiB chunks with a 16-byte tag each.
pub fn payload_len(bucket: u64) -> u64 {
    const CHUNK: u64 = 64 * 1024;
    16 + bucket + 16 * bucket.div_ceil(CHUNK).max(1)
}

/// The bucket of a sealed tip, from its first bytes (`head`, which must
/// hold age's header: a few hundred bytes per recipient) and its length:
/// `None` if the sizes match no bucket. age's header varies in length (its
/// recipients, and a random "grease" stanza), so a tip's size is its
/// bucket's payload plus a header that says nothing about the contents.
pub fn bucket_of(head: &[u8], len: u64) -> Option<u64> {
    let end = head.windows(5).position(|w| w == b"\n--- ")?;
    let header = end + 1 + head[end + 1..].iter().position(|b| *b == b'\n')? + 1;
    let payload = len.checked_sub(header as u64)?;
    let mut b = MIN_BUCKET;
    while payload_len(b) < payload {
        b = b.checked_mul(2)?;
    }
    (payload_len(b) == payload).then_some(b)
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// There is no tip reader with a published key: nothing can be sealed.
    /// The newsroom must appoint tip readers who publish `tip_key`.
    #[error("no tip reader has published a key, so nobody could read a tip")]
    NoRecipients,
    /// A recipient string is not an age X25519 recipient (the core checks
    /// them, so this means the state and this crate disagree).
    #[error("not an age X25519 recipient: {0}")]
    BadRecipient(String),
    /// The contents exceed the limit.
    #[error("the submission is larger than {max} bytes")]
    TooLarge { max: u64 },
    /// Writing the temporary ciphertext failed (disk full, permissions).
    #[error("writing the sealed tip: {0}")]
    Io(#[from] io::Error),
}

/// Parses the recipients (age `age1...` strings).
pub fn recipients(list: &[String]) -> Result<Vec<x25519::Recipient>, SealError> {
    if list.is_empty() {
        return Err(SealError::NoRecipients);
    }
    list.iter()
        .map(|r| r.parse().map_err(|_| SealError::BadRecipient(r.clone())))
        .collect()
}

/// Counts bytes going through (the archive's length before padding).
struct Counting<W> {
    inner: W,
    count: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A tip being sealed.
pub struct Sealer {
    tar: tar::Builder<Counting<age::stream::StreamWriter<tempfile::NamedTempFile>>>,
    tmp: std::path::PathBuf,
    files: usize,
    max: u64,
}

/// A sealed tip: a temporary file of ciphertext (deleted unless kept), and
/// its sizes.
pub struct Sealed {
    pub file: tempfile::NamedTempFile,
    /// The padded plaintext size.
    pub bucket: u64,
    /// The ciphertext's size.
    pub len: u64,
}

/// A file being received: ciphertext to a throwaway key, in an unnamed
/// temporary file.
pub struct Spool {
    writer: age::stream::StreamWriter<File>,
    identity: x25519::Identity,
    len: u64,
}

impl Spool {
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.writer.write_all(bytes)?;
        self.len += bytes.len() as u64;
        Ok(())
    }
    pub fn len(&self) -> u64 {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

fn encrypt_to<W: Write>(
    recipients: &[x25519::Recipient],
    file: W,
) -> io::Result<age::stream::StreamWriter<W>> {
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
            .map_err(|e| io::Error::other(e.to_string()))?;
    encryptor.wrap_output(file)
}

/// A file name as kept in the archive: its last path part, without control
/// characters, at most [`MAX_NAME_LEN`] bytes.
pub fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let mut out = String::new();
    for c in base.chars().filter(|c| !c.is_control()) {
        if out.len() + c.len_utf8() > MAX_NAME_LEN {
            break;
        }
        out.push(c);
    }
    let out = out.trim().trim_start_matches('.').to_string();
    if out.is_empty() {
        "file".to_string()
    } else {
        out
    }
}

impl Sealer {
    /// Starts a tip for `recipients`, writing ciphertext under `tmp`, at most
    /// `max` bytes of archive.
    pub fn new(recipients: &[x25519::Recipient], tmp: &Path, max: u64) -> Result<Self, SealError> {
        if recipients.is_empty() {
            return Err(SealError::NoRecipients);
        }
        let file = tempfile::Builder::new()
            .prefix("sealing-")
            .tempfile_in(tmp)?;
        let stream = encrypt_to(recipients, file)?;
        let mut tar = tar::Builder::new(Counting {
            inner: stream,
            count: 0,
        });
        tar.mode(tar::HeaderMode::Deterministic);
        Ok(Sealer {
            tar,
            tmp: tmp.to_path_buf(),
            files: 0,
            max,
        })
    }

    fn header(size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_size(size);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_entry_type(tar::EntryType::Regular);
        h
    }

    fn check_room(&self, more: u64) -> Result<(), SealError> {
        if self.tar.get_ref().count + more > self.max {
            return Err(SealError::TooLarge { max: self.max });
        }
        Ok(())
    }

    /// Adds the typed message.
    pub fn add_message(&mut self, text: &[u8]) -> Result<(), SealError> {
        self.check_room(text.len() as u64)?;
        let mut h = Self::header(text.len() as u64);
        self.tar.append_data(&mut h, "message.txt", text)?;
        Ok(())
    }

    /// A spool for the next file.
    pub fn spool(&self) -> Result<Spool, SealError> {
        let identity = x25519::Identity::generate();
        let file = tempfile::tempfile_in(&self.tmp)?;
        let writer = encrypt_to(&[identity.to_public()], file)?;
        Ok(Spool {
            writer,
            identity,
            len: 0,
        })
    }

    /// Adds a received file under its (cleaned) name.
    pub fn add_file(&mut self, name: &str, spool: Spool) -> Result<(), SealError> {
        self.check_room(spool.len)?;
        self.files += 1;
        let path = format!("files/{:02}-{}", self.files, clean_name(name));
        let mut file = spool.writer.finish()?;
        file.seek(SeekFrom::Start(0))?;
        let reader = age::Decryptor::new(BufReader::new(file))
            .and_then(|d| d.decrypt(std::iter::once(&spool.identity as &dyn age::Identity)))
            .map_err(|e| io::Error::other(e.to_string()))?;
        let mut h = Self::header(spool.len);
        self.tar.append_data(&mut h, path, reader.take(spool.len))?;
        Ok(())
    }

    /// Ends the archive, pads it to its bucket and finishes the ciphertext.
    pub fn finish(self) -> Result<Sealed, SealError> {
        let mut counting = self.tar.into_inner()?;
        let bucket = bucket(counting.count);
        let zeros = [0u8; 8192];
        let mut left = bucket - counting.count;
        while left > 0 {
            let n = left.min(zeros.len() as u64) as usize;
            counting.write_all(&zeros[..n])?;
            left -= n as u64;
        }
        let mut file = counting.inner.finish()?;
        file.flush()?;
        let len = file.seek(SeekFrom::End(0))?;
        file.seek(SeekFrom::Start(0))?;
        Ok(Sealed { file, bucket, len })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(sealed: &mut Sealed, id: &x25519::Identity) -> Vec<u8> {
        let mut out = Vec::new();
        age::Decryptor::new(BufReader::new(&mut sealed.file))
            .unwrap()
            .decrypt(std::iter::once(id as &dyn age::Identity))
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn buckets_are_powers_of_two_from_64_kib() {
        assert_eq!(bucket(0), 65536);
        assert_eq!(bucket(65536), 65536);
        assert_eq!(bucket(65537), 131072);
        assert_eq!(bucket(100 << 20), 128 << 20);
    }

    #[test]
    fn a_sealed_tip_opens_to_its_archive_and_has_its_buckets_size() {
        let dir = tempfile::tempdir().unwrap();
        let reader = x25519::Identity::generate();
        let other = x25519::Identity::generate();
        let stranger = x25519::Identity::generate();
        let mut s = Sealer::new(
            &[reader.to_public(), other.to_public()],
            dir.path(),
            1 << 30,
        )
        .unwrap();
        s.add_message("Сәлем, newsroom".as_bytes()).unwrap();
        let mut spool = s.spool().unwrap();
        let big = vec![b'x'; 200_000];
        spool.write(&big).unwrap();
        s.add_file("../../etc/passwd\u{7}", spool).unwrap();
        let mut sealed = s.finish().unwrap();
        assert_eq!(sealed.bucket, 262144);
        // Nothing but the ciphertext being sealed is in the directory.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let plain = open(&mut sealed, &reader);
        assert_eq!(plain.len() as u64, sealed.bucket);
        let mut ar = tar::Archive::new(&plain[..]);
        let mut names = Vec::new();
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            let mut body = Vec::new();
            e.read_to_end(&mut body).unwrap();
            if name == "message.txt" {
                assert_eq!(body, "Сәлем, newsroom".as_bytes());
            } else {
                assert_eq!(body, big);
            }
            names.push(name);
        }
        assert_eq!(names, ["message.txt", "files/01-passwd"]);
        sealed.file.seek(SeekFrom::Start(0)).unwrap();
        let _ = open(&mut sealed, &other);
        sealed.file.seek(SeekFrom::Start(0)).unwrap();
        let refused = age::Decryptor::new(BufReader::new(&mut sealed.file))
            .unwrap()
            .decrypt(std::iter::once(&stranger as &dyn age::Identity));
        assert!(matches!(refused, Err(age::DecryptError::NoMatchingKeys)));
    }

    #[test]
    fn the_size_says_only_the_bucket() {
        let dir = tempfile::tempdir().unwrap();
        let r = [
            x25519::Identity::generate().to_public(),
            x25519::Identity::generate().to_public(),
        ];
        for (n, want) in [
            (1usize, 65536u64),
            (30_000, 65536),
            (70_000, 131072),
            (300_000, 524288),
        ] {
            let mut s = Sealer::new(&r, dir.path(), 1 << 30).unwrap();
            s.add_message(&vec![b'a'; n]).unwrap();
            let mut sealed = s.finish().unwrap();
            let mut head = vec![0u8; 4096];
            let got = sealed.file.read(&mut head).unwrap();
            assert_eq!(bucket_of(&head[..got], sealed.len), Some(want), "{n} bytes");
            assert_eq!(sealed.bucket, want);
            assert_eq!(bucket_of(&head[..got], sealed.len + 1), None);
        }
    }

    #[test]
    fn over_the_limit_and_without_readers() {
        let dir = tempfile::tempdir().unwrap();
        let r = [x25519::Identity::generate().to_public()];
        let mut s = Sealer::new(&r, dir.path(), 100).unwrap();
        assert!(matches!(
            s.add_message(&[0; 101]),
            Err(SealError::TooLarge { max: 100 })
        ));
        assert!(matches!(
            Sealer::new(&[], dir.path(), 100),
            Err(SealError::NoRecipients)
        ));
        assert!(matches!(
            recipients(&["age1nope".into()]),
            Err(SealError::BadRecipient(_))
        ));
        assert!(matches!(recipients(&[]), Err(SealError::NoRecipients)));
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_name("C:\\Users\\me\\leak.pdf"), "leak.pdf");
        assert_eq!(clean_name(".."), "file");
        assert_eq!(clean_name(".bashrc"), "bashrc");
        assert_eq!(clean_name(&"ж".repeat(300)).len(), MAX_NAME_LEN);
    }
}
