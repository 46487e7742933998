//! The SSRF guard: callbacks go to addresses a caller chose, so the connector refuses, at connect
//! time, every address that is not on the public internet (loopback, private, link-local — cloud
//! metadata lives at 169.254.169.254 —, CGNAT, documentation, multicast, …) unless the operator
//! allowlisted its network in `SLUICE_CALLBACK_ALLOW_NETWORKS`.
//!
//! The check runs on the addresses a host name resolves to, right before connecting, so a name
//! that resolves (or is rebound) to 127.0.0.1 is refused like the literal. `HttpConnector` skips
//! its resolver for IP-literal hosts, so [`GuardedConnector`] checks those itself.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll};

use http::Uri;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::rt::TokioIo;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use tokio::net::TcpStream;
use tower_service::Service;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send>>;

use crate::config::callbacks::ALLOW_VARIABLE;

/// A network callbacks are refused to, and what it is.
struct Blocked {
    net: IpNet,
    what: &'static str,
}

/// Every special-purpose range that is not the public internet (IANA's IPv4 and IPv6
/// special-purpose registries), most specific first so a refusal names the narrowest range.
static BLOCKED: LazyLock<Vec<Blocked>> = LazyLock::new(|| {
    let v4 = |a, b, c, d, len, what| Blocked {
        net: IpNet::V4(Ipv4Net::new(Ipv4Addr::new(a, b, c, d), len).expect("a valid prefix")),
        what,
    };
    let v6 = |addr: &str, len, what| Blocked {
        net: IpNet::V6(
            Ipv6Net::new(addr.parse::<Ipv6Addr>().expect("a valid address"), len)
                .expect("a valid prefix"),
        ),
        what,
    };
    vec![
        v4(255, 255, 255, 255, 32, "broadcast"),
        v4(
            0,
            0,
            0,
            0,
            8,
            "\"this network\", including the unspecified address",
        ),
        v4(10, 0, 0, 0, 8, "private network (RFC 1918)"),
        v4(
            100,
            64,
            0,
            0,
            10,
            "carrier-grade NAT shared space (RFC 6598)",
        ),
        v4(127, 0, 0, 0, 8, "loopback"),
        v4(
            169,
            254,
            0,
            0,
            16,
            "link-local, where cloud metadata services answer",
        ),
        v4(172, 16, 0, 0, 12, "private network (RFC 1918)"),
        v4(192, 0, 0, 0, 24, "IETF protocol assignments"),
        v4(192, 0, 2, 0, 24, "documentation (TEST-NET-1)"),
        v4(192, 88, 99, 0, 24, "6to4 relay anycast"),
        v4(192, 168, 0, 0, 16, "private network (RFC 1918)"),
        v4(198, 18, 0, 0, 15, "benchmarking"),
        v4(198, 51, 100, 0, 24, "documentation (TEST-NET-2)"),
        v4(203, 0, 113, 0, 24, "documentation (TEST-NET-3)"),
        v4(224, 0, 0, 0, 4, "multicast"),
        v4(240, 0, 0, 0, 4, "reserved"),
        v6("::", 128, "the unspecified address"),
        v6("::1", 128, "loopback"),
        v6("::", 96, "IPv4-compatible (deprecated)"),
        v6("64:ff9b:1::", 48, "local-use NAT64"),
        v6("100::", 64, "discard-only"),
        v6("2001:db8::", 32, "documentation"),
        v6("2001::", 23, "IETF protocol assignments, including Teredo"),
        v6("2002::", 16, "6to4"),
        v6("3fff::", 20, "documentation"),
        v6("fc00::", 7, "unique local (private) network"),
        v6("fe80::", 10, "link-local"),
        v6("fec0::", 10, "site-local (deprecated)"),
        v6("ff00::", 8, "multicast"),
    ]
});

/// The well-known NAT64 prefix: its addresses stand for the IPv4 address in their last 32 bits.
const NAT64: Ipv6Net = Ipv6Net::new_assert(Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96);

/// One refused address and why.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RefusedAddr {
    addr: IpAddr,
    /// The IPv4 address it stands for, when it is an IPv4-mapped or NAT64 IPv6 address.
    stands_for: Option<Ipv4Addr>,
    range: IpNet,
    what: &'static str,
}

impl RefusedAddr {
    /// The allowlist entry that would let exactly this address through.
    fn allow_entry(&self) -> String {
        match self.stands_for {
            Some(v4) => format!("{v4}/32"),
            None => IpNet::from(self.addr).to_string(),
        }
    }
}

impl std::fmt::Display for RefusedAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (", self.addr)?;
        if let Some(v4) = self.stands_for {
            write!(f, "standing for {v4}, ")?;
        }
        write!(f, "in {}, {})", self.range, self.what)
    }
}

/// A callback target the guard refused: every address of its host is in a refused range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    host: String,
    literal: bool,
    addrs: Vec<RefusedAddr>,
}

