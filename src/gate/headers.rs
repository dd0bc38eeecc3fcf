//! Which headers cross the gate, in both directions. Everything the browser sends is hostile
//! until checked here:
//!
//! - the identity headers and the forwarding headers are the gate's alone: one the browser sent is
//!   dropped in any spelling, since servers that map headers CGI-style (WSGI, PHP, Rack) read
//!   `X_Forwarded_Roles` as `X-Forwarded-Roles` and would merge it with the gate's;
//! - hop-by-hop headers, and any header a message's `Connection` names, stay behind (RFC 9110
//!   §7.6.1);
//! - the app is told what the gate knows: the peer's address after the proxies the gate trusts,
//!   and the host and scheme of `MONBAN_GATE__URL`, never what the client claims. `Host` is the
//!   gate's public host too, as reverse proxies send it: an app that compares `Origin` with `Host`
//!   (Jupyter's check of every POST and PUT) sees its own public origin.
//!
//! Plain functions over a `HeaderMap`, so the fuzz target `gate_headers` runs them directly.

use std::net::IpAddr;

use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};

use crate::http::limiter::forwarded_for;

/// The signed-in person's `sub`.
pub const USER: &str = "x-forwarded-user";
/// Their address.
pub const EMAIL: &str = "x-forwarded-email";
/// Their roles, a comma list.
pub const ROLES: &str = "x-forwarded-roles";
/// monban's access token for them, which the app may verify itself.
pub const TOKEN: &str = "x-monban-token";
/// The headers the app trusts because only the gate sets them: the one list both
/// [`Identity::headers`] and [`is_gates_own`] read.
pub const IDENTITY_HEADERS: [&str; 4] = [USER, EMAIL, ROLES, TOKEN];

/// The headers that say where a request came from, written by the gate from what it knows.
pub const FORWARDING_HEADERS: [&str; 6] = [
    "host",
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
];

/// Headers of one connection, not of the message (RFC 9110 §7.6.1), besides those `Connection`
/// names.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// A header name as a CGI-style server reads it: lower case, `_` as `-`.
pub fn canonical(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', "-")
}

/// Whether a header named `name` (any spelling) is the gate's to set, so the browser's is dropped:
/// the identity and forwarding headers, and every other `X-Forwarded-*` and `X-Monban-*` (some
/// frameworks trust `X-Forwarded-Port` or `-Prefix`, which the gate does not vouch for).
/// Compared in place, as [`canonical`] spells names: every header of every request passes here.
pub fn is_gates_own(name: &str) -> bool {
    let starts = |prefix: &str| {
        name.get(..prefix.len())
            .is_some_and(|head| same_name(head, prefix))
    };
    IDENTITY_HEADERS.iter().any(|own| same_name(name, own))
        || FORWARDING_HEADERS.iter().any(|own| same_name(name, own))
        || starts("x-forwarded-")
        || starts("x-monban-")
}

/// Whether two header names are one once [`canonical`]: case and `_`/`-` aside.
fn same_name(a: &str, b: &str) -> bool {
    let spelled = |c: u8| {
        if c == b'_' {
            b'-'
        } else {
            c.to_ascii_lowercase()
        }
    };
    a.len() == b.len() && (a.bytes().zip(b.bytes())).all(|(x, y)| spelled(x) == spelled(y))
}

/// The headers of `headers` that belong to the message, not to this connection.
pub fn end_to_end(headers: &HeaderMap) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
    let named: Vec<&str> = headers
        .get_all(header::CONNECTION)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    headers.iter().filter(move |(name, _)| {
        !HOP_BY_HOP.contains(&name.as_str())
            && !named.iter().any(|option| same_name(option, name.as_str()))
    })
}

/// Who the gate says asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// monban's `sub`.
    pub sub: String,
    /// Their address, if monban gave one.
    pub email: Option<String>,
    /// Their roles.
    pub roles: Vec<String>,
    /// monban's access token, verified and of this same `sub`.
    pub token: String,
}

impl Identity {
    /// The identity headers, named from [`IDENTITY_HEADERS`].
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            (USER, self.sub.clone()),
            (ROLES, self.roles.join(",")),
            (TOKEN, self.token.clone()),
        ];
        if let Some(email) = &self.email {
            headers.push((EMAIL, email.clone()));
        }
        headers
    }
}

