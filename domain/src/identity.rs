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
        let (local, domain) = value
            .rsplit_once('@')
            .ok_or_else(|| IdentityError::BadEmail(raw.to_owned()))?;
        if local.is_empty() || !domain.contains('.') || value.chars().any(char::is_whitespace) {
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
}
