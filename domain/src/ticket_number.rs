//! `TKT-000042`: the customer-facing ticket number, parsed and formatted in
//! one place (it was formatted or parsed in four, one without the
//! zero-padding, so `TKT-42` in a message never matched `TKT-000042`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A ticket's number: its database sequence value, shown as `TKT-` and at
/// least six digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TicketNumber(u64);

/// Why text is not a ticket number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a ticket number (expected TKT- and up to 18 digits): {0:?}")]
pub struct NotATicketNumber(String);

/// More digits than any sequence we will reach; also keeps `u64` parsing
/// from overflowing on hostile input.
const MAX_DIGITS: usize = 18;

impl TicketNumber {
    pub fn new(sequence: u64) -> Self {
        Self(sequence)
    }

    pub fn sequence(self) -> u64 {
        self.0
    }

    /// The number of a bare reference (`42`, `000042`): digits only.
    pub fn from_digits(digits: &str) -> Option<Self> {
        let ok = !digits.is_empty()
            && digits.chars().count() <= MAX_DIGITS
            && digits.chars().all(|c| c.is_ascii_digit());
        ok.then(|| digits.parse().ok().map(Self)).flatten()
    }

    /// `TKT-000042` or `tkt-42` (the prefix in any case, then digits).
    pub fn parse(text: &str) -> Result<Self, NotATicketNumber> {
        let mut chars = text.chars();
        let prefix: String = chars.by_ref().take(4).collect();
        prefix
            .eq_ignore_ascii_case("TKT-")
            .then(|| Self::from_digits(chars.as_str()))
            .flatten()
            .ok_or_else(|| NotATicketNumber(text.chars().take(40).collect()))
    }
}

impl fmt::Display for TicketNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TKT-{:06}", self.0)
    }
}

impl FromStr for TicketNumber {
    type Err = NotATicketNumber;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for TicketNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TicketNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_form_whatever_was_written() {
        for written in ["TKT-000042", "tkt-42", "Tkt-0042"] {
            assert_eq!(
                TicketNumber::parse(written).unwrap().to_string(),
                "TKT-000042"
            );
        }
        assert_eq!(TicketNumber::new(1_234_567).to_string(), "TKT-1234567");
        assert_eq!(TicketNumber::from_digits("42"), Some(TicketNumber::new(42)));
    }

    #[test]
    fn refuses_what_is_not_one() {
        for bad in [
            "",
            "TKT-",
            "TKT-12a",
            "TKT-١٢",
            "INV-42",
            "TKT-99999999999999999999",
            "ẞKT-1",
            "T",
        ] {
            assert!(TicketNumber::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(TicketNumber::from_digits("-1"), None);
    }

    #[test]
    fn round_trips_through_json() {
        let n = TicketNumber::new(7);
        let json = serde_json::to_string(&n).unwrap();
        assert_eq!(json, "\"TKT-000007\"");
        assert_eq!(serde_json::from_str::<TicketNumber>(&json).unwrap(), n);
    }
}
