//! One-time codes for verifying a claim: six digits from the operating
//! system's random source (a v4 UUID is drawn from it), shown as `481-220`,
//! stored only as a salted SHA-256 and compared in constant time, so a
//! database reader learns no live code and a timing probe learns nothing.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// How long a code may be echoed.
pub(super) const CODE_TTL_SECS: i64 = 600;
/// Codes sent per claim, ever: a claim cannot be used to spam the claimed
/// phone or mailbox.
pub(super) const MAX_SENDS: i32 = 3;
/// Codes one claimant may cause in a day, over all their claims: stating
/// many numbers cannot turn Steward into a message pump.
pub(super) const MAX_SENDS_PER_DAY: i64 = 6;
/// Wrong codes per claim before it fails for good (1 in 200,000 odds).
pub(super) const MAX_ATTEMPTS: i32 = 5;

/// A fresh code: the digits and their salted hash.
pub(super) struct Issued {
    pub digits: u32,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

impl Issued {
    pub(super) fn new() -> Self {
        let digits = (Uuid::new_v4().as_u128() % 1_000_000) as u32;
        let salt = Uuid::new_v4().as_bytes().to_vec();
        let hash = hash(&salt, digits);
        Self { digits, salt, hash }
    }

    /// `481-220`: easier to read back than six digits in a row.
    pub(super) fn shown(&self) -> String {
        format!("{:03}-{:03}", self.digits / 1000, self.digits % 1000)
    }
}

fn hash(salt: &[u8], digits: u32) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(format!("{digits:06}").as_bytes());
    hasher.finalize().to_vec()
}

/// Whether `candidate` is the code behind `stored` (constant time).
pub(super) fn matches(salt: &[u8], stored: &[u8], candidate: u32) -> bool {
    hash(salt, candidate).ct_eq(stored).into()
}

fn six_digits(word: &str) -> Option<u32> {
    let dashes = word.chars().filter(|c| *c == '-').count();
    let digits: String = word.chars().filter(|c| *c != '-').collect();
    let dash_in_middle = dashes == 0 || word.chars().nth(3) == Some('-');
    (dashes <= 1 && dash_in_middle && digits.chars().count() == 6)
        .then(|| digits.parse().ok())
        .flatten()
        .filter(|_| digits.chars().all(|c| c.is_ascii_digit()))
}

/// The codes a message carries, standing alone: `481-220`, `481220` or
/// `481 220` (a longer number is not a code).
pub(super) fn codes_in(text: &str) -> Vec<u32> {
    let words: Vec<&str> = text
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_ascii_alphanumeric()))
        .collect();
    let mut codes = Vec::new();
    for (i, word) in words.iter().enumerate() {
        if let Some(code) = six_digits(word) {
            codes.push(code);
        }
        let three = |w: &str| w.chars().count() == 3 && w.chars().all(|c| c.is_ascii_digit());
        if let Some(next) = words.get(i + 1)
            && three(word)
            && three(next)
            && let Some(code) = six_digits(&format!("{word}{next}"))
        {
            codes.push(code);
        }
    }
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_codes_in_the_ways_people_type_them() {
        assert_eq!(codes_in("Here it is: 481-220."), [481_220]);
        assert_eq!(codes_in("481220"), [481_220]);
        assert_eq!(codes_in("code 481 220 thanks"), [481_220]);
        assert_eq!(codes_in("¡Código «004-017»!"), [4_017]);
        assert!(codes_in("order 4812201, call 48-1220 or 4812-20").is_empty());
        assert!(codes_in("pedido 70455 ok").is_empty());
    }

    #[test]
    fn only_the_issued_code_matches_and_the_hash_hides_it() {
        let code = Issued::new();
        assert!(matches(&code.salt, &code.hash, code.digits));
        assert!(!matches(
            &code.salt,
            &code.hash,
            (code.digits + 1) % 1_000_000
        ));
        assert_ne!(code.hash, hash(&Issued::new().salt, code.digits), "salted");
        assert_eq!(code.shown().chars().count(), 7);
    }
}
