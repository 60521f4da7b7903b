//! Reading an exported directory as a [`CopyReader`].

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use erkin_core::blob::BlobId;
use erkin_core::tiles::TilePath;
use erkin_core::verify::{CopyReader, ReadError};

use crate::error::ExportError;

/// A directory in the static layout (an export, or a mirror's files).
pub struct DirCopy {
    root: PathBuf,
}

impl DirCopy {
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
        }
    }

    /// Whether `root` looks like a static copy (it has a checkpoint).
    pub fn looks_like_copy(root: &Path) -> bool {
        root.join("checkpoint").is_file()
    }
}

/// Reads the file at `file` (layout path `path`, for errors), refusing to
/// read more than `max_len` bytes: `Ok(None)` if there is no such file.
///
/// Only a regular file is read: a FIFO (which would block forever), a
/// device, a socket, a directory or a symbolic link in its place is refused
/// with [`ReadError::NotAFile`]. The file is opened without following a
/// final symlink and without blocking, and its type is taken from the open
/// descriptor, so nothing can be swapped in between the check and the read.
pub fn read_bounded(file: &Path, path: &str, max_len: u64) -> Result<Option<Vec<u8>>, ReadError> {
    use std::os::unix::fs::OpenOptionsExt;
    let io = |e: std::io::Error| ReadError::Io {
        path: path.to_string(),
        reason: e.to_string(),
    };
    let not_a_file = |kind: &'static str| ReadError::NotAFile {
        path: path.to_string(),
        kind,
    };
    let opened = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY)
        .open(file);
    let f = match opened {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        // O_NOFOLLOW on a symlink: ELOOP.
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Err(not_a_file("symbolic link")),
        Err(e) => return Err(io(e)),
    };
    let meta = f.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(not_a_file(kind_of(&meta.file_type())));
    }
    let mut bytes = Vec::new();
    f.take(max_len.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > max_len {
        return Err(ReadError::TooLarge {
            path: path.to_string(),
            max: max_len,
        });
    }
    Ok(Some(bytes))
}

/// What a file that is not a regular file is, in words.
fn kind_of(t: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "directory"
    } else if t.is_symlink() {
        "symbolic link"
    } else if t.is_fifo() {
        "FIFO"
    } else if t.is_socket() {
        "socket"
    } else if t.is_block_device() || t.is_char_device() {
        "device"
    } else {
        "special file"
    }
}

/// Refuses a layout path whose directories (`tile/`, `blob/`, ...) include
/// a symbolic link: it could lead out of the copy.
fn check_dirs(root: &Path, path: &str) -> Result<(), ReadError> {
    let mut dir = root.to_path_buf();
    let mut parts: Vec<&str> = path.split('/').collect();
    parts.pop();
    for part in parts {
        dir.push(part);
        match fs::symlink_metadata(&dir) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(ReadError::NotAFile {
                    path: path.to_string(),
                    kind: "symbolic link",
                })
            }
            // A missing directory means a missing file; the open says so.
            _ => {}
        }
    }
    Ok(())
}

/// Only paths of the layout may be read: this keeps a caller's path (which
/// may come from a network) from naming anything outside the copy.
fn is_layout_path(path: &str) -> bool {
    path == "checkpoint"
        || path == erkin_core::descriptor::DESCRIPTOR_FILE
        || path
            .strip_prefix("blob/")
            .is_some_and(|h| h.parse::<BlobId>().is_ok())
        || TilePath::parse(path).is_ok()
}

impl CopyReader for DirCopy {
    fn read(&self, path: &str, max_len: u64) -> Result<Option<Vec<u8>>, ReadError> {
        if !is_layout_path(path) {
            return Ok(None);
        }
        check_dirs(&self.root, path)?;
        read_bounded(&self.root.join(path), path, max_len)
    }

    fn blob_ids(&self) -> Result<Vec<BlobId>, ReadError> {
        let dir = self.root.join("blob");
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(ReadError::Io {
                    path: "blob/".into(),
                    reason: e.to_string(),
                })
            }
        };
        let mut ids = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| ReadError::Io {
                path: "blob/".into(),
                reason: e.to_string(),
            })?;
            // Anything not named like a blob (a temporary file of an export in
            // progress, say) is not part of the copy.
            if let Some(id) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<BlobId>().ok())
            {
                ids.push(id);
            }
        }
        ids.sort();
        Ok(ids)
    }
}

/// Writes a file whole: temporary name in the same directory, then rename.
pub fn atomic_write(path: &Path, bytes: &[u8], durable: bool) -> Result<(), ExportError> {
    let parent = path.parent().expect("layout paths have a parent");
    fs::create_dir_all(parent).map_err(|source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    replace_whole(path, bytes, durable)
}

/// [`atomic_write`] into a folder that exists. `durable`: the file is
/// fsynced before the rename and its folder after it.
pub(crate) fn replace_whole(path: &Path, bytes: &[u8], durable: bool) -> Result<(), ExportError> {
    replace_whole_with(path, durable, &mut |f| f.write_all(bytes))
}

/// [`replace_whole`] of what `write` writes, as it writes it (through a
/// buffer): a large file is never whole in memory.
pub(crate) fn replace_whole_with(
    path: &Path,
    durable: bool,
    write: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), ExportError> {
    let io = |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let parent = path.parent().expect("layout paths have a parent");
    let tmp = parent.join(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file")
    ));
    let f = fs::File::create(&tmp).map_err(io)?;
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, f);
    write(&mut buffered)
        .and_then(|_| buffered.into_inner().map_err(|e| e.into_error()))
        .and_then(|f| if durable { f.sync_all() } else { Ok(()) })
        .map_err(io)?;
    fs::rename(&tmp, path).map_err(io)?;
    // The rename is durable only once its directory is synced: a checkpoint
    // must never survive a power loss that its tiles did not.
    if durable {
        sync_dir(parent).map_err(io)?;
    }
    Ok(())
}

