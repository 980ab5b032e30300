//! Ticket references as customers write them, and which ones a message
//! shows the sender holds.
//!
//! Customers quote ticket numbers in whatever form they saw them: ours
//! (`TKT-000042`, "ticket #42"), or another help desk's, from before the
//! switch to Steward or from a reply subject (`Re: [Acme Support #61840]`).
//! A bare `#N` or "ticket N" is kept as digits; resolution looks it up among
//! the references customers hold (never among our own ticket numbers: those
//! are written `TKT-…`, and "#1187" is as likely an invoice as our ticket).
//! `#N` after an invoice or order word is no ticket reference at all.
//!
//! Holding a reference: a reply whose subject carries a help desk's tag
//! (`Re: [… #N]`) was written in that ticket's thread, so the sender is its
//! customer — unless someone already holds it (a colleague in copy replies
//! in the same thread, and must not take it over).

/// Words after which a bare number is a ticket reference ("my ticket 66019",
/// "meu pedido 73311"), in the languages customers write in.
const TICKET_WORDS: &[&str] = &[
    "ticket",
    "case",
    "request",
    "pedido",
    "chamado",
    "caso",
    "solicitud",
    "demande",
    "dossier",
];

/// Numbers of other documents ("invoice #1187", "order #5531"): a `#N`
/// after one of these words is never a ticket reference. General: the
/// documents a billing or shop system numbers, in each language.
const NOT_TICKET_WORDS: &[&str] = &[
    "invoice",
    "order",
    "receipt",
    "po",
    "quote",
    "bill",
    "payment",
    "transaction",
    "rechnung",
    "bestellung",
    "fattura",
    "ordine",
    "factura",
    "fatura",
    "facture",
    "commande",
    "reçu",
];

/// Shortest reference read from a bare number: shorter ones are quantities
/// ("ticket 3 of 5"), not references.
const MIN_DIGITS: usize = 4;
const MAX_DIGITS: usize = 12;

fn is_reference_number(digits: &str) -> bool {
    (MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
}

/// The reference `token` (at byte `at` of `lower`) makes, if any: `#N`, or a
/// number right after a ticket word.
pub(crate) fn reference_at(lower: &str, at: usize, token: &str) -> Option<String> {
    let digits = token.trim_matches(|c: char| ".,;:()".contains(c));
    if !is_reference_number(digits) {
        return None;
    }
    let hashed = lower[..at].ends_with('#');
    let mut words = lower[..at]
        .split(|c: char| !c.is_alphanumeric())
        .rev()
        .filter(|w| !w.is_empty());
    let mut previous = words.clone();
    let document = match previous.next() {
        Some("no" | "nr" | "number" | "nº" | "n") => previous.next(),
        word => word,
    };
    if document.is_some_and(|w| NOT_TICKET_WORDS.contains(&w)) {
        return None;
    }
    let after_ticket_word = match words.next() {
        Some(w) if TICKET_WORDS.contains(&w) => true,
        Some("no" | "nr" | "number" | "nº" | "n") => {
            words.next().is_some_and(|w| TICKET_WORDS.contains(&w))
        }
        _ => false,
    };
    (hashed || after_ticket_word).then(|| digits.to_owned())
}

/// References of the help-desk threads this message replies in: a first
/// line (the subject) opening with `Re:` and carrying a `[… #N]` tag.
/// Forwards (`Fwd:`) are someone else's thread and hold nothing.
pub fn thread_references(subject_or_body: &str) -> Vec<String> {
    let first = subject_or_body.trim_start().lines().next().unwrap_or("");
    let lower = first.to_lowercase();
    let mut rest = lower.trim_start();
    let mut replied = false;
    while let Some(after) = ["re:", "aw:", "sv:", "res:", "r:"]
        .iter()
        .find_map(|p| rest.strip_prefix(p))
    {
        replied = true;
        rest = after.trim_start();
    }
    if !replied {
        return Vec::new();
    }
    let mut found = Vec::new();
    for tag in rest.split('[').skip(1) {
        let Some((inside, _)) = tag.split_once(']') else {
            continue;
        };
        if let Some((_, number)) = inside.rsplit_once('#')
            && is_reference_number(number.trim())
            && !found.contains(&number.trim().to_owned())
        {
            found.push(number.trim().to_owned());
        }
    }
    found
}

/// Our own ticket number a bare reference would be (`42` → `TKT-000042`).
pub fn as_ticket_number(digits: &str) -> Option<String> {
    crate::TicketNumber::from_digits(digits).map(|n| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, token: &str) -> Option<String> {
        let lower = text.to_lowercase();
        let at = lower.find(token).unwrap();
        reference_at(&lower, at, token)
    }

    #[test]
    fn hashes_and_ticket_words_make_references() {
        assert_eq!(at("about my ticket #70455", "70455"), Some("70455".into()));
        assert_eq!(
            at("About my ticket 66019: can we", "66019"),
            Some("66019".into())
        );
        assert_eq!(
            at("é sobre o meu pedido #73311.", "73311"),
            Some("73311".into())
        );
        assert_eq!(at("my case no 48877", "48877"), Some("48877".into()));
        assert_eq!(at("we have 48877 entries", "48877"), None, "a bare number");
        assert_eq!(at("ticket 3 of 5", "3"), None, "a quantity");
        assert_eq!(at("invoice #2026", "2026"), None, "an invoice number");
        assert_eq!(at("This is about invoice #1187", "1187"), None);
        assert_eq!(at("order no. #55310", "55310"), None);
    }

    #[test]
    fn only_replies_in_a_tagged_thread_hold_a_reference() {
        assert_eq!(
            thread_references("Re: [Lumen Support #61840] Timesheet reminders\n\nStill not"),
            vec!["61840"]
        );
        assert_eq!(
            thread_references("RE: Re: [Acme #123456] x"),
            vec!["123456"]
        );
        assert!(thread_references("Fwd: [Lumen Support #61840] Timesheet").is_empty());
        assert!(thread_references("Following up on ticket #61840").is_empty());
        assert!(thread_references("Re: budget [draft]").is_empty());
    }

    #[test]
    fn bare_references_map_to_our_ticket_numbers() {
        assert_eq!(as_ticket_number("42").as_deref(), Some("TKT-000042"));
        assert_eq!(as_ticket_number("0042").as_deref(), Some("TKT-000042"));
    }
}
