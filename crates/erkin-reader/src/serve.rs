//! Serving the reader's copy to their own browser, on 127.0.0.1 only.
//!
//! The files are the copy's static site (`copy/site/`, written by the
//! mirror after each verified sync). Every HTML page gets one line at the
//! top of its body, in the page's language (kk, ru, en by its folder):
//! which copy it came from, when it was last verified, and that it is
//! genuine — plain text, no script, no style, so the pages' CSP is kept.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;

/// What the banner says.
#[derive(Debug, Clone)]
pub struct Banner {
    /// The copy the local copy came from (a URL or a bundle file).
    pub source: String,
    /// When it was last verified, already in words (the CLI formats it).
    pub verified: String,
    /// The entries in the log held.
    pub size: u64,
}

impl Banner {
    /// The line in `lang` (kk, ru, else en).
    pub fn line(&self, lang: &str) -> String {
        let (s, v, n) = (&self.source, &self.verified, self.size);
        match lang {
            "kk" => format!("Түпнұсқа көшірме: басылымның кілтімен тексерілді ({n} жазба). Қайдан: {s}. Соңғы тексеру: {v}."),
            "ru" => format!("Подлинная копия: проверена ключом издания ({n} записей). Откуда: {s}. Последняя проверка: {v}."),
            _ => format!("Genuine copy: verified against the publication's key ({n} entries). From: {s}. Last verified: {v}."),
        }
    }
}

struct Site {
    root: PathBuf,
    banner: Banner,
}

/// Serves `site` (a copy's static site) on `listener` until `shutdown`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    site: &Path,
    banner: Banner,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = Arc::new(Site {
        root: site.to_path_buf(),
        banner,
    });
    let app = Router::new().fallback(page).with_state(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// The file under `root` a request path names, if it is a plain path
/// inside it (no `..`, no absolute parts); a folder means its index.html.
fn resolve(root: &Path, path: &str) -> Option<PathBuf> {
    let rel = path.trim_start_matches('/');
    let mut out = root.to_path_buf();
    for c in Path::new(rel).components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if rel.is_empty() || rel.ends_with('/') || out.is_dir() {
        out.push("index.html");
    }
    Some(out)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "json" => "application/json",
        "xml" => "application/xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Escapes text for HTML.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Puts the banner right after `<body ...>`.
fn with_banner(html: &str, line: &str) -> String {
    let Some(start) = html.find("<body") else {
        return html.to_string();
    };
    let Some(end) = html[start..].find('>') else {
        return html.to_string();
    };
    let at = start + end + 1;
    format!(
        "{}<p role=\"status\" id=\"erkin-reader\"><strong>{}</strong></p>{}",
        &html[..at],
        escape(line),
        &html[at..]
    )
}

async fn page(State(site): State<Arc<Site>>, uri: Uri) -> Response {
    let Some(path) = resolve(&site.root, uri.path()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let bytes = match tokio::fs::read(&path).await {
        Ok(b) => b,
        Err(_) => {
            // The copy's own 404 page.
            let nf = site.root.join("404.html");
            let body = tokio::fs::read_to_string(&nf).await.unwrap_or_default();
            return (
                StatusCode::NOT_FOUND,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                body,
            )
                .into_response();
        }
    };
    let ct = content_type(&path);
    let headers = [
        (header::CONTENT_TYPE, ct),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    if ct.starts_with("text/html") {
        let lang = uri
            .path()
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("");
        let html = String::from_utf8_lossy(&bytes);
        let body = with_banner(&html, &site.banner.line(lang));
        return (headers, body).into_response();
    }
    (headers, bytes).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_copy() {
        let root = Path::new("/copy");
        assert_eq!(resolve(root, "/"), Some(PathBuf::from("/copy/index.html")));
        assert_eq!(
            resolve(root, "/kk/a/x/"),
            Some(PathBuf::from("/copy/kk/a/x/index.html"))
        );
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/a/../../etc"), None);
    }

    #[test]
    fn the_banner_is_escaped_and_follows_body() {
        let b = Banner {
            source: "https://x.example/<script>".into(),
            verified: "now".into(),
            size: 3,
        };
        let out = with_banner("<html><body class=\"a\"><h1>T</h1>", &b.line("en"));
        assert!(out.starts_with("<html><body class=\"a\"><p role=\"status\""));
        assert!(out.contains("&lt;script&gt;"));
        assert!(!out.contains("<script>"));
        assert!(b.line("kk").contains("Түпнұсқа"));
        assert!(b.line("ru").contains("Подлинная"));
    }
}
