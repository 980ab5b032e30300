//! Property tests: every domain parser of outside text (identities,
//! mentions, persons, references, the protobuf envelope, the web form, the
//! channel formatter) takes arbitrary Unicode, huge and nested input without
//! panicking, and what it accepts is well formed.
//!
//! Case counts are bounded (they run in the README's test command); the
//! `fuzz/` targets search the same functions for longer.

use proptest::prelude::*;
use steward_domain::identity::{Identity, canonical_email, is_single_address, phone_in_region};
use steward_domain::mentions::{Mentioned, complete_bare_mailboxes, mentions};
use steward_domain::web_form::SupportForm;
use steward_domain::{Channel, InboundMessage, format, guardrails, persons, references, replies};

/// Text that hits the parsers' edges: wide and case-changing characters
/// ("İ" lowercases longer, "ẞ" shorter), separators, digits, `@`, `#`.
fn hostile_text() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "İ",
        "ẞ",
        "¡",
        "é",
        "ñ",
        "😀",
        "\u{301}",
        "\u{200b}",
        " ",
        "\n",
        "\r\n",
        ".",
        ",",
        "@",
        "#",
        "+",
        "-",
        "(",
        ")",
        "0",
        "7",
        "9",
        "tkt-",
        "TKT-",
        "ticket ",
        "this is ",
        "I'm ",
        "Thanks, ",
        "Cheers ",
        " here",
        "On ",
        " wrote:",
        "> ",
        "-- ",
        "Re: ",
        "[Acme #",
        "]",
        "ana@example.com",
        "+44 7700 900123",
        "Ana",
        "'s ",
        "brother ",
        "\u{0}",
        "\t",
    ]);
    prop_oneof![
        any::<String>(),
        prop::collection::vec(atoms, 0..60).prop_map(|v| v.concat()),
    ]
}

fn cases(n: u32) -> ProptestConfig {
    ProptestConfig {
        cases: n,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn identities_parse_or_refuse(raw in hostile_text(), region in "[A-Z]{0,3}") {
        if let Ok(email) = Identity::email(&raw) {
            prop_assert!(is_single_address(&email.value), "{:?}", email.value);
        }
        if let Ok(email) = canonical_email(&raw) {
            prop_assert!(is_single_address(&email.value), "{:?}", email.value);
        }
        for phone in [Identity::phone(&raw), phone_in_region(&raw, &region)].into_iter().flatten() {
            let digits = phone.value.strip_prefix('+').unwrap_or("x");
            prop_assert!(digits.chars().all(|c| c.is_ascii_digit()), "{:?}", phone.value);
        }
    }

    #[test]
    fn mentions_only_state_well_formed_identities(text in hostile_text()) {
        for m in mentions(&text, "GB") {
            match m.what {
                Mentioned::Identity(i) => prop_assert!(!i.value.is_empty()),
                Mentioned::Ticket(t) => prop_assert!(t.starts_with("TKT-")),
                Mentioned::Reference(r) => prop_assert!(r.chars().all(|c| c.is_ascii_digit())),
                Mentioned::NationalPhone(n) => prop_assert!(n.chars().all(|c| c.is_ascii_digit())),
            }
        }
    }

    #[test]
    fn bare_mailboxes_complete_only_with_the_domain(text in hostile_text()) {
        let done = complete_bare_mailboxes(&text, "x.example");
        // Only the domain is ever added, and only after an '@'.
        prop_assert_eq!(done.replace("@x.example", "@"), text.replace("@x.example", "@"));
        for m in mentions(&done, "GB") {
            if let Mentioned::Identity(i) = m.what {
                prop_assert!(!i.value.is_empty());
            }
        }
    }

    #[test]
    fn introduced_names_are_words_of_the_message(text in hostile_text(), other in hostile_text()) {
        if let Some(name) = persons::introduced_name(&text) {
            prop_assert!(text.contains(&name), "{name:?} not in {text:?}");
        }
        let _ = persons::same_person(&text, &other);
    }

    #[test]
    fn references_are_digits(text in hostile_text()) {
        for r in references::thread_references(&text) {
            prop_assert!(r.chars().all(|c| c.is_ascii_digit()), "{r:?}");
        }
        let _ = references::as_ticket_number(&text);
        let _ = replies::parse_csat(&text);
        let _ = guardrails::triage(&text, &text);
    }

    #[test]
    fn whatsapp_replies_fit_one_message(body in hostile_text(), long in "[a-z. ]{0,3000}") {
        for text in [&body, &long] {
            let out = format::render(Channel::Whatsapp, text, format::Addressing::default());
            prop_assert!(out.text.chars().count() <= format::WHATSAPP_MAX_CHARS);
            for channel in [Channel::Email, Channel::Web] {
                let _ = format::render(channel, text, format::Addressing::default());
            }
        }
    }

    #[test]
    fn web_forms_validate_or_say_why(
        name in hostile_text(), email in hostile_text(), phone in hostile_text(),
        subject in hostile_text(), message in hostile_text(),
    ) {
        let form = SupportForm { name, email, phone, subject, message, ..SupportForm::default() };
        match form.validate("US") {
            Ok(valid) => prop_assert!(is_single_address(&valid.email.value)),
            Err(errors) => prop_assert!(errors.values().all(|e| !e.is_empty())),
        }
    }

    #[test]
    fn envelopes_decode_or_say_why(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Err(e) = InboundMessage::decode_envelope(&bytes) {
            prop_assert!(!e.to_string().is_empty());
        }
    }
}

#[test]
fn deeply_nested_protobuf_is_refused_not_a_stack_overflow() {
    // 200,000 nested start-group tags of an unknown field (99): skipping
    // them recurses, so only a depth limit keeps the stack intact.
    let nested_groups = [0x9b, 0x06].repeat(200_000);
    let err = InboundMessage::decode_envelope(&nested_groups).unwrap_err();
    assert!(err.to_string().contains("protobuf"), "{err}");
    // A sender (field 7) nested in itself: unknown fields are skipped flat.
    let mut bytes = vec![0x08, 0x01];
    for _ in 0..10_000 {
        let mut outer = vec![0x3a];
        prost_len(&mut outer, bytes.len());
        outer.extend_from_slice(&bytes);
        bytes = outer;
    }
    assert!(InboundMessage::decode_envelope(&bytes).is_err());
}

fn prost_len(out: &mut Vec<u8>, mut len: usize) {
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[test]
fn huge_messages_are_parsed_in_bounded_time() {
    let huge = "İ¡ this is Ana. call +44 7700 900123 or ana@example.com #12345 ".repeat(20_000);
    let started = std::time::Instant::now();
    let _ = mentions(&huge, "GB");
    let _ = mentions(&complete_bare_mailboxes(&huge, "x.example"), "GB");
    let _ = persons::introduced_name(&huge);
    let _ = references::thread_references(&huge);
    let _ = format::render(Channel::Whatsapp, &huge, format::Addressing::default());
    assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
}
