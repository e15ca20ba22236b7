//! What the load examples share: reading numbers from the environment, peak RSS, percentiles.

/// `key` from the environment as a number, or `default`.
pub fn number<T: std::str::FromStr>(key: &str, default: &str) -> T {
    std::env::var(key)
        .unwrap_or_else(|_| default.to_owned())
        .parse()
        .unwrap_or_else(|_| panic!("{key} must be a number"))
}

/// Peak resident set size of process `pid` ("self" for this one) in MB (Linux; 0 elsewhere).
pub fn peak_rss_mb(pid: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

/// Nearest-rank percentile `p` of `sorted`.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    // The cast is of a small index.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}
