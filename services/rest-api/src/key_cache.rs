//! [`KeyCache`]: API keys verified in the last seconds, so that a busy
//! client does not cost a database query per request.

use crate::caller::Caller;

/// Keys verified recently, so that a busy client does not cost a database
/// query per request. Entries live a few seconds: a key revoked through this
/// instance stops working at once, through another within that time.
pub struct KeyCache {
    entries: parking_lot::Mutex<std::collections::HashMap<String, (Caller, std::time::Instant)>>,
}

/// How long a verified key is trusted without asking the database.
const KEY_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);
/// Most keys remembered.
const KEY_CACHE_SIZE: usize = 10_000;

impl Default for KeyCache {
    fn default() -> Self {
        Self {
            entries: parking_lot::Mutex::new(std::collections::HashMap::new()),
        }
    }
}

impl KeyCache {
    /// The caller behind `presented`, if it was verified in the last seconds.
    pub(crate) fn get(&self, presented: &str) -> Option<Caller> {
        let entries = self.entries.lock();
        let (caller, at) = entries.get(presented)?;
        (at.elapsed() < KEY_CACHE_TTL).then(|| caller.clone())
    }

    /// Remembers that `presented` was verified as `caller`.
    pub(crate) fn put(&self, presented: &str, caller: Caller) {
        let mut entries = self.entries.lock();
        if entries.len() >= KEY_CACHE_SIZE {
            entries.retain(|_, (_, at)| at.elapsed() < KEY_CACHE_TTL);
            if entries.len() >= KEY_CACHE_SIZE {
                entries.clear();
            }
        }
        entries.insert(presented.to_owned(), (caller, std::time::Instant::now()));
    }

    /// Drops a key (by id) at once, e.g. when it is revoked.
    pub fn forget(&self, id: &str) {
        self.entries.lock().retain(
            |_, (caller, _)| !matches!(caller, Caller::Key { id: cached, .. } if cached == id),
        );
    }
}
