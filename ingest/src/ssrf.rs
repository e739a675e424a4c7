//! SSRF guard: the fetcher follows URLs written by strangers (feeds, redirects),
//! so by default it refuses to connect to addresses inside the network it
//! runs in: loopback, private, link-local (which includes the cloud metadata
//! address 169.254.169.254), unique-local, CGNAT, multicast and unspecified.
//!
//! Design note: the check runs where the address is known for certain.
//! - Host names are checked *after* DNS resolution, in [`GuardedResolver`]
//!   (reqwest's pluggable resolver): addresses that fail the check are
//!   dropped, and a name left with none is an error. So a public name that
//!   resolves to 127.0.0.1 is refused, and there is no second lookup an
//!   attacker could rebind between the check and the connect.
//! - IP literals never reach a resolver: [`HostPolicy::check_url`] checks
//!   them before the first request and, through the client's redirect
//!   policy, before every redirect hop.
//!
//! The allow-list (`fetcher.allow_hosts`, `--allow-host`) names hosts
//! (`intranet.example`, `127.0.0.1`, `[::1]`) or host:port pairs
//! (`127.0.0.1:8080`) that are let through anyway: for tests and intranets.
//! A proxy configured through the environment resolves names itself; the
//! guard then only sees IP literals.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why a URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Blocked {
    #[error("refused {url:?}: only http and https are fetched")]
    Scheme { url: String },
    #[error("refused {host}: {ip} is not a public address (add it to fetcher.allow_hosts to allow it)")]
    Address { host: String, ip: IpAddr },
    #[error("refused {host}: it resolves only to non-public addresses (add it to fetcher.allow_hosts to allow it)")]
    Resolved { host: String },
    #[error("refused {host}:{port}: allow-listed on other ports only")]
    Port { host: String, port: u16 },
}

/// Whether `ip` is outside the public internet (and so refused by default).
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal_v4(v4);
            }
            let seg0 = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg0 & 0xfe00) == 0xfc00 // unique local fc00::/7 (fd00:ec2::254 is AWS metadata)
                || (seg0 & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (seg0 & 0xffc0) == 0xfec0 // deprecated site-local
                || v6 == Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 1)
                // IPv4-compatible ::a.b.c.d and NAT64 64:ff9b::/96 wrapping an internal v4
                || (v6.segments()[..6] == [0, 0, 0, 0, 0, 0] && is_internal_v4(embedded_v4(v6)))
                || (v6.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0] && is_internal_v4(embedded_v4(v6)))
        }
    }
}

fn embedded_v4(v6: Ipv6Addr) -> Ipv4Addr {
    let o = v6.octets();
    Ipv4Addr::new(o[12], o[13], o[14], o[15])
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254/16: includes the metadata address 169.254.169.254
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64/10
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

/// The allow-list and the checks built on it.
#[derive(Debug, Clone, Default)]
pub struct HostPolicy {
    /// (lowercase host without brackets, optional port)
    allow: Vec<(String, Option<u16>)>,
}

impl HostPolicy {
    pub fn new<S: AsRef<str>>(allow_hosts: &[S]) -> Self {
        let allow = allow_hosts.iter().filter_map(|h| parse_entry(h.as_ref())).collect();
        Self { allow }
    }

    fn host_listed(&self, host: &str) -> bool {
        self.allow.iter().any(|(h, _)| h == host)
    }

    fn allowed(&self, host: &str, port: u16) -> bool {
        self.allow.iter().any(|(h, p)| h == host && p.is_none_or(|p| p == port))
    }

    /// Check a URL before requesting it (and before following a redirect to
    /// it). Host names pass here and are checked again after resolution.
    pub fn check_url(&self, url: &url::Url) -> Result<(), Blocked> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Blocked::Scheme { url: url.to_string() });
        }
        let port = url.port_or_known_default().unwrap_or(0);
        let (host, ip) = match url.host() {
            Some(url::Host::Ipv4(ip)) => (ip.to_string(), Some(IpAddr::V4(ip))),
            Some(url::Host::Ipv6(ip)) => (ip.to_string(), Some(IpAddr::V6(ip))),
            Some(url::Host::Domain(d)) => (d.trim_end_matches('.').to_ascii_lowercase(), None),
            None => return Err(Blocked::Scheme { url: url.to_string() }),
        };
        if self.allowed(&host, port) {
            return Ok(());
        }
        if self.host_listed(&host) {
            return Err(Blocked::Port { host, port });
        }
        match ip {
            Some(ip) if is_internal(ip) => Err(Blocked::Address { host, ip }),
            _ => Ok(()),
        }
    }

    /// Filter resolved addresses of `host`: all of them when the host is
    /// allow-listed (its port was checked by [`Self::check_url`]), else the
    /// public ones; an error when none is left.
    pub fn filter_resolved(&self, host: &str, addrs: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, Blocked> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if self.host_listed(&host) {
            return Ok(addrs);
        }
        let public: Vec<_> = addrs.into_iter().filter(|a| !is_internal(a.ip())).collect();
        if public.is_empty() { Err(Blocked::Resolved { host }) } else { Ok(public) }
    }
}

