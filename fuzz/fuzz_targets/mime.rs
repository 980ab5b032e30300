//! Raw mail as Gmail hands it over, and a reply built from its fields (the
//! activities' own `mime` module): one recipient, no injected header.
#![no_main]

#[allow(dead_code, unreachable_pub, unused_imports)]
#[path = "../../activities/src/gmail/mime.rs"]
mod mime;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(mail) = mime::parse_inbound(bytes) else {
        return;
    };
    let reply = mime::Reply {
        from_name: "Acme Support",
        from_address: "support@acme.test",
        to: &mail.from_address,
        subject: &mail.subject,
        in_reply_to: &mail.message_id,
        message_id: "r1@steward.acme.test",
        text: &mail.text,
        html: "",
        date: chrono::DateTime::from_timestamp(0, 0).unwrap_or_default(),
    };
    let raw = mime::build_reply(&reply);
    let parsed = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .expect("our reply parses");
    assert!(parsed.bcc().is_none() && parsed.cc().is_none());
    assert!(parsed.to().map_or(0, |to| to.iter().count()) <= 1);
});
