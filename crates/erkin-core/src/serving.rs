//! How each file of a copy's layout is served: its `Content-Type` and its
//! caching. One rule for every server of the layout — `erkin serve`, an
//! object store the export uploads to, a CDN in front of either.
//!
//! Tiles (full and partial: a partial tile's path names its width), entry
//! bundles, blobs and media never change at their path, so any cache may
//! keep them for a year; the checkpoint changes with every batch and may be
//! cached only for seconds (C2SP tlog-tiles); pages, feeds and the
//! descriptor change when the log grows.

/// The media type a file of the layout is served with.
pub fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "atom" => "application/atom+xml; charset=utf-8",
        "xml" => "application/xml; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        _ if path == "checkpoint" => "text/plain; charset=utf-8",
        _ if path.starts_with("api/") => "application/json",
        _ => "application/octet-stream",
    }
}

/// Whether the bytes at `path` can never change: what a cache may keep.
pub fn is_immutable(path: &str) -> bool {
    path.starts_with("media/") || path.starts_with("blob/") || path.starts_with("tile/")
}

/// The `Cache-Control` a file of the layout is served with.
pub fn cache_control(path: &str) -> &'static str {
    if path == "checkpoint" {
        // tlog-tiles: a checkpoint may be cached only for a few seconds.
        "public, max-age=5"
    } else if path.starts_with("api/") {
        "no-cache"
    } else if is_immutable(path) {
        "public, max-age=31536000, immutable"
    } else if path == "style.css" {
        "public, max-age=3600"
    } else {
        "public, max-age=60"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_files_are_immutable_and_the_checkpoint_is_not() {
        for p in [
            "tile/0/000",
            "tile/0/x001/234.p/5",
            "tile/entries/000",
            "blob/ab",
            "media/ab.png",
        ] {
            assert!(is_immutable(p), "{p}");
            assert_eq!(
                cache_control(p),
                "public, max-age=31536000, immutable",
                "{p}"
            );
        }
        assert_eq!(cache_control("checkpoint"), "public, max-age=5");
        assert_eq!(content_type("checkpoint"), "text/plain; charset=utf-8");
        assert_eq!(content_type("a/x/index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("tile/entries/000"), "application/octet-stream");
        assert_eq!(cache_control("index.html"), "public, max-age=60");
    }
}
