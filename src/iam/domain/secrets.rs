//! Passwords (Argon2), tokens and access keys: how they are made, stored and checked.

use argon2::password_hash::Output;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::new_id;

pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// A hash no password matches, checked against when the user does not exist.
pub fn dummy_password_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&new_id()).unwrap_or_default())
}

/// Checks a password against its PHC string using `memory` as Argon2's working memory
/// (grown to what the hash's parameters need): a caller that keeps and reuses the buffer
/// hashes without allocating, so that a flood of logins cannot grow the heap.
pub fn password_matches_in(password: &str, hash: &str, memory: &mut Vec<Block>) -> bool {
    let mut check = || -> Option<bool> {
        let parsed = PasswordHash::new(hash).ok()?;
        let params = Params::try_from(&parsed).ok()?;
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = parsed
            .version
            .map(Version::try_from)
            .transpose()
            .ok()?
            .unwrap_or_default();
        let expected = parsed.hash?;
        let mut salt = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt).ok()?;
        if memory.len() < params.block_count() {
            memory.resize(params.block_count(), Block::default());
        }
        let mut out = vec![0u8; expected.len()];
        Argon2::new(algorithm, version, params.clone())
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt,
                &mut out,
                &mut memory[..params.block_count()],
            )
            .ok()?;
        // Output's comparison runs in constant time.
        Some(Output::new(&out).ok()? == expected)
    };
    check().unwrap_or(false)
}

/// A fresh token as handed to the client, shaped like IAM's (`MII…`), and the digest
/// that is stored instead of it.
pub fn new_token() -> (String, String) {
    let mut raw = [0u8; 48];
    rand::thread_rng().fill_bytes(&mut raw);
    let token = format!(
        "MII{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    );
    let digest = token_digest(&token);
    (token, digest)
}

pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn new_access_key() -> (String, String) {
    let mut raw = [0u8; 30];
    rand::thread_rng().fill_bytes(&mut raw);
    let access = hex::encode_upper(&raw[..10]);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&raw[10..]);
    (access, secret)
}
