//! Names for running instances (bridge replicas, gateways), unique enough to
//! tell them apart in Redis and readable enough to find in logs.

/// `{host}-{pid}-{random}`, unless `configured` is given.
pub fn instance_id(configured: Option<&str>) -> String {
    if let Some(id) = configured.filter(|id| !id.is_empty()) {
        return id.to_owned();
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "host".to_owned());
    let random: u16 = std::process::id() as u16
        ^ (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos()) as u16);
    format!("{host}-{}-{random:04x}", std::process::id())
}
