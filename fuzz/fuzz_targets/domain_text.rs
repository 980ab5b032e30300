//! Free text through every domain parser of message text: identities,
//! mentions, introduced names, references, CSAT, triage, channel rendering.
#![no_main]

use libfuzzer_sys::fuzz_target;
use steward_domain::identity::{Identity, canonical_email, is_single_address, phone_in_region};
use steward_domain::{Channel, format, guardrails, mentions, persons, references, replies};

fuzz_target!(|text: &str| {
    if let Ok(email) = canonical_email(text) {
        assert!(is_single_address(&email.value));
    }
    let _ = Identity::email(text);
    let _ = Identity::phone(text);
    let _ = phone_in_region(text, "GB");
    let _ = mentions::mentions(text, "US");
    if let Some(name) = persons::introduced_name(text) {
        assert!(text.contains(&name));
    }
    let _ = references::thread_references(text);
    let _ = replies::parse_csat(text);
    let _ = guardrails::triage(text, text);
    let rendered = format::render(Channel::Whatsapp, text, format::Addressing::default());
    assert!(rendered.text.chars().count() <= format::WHATSAPP_MAX_CHARS);
    let _ = format::render(Channel::Email, text, format::Addressing::default());
});