thread_local! {
    /// Directory fsyncs done by this thread (tests check the path is taken).
    static DIR_SYNCS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// Whole-filesystem syncs done by this thread ([`Filesystem::sync`]).
    static FS_SYNCS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many times this thread made a whole export durable
/// ([`Filesystem::sync`]).
pub fn filesystem_syncs() -> u64 {
    FS_SYNCS.with(|n| n.get())
}

/// Fsyncs the directory `dir`, so that names created or renamed in it are as
/// durable as the files' contents: a rename is a change to the directory,
/// and until the directory is synced a power loss can undo it even though
/// the file was synced. A no-op where directories cannot be opened (not
/// Unix).
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        fs::File::open(dir)?.sync_all()?;
        DIR_SYNCS.with(|n| n.set(n.get() + 1));
    }
    Ok(())
}

/// Flushes `files` to the disk, on every core: concurrent fsyncs share
/// the filesystem's journal commits, so a few dozen cost about one.
pub fn sync_files(files: &[PathBuf]) -> std::io::Result<()> {
    use rayon::prelude::*;
    files
        .par_iter()
        .try_for_each(|f| fs::File::open(f).and_then(|f| f.sync_all()))
}

/// The filesystem a whole export writes to, opened before its first write.
/// On Linux its [`sync`](Filesystem::sync) is one `syncfs(2)` of this
/// descriptor: `syncfs` reports a writeback error only to descriptors
/// opened before it happened, so a descriptor opened at the end could miss
/// a page the kernel failed to write back during the export.
pub struct Filesystem {
    #[cfg(target_os = "linux")]
    root: fs::File,
}

impl Filesystem {
    /// Opens the filesystem holding folder `dir` (which must exist).
    pub fn open(dir: &Path) -> std::io::Result<Filesystem> {
        #[cfg(target_os = "linux")]
        {
            Ok(Filesystem {
                root: fs::File::open(dir)?,
            })
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = dir;
            Ok(Filesystem {})
        }
    }

    /// Makes everything written to the filesystem since it was opened
    /// durable: on Linux one `syncfs(2)` (a whole export's tiles, pages,
    /// blobs and folders, before the checkpoint and the record that say
    /// they are there); elsewhere each of `files`.
    pub fn sync(&self, files: &[PathBuf]) -> std::io::Result<()> {
        FS_SYNCS.with(|n| n.set(n.get() + 1));
        #[cfg(target_os = "linux")]
        {
            let _ = files;
            rustix::fs::syncfs(&self.root).map_err(std::io::Error::from)
        }
        #[cfg(not(target_os = "linux"))]
        {
            sync_files(files)
        }
    }
}

/// Writes back to the disk what has been written to the filesystem holding
/// the open folder `dir` so far, so that the sync that makes an export
/// durable finds less to do, on a thread of its own while the export goes
/// on. Promises nothing: an error is left for [`Filesystem::sync`] (from
/// another descriptor) to report. A no-op but on Linux.
pub fn write_back(dir: &fs::File) {
    #[cfg(target_os = "linux")]
    {
        let _ = rustix::fs::syncfs(dir);
        WRITE_BACKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dir;
    }
}

/// Early write-backs done by this process, on any thread ([`write_back`]).
static WRITE_BACKS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many early write-backs this process has done ([`write_back`]; tests
/// check the path is taken).
#[cfg(test)]
pub(crate) fn write_backs() -> u64 {
    WRITE_BACKS.load(std::sync::atomic::Ordering::Relaxed)
}

/// How many directory fsyncs this thread has done ([`sync_dir`]).
pub fn dir_syncs() -> u64 {
    DIR_SYNCS.with(|n| n.get())
}

#[cfg(test)]
mod sync_tests {
    use super::*;

    /// A durable write (the log's tiles, the checkpoint) syncs its
    /// directory after the rename; a page's write does not. (That the
    /// rename then survives a power loss cannot be tested without one.)
    #[test]
    fn durable_writes_sync_their_directory_after_the_rename() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tile/0/000");
        let before = dir_syncs();
        crate::dir::atomic_write(&path, b"tile", true).unwrap();
        assert_eq!(dir_syncs(), before + 1);
        assert_eq!(fs::read(&path).unwrap(), b"tile");
        crate::dir::atomic_write(&dir.path().join("index.html"), b"page", false).unwrap();
        assert_eq!(dir_syncs(), before + 1);
        // A directory that is not there cannot be synced: an error, not a
        // silent success.
        assert_eq!(
            sync_dir(&dir.path().join("missing")).unwrap_err().kind(),
            std::io::ErrorKind::NotFound
        );
        assert_eq!(dir_syncs(), before + 1);
    }
}