/// What the gate knows of the way a request came.
#[derive(Debug, Clone, Copy)]
pub struct Hop<'a> {
    /// The TCP peer.
    pub peer: Option<IpAddr>,
    /// How many proxies in front of the gate are trusted to append to `X-Forwarded-For`.
    pub trusted_proxies: usize,
    /// The gate's public host (from `MONBAN_GATE__URL`).
    pub host: &'a str,
    /// The gate's public scheme.
    pub proto: &'a str,
}

impl Hop<'_> {
    /// The addresses the request came through, client first: the entries the trusted proxies
    /// appended to `X-Forwarded-For` (the rightmost `trusted_proxies`; anything left of them the
    /// client wrote), then the peer.
    pub fn chain(&self, headers: &HeaderMap) -> Vec<IpAddr> {
        let entries = forwarded_for(headers);
        let trusted = &entries[entries.len().saturating_sub(self.trusted_proxies)..];
        trusted
            .iter()
            .filter_map(|e| e.parse().ok())
            .chain(self.peer)
            .collect()
    }

    /// The forwarding headers the app gets.
    fn headers(&self, headers: &HeaderMap) -> Vec<(&'static str, String)> {
        let chain = self.chain(headers);
        let node = |ip: &IpAddr| match ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("\"[{v6}]\""),
        };
        let mut forwarded: Vec<String> =
            chain.iter().map(|ip| format!("for={}", node(ip))).collect();
        let last = format!("host=\"{}\";proto={}", self.host, self.proto);
        match forwarded.last_mut() {
            Some(element) => *element = format!("{element};{last}"),
            None => forwarded.push(last),
        }
        let list = |ips: &[IpAddr]| ips.iter().map(IpAddr::to_string).collect::<Vec<_>>();
        let mut out = vec![
            ("host", self.host.to_string()),
            ("forwarded", forwarded.join(", ")),
            ("x-forwarded-host", self.host.to_string()),
            ("x-forwarded-proto", self.proto.to_string()),
        ];
        if let Some(client) = chain.first() {
            out.push(("x-forwarded-for", list(&chain).join(", ")));
            out.push(("x-real-ip", client.to_string()));
        }
        out
    }
}

