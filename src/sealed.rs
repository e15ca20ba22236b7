//! Small secrets (members' Zoom tokens) encrypted at rest, so a copy of the store alone does not
//! give anyone a member's Zoom account.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;

use crate::secret::Secret;

/// The first byte of every sealed value: lets a later format be told apart from this one.
const VERSION: u8 = 1;
/// The `XChaCha20` nonce: long enough that random nonces never repeat in practice.
const NONCE_LEN: usize = 24;
/// Poly1305's tag.
const TAG_LEN: usize = 16;
/// Fixed, not secret: HKDF's salt only separates this use from others of the same secret.
const SALT: &[u8] = b"zoombot sealed v1 salt";
/// Names what the key is for; a new format gets a new info, so a new key.
const INFO: &[u8] = b"zoombot member tokens v1";

/// Seals small secrets (member tokens) with XChaCha20-Poly1305: authenticated, a fresh random
/// 24-byte nonce per seal. `Debug` does not show the key.
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

/// Why a sealed value did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Not a sealed value of ours: not base64url, truncated, or another version.
    #[error("the sealed value is malformed (not ours, truncated or another version)")]
    Malformed,
    /// The key is another (the user app's client secret changed) or the data was altered or
    /// belongs to another record.
    #[error(
        "the sealed value does not open: the client secret it was sealed under has changed, or \
         the data was altered"
    )]
    Unauthentic,
}

impl Sealer {
    /// The key, derived with HKDF-SHA256 from a secret the operator keeps (the user app's client
    /// secret), with a fixed salt and info "zoombot member tokens v1": the key is never stored
    /// beside the data it protects.
    ///
    /// # Panics
    ///
    /// Never: a 32-byte key is well within what HKDF-SHA256 can expand to.
    pub fn derive(secret: &Secret) -> Self {
        Self::derive_for(secret, INFO)
    }

    /// A key for another use of a secret: `info` names the use, so each use has its own key
    /// (the unfinished interactions' is derived from the bot's token).
    ///
    /// # Panics
    ///
    /// Never, as [`Sealer::derive`].
    pub fn derive_for(secret: &Secret, info: &[u8]) -> Self {
        let hkdf = Hkdf::<Sha256>::new(Some(SALT), secret.expose().as_bytes());
        let mut key = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's limit of 255 * 32: expand cannot fail.
        hkdf.expand(info, &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        let cipher = XChaCha20Poly1305::new(&key.into());
        Self { cipher }
    }

    /// base64url (no padding) of: version byte 1 ‖ nonce ‖ ciphertext and tag. `context` (the
    /// member id) is bound as associated data, so a sealed value moved to another record does
    /// not open.
    ///
    /// # Panics
    ///
    /// Only for a plaintext beyond XChaCha20-Poly1305's limit of 256 GiB.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        // Encryption fails only for plaintexts beyond XChaCha20's 256 GiB limit.
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            .expect("a small secret is within XChaCha20-Poly1305's length limit");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// The plaintext of a value [`Sealer::seal`] made under the same key and `context`.
    pub fn open(&self, sealed: &str, context: &[u8]) -> Result<Vec<u8>, SealError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(sealed)
            .map_err(|_| SealError::Malformed)?;
        let Some((&version, rest)) = bytes.split_first() else {
            return Err(SealError::Malformed);
        };
        if version != VERSION || rest.len() < NONCE_LEN + TAG_LEN {
            return Err(SealError::Malformed);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context,
                },
            )
            .map_err(|_| SealError::Unauthentic)
    }
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(secret: &str) -> Sealer {
        Sealer::derive(&Secret::new(secret))
    }

    #[test]
    fn what_is_sealed_opens_under_the_same_key_and_context() {
        let s = sealer("client-secret");
        let sealed = s.seal(b"refresh-token-value", b"member:42");
        assert_eq!(
            s.open(&sealed, b"member:42").unwrap(),
            b"refresh-token-value"
        );
        // Another Sealer from the same secret: the key is derived, not random.
        assert_eq!(
            sealer("client-secret").open(&sealed, b"member:42").unwrap(),
            b"refresh-token-value"
        );
        assert_eq!(s.open(&s.seal(b"", b""), b"").unwrap(), b"");
    }

    #[test]
    fn two_seals_of_the_same_plaintext_differ() {
        let s = sealer("client-secret");
        assert_ne!(s.seal(b"same", b"m"), s.seal(b"same", b"m"));
    }

    #[test]
    fn the_plaintext_does_not_show_in_the_sealed_value() {
        let s = sealer("client-secret");
        let plaintext = "eyJhbGciOiJIUzUxMiJ9.refresh-token-plaintext";
        let sealed = s.seal(plaintext.as_bytes(), b"m");
        assert!(!sealed.contains(plaintext));
        assert!(!sealed.contains(&URL_SAFE_NO_PAD.encode(plaintext)));
        let raw = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        assert!(
            !raw.windows(plaintext.len())
                .any(|w| w == plaintext.as_bytes())
        );
        assert_eq!(raw[0], VERSION);
        assert_eq!(raw.len(), 1 + NONCE_LEN + plaintext.len() + TAG_LEN);
    }

    #[test]
    fn another_context_or_key_is_unauthentic() {
        let s = sealer("client-secret");
        let sealed = s.seal(b"token", b"member:42");
        assert_eq!(s.open(&sealed, b"member:43"), Err(SealError::Unauthentic));
        assert_eq!(
            sealer("rotated-secret").open(&sealed, b"member:42"),
            Err(SealError::Unauthentic)
        );
    }

    #[test]
    fn altered_data_is_unauthentic() {
        let s = sealer("client-secret");
        let raw = URL_SAFE_NO_PAD.decode(s.seal(b"token", b"m")).unwrap();
        // Every byte after the version: nonce, ciphertext and tag are all covered.
        for i in 1..raw.len() {
            let mut altered = raw.clone();
            altered[i] ^= 0x01;
            assert_eq!(
                s.open(&URL_SAFE_NO_PAD.encode(&altered), b"m"),
                Err(SealError::Unauthentic),
                "byte {i}"
            );
        }
    }

    #[test]
    fn truncated_foreign_or_other_versions_are_malformed() {
        let s = sealer("client-secret");
        let sealed = s.seal(b"token", b"m");
        let raw = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        assert_eq!(s.open("", b"m"), Err(SealError::Malformed));
        assert_eq!(s.open("not base64!", b"m"), Err(SealError::Malformed));
        assert_eq!(
            s.open(&URL_SAFE_NO_PAD.encode(&raw[..NONCE_LEN + TAG_LEN]), b"m"),
            Err(SealError::Malformed)
        );
        let mut v2 = raw.clone();
        v2[0] = 2;
        assert_eq!(
            s.open(&URL_SAFE_NO_PAD.encode(&v2), b"m"),
            Err(SealError::Malformed)
        );
        // Cut inside the ciphertext but still long enough to hold a tag: the tag fails.
        assert_eq!(
            s.open(&URL_SAFE_NO_PAD.encode(&raw[..raw.len() - 1]), b"m"),
            Err(SealError::Unauthentic)
        );
    }

    #[test]
    fn debug_shows_no_key() {
        let text = format!("{:?}", sealer("client-secret"));
        assert_eq!(text, "Sealer([redacted])");
    }
}
