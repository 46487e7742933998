//! Salts and encryption keys. The AES key is derived from the configured secret once:
//! PBKDF2-HMAC-SHA256, 65536 iterations, 256 bits, salted with the pseudonym salt (psoxy's
//! `PBKDF2WithHmacSHA256` over `PSOXY_ENCRYPTION_KEY` and `PSOXY_SALT`). The derivation takes
//! several milliseconds, most of a proxy's start-up, so it starts on a thread of its own when the
//! keys are made and runs while the rest of the proxy is built; the first use of the key waits
//! for it if it has not finished (or derives it, if no thread could be started).

use std::fmt;
use std::sync::{Arc, OnceLock};

use aes::Aes256;
use cbc::cipher::block_padding::{NoPadding, Pkcs7};
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use sha2::Sha256;

/// PBKDF2 iteration count psoxy uses.
pub const PBKDF2_ITERATIONS: u32 = 65_536;

/// Length of the IV taken from the front of the hash.
pub(crate) const IV_LEN: usize = 16;

/// A salt and, optionally, the AES-256 key derived from an encryption secret.
///
/// `Debug` never prints the salt or the key.
#[derive(Clone)]
pub struct Keys {
    salt: String,
    aes_key: Option<Arc<DerivedKey>>,
}

/// An AES key to derive from a secret and a salt, once, by whichever thread comes first.
struct DerivedKey {
    secret: String,
    salt: String,
    key: OnceLock<[u8; 32]>,
}

impl DerivedKey {
    /// The key: derived now if no thread has begun, awaited if one is deriving it.
    fn get(&self) -> &[u8; 32] {
        self.key
            .get_or_init(|| derive_aes_key(&self.secret, &self.salt))
    }
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keys")
            .field("salt", &"<redacted>")
            .field("can_encrypt", &self.can_encrypt())
            .finish()
    }
}

impl Keys {
    /// Keys for `salt`, with the AES key derived from `encryption_secret` when given (65536
    /// PBKDF2 rounds, on a background thread: make the keys once per process, early).
    pub fn new(salt: impl Into<String>, encryption_secret: Option<&str>) -> Self {
        let salt = salt.into();
        let aes_key = encryption_secret.map(|secret| {
            let derived = Arc::new(DerivedKey {
                secret: secret.to_owned(),
                salt: salt.clone(),
                key: OnceLock::new(),
            });
            let background = Arc::clone(&derived);
            // Without a thread (a process at its thread limit), the first use derives it.
            let _ = std::thread::Builder::new()
                .name("sluice-key-derivation".into())
                .spawn(move || {
                    background.get();
                });
            derived
        });
        Self { salt, aes_key }
    }

    /// The salt appended to canonical values before hashing.
    pub fn salt(&self) -> &str {
        &self.salt
    }

    /// Whether the AES key, if any, is derived already.
    pub fn is_derived(&self) -> bool {
        self.aes_key.as_ref().is_none_or(|k| k.key.get().is_some())
    }

    /// Waits until the AES key, if any, is derived (deriving it here if no thread has begun).
    pub fn wait_until_derived(&self) {
        if let Some(key) = &self.aes_key {
            key.get();
        }
    }

    /// Whether an encryption key is configured, i.e. reversible (`p~`) output is possible.
    pub fn can_encrypt(&self) -> bool {
        self.aes_key.is_some()
    }

    /// AES-256-CBC/PKCS7 of `plaintext` with the given IV; `None` without an encryption key.
    pub(crate) fn encrypt(&self, iv: &[u8; IV_LEN], plaintext: &[u8]) -> Option<Vec<u8>> {
        let key = self.aes_key.as_ref()?.get();
        let enc = cbc::Encryptor::<Aes256>::new(&(*key).into(), &(*iv).into());
        Some(enc.encrypt_padded_vec::<Pkcs7>(plaintext))
    }

    /// AES-256-CBC decryption of whole blocks with the padding left in place: the caller checks
    /// it, in constant time, together with everything else it checks (a separate padding answer
    /// would be an oracle). Fails without a key or when `ciphertext` is not whole blocks, both
    /// facts the sender already knows.
    pub(crate) fn decrypt_blocks(
        &self,
        iv: &[u8; IV_LEN],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, DecryptFailure> {
        let key = self.aes_key.as_ref().ok_or(DecryptFailure::NoKey)?.get();
        if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(IV_LEN) {
            return Err(DecryptFailure::BlockSize);
        }
        let dec = cbc::Decryptor::<Aes256>::new(&(*key).into(), &(*iv).into());
        dec.decrypt_padded_vec::<NoPadding>(ciphertext)
            .map_err(|_| DecryptFailure::BlockSize)
    }
}

/// Why [`Keys::decrypt_blocks`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecryptFailure {
    /// No encryption key configured.
    NoKey,
    /// The ciphertext is empty or not a multiple of the block size.
    BlockSize,
}

fn derive_aes_key(secret: &str, salt: &str) -> [u8; 32] {
    pbkdf2::pbkdf2_hmac_array::<Sha256, 32>(secret.as_bytes(), salt.as_bytes(), PBKDF2_ITERATIONS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_wrong_key() {
        let k = Keys::new("salt", Some("secret"));
        let iv = [7u8; IV_LEN];
        let ct = k.encrypt(&iv, b"hello").unwrap();
        assert_eq!(ct.len(), 16);
        // PKCS7: eleven bytes of 11 complete the block; the caller checks and strips them.
        let mut padded = b"hello".to_vec();
        padded.extend([11u8; 11]);
        assert_eq!(k.decrypt_blocks(&iv, &ct).unwrap(), padded);
        let other = Keys::new("salt", Some("other"));
        assert_ne!(other.decrypt_blocks(&iv, &ct).unwrap(), padded);
        assert_eq!(
            Keys::new("salt", None).decrypt_blocks(&iv, &ct),
            Err(DecryptFailure::NoKey)
        );
        assert_eq!(
            k.decrypt_blocks(&iv, &ct[..5]),
            Err(DecryptFailure::BlockSize)
        );
        assert_eq!(k.decrypt_blocks(&iv, &[]), Err(DecryptFailure::BlockSize));
    }

    #[test]
    fn the_key_derived_in_the_background_is_the_key() {
        let k = Keys::new("salt", Some("secret"));
        k.wait_until_derived();
        assert!(k.is_derived());
        assert!(k.clone().is_derived(), "clones share one derivation");
        assert_eq!(
            k.aes_key.as_ref().map(|d| *d.get()),
            Some(derive_aes_key("secret", "salt"))
        );
        assert!(Keys::new("salt", None).is_derived(), "nothing to derive");
    }

    #[test]
    fn debug_hides_secrets() {
        let s = format!("{:?}", Keys::new("pepper", Some("secret")));
        assert!(!s.contains("pepper"));
        assert!(s.contains("can_encrypt: true"));
    }
}
