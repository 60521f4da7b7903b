//! The publication's mirror list: where readers find copies of it.
//!
//! Editors set the whole list with one signed entry ([`SetMirrors`]); the
//! fold keeps the latest list in the state and the renderer writes it into
//! `erkin.json` and onto the mirrors page. Because the list is in the log,
//! a host serving a copy cannot forge it: a reader's client learns new
//! mirrors only from a log that verifies against the pinned key.
//!
//! Each entry is a URL (HTTPS, an onion service over HTTP, or a bundle file
//! `.tar.gz` at either) and, for HTTPS, optional pins: SHA-256 fingerprints
//! of certificates (DER) the mirror may present, so a reader's client can
//! tell a state interception root's forged certificate from the mirror's
//! own. Content is verified against the log key whatever the transport;
//! pins only let a client *report* interception, never trust content.
//!
//! Decisions: plain `http://` only for onion services (elsewhere a censor
//! reads the paths, and an article's slug is in them); the URL must be in
//! the `url` crate's canonical form (so two spellings of one mirror cannot
//! both be listed); no user name, password, query or fragment (a mirror's
//! copy lives at a path prefix).

use serde::{Deserialize, Serialize};

use crate::rejection::Rejection;

/// Most mirrors in the list. Readers are handed mirrors in small batches
/// anyway (public ones are burned in minutes); the list is in every copy's
/// `erkin.json`.
pub const MAX_MIRRORS: usize = 64;
/// Longest mirror URL, in bytes.
pub const MAX_MIRROR_URL_LEN: usize = 512;
/// Most certificate pins per mirror (the current certificate and the next).
pub const MAX_PINS: usize = 4;

/// The action: the whole mirror list, replacing the previous one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetMirrors {
    pub mirrors: Vec<MirrorEntry>,
}

/// One place a copy of the publication can be read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MirrorEntry {
    /// The copy's root (`https://host/prefix/`), an onion service
    /// (`http://<56 base32>.onion/`) or a bundle (`.../habar.tar.gz`).
    pub url: String,
    /// SHA-256 (64 lowercase hex digits) of certificates (DER) the mirror
    /// may present (HTTPS only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pins: Vec<String>,
}

/// What kind of place an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MirrorKind {
    /// A copy's root over HTTPS.
    Https,
    /// A copy's root at an onion service (reached through Tor).
    Onion,
    /// A bundle file (over HTTPS or at an onion service).
    Bundle,
}

/// The part of a mirror URL that may not be there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UrlPart {
    UserInfo,
    Query,
    Fragment,
}

impl std::fmt::Display for UrlPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UrlPart::UserInfo => "a user name or password",
            UrlPart::Query => "a query (?...)",
            UrlPart::Fragment => "a fragment (#...)",
        })
    }
}

impl MirrorEntry {
    /// The entry's kind, read from its URL (checked ones only: an unchecked
    /// URL that does not parse is `Https`).
    pub fn kind(&self) -> MirrorKind {
        let Ok(u) = url::Url::parse(&self.url) else {
            return MirrorKind::Https;
        };
        if u.path().ends_with(".tar.gz") {
            MirrorKind::Bundle
        } else if u.host_str().is_some_and(is_onion_host) {
            MirrorKind::Onion
        } else {
            MirrorKind::Https
        }
    }
}

/// Whether a host name is an onion service's (any `.onion` name).
pub fn is_onion_host(host: &str) -> bool {
    host.ends_with(".onion")
}

/// A v3 onion address: the label before `.onion` is 56 base32 characters.
fn is_v3_onion(host: &str) -> bool {
    let Some(rest) = host.strip_suffix(".onion") else {
        return false;
    };
    let label = rest.rsplit('.').next().unwrap_or(rest);
    label.len() == 56
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
}

/// A URL shown inside a rejection: at most 300 characters.
fn shown(url: &str) -> String {
    url.chars().take(300).collect()
}

/// The canonical form of a mirror URL as the list keeps it (what `erkin
/// mirrors add` submits), or why it cannot be one. The URL must still pass
/// [`check_mirrors`].
pub fn canonical_url(given: &str) -> Result<String, Rejection> {
    url::Url::parse(given.trim())
        .map(|u| u.to_string())
        .map_err(|_| Rejection::MirrorUrlSyntax {
            index: 0,
            url: shown(given),
        })
}

/// Checks a whole mirror list: count, every entry, no URL twice.
pub fn check_mirrors(list: &[MirrorEntry]) -> Result<(), Rejection> {
    if list.len() > MAX_MIRRORS {
        return Err(Rejection::TooManyMirrors { max: MAX_MIRRORS });
    }
    let mut seen = std::collections::BTreeSet::new();
    for (index, m) in list.iter().enumerate() {
        check_entry(index, m)?;
        if !seen.insert(m.url.as_str()) {
            return Err(Rejection::MirrorTwice { url: shown(&m.url) });
        }
    }
    Ok(())
}

