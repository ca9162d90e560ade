//! Keyed pseudonyms for person-level outputs.
//!
//! Takes: a secret key (env `TURNOUT_KEY`, or the key file `<root>/.turnout/key`, created with
//! owner-only permissions on first use). Gives: [`Pseudonymizer::token`], HMAC-SHA256 of a
//! value under the key, as short hex. Promises: person-level tables carry tokens, never raw
//! phones, emails or names; the same key gives the same tokens run after run (so tables can be
//! joined week to week); without the key a token cannot be tested against a guessed phone.

use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};

pub const KEY_ENV: &str = "TURNOUT_KEY";

pub struct Pseudonymizer {
    key: Vec<u8>,
}

impl Pseudonymizer {
    pub fn new(key: &[u8]) -> Self {
        Pseudonymizer { key: key.to_vec() }
    }

    /// The key from `TURNOUT_KEY`, else from `<root>/.turnout/key`, creating it if absent.
    pub fn load_or_create(root: &Path) -> std::io::Result<Self> {
        if let Ok(k) = std::env::var(KEY_ENV) {
            if k.trim().len() >= 16 {
                return Ok(Self::new(k.trim().as_bytes()));
            }
        }
        let dir = root.join(".turnout");
        let path = dir.join("key");
        if let Ok(k) = std::fs::read(&path) {
            if k.len() >= 16 {
                return Ok(Self::new(&k));
            }
        }
        std::fs::create_dir_all(&dir)?;
        let mut key = [0u8; 32];
        std::fs::File::open("/dev/urandom").and_then(|mut f| std::io::Read::read_exact(&mut f, &mut key))?;
        let hexkey = crate::config::validate::hex(&key);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        match opts.open(&path) {
            Ok(mut f) => {
                f.write_all(hexkey.as_bytes())?;
                f.sync_all()?;
                Ok(Self::new(hexkey.as_bytes()))
            }
            // another run created it first
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(Self::new(&std::fs::read(&path)?)),
            Err(e) => Err(e),
        }
    }

    /// HMAC-SHA256(key, kind ‖ 0 ‖ value), first 8 bytes as hex.
    pub fn token(&self, kind: &str, value: &str) -> String {
        let mac = hmac_sha256(&self.key, &[kind.as_bytes(), &[0], value.as_bytes()]);
        crate::config::validate::hex(&mac[..8])
    }
}

/// HMAC-SHA256 (RFC 2104) over the concatenation of `parts`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    const B: usize = 64;
    let mut k = [0u8; B];
    if key.len() > B {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    for p in parts {
        inner.update(p);
    }
    let ih = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(ih);
    outer.finalize().into()
}

/// Restricts a file or folder to its owner (0600 / 0700).
pub fn owner_only(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if path.is_dir() { 0o700 } else { 0o600 };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            crate::config::validate::hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn tokens_depend_on_key_and_kind() {
        let a = Pseudonymizer::new(b"0123456789abcdef-one");
        let b = Pseudonymizer::new(b"0123456789abcdef-two");
        assert_eq!(a.token("phone", "+13124560142"), a.token("phone", "+13124560142"));
        assert_ne!(a.token("phone", "+13124560142"), b.token("phone", "+13124560142"));
        assert_ne!(a.token("phone", "x"), a.token("email", "x"));
        assert_eq!(a.token("phone", "+13124560142").len(), 16);
    }
}
