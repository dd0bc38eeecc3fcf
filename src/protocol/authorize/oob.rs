//! The out-of-band redirect URI, `urn:ietf:wg:oauth:2.0:oob`, for a terminal that no browser can
//! reach (a compute server over SSH): instead of redirecting, monban shows the code on its own
//! page, and the person pastes it into the terminal that asked (`monban token --no-browser`, or
//! kubelogin's `authcode-keyboard` mode). Only a public client may use it, and only with PKCE: the
//! code is useless without the verifier the terminal kept. The device grant (RFC 8628) would need
//! a store shared by every instance; this needs none (docs/terminal.md says what bounds it).

use url::Url;

/// The out-of-band redirect URI, as clients register and send it.
pub const OOB_REDIRECT_URI: &str = "urn:ietf:wg:oauth:2.0:oob";

/// How long a code shown to be copied lives: long enough to read it on a phone and type or paste
/// it into a terminal, short enough that a code photographed over a shoulder has expired.
pub const OOB_CODE_TTL_SECS: u64 = 120;

/// Whether `uri` is the out-of-band redirect URI.
pub fn is_oob(uri: &Url) -> bool {
    uri.as_str() == OOB_REDIRECT_URI
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oob_uri_parses_as_itself() {
        let uri = Url::parse(OOB_REDIRECT_URI).unwrap();
        assert!(is_oob(&uri));
        assert!(!is_oob(&Url::parse("http://127.0.0.1/callback").unwrap()));
    }
}
