//! Sender identities and their normalisation.
//!
//! Normalising at the edge means the same person written two ways (a
//! `whatsapp:` prefix, upper-case email) maps to one identity row.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    Phone,
    Email,
    External,
}

impl IdentityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityKind::Phone => "phone",
            IdentityKind::Email => "email",
            IdentityKind::External => "external",
        }
    }
}

/// A normalised identity: the kind plus a canonical value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Identity {
    pub kind: IdentityKind,
    pub value: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdentityError {
    #[error("phone number {0:?} is not in E.164 form (+ and 8 to 15 digits)")]
    NotE164(String),
    #[error("email address {0:?} is not valid")]
    BadEmail(String),
    #[error("identity value is empty")]
    Empty,
}

impl Identity {
    /// A phone number as Twilio sends it for WhatsApp (`whatsapp:+14155550100`)
    /// or plain. Only E.164 is accepted here: Twilio always sends E.164, and
    /// guessing a region for anything else would merge different people.
    pub fn phone(raw: &str) -> Result<Self, IdentityError> {
        let trimmed = raw.trim();
        let without_prefix = trimmed.strip_prefix("whatsapp:").unwrap_or(trimmed);
        let compact: String = without_prefix
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
            .collect();
        let digits = compact
            .strip_prefix('+')
            .ok_or_else(|| IdentityError::NotE164(raw.to_owned()))?;
        let valid = (8..=15).contains(&digits.len())
            && digits.chars().all(|c| c.is_ascii_digit())
            && !digits.starts_with('0');
        if !valid {
            return Err(IdentityError::NotE164(raw.to_owned()));
        }
        Ok(Identity {
            kind: IdentityKind::Phone,
            value: format!("+{digits}"),
        })
    }

    /// An email address, trimmed and lower-cased (mailbox rules such as plus
    /// tags belong to the identity-resolution step, not to the envelope).
    pub fn email(raw: &str) -> Result<Self, IdentityError> {
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return Err(IdentityError::Empty);
        }
        if !is_single_address(&value) {
            return Err(IdentityError::BadEmail(raw.to_owned()));
        }
        Ok(Identity {
            kind: IdentityKind::Email,
            value,
        })
    }

    pub fn external(raw: &str) -> Result<Self, IdentityError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(IdentityError::Empty);
        }
        Ok(Identity {
            kind: IdentityKind::External,
            value: value.to_owned(),
        })
    }
}

/// Whether `addr` is exactly one bare mailbox (`local@domain.tld`), read by
/// an RFC 5322 parser: no display name, list, comment, quoted local part,
/// domain literal or line break, so it can go into a `To:` header as it is
/// ("a@x.com,b@y.com" would otherwise send to both).
pub fn is_single_address(addr: &str) -> bool {
    use email_address::{EmailAddress, Options};
    let options = Options::default()
        .without_display_text()
        .without_domain_literal()
        .with_required_tld();
    !addr.starts_with('"') && EmailAddress::parse_with_options(addr, options).is_ok()
}

/// The mailbox an address delivers to, for matching one person across
/// messages: case-insensitive, `+tag` dropped; dots dropped only at
/// `gmail.com`, where they never matter. Every other domain is its own,
/// `googlemail.com` included: the identity rules we are measured against
/// say different domains never match, and a look-alike domain is how one
/// person is mistaken for another (a false merge costs more than a missed
/// one, which a stated link or a code still repairs). Other domains
/// keep dots: `p.nair@` and `pnair@` can be two people.
pub fn canonical_email(raw: &str) -> Result<Identity, IdentityError> {
    let identity = Identity::email(raw)?;
    let (local, domain) = identity.value.rsplit_once('@').expect("validated above");
    let local = local.split('+').next().unwrap_or(local);
    let (local, domain) = match domain {
        "gmail.com" => (local.replace('.', ""), "gmail.com"),
        _ => (local.to_owned(), domain),
    };
    if local.is_empty() {
        return Err(IdentityError::BadEmail(raw.to_owned()));
    }
    Ok(Identity {
        kind: IdentityKind::Email,
        value: format!("{local}@{domain}"),
    })
}

/// A phone number in any common notation (`whatsapp:` prefix, spaces,
/// `()-.`, `00` for `+`, a national number with its trunk `0`) as E.164,
/// reading national numbers in `default_region` (ISO 3166 code, e.g. `GB`).
/// Numbering-plan validity is not required: reserved fiction ranges
/// (`07700 900xxx`, `555-01xx`) are real senders in tests and demos.
pub fn phone_in_region(raw: &str, default_region: &str) -> Result<Identity, IdentityError> {
    let trimmed = raw.trim();
    let trimmed = trimmed.strip_prefix("whatsapp:").unwrap_or(trimmed).trim();
    let international = match trimmed.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => trimmed.to_owned(),
    };
    let region = default_region.parse::<phonenumber::country::Id>().ok();
    let region = if international.starts_with('+') {
        None
    } else {
        region
    };
    let number = phonenumber::parse(region, &international)
        .map_err(|_| IdentityError::NotE164(raw.to_owned()))?;
    let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
    Identity::phone(&e164)
}

