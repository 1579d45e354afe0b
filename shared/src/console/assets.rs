//! The console's static files, compiled into the binary and served under a content hash
//! (`/console/assets/console-1a2b3c4d5e.css`) with a year-long immutable cache: a new release
//! changes the name, never what an old name serves. No CDN.

use std::sync::LazyLock;

/// One file.
pub struct Asset {
    /// `console.css` -> served as `console-{hash}.css`.
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

const FILES: &[Asset] = &[
    Asset { name: "console.css", content_type: "text/css; charset=utf-8", body: include_bytes!("assets/console.css") },
    Asset { name: "console.js", content_type: "text/javascript; charset=utf-8", body: include_bytes!("assets/console.js") },
    Asset { name: "htmx.js", content_type: "text/javascript; charset=utf-8", body: include_bytes!("assets/vendor/htmx-2.0.11.min.js") },
    Asset { name: "icon.svg", content_type: "image/svg+xml", body: include_bytes!("assets/icon.svg") },
];

/// Each file's served path.
static PATHS: LazyLock<Vec<(String, &'static Asset)>> = LazyLock::new(|| {
    use sha2::Digest;
    FILES
        .iter()
        .map(|a| {
            let hash = &hex::encode(sha2::Sha256::digest(a.body))[..12];
            let (stem, ext) = a.name.rsplit_once('.').unwrap_or((a.name, ""));
            (format!("/console/assets/{stem}-{hash}.{ext}"), a)
        })
        .collect()
});

/// The served path of `name` (`console.css`).
pub fn path(name: &str) -> &'static str {
    PATHS.iter().find(|(_, a)| a.name == name).map(|(p, _)| p.as_str()).unwrap_or("/console/assets/missing")
}

/// The file served at `path`, if any.
pub fn find(path: &str) -> Option<&'static Asset> {
    PATHS.iter().find(|(p, _)| p == path).map(|(_, a)| *a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_are_served_by_hash_only() {
        let css = path("console.css");
        assert!(css.starts_with("/console/assets/console-") && css.ends_with(".css"));
        assert_eq!(find(css).unwrap().content_type, "text/css; charset=utf-8");
        assert!(find("/console/assets/console.css").is_none());
        assert!(find(path("htmx.js")).unwrap().body.len() > 10_000);
    }
}