impl Refused {
    /// The host as the URL names it.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The refused addresses.
    pub fn addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.addrs.iter().map(|a| a.addr)
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let listed: Vec<String> = self.addrs.iter().map(ToString::to_string).collect();
        let mut entries: Vec<String> = Vec::new();
        for entry in self.addrs.iter().map(RefusedAddr::allow_entry) {
            if !entries.contains(&entry) {
                entries.push(entry);
            }
        }
        if self.literal {
            write!(f, "callback address {}", listed.join(", "))?;
        } else {
            write!(
                f,
                "callback host {} resolves only to {}",
                self.host,
                listed.join(" and ")
            )?;
        }
        write!(
            f,
            ", which sluice does not call back unless the network is allowlisted; to allow it, \
             set {ALLOW_VARIABLE}={} (comma-separated CIDRs)",
            entries.join(",")
        )
    }
}

impl std::error::Error for Refused {}

/// Decides which addresses callbacks may connect to.
#[derive(Debug, Clone, Default)]
pub(super) struct Guard {
    allow: Vec<IpNet>,
}

impl Guard {
    pub(super) fn new(allow: Vec<IpNet>) -> Self {
        Self { allow }
    }

    /// Why `addr` is refused, or `None` when callbacks may go there.
    fn refusal(&self, addr: IpAddr) -> Option<RefusedAddr> {
        let canonical = addr.to_canonical();
        let stands_for = match (addr, canonical) {
            (IpAddr::V6(_), IpAddr::V4(v4)) => Some(v4),
            (IpAddr::V6(v6), _) if NAT64.contains(&v6) => {
                Some(Ipv4Addr::from_bits(v6.to_bits() as u32))
            }
            _ => None,
        };
        let checked = stands_for.map_or(canonical, IpAddr::V4);
        if self
            .allow
            .iter()
            .any(|net| net.contains(&addr) || net.contains(&checked))
        {
            return None;
        }
        BLOCKED
            .iter()
            .find(|b| b.net.contains(&checked))
            .map(|b| RefusedAddr {
                addr,
                stands_for,
                range: b.net,
                what: b.what,
            })
    }

    /// The addresses of `host` callbacks may connect to; an error when there are none.
    fn filter(
        &self,
        host: &str,
        literal: bool,
        addrs: impl IntoIterator<Item = SocketAddr>,
    ) -> Result<Vec<SocketAddr>, Refused> {
        let mut allowed = Vec::new();
        let mut refused = Vec::new();
        for addr in addrs {
            match self.refusal(addr.ip()) {
                None => allowed.push(addr),
                Some(r) if !refused.contains(&r) => refused.push(r),
                Some(_) => {}
            }
        }
        if allowed.is_empty() && !refused.is_empty() {
            return Err(Refused {
                host: host.to_owned(),
                literal,
                addrs: refused,
            });
        }
        if !refused.is_empty() {
            tracing::debug!(
                host,
                refused = refused.len(),
                "callback host has refused addresses; using the others"
            );
        }
        Ok(allowed)
    }

    /// Refuses `uri` now when its host is an IP literal in a refused range (`HttpConnector`
    /// connects to literals without asking the resolver).
    pub(super) fn check_literal(&self, uri: &Uri) -> Result<(), Refused> {
        let Some(host) = uri.host() else {
            return Ok(());
        };
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<IpAddr>() {
            Ok(ip) => self
                .filter(host, true, [SocketAddr::new(ip, 0)])
                .map(|_| ()),
            Err(_) => Ok(()),
        }
    }
}

/// A resolver that drops refused addresses, and fails when none is left.
#[derive(Debug, Clone)]
pub(super) struct GuardedResolver {
    guard: Arc<Guard>,
}

impl Service<Name> for GuardedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = BoxError;
    type Future = BoxFuture<Self::Response>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let guard = self.guard.clone();
        Box::pin(async move {
            let host = name.as_str();
            // Port 0: HttpConnector puts the URL's port on every address it gets back.
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await?.collect();
            if resolved.is_empty() {
                return Err(format!("{host} resolves to no address").into());
            }
            Ok(guard.filter(host, false, resolved)?.into_iter())
        })
    }
}

/// `HttpConnector` over the [`GuardedResolver`], plus the check of IP-literal hosts.
#[derive(Debug, Clone)]
pub(super) struct GuardedConnector {
    http: HttpConnector<GuardedResolver>,
    guard: Arc<Guard>,
}

impl GuardedConnector {
    pub(super) fn new(guard: Arc<Guard>) -> Self {
        let mut http = HttpConnector::new_with_resolver(GuardedResolver {
            guard: guard.clone(),
        });
        // https URLs pass through here too, on their way to the TLS layer.
        http.enforce_http(false);
        http.set_nodelay(true);
        Self { http, guard }
    }
}

impl Service<Uri> for GuardedConnector {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = BoxFuture<Self::Response>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        if let Err(refused) = self.guard.check_literal(&uri) {
            return Box::pin(std::future::ready(Err(refused.into())));
        }
        let connecting = self.http.call(uri);
        Box::pin(async move { connecting.await.map_err(Into::into) })
    }
}

