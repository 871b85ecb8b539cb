//! API keys: who a key belongs to, what it may do, where it may come from — and its secret,
//! which must stay usable for HMAC verification and so cannot be hashed. At rest the secret is
//! sealed with ChaCha20-Poly1305 under the node's master key (`<data>/master.key`, 0600, or
//! `TALAT_MASTER_KEY`); in memory it lives only in this ring. Secrets are never logged: the
//! `Debug` of a key prints its id only.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use parking_lot::RwLock;
use rustc_hash::FxHashMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use talat_core::UserId;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Perms {
    pub trade: bool,
    pub deposit: bool,
    pub withdraw: bool,
}

impl Perms {
    pub const ALL: Perms = Perms { trade: true, deposit: true, withdraw: true };
    pub const TRADE: Perms = Perms { trade: true, deposit: false, withdraw: false };

    pub fn bits(self) -> i64 {
        (self.trade as i64) | (self.deposit as i64) << 1 | (self.withdraw as i64) << 2
    }

    pub fn from_bits(bits: i64) -> Perms {
        Perms { trade: bits & 1 != 0, deposit: bits & 2 != 0, withdraw: bits & 4 != 0 }
    }
}

pub struct ApiKey {
    pub api_key: String,
    pub user: UserId,
    secret: Vec<u8>,
    pub perms: Perms,
    /// Empty: any address.
    pub ip_allow: Vec<IpAddr>,
}

impl ApiKey {
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    pub fn ip_allowed(&self, ip: IpAddr) -> bool {
        self.ip_allow.is_empty() || self.ip_allow.iter().any(|allowed| same_ip(*allowed, ip))
    }
}

fn same_ip(a: IpAddr, b: IpAddr) -> bool {
    let canon = |ip: IpAddr| match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    };
    canon(a) == canon(b)
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKey")
            .field("api_key", &self.api_key)
            .field("user", &self.user)
            .field("perms", &self.perms)
            .field("ip_allow", &self.ip_allow)
            .finish_non_exhaustive()
    }
}

/// The sealing key of secrets at rest.
#[derive(Clone)]
pub struct MasterKey(Key);

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("master key file {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("master key: {0}")]
    Malformed(String),
    #[error("sealed secret of key {0} does not open under this master key")]
    Unseal(String),
}

