//! IP address canonicalization for `hashIp` / `encryptIp`, as Java's
//! `InetAddress.getByName(ip).getHostAddress()` prints literals: IPv4 as a dotted quad, IPv6 as
//! eight lowercase hex groups without leading zeros and without `::` compression, and
//! IPv4-mapped IPv6 (`::ffff:a.b.c.d`) as the IPv4 address.

use std::net::Ipv6Addr;

/// The canonical text of `ip`, or `None` when it is not an IP address literal.
///
/// IPv4 candidates are four dot-separated groups of 1–3 decimal digits, each ≤ 255 (leading
/// zeros read as decimal, as older JDKs do). IPv6 candidates consist of hex digits, `:` and `.`
/// only, and must contain a `:`. Unlike Java, no string is ever resolved through DNS: a
/// hex-only string such as `cafe` is not an address here (Java would look it up as a host name).
pub(crate) fn canonical_ip(ip: &str) -> Option<String> {
    if let Some(octets) = parse_ipv4(ip) {
        return Some(dotted(octets));
    }
    if ip.is_empty()
        || !ip
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        || !ip.contains(':')
    {
        return None;
    }
    let addr: Ipv6Addr = ip.parse().ok()?;
    if let Some(v4) = addr.to_ipv4_mapped() {
        return Some(dotted(v4.octets()));
    }
    let groups: Vec<String> = addr.segments().iter().map(|s| format!("{s:x}")).collect();
    Some(groups.join(":"))
}

fn dotted(o: [u8; 4]) -> String {
    format!("{}.{}.{}.{}", o[0], o[1], o[2], o[3])
}

/// `^([0-9]{1,3}\.){3}[0-9]{1,3}$` with every group ≤ 255.
fn parse_ipv4(ip: &str) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut parts = ip.split('.');
    for slot in &mut out {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = part
            .parse::<u16>()
            .ok()
            .and_then(|v| u8::try_from(v).ok())?;
    }
    parts.next().is_none().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        for (input, canon) in [
            ("123.234.252.12", Some("123.234.252.12")),
            ("010.0.0.1", Some("10.0.0.1")),
            ("256.0.0.1", None),
            ("1.2.3", None),
            ("2001:0db8::1", Some("2001:db8:0:0:0:0:0:1")),
            ("2001:DB8:0:0:0:0:2:1", Some("2001:db8:0:0:0:0:2:1")),
            ("::1", Some("0:0:0:0:0:0:0:1")),
            ("::", Some("0:0:0:0:0:0:0:0")),
            ("0:0:0:0:0:ffff:c000:0280", Some("192.0.2.128")),
            ("::ffff:192.0.2.128", Some("192.0.2.128")),
            ("::192.0.2.128", Some("0:0:0:0:0:0:c000:280")),
            ("not an ip", None),
            ("cafe", None),
            ("1:2:3", None),
            ("fe80::1%eth0", None),
            ("", None),
        ] {
            assert_eq!(canonical_ip(input).as_deref(), canon, "{input}");
        }
    }
}