fn check_entry(index: usize, m: &MirrorEntry) -> Result<(), Rejection> {
    if m.url.is_empty() || m.url.len() > MAX_MIRROR_URL_LEN {
        return Err(Rejection::MirrorUrlLength {
            index,
            max: MAX_MIRROR_URL_LEN,
        });
    }
    let syntax = || Rejection::MirrorUrlSyntax {
        index,
        url: shown(&m.url),
    };
    let u = url::Url::parse(&m.url).map_err(|_| syntax())?;
    let host = match u.host_str() {
        Some(h) if !h.is_empty() => h,
        _ => return Err(syntax()),
    };
    if u.as_str() != m.url {
        return Err(Rejection::MirrorUrlNotCanonical {
            index,
            canonical: shown(u.as_str()),
        });
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(Rejection::MirrorUrlPart {
            index,
            part: UrlPart::UserInfo,
        });
    }
    if u.query().is_some() {
        return Err(Rejection::MirrorUrlPart {
            index,
            part: UrlPart::Query,
        });
    }
    if u.fragment().is_some() {
        return Err(Rejection::MirrorUrlPart {
            index,
            part: UrlPart::Fragment,
        });
    }
    let onion = is_onion_host(host);
    match u.scheme() {
        "https" => {}
        "http" if onion => {}
        "http" => return Err(Rejection::MirrorPlainHttp { index }),
        _ => {
            return Err(Rejection::MirrorScheme {
                index,
                scheme: u.scheme().chars().take(20).collect(),
            })
        }
    }
    if onion && !is_v3_onion(host) {
        return Err(Rejection::MirrorOnion { index });
    }
    if m.pins.is_empty() {
        return Ok(());
    }
    if u.scheme() != "https" {
        return Err(Rejection::MirrorPinWithoutTls { index });
    }
    if m.pins.len() > MAX_PINS {
        return Err(Rejection::MirrorPinCount {
            index,
            max: MAX_PINS,
        });
    }
    for (i, pin) in m.pins.iter().enumerate() {
        let hex = pin.len() == 64
            && pin
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex {
            return Err(Rejection::MirrorPin {
                index,
                pin: pin.chars().take(80).collect(),
            });
        }
        if m.pins[..i].contains(pin) {
            return Err(Rejection::MirrorPinTwice {
                index,
                pin: pin.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONION: &str = "http://2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion/";

    fn one(url: &str, pins: &[&str]) -> Result<(), Rejection> {
        check_mirrors(&[MirrorEntry {
            url: url.into(),
            pins: pins.iter().map(|p| p.to_string()).collect(),
        }])
    }

    fn pin(c: char) -> String {
        std::iter::repeat_n(c, 64).collect()
    }

    #[test]
    fn good_lists_pass_and_kinds_are_read() {
        let p = pin('a');
        assert_eq!(one("https://habar.example/", &[&p]), Ok(()));
        assert_eq!(one("https://cdn.example/habar/copy/", &[]), Ok(()));
        assert_eq!(one(ONION, &[]), Ok(()));
        assert_eq!(one("https://files.example/habar.tar.gz", &[]), Ok(()));
        let kind = |u: &str| {
            MirrorEntry {
                url: u.into(),
                pins: vec![],
            }
            .kind()
        };
        assert_eq!(kind("https://habar.example/"), MirrorKind::Https);
        assert_eq!(kind(ONION), MirrorKind::Onion);
        assert_eq!(
            kind("https://files.example/habar.tar.gz"),
            MirrorKind::Bundle
        );
        assert_eq!(check_mirrors(&[]), Ok(()));
    }

    #[test]
    fn too_many_mirrors() {
        let list: Vec<MirrorEntry> = (0..=MAX_MIRRORS)
            .map(|i| MirrorEntry {
                url: format!("https://m{i}.example/"),
                pins: vec![],
            })
            .collect();
        let e = check_mirrors(&list).unwrap_err();
        assert_eq!(e, Rejection::TooManyMirrors { max: MAX_MIRRORS });
        assert_eq!(e.code(), "too_many_mirrors");
        assert_eq!(check_mirrors(&list[..MAX_MIRRORS]), Ok(()));
    }

    #[test]
    fn url_length() {
        let long = format!("https://habar.example/{}/", "a".repeat(MAX_MIRROR_URL_LEN));
        let e = one(&long, &[]).unwrap_err();
        assert_eq!(
            e,
            Rejection::MirrorUrlLength {
                index: 0,
                max: MAX_MIRROR_URL_LEN
            }
        );
        assert_eq!(e.code(), "mirror_url_length");
        assert_eq!(one("", &[]).unwrap_err().code(), "mirror_url_length");
    }

    #[test]
    fn url_syntax() {
        for bad in [
            "habar.example",
            "https://",
            "https://exa mple/",
            "mailto:x@y.z",
        ] {
            let e = one(bad, &[]).unwrap_err();
            assert_eq!(
                e,
                Rejection::MirrorUrlSyntax {
                    index: 0,
                    url: bad.into()
                },
                "{bad}"
            );
            assert_eq!(e.code(), "mirror_url_syntax");
        }
    }

    #[test]
    fn url_not_canonical() {
        let e = one("https://Habar.Example", &[]).unwrap_err();
        assert_eq!(
            e,
            Rejection::MirrorUrlNotCanonical {
                index: 0,
                canonical: "https://habar.example/".into()
            }
        );
        assert_eq!(e.code(), "mirror_url_not_canonical");
        assert_eq!(
            canonical_url(" https://Habar.Example ").unwrap(),
            "https://habar.example/"
        );
    }

    #[test]
    fn url_parts() {
        for (bad, part) in [
            ("https://me:pw@habar.example/", UrlPart::UserInfo),
            ("https://habar.example/?from=tg", UrlPart::Query),
            ("https://habar.example/#top", UrlPart::Fragment),
        ] {
            let e = one(bad, &[]).unwrap_err();
            assert_eq!(e, Rejection::MirrorUrlPart { index: 0, part }, "{bad}");
            assert_eq!(e.code(), "mirror_url_part");
        }
    }

    #[test]
    fn scheme() {
        let e = one("ftp://habar.example/", &[]).unwrap_err();
        assert_eq!(
            e,
            Rejection::MirrorScheme {
                index: 0,
                scheme: "ftp".into()
            }
        );
        assert_eq!(e.code(), "mirror_scheme");
    }

    #[test]
    fn plain_http_only_for_onions() {
        let e = one("http://habar.example/", &[]).unwrap_err();
        assert_eq!(e, Rejection::MirrorPlainHttp { index: 0 });
        assert_eq!(e.code(), "mirror_plain_http");
    }

    #[test]
    fn onion_address() {
        let e = one("http://short.onion/", &[]).unwrap_err();
        assert_eq!(e, Rejection::MirrorOnion { index: 0 });
        assert_eq!(e.code(), "mirror_onion");
        // A v2 address (16 characters) is no longer served by Tor.
        assert_eq!(
            one("https://expyuzz4wqqyqhjn.onion/", &[]).unwrap_err(),
            Rejection::MirrorOnion { index: 0 }
        );
    }

    #[test]
    fn pins() {
        let e = one("https://habar.example/", &["AB"]).unwrap_err();
        assert_eq!(
            e,
            Rejection::MirrorPin {
                index: 0,
                pin: "AB".into()
            }
        );
        assert_eq!(e.code(), "mirror_pin");
        let upper = pin('A');
        assert_eq!(
            one("https://habar.example/", &[&upper]).unwrap_err().code(),
            "mirror_pin"
        );
        let a = pin('a');
        let e = one("https://habar.example/", &[&a, &a]).unwrap_err();
        assert_eq!(
            e,
            Rejection::MirrorPinTwice {
                index: 0,
                pin: a.clone()
            }
        );
        assert_eq!(e.code(), "mirror_pin_twice");
        let many: Vec<String> = "abcde".chars().map(pin).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let e = one("https://habar.example/", &many).unwrap_err();
        assert_eq!(
            e,
            Rejection::MirrorPinCount {
                index: 0,
                max: MAX_PINS
            }
        );
        assert_eq!(e.code(), "mirror_pin_count");
        let e = one(ONION, &[&a]).unwrap_err();
        assert_eq!(e, Rejection::MirrorPinWithoutTls { index: 0 });
        assert_eq!(e.code(), "mirror_pin_without_tls");
    }

    #[test]
    fn twice() {
        let m = MirrorEntry {
            url: "https://habar.example/".into(),
            pins: vec![],
        };
        let e = check_mirrors(&[m.clone(), m]).unwrap_err();
        assert_eq!(
            e,
            Rejection::MirrorTwice {
                url: "https://habar.example/".into()
            }
        );
        assert_eq!(e.code(), "mirror_twice");
    }

    #[test]
    fn the_index_names_the_faulty_entry() {
        let list = [
            MirrorEntry {
                url: "https://a.example/".into(),
                pins: vec![],
            },
            MirrorEntry {
                url: "http://b.example/".into(),
                pins: vec![],
            },
        ];
        assert_eq!(
            check_mirrors(&list),
            Err(Rejection::MirrorPlainHttp { index: 1 })
        );
    }
}
