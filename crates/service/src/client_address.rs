//! The client behind a request: its address as seen through the proxies
//! the operator trusts, and the key per-address limits count it by. Every
//! service that limits per address (ws-gateway, rest-api) asks here.

use std::net::IpAddr;
use std::str::FromStr;

/// What per-address limits count by: an IPv4 address as it is, an IPv6
/// address by its /64 (one host usually holds a whole /64), an
/// IPv4-mapped IPv6 address as the IPv4 one.
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::V6(segments.into())
        }
        v4 => v4,
    }
}

/// An address range (`10.0.0.0/8`, `::1/128`, or one address), for
/// `--trusted-proxy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `ip` is in the range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let bits = |ip: IpAddr| -> (u128, u8) {
            match ip.to_canonical() {
                IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
                IpAddr::V6(v6) => (u128::from(v6), 128),
            }
        };
        let ((network, width), (address, other)) = (bits(self.network), bits(ip));
        if width != other {
            return false;
        }
        let shift = u32::from(width - self.prefix.min(width));
        let mask = u128::MAX.checked_shl(shift).unwrap_or(0);
        network & mask == address & mask
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{text:?} is not an address or range like 10.0.0.0/8 or fd00::/8");
        let (address, prefix) = text.trim().split_once('/').unwrap_or((text.trim(), ""));
        let network: IpAddr = address.parse().map_err(|_| bad())?;
        let width = if network.to_canonical().is_ipv4() {
            32
        } else {
            128
        };
        let prefix = if prefix.is_empty() {
            width
        } else {
            prefix
                .parse()
                .ok()
                .filter(|p| *p <= width)
                .ok_or_else(bad)?
        };
        Ok(Cidr { network, prefix })
    }
}

/// `--trusted-proxy`: the load balancers whose `X-Forwarded-For` names the
/// client, one option for every service that limits per address.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ProxyArgs {
    /// Load balancers whose `X-Forwarded-For` names the client (addresses
    /// or ranges, comma-separated: `10.0.0.0/8,fd00::/8`). Per-address
    /// limits then count the address the proxy adds. Without this, every
    /// client behind a proxy shares the proxy's address and allowance.
    #[arg(
        long = "trusted-proxy",
        env = "ASYNCHRONIO_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<Cidr>,
}

/// The client's address: the TCP peer, or, when the peer is a trusted
/// proxy, the last address of its `X-Forwarded-For` header lines (the one
/// that proxy added: a proxy appends, so everything before it is whatever
/// the client claimed). Give every line of the header, in order: a client
/// may send its own line, and a proxy such as haproxy adds another after it.
pub fn client_address<'a>(
    peer: IpAddr,
    forwarded_for: impl IntoIterator<Item = &'a str>,
    trusted: &[Cidr],
) -> IpAddr {
    if !is_trusted(peer, trusted) {
        return peer;
    }
    forwarded_for
        .into_iter()
        .last()
        .and_then(|line| line.rsplit(',').next())
        .and_then(|last| last.trim().parse().ok())
        .unwrap_or(peer)
}

/// Whether `peer` is one of the `trusted` proxies.
pub fn is_trusted(peer: IpAddr, trusted: &[Cidr]) -> bool {
    trusted.iter().any(|range| range.contains(peer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_ranges() {
        let v6: IpAddr = "2001:db8:1:2:3:4:5:6".parse().expect("ip");
        assert_eq!(
            address_key(v6),
            "2001:db8:1:2::".parse::<IpAddr>().expect("ip")
        );
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().expect("ip");
        assert_eq!(address_key(mapped), IpAddr::from([10, 1, 2, 3]));
        let range: Cidr = "10.0.0.0/8".parse().expect("cidr");
        assert!(range.contains([10, 9, 8, 7].into()));
        assert!(range.contains(mapped));
        assert!(!range.contains([11, 0, 0, 1].into()));
        assert!(!range.contains(v6));
        let one: Cidr = "127.0.0.1".parse().expect("cidr");
        assert!(one.contains([127, 0, 0, 1].into()));
        assert!(!one.contains([127, 0, 0, 2].into()));
        let all: Cidr = "::/0".parse().expect("cidr");
        assert!(all.contains(v6));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("example".parse::<Cidr>().is_err());
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.5".parse().expect("ip");
        let trusted: Vec<Cidr> = vec!["10.0.0.0/8".parse().expect("cidr")];
        let header = ["6.6.6.6, 203.0.113.7"];
        let client: IpAddr = "203.0.113.7".parse().expect("ip");
        assert_eq!(client_address(proxy, header, &trusted), client);
        assert_eq!(client_address(proxy, ["junk"], &trusted), proxy);
        assert_eq!(client_address(proxy, [], &trusted), proxy);
        // A client's own line comes first; the proxy's line is the last.
        let spoofed = ["1.2.3.4", "203.0.113.7"];
        assert_eq!(client_address(proxy, spoofed, &trusted), client);
        let stranger: IpAddr = "198.51.100.1".parse().expect("ip");
        assert_eq!(client_address(stranger, header, &trusted), stranger);
    }
}