/// Whether an allow-list entry is a host or host:port.
pub fn is_valid_entry(entry: &str) -> bool {
    parse_entry(entry).is_some()
}

fn parse_entry(entry: &str) -> Option<(String, Option<u16>)> {
    let e = entry.trim().to_ascii_lowercase();
    if e.is_empty() {
        return None;
    }
    // A bare IPv6 address ("::1") has colons but no port.
    if let Ok(ip) = e.parse::<Ipv6Addr>() {
        return Some((ip.to_string(), None));
    }
    // Parse as the authority of a URL: handles "[::1]:8080", "host:80", "host".
    let u = url::Url::parse(&format!("http://{e}/")).ok()?;
    let host = match u.host()? {
        url::Host::Ipv6(ip) => ip.to_string(),
        h => h.to_string().trim_end_matches('.').to_owned(),
    };
    let has_port = e.rsplit_once(':').is_some_and(|(_, p)| p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty());
    let port = if has_port { Some(u.port_or_known_default()?) } else { None };
    Some((host, port))
}

/// reqwest DNS resolver that drops non-public addresses unless allowed.
pub struct GuardedResolver {
    policy: Arc<HostPolicy>,
}

impl GuardedResolver {
    pub fn new(policy: Arc<HostPolicy>) -> Self {
        Self { policy }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept = policy.filter_resolved(&host, addrs)?;
            let addrs: Addrs = Box::new(kept.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    #[test]
    fn internal_addresses_are_recognized() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn literals_are_refused_unless_allowed() {
        let p = HostPolicy::default();
        assert!(matches!(p.check_url(&url("http://127.0.0.1:8080/")), Err(Blocked::Address { .. })));
        assert!(matches!(p.check_url(&url("http://[::1]/")), Err(Blocked::Address { .. })));
        assert!(matches!(p.check_url(&url("http://169.254.169.254/latest/meta-data/")), Err(Blocked::Address { .. })));
        // Decimal and hex forms are normalized by the URL parser.
        assert!(p.check_url(&url("http://2130706433/")).is_err());
        assert!(p.check_url(&url("http://0x7f.1/")).is_err());
        assert!(matches!(p.check_url(&url("file:///etc/passwd")), Err(Blocked::Scheme { .. })));
        assert!(p.check_url(&url("https://example.com/")).is_ok());

        let p = HostPolicy::new(&["127.0.0.1", "[::1]:8080", "Intranet.Example:81"]);
        assert!(p.check_url(&url("http://127.0.0.1:9999/")).is_ok());
        assert!(p.check_url(&url("http://[::1]:8080/")).is_ok());
        assert!(matches!(p.check_url(&url("http://[::1]:8081/")), Err(Blocked::Port { .. })));
        assert!(p.check_url(&url("http://intranet.example:81/")).is_ok());
        assert!(p.check_url(&url("http://intranet.example/")).is_err());
        assert!(p.check_url(&url("http://10.0.0.1/")).is_err());
    }

    #[test]
    fn resolved_addresses_are_filtered() {
        let p = HostPolicy::new(&["intranet.example"]);
        let lo: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let public: SocketAddr = "8.8.8.8:0".parse().unwrap();
        assert_eq!(p.filter_resolved("evil.example", vec![lo]), Err(Blocked::Resolved { host: "evil.example".into() }));
        assert_eq!(p.filter_resolved("mixed.example", vec![lo, public]).unwrap(), vec![public]);
        assert_eq!(p.filter_resolved("intranet.example", vec![lo]).unwrap(), vec![lo]);
    }
}
