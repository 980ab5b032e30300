//! Inbound mail parsing and reply building, with hostile input: wide
//! characters where bytes were sliced, lists and line breaks where one
//! address belongs, and arbitrary bytes as a mail (property tests).

use super::*;

#[test]
fn inbound_mail_keeps_only_the_new_text() {
    let raw = "From: \"Ana Lima\" <Ana.Lima@Example.com>\r\nTo: support@acme.test\r\nSubject: Re: Export failing\r\nMessage-ID: <CAF123@mail.gmail.com>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nIt still fails with error 42.\r\nThanks\r\n\r\nOn Tue, 3 Nov 2026 at 10:00, Acme Support <support@acme.test> wrote:\r\n> Please try again.\r\n";
    let mail = parse_inbound(raw.as_bytes()).unwrap();
    assert_eq!(mail.from_address, "Ana.Lima@Example.com");
    assert_eq!(mail.from_name, "Ana Lima");
    assert_eq!(mail.message_id, "CAF123@mail.gmail.com");
    assert_eq!(mail.text, "It still fails with error 42.\nThanks");
}

#[test]
fn signatures_and_outlook_quotes_are_cut() {
    assert_eq!(strip_quoted("Hi\n\n-- \nAna, CTO"), "Hi");
    assert_eq!(
        strip_quoted("Help please\n\nSent from my iPhone"),
        "Help please"
    );
    assert_eq!(
        strip_quoted("New question\n\nFrom: Acme <s@acme.test>\nSent: Monday\nSubject: x\n\nold"),
        "New question"
    );
    assert_eq!(
        strip_quoted("Yes\nOn Mon, Nov 2, 2026 at 9:00 AM Acme Support\n<s@acme.test> wrote:\n> x"),
        "Yes"
    );
}

#[test]
fn reply_is_threaded_and_parses_back() {
    let reply = Reply {
        from_name: "Acme Support",
        from_address: "support@acme.test",
        to: "ana@example.com",
        subject: "Export failing — again",
        in_reply_to: "CAF123@mail.gmail.com",
        message_id: "t1.3@steward.acme.test",
        text: "Hi Ana,\n\nTry this.",
        html: "<p>Hi Ana,</p><p>Try this.</p>",
        date: chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
    };
    let raw = build_reply(&reply);
    assert!(raw.contains("\r\nIn-Reply-To: <CAF123@mail.gmail.com>\r\n"));
    assert!(raw.contains("\r\nReferences: <CAF123@mail.gmail.com>\r\n"));
    let parsed = MessageParser::default().parse(raw.as_bytes()).unwrap();
    assert_eq!(parsed.subject(), Some("Re: Export failing — again"));
    assert_eq!(parsed.body_text(0).unwrap().trim(), "Hi Ana,\n\nTry this.");
    assert!(parsed.body_html(0).unwrap().contains("<p>Try this.</p>"));
    assert_eq!(reply_subject("RE: x"), "RE: x");
}

#[test]
fn subjects_that_start_with_a_wide_character_get_a_re() {
    // `s[..3]` split "¡" (two bytes) and panicked.
    assert_eq!(reply_subject("¡¡Ayuda!!"), "Re: ¡¡Ayuda!!");
    assert_eq!(reply_subject("ré"), "Re: ré");
    assert_eq!(reply_subject("Re:"), "Re:");
}

fn reply_to(to: &'static str, subject: &'static str, in_reply_to: &'static str) -> Reply<'static> {
    Reply {
        from_name: "Acme Support",
        from_address: "support@acme.test",
        to,
        subject,
        in_reply_to,
        message_id: "t1.3@steward.acme.test",
        text: "Hi",
        html: "<p>Hi</p>",
        date: chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
    }
}

#[test]
fn no_list_or_header_reaches_to_subject_or_threading() {
    for to in [
        "ana@example.com,victim@example.org",
        "ana@example.com\r\nBcc: victim@example.org",
        "Ana <ana@example.com>, victim@example.org",
    ] {
        let reply = reply_to(to, "x", "");
        assert!(matches!(
            checked_reply(&reply),
            Err(MimeError::BadRecipient(_))
        ));
        let raw = build_reply(&reply);
        assert!(
            !raw.contains("victim"),
            "{to:?} reached the headers:\n{raw}"
        );
    }
    let raw = build_reply(&reply_to(
        "ana@example.com",
        "Help\r\nBcc: victim@example.org",
        "abc@x>\r\nBcc: victim@example.org",
    ));
    let parsed = MessageParser::default().parse(raw.as_bytes()).unwrap();
    assert!(parsed.bcc().is_none(), "{raw}");
    let to = parsed.to().unwrap();
    assert_eq!(to.first().unwrap().address(), Some("ana@example.com"));
    assert_eq!(to.iter().count(), 1);
}

fn cases(n: u32) -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        cases: n,
        failure_persistence: None,
        ..Default::default()
    }
}

proptest::proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn any_bytes_parse_as_a_mail_or_say_why(raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
        match parse_inbound(&raw) {
            Ok(mail) => proptest::prop_assert!(!mail.from_address.is_empty()),
            Err(e) => proptest::prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn any_text_as_a_mail_body_or_subject(text in "\\PC{0,300}", subject in proptest::prelude::any::<String>()) {
        let raw = format!("From: a@example.com\r\nSubject: {subject}\r\n\r\n{text}");
        let _ = parse_inbound(raw.as_bytes());
        let kept = strip_quoted(&text);
        proptest::prop_assert!(kept.len() <= text.len());
        let re = reply_subject(&subject);
        proptest::prop_assert!(re.ends_with(subject.trim()) || subject.trim().is_empty());
    }

    #[test]
    fn replies_have_exactly_one_recipient_and_no_injected_header(
        to in proptest::prelude::any::<String>(),
        subject in proptest::prelude::any::<String>(),
        in_reply_to in proptest::prelude::any::<String>(),
    ) {
        let reply = Reply { to: &to, subject: &subject, in_reply_to: &in_reply_to, ..reply_to("a@example.com", "", "") };
        let raw = build_reply(&reply);
        let parsed = MessageParser::default().parse(raw.as_bytes()).unwrap();
        proptest::prop_assert!(parsed.bcc().is_none() && parsed.cc().is_none());
        proptest::prop_assert!(parsed.to().map_or(0, |t| t.iter().count()) <= 1);
        proptest::prop_assert_eq!(checked_reply(&reply).is_ok(), recipient(&to).is_ok());
    }
}