/// The [`Refused`] somewhere in `error`'s chain of sources, if the guard caused it.
pub(super) fn find_refused<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a Refused> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused);
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::callbacks::parse_allow_networks;

    fn refusal(guard: &Guard, addr: &str) -> Option<String> {
        guard
            .refusal(addr.parse().unwrap())
            .map(|r| format!("{} {}", r.range, r.what))
    }

    #[test]
    fn refuses_every_non_public_range_and_names_it() {
        let guard = Guard::default();
        for (addr, range) in [
            ("127.0.0.1", "127.0.0.0/8 loopback"),
            ("10.1.2.3", "10.0.0.0/8 private"),
            ("172.31.255.255", "172.16.0.0/12 private"),
            ("192.168.1.1", "192.168.0.0/16 private"),
            ("169.254.169.254", "169.254.0.0/16 link-local"),
            ("100.64.0.1", "100.64.0.0/10 carrier-grade NAT"),
            ("0.0.0.0", "0.0.0.0/8 \"this network\""),
            ("0.1.2.3", "0.0.0.0/8"),
            ("255.255.255.255", "255.255.255.255/32 broadcast"),
            ("224.0.0.251", "224.0.0.0/4 multicast"),
            ("192.0.2.10", "192.0.2.0/24 documentation"),
            ("198.51.100.1", "198.51.100.0/24 documentation"),
            ("203.0.113.9", "203.0.113.0/24 documentation"),
            ("198.18.0.1", "198.18.0.0/15 benchmarking"),
            ("::", "::/128 the unspecified"),
            ("::1", "::1/128 loopback"),
            ("fe80::1", "fe80::/10 link-local"),
            ("fd12:3456::1", "fc00::/7 unique local"),
            ("ff02::1", "ff00::/8 multicast"),
            ("2001:db8::1", "2001:db8::/32 documentation"),
            ("::ffff:127.0.0.1", "127.0.0.0/8 loopback"),
            ("::ffff:169.254.169.254", "169.254.0.0/16 link-local"),
            ("64:ff9b::a00:1", "10.0.0.0/8 private"),
        ] {
            let why = refusal(&guard, addr).unwrap_or_else(|| panic!("{addr} must be refused"));
            assert!(why.starts_with(range), "{addr}: {why}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        let guard = Guard::default();
        for addr in [
            "93.184.215.14",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert_eq!(refusal(&guard, addr), None, "{addr}");
        }
    }

    #[test]
    fn the_allowlist_wins_also_for_mapped_addresses() {
        let guard = Guard::new(parse_allow_networks("127.0.0.1/32, 10.0.0.0/8").unwrap());
        for addr in ["127.0.0.1", "::ffff:127.0.0.1", "10.9.8.7"] {
            assert_eq!(refusal(&guard, addr), None, "{addr}");
        }
        assert!(refusal(&guard, "127.0.0.2").is_some());
        assert!(refusal(&guard, "::1").is_some());
    }

    #[test]
    fn a_host_with_one_allowed_address_keeps_only_that_one() {
        let guard = Guard::default();
        let addrs = ["127.0.0.1:443", "93.184.215.14:443"].map(|a| a.parse().unwrap());
        assert_eq!(
            guard.filter("example.test", false, addrs).unwrap(),
            vec!["93.184.215.14:443".parse::<SocketAddr>().unwrap()]
        );
    }

    #[test]
    fn a_refusal_says_where_and_how_to_allow_it() {
        let guard = Guard::default();
        let addrs = ["127.0.0.1:80", "[::1]:80"].map(|a| a.parse().unwrap());
        let message = guard
            .filter("localhost", false, addrs)
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "callback host localhost resolves only to 127.0.0.1 (in 127.0.0.0/8, loopback) and \
             ::1 (in ::1/128, loopback), which sluice does not call back unless the network is \
             allowlisted; to allow it, set SLUICE_CALLBACK_ALLOW_NETWORKS=127.0.0.1/32,::1/128 \
             (comma-separated CIDRs)"
        );
        let mapped = guard
            .check_literal(&"http://[::ffff:127.0.0.1]:8080/x".parse().unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            mapped.starts_with(
                "callback address ::ffff:127.0.0.1 (standing for 127.0.0.1, in 127.0.0.0/8, \
                 loopback), which"
            ),
            "{mapped}"
        );
        assert!(mapped.contains("SLUICE_CALLBACK_ALLOW_NETWORKS=127.0.0.1/32"));
    }

    #[test]
    fn bad_allowlist_entries_are_named() {
        assert_eq!(
            parse_allow_networks("10.0.0.0/8,,::1").unwrap(),
            vec![
                "10.0.0.0/8".parse::<IpNet>().unwrap(),
                "::1/128".parse().unwrap()
            ]
        );
        let message = parse_allow_networks("10.0.0.0/8, 10.0.0.0/33").unwrap_err();
        assert!(
            message.starts_with("SLUICE_CALLBACK_ALLOW_NETWORKS: `10.0.0.0/33` is not a network"),
            "{message}"
        );
    }
}
