//! A per-client limit for the public web form: at most `limit` submissions
//! per `window` (GCRA, so bursts of `limit` then a steady trickle), in
//! memory per gateway replica (with N replicas a client gets at most N ×
//! limit). The store is bounded: idle clients are forgotten, and past
//! [`MAX_CLIENTS`] active ones new clients wait instead of growing it.
//!
//! The client is the peer address, or the `X-Forwarded-For` hop our own
//! proxies saw when the peer is one of them (anyone else can write that
//! header). IPv6 clients count per /64: one host usually holds the network.

use axum::http::HeaderMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Clients tracked at once (≈ 100 bytes each).
pub const MAX_CLIENTS: usize = 100_000;
/// A full store is swept for idle clients at most this often.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

pub struct RateLimit {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
    window: Duration,
    capacity: usize,
    last_sweep: Mutex<Instant>,
}

impl RateLimit {
    pub fn new(limit: usize, window: Duration) -> Self {
        Self::with_capacity(limit, window, MAX_CLIENTS)
    }

    pub fn with_capacity(limit: usize, window: Duration, capacity: usize) -> Self {
        let burst =
            NonZeroU32::new(u32::try_from(limit).unwrap_or(u32::MAX)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(window / burst.get())
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
            .allow_burst(burst);
        Self {
            limiter: DefaultKeyedRateLimiter::keyed(quota),
            clock: DefaultClock::default(),
            window,
            capacity,
            last_sweep: Mutex::new(Instant::now()),
        }
    }

    /// Counts one request from `ip`; `Err(seconds)` to wait when over.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        let key = client_key(ip);
        if self.limiter.len() >= self.capacity && !self.sweep() {
            // Full of active clients (a spray of addresses): new ones wait.
            return Err(self.window.as_secs().max(1));
        }
        self.limiter
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()).as_secs().max(1))
    }

    /// Forgets idle clients (at most once per [`SWEEP_EVERY`]); whether
    /// there is room now.
    fn sweep(&self) -> bool {
        let mut last = self.last_sweep.lock().unwrap_or_else(|e| e.into_inner());
        if last.elapsed() >= SWEEP_EVERY {
            *last = Instant::now();
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter.len() < self.capacity
    }

    pub fn clients(&self) -> usize {
        self.limiter.len()
    }
}

/// The key a client counts under: its IPv4 address, or its IPv6 /64.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !(u64::MAX as u128))),
        },
    }
}

/// Parses `STEWARD_GATEWAY__TRUSTED_PROXIES`: CIDRs or addresses, comma-separated.
pub fn parse_networks(list: &str) -> Result<Vec<IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{s:?} is not an address or CIDR network"))
        })
        .collect()
}

/// The client's address. `X-Forwarded-For` counts only when the peer is a
/// trusted proxy; then the chain is read from the right, past every trusted
/// hop, and the first address a trusted proxy did not add is the client
/// (the left end is whatever the client chose to send).
pub fn client_ip(headers: &HeaderMap, peer: Option<SocketAddr>, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |p| p.ip());
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        // Past the first hop that is not an address, nothing is ours.
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
#[path = "rate_limit_tests.rs"]
mod tests;
