//! Bundle members with long names: read bounded, never whole.

use std::io::Write;

use erkin_mirror::{unpack_bundle, BundleError, BundleLimits};

fn header(kind: tar::EntryType, path: &str, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_path(path).unwrap();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_cksum();
    h
}

/// A .tar.gz of raw members, each (type, header path, data).
fn bundle(
    dir: &std::path::Path,
    members: &[(tar::EntryType, &str, Vec<u8>)],
) -> std::path::PathBuf {
    let path = dir.join("b.tar.gz");
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    let mut tar = tar::Builder::new(gz);
    for (kind, name, data) in members {
        let h = header(*kind, name, data.len() as u64);
        tar.append(&h, &data[..]).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap().flush().unwrap();
    path
}

fn manifest() -> (tar::EntryType, &'static str, Vec<u8>) {
    let json = br#"{"format":"erkin.bundle/v1","origin":"o.example/x","verifier_key":"k","since":0,"size":0,"pages":true}"#;
    (tar::EntryType::Regular, "erkin-bundle.json", json.to_vec())
}

#[test]
fn a_long_name_member_is_read_bounded_and_used() {
    let tmp = tempfile::tempdir().unwrap();
    let long = format!("a/{}/index.html", "s".repeat(300));
    let mut name = long.clone().into_bytes();
    name.push(0);
    let file = bundle(
        tmp.path(),
        &[
            manifest(),
            (tar::EntryType::GNULongName, "././@LongLink", name),
            (
                tar::EntryType::Regular,
                "placeholder",
                b"<p>page</p>".to_vec(),
            ),
        ],
    );
    let m = unpack_bundle(&file, &tmp.path().join("out"), &BundleLimits::default()).unwrap();
    assert_eq!(m.format, "erkin.bundle/v1");

    // The long name, not the header's short one, is the path that is
    // judged: a long name that climbs out is refused.
    let mut escape = format!("{}/../../escape", "d".repeat(200)).into_bytes();
    escape.push(0);
    let file = bundle(
        tmp.path(),
        &[
            manifest(),
            (tar::EntryType::GNULongName, "././@LongLink", escape),
            (tar::EntryType::Regular, "harmless", b"x".to_vec()),
        ],
    );
    match unpack_bundle(&file, &tmp.path().join("out2"), &BundleLimits::default()) {
        Err(BundleError::UnsafePath { path, reason }) => {
            assert_eq!(reason, "dot component");
            assert!(path.ends_with("/../../escape"), "{path}");
        }
        other => panic!("expected UnsafePath, got {other:?}"),
    }
}

#[test]
fn an_oversize_long_name_is_refused_without_reading_it_whole() {
    let tmp = tempfile::tempdir().unwrap();
    // 64 MiB of name: the reader takes 1 KiB of it and refuses.
    let file = bundle(
        tmp.path(),
        &[
            manifest(),
            (
                tar::EntryType::GNULongName,
                "././@LongLink",
                vec![b'a'; 64 << 20],
            ),
            (tar::EntryType::Regular, "x", b"x".to_vec()),
        ],
    );
    match unpack_bundle(&file, &tmp.path().join("out"), &BundleLimits::default()) {
        Err(BundleError::UnsafePath { reason, .. }) => assert_eq!(reason, "too long"),
        other => panic!("expected UnsafePath, got {other:?}"),
    }
}

#[test]
fn long_links_and_pax_headers_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for kind in [
        tar::EntryType::GNULongLink,
        tar::EntryType::XHeader,
        tar::EntryType::XGlobalHeader,
    ] {
        let file = bundle(
            tmp.path(),
            &[
                manifest(),
                (kind, "././@LongLink", b"target\0".to_vec()),
                (tar::EntryType::Regular, "x", b"x".to_vec()),
            ],
        );
        match unpack_bundle(&file, &tmp.path().join("out"), &BundleLimits::default()) {
            Err(BundleError::NotAFile { .. }) => {}
            other => panic!("{kind:?}: expected NotAFile, got {other:?}"),
        }
    }
}
