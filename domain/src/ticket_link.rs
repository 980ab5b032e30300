//! A ticket's status link (`/support/tickets/W-…?token=…`): the token is an
//! HMAC of the ticket's reference under the server's link secret, so only
//! whoever was given the link can read the ticket. The gateway checks it;
//! the worker sends it to the address on a ticket when a web form asks to
//! continue that ticket (never in the form's HTTP answer).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// The link token of `reference`: HMAC-SHA1 under `secret`, URL-safe.
pub fn token(secret: &[u8], reference: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(reference.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// The status page's path for `reference`, with its token.
pub fn status_path(secret: &[u8], reference: &str) -> String {
    format!(
        "/support/tickets/{reference}?token={}",
        token(secret, reference)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_depend_on_the_secret_and_the_reference() {
        let a = token(b"secret", "W-0123456789");
        assert_eq!(a, token(b"secret", "W-0123456789"));
        assert_ne!(a, token(b"other", "W-0123456789"));
        assert_ne!(a, token(b"secret", "W-0123456788"));
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(
            status_path(b"secret", "W-0123456789"),
            format!("/support/tickets/W-0123456789?token={a}")
        );
    }
}
