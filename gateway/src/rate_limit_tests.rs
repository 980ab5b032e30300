//! Tests of the web form's per-client limit and client address.

use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn limits_per_ip_within_the_window() {
    let limit = RateLimit::new(2, Duration::from_secs(60));
    assert!(limit.check(ip("10.0.0.1")).is_ok());
    assert!(limit.check(ip("10.0.0.1")).is_ok());
    let wait = limit.check(ip("10.0.0.1")).unwrap_err();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(
        limit.check(ip("10.0.0.2")).is_ok(),
        "another client is not affected"
    );
}

#[test]
fn an_ipv6_network_is_one_client() {
    let limit = RateLimit::new(1, Duration::from_secs(60));
    assert!(limit.check(ip("2001:db8:1:2::1")).is_ok());
    assert!(limit.check(ip("2001:db8:1:2:ffff::9")).is_err(), "same /64");
    assert!(limit.check(ip("2001:db8:1:3::1")).is_ok());
}

#[test]
fn a_spray_of_addresses_cannot_grow_the_store() {
    let limit = RateLimit::with_capacity(5, Duration::from_secs(3600), 1_000);
    for i in 0..5_000u32 {
        let _ = limit.check(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)));
    }
    assert!(limit.clients() <= 1_000, "{} clients kept", limit.clients());
}

fn forwarded(value: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("x-forwarded-for", value.parse().unwrap());
    headers
}

#[test]
fn forwarded_for_counts_only_from_trusted_proxies() {
    let proxies = parse_networks("10.0.0.0/8, 192.168.1.1").unwrap();
    let from_proxy: SocketAddr = "10.0.0.1:5000".parse().unwrap();
    let from_internet: SocketAddr = "198.51.100.9:5000".parse().unwrap();
    let headers = forwarded("203.0.113.7, 10.0.0.2");
    assert_eq!(
        client_ip(&headers, Some(from_proxy), &proxies),
        ip("203.0.113.7")
    );
    // Anyone may send the header; only a proxy's copy is believed.
    assert_eq!(
        client_ip(&headers, Some(from_internet), &proxies),
        ip("198.51.100.9")
    );
    assert_eq!(client_ip(&headers, Some(from_proxy), &[]), ip("10.0.0.1"));
    // A client that prepends a fake hop is still itself: the chain is read
    // from the right, where our proxy wrote what it saw.
    let spoofed = forwarded("1.1.1.1, garbage, 203.0.113.7");
    assert_eq!(
        client_ip(&spoofed, Some(from_proxy), &proxies),
        ip("203.0.113.7")
    );
    assert!(parse_networks("10.0.0.0/33").is_err());
}