/// The `name=value` pairs of a request's `Cookie` headers, as sent (RFC 6265 §4.2.1: pairs
/// separated by `;`). Written here rather than with the `cookie` crate: its parse validates and
/// copies each pair, and actix's percent-decodes every value, where the gate only finds its own
/// (base64url and JWTs) and passes the rest on untouched (a few per cent of its CPU per request,
/// when profiled under load). A header that is not UTF-8 has no pairs; `from_utf8` rather than
/// `to_str`, whose byte-by-byte check cost as much again.
pub fn cookie_pairs(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    (headers.get_all(header::COOKIE))
        .filter_map(|v| std::str::from_utf8(v.as_bytes()).ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
}

/// The request's headers as the app gets them: end to end only, `Host` the gate's public host
/// (never the client's), without the websocket handshake's own, without anything the gate sets itself, without
/// the cookies `is_gate_cookie` names, and with the forwarding headers of `hop` and `identity`'s.
pub fn to_app(
    headers: &HeaderMap,
    hop: &Hop<'_>,
    identity: &Identity,
    is_gate_cookie: impl Fn(&str) -> bool,
) -> HeaderMap {
    let mut out = HeaderMap::new();
    let mut cookies = Vec::new();
    for (name, value) in end_to_end(headers) {
        let n = name.as_str();
        if n == "cookie" {
            cookies.extend(std::str::from_utf8(value.as_bytes()).ok());
        } else if !n.starts_with("sec-websocket-") && !is_gates_own(n) {
            out.append(name.clone(), value.clone());
        }
    }
    let kept: Vec<&str> = cookies
        .into_iter()
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .filter(|pair| {
            pair.split_once('=')
                .is_some_and(|(name, _)| !is_gate_cookie(name))
        })
        .collect();
    if let Ok(value) = HeaderValue::from_bytes(kept.join("; ").as_bytes())
        && !kept.is_empty()
    {
        out.insert(header::COOKIE, value);
    }
    for (name, value) in hop.headers(headers).into_iter().chain(identity.headers()) {
        if let Ok(value) = HeaderValue::from_str(&value) {
            out.insert(HeaderName::from_static(name), value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ada() -> Identity {
        Identity {
            sub: "ada".into(),
            email: Some("ada@lab.example.org".into()),
            roles: vec!["staff".into()],
            token: "t".into(),
        }
    }

    fn hop(trusted_proxies: usize) -> Hop<'static> {
        Hop {
            peer: Some("10.0.0.9".parse().unwrap()),
            trusted_proxies,
            host: "notebooks.example.org",
            proto: "https",
        }
    }

    fn sent(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn every_header_the_gate_sets_is_dropped_from_the_browser_in_any_spelling() {
        let set = to_app(&HeaderMap::new(), &hop(0), &ada(), |_| false);
        assert!(set.len() >= IDENTITY_HEADERS.len() + FORWARDING_HEADERS.len());
        for name in set.keys() {
            let name = name.as_str();
            for spelling in [
                name.to_string(),
                name.to_ascii_uppercase(),
                name.replace('-', "_"),
                name.replace('-', "_").to_ascii_uppercase(),
            ] {
                let forged = sent(&[(spelling.as_str(), "forged")]);
                let out = to_app(&forged, &hop(0), &ada(), |_| false);
                let values: Vec<_> = out.get_all(name).collect();
                assert!(!values.iter().any(|v| *v == "forged"), "{spelling}");
                assert!(
                    !out.keys()
                        .any(|k| k.as_str() != name && canonical(k.as_str()) == name),
                    "{spelling} passed as another spelling"
                );
            }
        }
    }

    #[test]
    fn the_app_sees_the_peer_after_the_trusted_proxies_and_the_gates_own_host() {
        let forged = sent(&[
            ("x-forwarded-for", "6.6.6.6, 203.0.113.7"),
            ("x-forwarded-host", "evil.example"),
            ("x-forwarded-proto", "http"),
            ("forwarded", "for=6.6.6.6;host=evil.example"),
            ("x-real-ip", "6.6.6.6"),
            ("x-forwarded-port", "1"),
        ]);
        let behind_google = to_app(&forged, &hop(1), &ada(), |_| false);
        assert_eq!(
            behind_google.get("x-forwarded-for").unwrap(),
            "203.0.113.7, 10.0.0.9"
        );
        assert_eq!(behind_google.get("x-real-ip").unwrap(), "203.0.113.7");
        assert_eq!(
            behind_google.get("x-forwarded-host").unwrap(),
            "notebooks.example.org"
        );
        assert_eq!(behind_google.get("x-forwarded-proto").unwrap(), "https");
        assert_eq!(
            behind_google.get("forwarded").unwrap(),
            "for=203.0.113.7, for=10.0.0.9;host=\"notebooks.example.org\";proto=https"
        );
        assert!(!behind_google.contains_key("x-forwarded-port"));
        assert_eq!(behind_google.get("host").unwrap(), "notebooks.example.org");
        let direct = to_app(&forged, &hop(0), &ada(), |_| false);
        assert_eq!(direct.get("x-forwarded-for").unwrap(), "10.0.0.9");
        assert_eq!(direct.get("x-real-ip").unwrap(), "10.0.0.9");
    }

    #[test]
    fn headers_named_in_connection_stay_behind() {
        let h = sent(&[
            ("connection", "keep-alive, X-Secret, x_other"),
            ("x-secret", "1"),
            ("x-other", "1"),
            ("x-kept", "1"),
            ("te", "trailers"),
        ]);
        let out = to_app(&h, &hop(0), &ada(), |_| false);
        assert!(!out.contains_key("x-secret") && !out.contains_key("x-other"));
        assert!(!out.contains_key("connection") && !out.contains_key("te"));
        assert_eq!(out.get("x-kept").unwrap(), "1");
    }

    #[test]
    fn the_gates_cookies_stay_behind_and_the_apps_pass() {
        let h = sent(&[
            ("cookie", "monban_gate=x; _xsrf=abc"),
            ("cookie", "theme=dark"),
        ]);
        let out = to_app(&h, &hop(0), &ada(), |name| name == "monban_gate");
        assert_eq!(out.get("cookie").unwrap(), "_xsrf=abc; theme=dark");
    }

    #[test]
    fn an_apps_cookie_in_utf_8_passes_as_sent() {
        let mut h = HeaderMap::new();
        let value = HeaderValue::from_bytes("monban_gate=x; name=日本".as_bytes()).unwrap();
        h.insert(header::COOKIE, value);
        let out = to_app(&h, &hop(0), &ada(), |name| name == "monban_gate");
        assert_eq!(
            out.get("cookie").unwrap().as_bytes(),
            "name=日本".as_bytes()
        );
        assert_eq!(cookie_pairs(&h).count(), 2);
    }
}