impl MasterKey {
    /// `TALAT_MASTER_KEY` (64 hex digits) if set, else `<dir>/master.key`, created (random,
    /// mode 0600) on first use.
    pub fn load_or_create(dir: &Path) -> Result<MasterKey, KeyError> {
        if let Ok(hex_key) = std::env::var("TALAT_MASTER_KEY") {
            return MasterKey::from_hex(hex_key.trim());
        }
        let path = dir.join("master.key");
        let io = |source| KeyError::Io { path: path.display().to_string(), source };
        match std::fs::read_to_string(&path) {
            Ok(text) => MasterKey::from_hex(text.trim()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; 32];
                getrandom::getrandom(&mut bytes).map_err(|e| KeyError::Malformed(e.to_string()))?;
                std::fs::create_dir_all(dir).map_err(io)?;
                write_private(&path, hex::encode(bytes).as_bytes()).map_err(io)?;
                Ok(MasterKey(*Key::from_slice(&bytes)))
            }
            Err(e) => Err(io(e)),
        }
    }

    pub fn from_hex(text: &str) -> Result<MasterKey, KeyError> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| KeyError::Malformed("expected 64 hex digits".into()))?;
        Ok(MasterKey(*Key::from_slice(&bytes)))
    }

    /// Seals `secret`, bound to its key id (associated data), under a fresh random nonce.
    pub fn seal(&self, api_key: &str, secret: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let mut nonce = [0u8; 12];
        getrandom::getrandom(&mut nonce).expect("the OS random source works");
        let cipher = ChaCha20Poly1305::new(&self.0);
        let payload = chacha20poly1305::aead::Payload { msg: secret, aad: api_key.as_bytes() };
        let sealed = cipher.encrypt(Nonce::from_slice(&nonce), payload).expect("encryption of a short secret cannot fail");
        (sealed, nonce.to_vec())
    }

    /// A 32-byte key for one `purpose` (e.g. the keyed hash of ID numbers), derived from the
    /// master key with HMAC-SHA-256, so it is stable across restarts and never the master key.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        use hmac::Mac;
        let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(self.0.as_slice()).expect("HMAC takes any key length");
        mac.update(b"talat-derive:");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    pub fn open(&self, api_key: &str, sealed: &[u8], nonce: &[u8]) -> Result<Vec<u8>, KeyError> {
        if nonce.len() != 12 {
            return Err(KeyError::Unseal(api_key.to_string()));
        }
        let cipher = ChaCha20Poly1305::new(&self.0);
        let payload = chacha20poly1305::aead::Payload { msg: sealed, aad: api_key.as_bytes() };
        cipher.decrypt(Nonce::from_slice(nonce), payload).map_err(|_| KeyError::Unseal(api_key.to_string()))
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// A fresh random key id and secret (64 lowercase hex digits each).
pub fn generate_credentials() -> (String, String) {
    let mut bytes = [0u8; 64];
    getrandom::getrandom(&mut bytes).expect("the OS random source works");
    (hex::encode(&bytes[..32]), hex::encode(&bytes[32..]))
}

/// Most keys one user may hold.
pub const KEYS_PER_USER_MAX: usize = 20;

/// Every active key, by id.
#[derive(Default)]
pub struct KeyRing {
    keys: RwLock<FxHashMap<String, Arc<ApiKey>>>,
}

impl KeyRing {
    pub fn get(&self, api_key: &str) -> Option<Arc<ApiKey>> {
        self.keys.read().get(api_key).cloned()
    }

    pub fn insert(&self, api_key: String, user: UserId, secret: Vec<u8>, perms: Perms, ip_allow: Vec<IpAddr>) {
        let key = Arc::new(ApiKey { api_key: api_key.clone(), user, secret, perms, ip_allow });
        self.keys.write().insert(api_key, key);
    }

    pub fn remove(&self, api_key: &str) -> bool {
        self.keys.write().remove(api_key).is_some()
    }

    pub fn count_of(&self, user: UserId) -> usize {
        self.keys.read().values().filter(|k| k.user == user).count()
    }

    pub fn len(&self) -> usize {
        self.keys.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_under_its_key_and_id() {
        let master = MasterKey::from_hex(&"11".repeat(32)).unwrap();
        let (sealed, nonce) = master.seal("key-a", b"s3cret");
        assert!(!sealed.windows(6).any(|w| w == b"s3cret"), "the secret is not stored in clear");
        assert_eq!(master.open("key-a", &sealed, &nonce).unwrap(), b"s3cret");
        assert!(master.open("key-b", &sealed, &nonce).is_err());
        let other = MasterKey::from_hex(&"22".repeat(32)).unwrap();
        assert!(other.open("key-a", &sealed, &nonce).is_err());
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let ring = KeyRing::default();
        ring.insert("id".into(), UserId(1), b"topsecret".to_vec(), Perms::ALL, vec![]);
        let text = format!("{:?}", ring.get("id").unwrap());
        assert!(!text.contains("topsecret"));
    }

    #[test]
    fn ip_allow_list_matches_v4_and_mapped_v6() {
        let ring = KeyRing::default();
        ring.insert("id".into(), UserId(1), vec![1], Perms::TRADE, vec!["127.0.0.1".parse().unwrap()]);
        let key = ring.get("id").unwrap();
        assert!(key.ip_allowed("127.0.0.1".parse().unwrap()));
        assert!(key.ip_allowed("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!key.ip_allowed("10.0.0.1".parse().unwrap()));
    }
}
