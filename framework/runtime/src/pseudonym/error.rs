//! Errors of the pseudonym module. Each names the problem, so the sanitizer can decide whether
//! to fail the response (as psoxy does) or do something else.

/// A value-level function could not produce a pseudonym where psoxy would have thrown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PseudonymError {
    /// `pseudonymize` / `pseudonymizeEmailHeader` got a value of an unsupported JSON type (psoxy:
    /// `IllegalArgumentException`, the request fails).
    #[error("{transform} cannot be applied to a JSON {kind}; it takes {expected}")]
    UnsupportedValue {
        /// The psoxy transform name.
        transform: &'static str,
        /// The JSON type found: `null`, `boolean`, `number`, `string`, `array` or `object`.
        kind: &'static str,
        /// What the transform accepts.
        expected: &'static str,
    },
    /// Reversible output was asked for, but no encryption key is configured.
    #[error("{transform} needs an encryption key for reversible output, and none is configured")]
    NoEncryptionKey {
        /// The psoxy transform (or option) that needed the key.
        transform: &'static str,
    },
    /// There is nothing to pseudonymize where psoxy would dereference a null identity: a null or
    /// blank value with `URL_SAFE_HASH_ONLY`, or a `pseudonymizeRegexMatches` / `tokenize`
    /// match whose part to pseudonymize is blank or did not participate.
    #[error("{transform}: {detail}")]
    NothingToPseudonymize {
        /// The psoxy transform name.
        transform: &'static str,
        /// What was missing.
        detail: &'static str,
    },
    /// The transform's regex gave up on the value (too many backtracking steps): the value is
    /// not passed through unsanitized, the response fails.
    #[error(transparent)]
    RegexLimit(#[from] sluice_spec::regex::RegexLimitError),
}

/// A reversible token could not be turned back into its original.
///
/// Positions are byte offsets of the token's `p~` in the string given to
/// [`Pseudonymizer::decrypt_token`](super::Pseudonymizer::decrypt_token) (always 0) or
/// [`Pseudonymizer::reverse_tokens_in`](super::Pseudonymizer::reverse_tokens_in).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// No encryption key is configured, so no token can be decrypted.
    #[error("cannot decrypt reversible tokens: no encryption key is configured")]
    NoEncryptionKey,
    /// The text does not start with `p~`.
    #[error("the text at byte {position} is not a reversible token (expected `p~`)")]
    NotReversible {
        /// Byte offset of the text.
        position: usize,
    },
    /// The text after `p~` is not valid base64url.
    #[error("reversible token at byte {position} is not valid base64url: {reason}")]
    Base64 {
        /// Byte offset of the token.
        position: usize,
        /// The decoder's complaint.
        reason: String,
    },
    /// The token holds fewer bytes than a hash plus one cipher block.
    #[error("reversible token at byte {position} is too short: {len} bytes, at least 48 expected")]
    TooShort {
        /// Byte offset of the token.
        position: usize,
        /// Decoded length in bytes.
        len: usize,
    },
    /// The ciphertext is not a whole number of AES blocks (psoxy: ITE003).
    #[error(
        "reversible token at byte {position} does not decrypt: ciphertext is not a whole number of blocks"
    )]
    BlockSize {
        /// Byte offset of the token.
        position: usize,
    },
    /// The padding is wrong after decryption: a wrong or rotated key, or a damaged token
    /// (psoxy: ITE02).
    #[error(
        "reversible token at byte {position} does not decrypt: bad padding (wrong or rotated key, or a damaged token)"
    )]
    BadPadding {
        /// Byte offset of the token.
        position: usize,
    },
    /// The decrypted bytes are not UTF-8.
    #[error("reversible token at byte {position} decrypts to bytes that are not UTF-8")]
    NotUtf8 {
        /// Byte offset of the token.
        position: usize,
    },
    /// The token decrypts, but the value's pseudonym is not the token's prefix: a damaged or
    /// forged token (or one made with another salt).
    #[error(
        "reversible token at byte {position} is not authentic: its prefix is not the pseudonym of the value it decrypts to"
    )]
    NotAuthentic {
        /// Byte offset of the token.
        position: usize,
    },
    /// The token is authentic, but its value cannot stand where the token stood (a path
    /// segment that would be empty, `.` or `..`, or a value holding URL delimiters).
    #[error("reversible token at byte {position} stands for a value that cannot be placed there")]
    NotData {
        /// Byte offset of the token.
        position: usize,
    },
}

impl TokenError {
    /// Byte offset of the offending token, when the error concerns one.
    pub fn position(&self) -> Option<usize> {
        match self {
            Self::NoEncryptionKey => None,
            Self::NotReversible { position }
            | Self::Base64 { position, .. }
            | Self::TooShort { position, .. }
            | Self::BlockSize { position }
            | Self::BadPadding { position }
            | Self::NotUtf8 { position }
            | Self::NotAuthentic { position }
            | Self::NotData { position } => Some(*position),
        }
    }
}

/// The name of a JSON value's type, for error messages.
pub(crate) fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}