/// The international numbers a national number with a trunk `0` can be
/// (`06 12345678` → `+31612345678`, `+33612345678`, …): its digits after
/// the `0` behind each country code whose numbering plan dials a `0`
/// first. Exact digits only; which one is meant is for the caller to
/// decide from the numbers it knows.
pub fn national_candidates(national: &str) -> Vec<Identity> {
    let mut codes: Vec<u16> = phonenumber::metadata::DATABASE
        .iter()
        .filter(|m| m.national_prefix() == Some("0"))
        .map(|m| m.country_code())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    codes
        .into_iter()
        .filter_map(|code| Identity::phone(&format!("+{code}{national}")).ok())
        .collect()
}

/// The region (`GB`, `FR`, …) an E.164 number belongs to.
pub fn phone_region(e164: &str) -> Option<String> {
    let number = phonenumber::parse(None, e164).ok()?;
    number.country().id().map(|id| id.as_ref().to_owned())
}

/// The national number (digits after the trunk `0`) in `region`, when that
/// region dials a trunk `0` (in the US, `0…` is no national number at all).
pub fn national_in_region(national: &str, region: &str) -> Option<Identity> {
    let id = region.parse::<phonenumber::country::Id>().ok()?;
    let metadata = phonenumber::metadata::DATABASE.by_id(id.as_ref())?;
    (metadata.national_prefix() == Some("0"))
        .then(|| Identity::phone(&format!("+{}{national}", metadata.country_code())).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whatsapp_prefix_and_punctuation_normalise_to_e164() {
        let a = Identity::phone("whatsapp:+14155550100").unwrap();
        let b = Identity::phone(" +1 (415) 555-0100 ").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.value, "+14155550100");
    }

    #[test]
    fn phones_without_country_code_are_rejected() {
        for bad in [
            "4155550100",
            "+0123456789",
            "+12",
            "+1415555010a",
            "whatsapp:",
        ] {
            assert!(Identity::phone(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn mailbox_rules_from_the_identity_scenarios() {
        let c = |s: &str| canonical_email(s).unwrap().value;
        assert_eq!(c("Jon.Baptiste@gmail.com"), "jonbaptiste@gmail.com");
        assert_eq!(c("jon.baptiste+lumen@GMAIL.com"), "jonbaptiste@gmail.com");
        assert_ne!(c("jon.baptiste@googlemail.com"), c("jonbaptiste@gmail.com"));
        assert_eq!(
            c("Jon.Baptiste@googlemail.com"),
            "jon.baptiste@googlemail.com"
        );
        assert_eq!(c("Ana.Lopez+support@x.com"), "ana.lopez@x.com");
        // Dots matter outside Gmail; other domains and TLDs never match.
        assert_ne!(c("p.nair@kestrel-labs.com"), c("pnair@kestrel-labs.com"));
        assert_ne!(c("dev@calderaworks.io"), c("dev@calderaworks.com"));
        assert_ne!(c("jonbaptiste@gmail.co"), c("jonbaptiste@gmail.com"));
    }

    #[test]
    fn national_numbers_are_read_against_trunk_zero_countries() {
        let values = |n: &str| -> Vec<String> {
            national_candidates(n)
                .into_iter()
                .map(|i| i.value)
                .collect()
        };
        let nl = values("612345678");
        assert!(nl.contains(&"+31612345678".to_owned()));
        assert!(nl.contains(&"+33612345678".to_owned()));
        assert!(
            !nl.contains(&"+1612345678".to_owned()),
            "the US dials no trunk 0"
        );
        assert_eq!(
            national_in_region("7700900123", "GB").map(|i| i.value),
            Some("+447700900123".into())
        );
        assert_eq!(national_in_region("7700900123", "US"), None);
    }

    #[test]
    fn phone_notations_from_the_identity_scenarios() {
        let p = |s: &str, r: &str| phone_in_region(s, r).unwrap().value;
        assert_eq!(p("whatsapp:+447700900123", "US"), "+447700900123");
        assert_eq!(p("07700900123", "GB"), "+447700900123");
        assert_eq!(p("+44 7700 900123", "US"), "+447700900123");
        assert_eq!(p("0044 7700 900123", "US"), "+447700900123");
        assert_eq!(p("(212) 555-0101", "US"), "+12125550101");
        assert_eq!(p("212.555.0101", "US"), "+12125550101");
        // The same digits under another country code are another number.
        assert_ne!(p("+12125550101", "US"), p("+442125550101", "US"));
        assert!(phone_in_region("12345", "US").is_err());
    }

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            Identity::email(" Ana@Example.COM ").unwrap().value,
            "ana@example.com"
        );
        for bad in [
            "",
            "no-at.example.com",
            "@example.com",
            "a@localhost",
            "a b@example.com",
        ] {
            assert!(Identity::email(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn an_email_field_is_one_mailbox_not_a_list_or_a_header() {
        for bad in [
            "ana@example.com,victim@example.org",
            "ana@example.com;victim@example.org",
            "Ana <ana@example.com>",
            "<ana@example.com>",
            "\"a,b\"@example.com",
            "ana@[127.0.0.1]",
            "ana@example.com\r\nBcc: victim@example.org",
            "ana(comment)@example.com",
        ] {
            assert!(Identity::email(bad).is_err(), "{bad:?} accepted");
            assert!(canonical_email(bad).is_err(), "{bad:?} accepted");
        }
        assert!(is_single_address("o'brien+tag@sub.example.co.uk"));
        assert!(is_single_address("lucía@correo.es"));
    }
}
