//! The stored form of a sealed value.

use serde::{Deserialize, Serialize};

/// AES-256-GCM ciphertext with its nonce and the wrapped data key, base64 (standard) encoded.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedText {
    /// Format version.
    pub v: u8,
    /// The data key, wrapped by the key service.
    pub key: String,
    /// The 96-bit GCM nonce.
    pub iv: String,
    /// Ciphertext followed by the 128-bit tag.
    pub ct: String,
}

impl SealedText {
    pub const VERSION: u8 = 1;

    /// The key under which a sealed value sits inside a stored JSON document.
    pub const MARKER: &'static str = "$sealed";
}

impl std::fmt::Debug for SealedText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealedText(v{}, {} bytes)", self.v, self.ct.len())
    }
}
