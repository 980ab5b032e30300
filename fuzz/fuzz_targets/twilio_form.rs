//! A form-encoded Twilio webhook body: signature checked, then read as an
//! inbound WhatsApp message (the gateway's own `twilio` module).
#![no_main]

#[allow(dead_code, unreachable_pub, unused_imports)]
#[path = "../../gateway/src/twilio/mod.rs"]
mod twilio;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let params: Vec<(String, String)> = url::form_urlencoded::parse(bytes).into_owned().collect();
    let signature = twilio::signature(b"token", "https://x.test/webhooks/twilio/whatsapp", &params);
    assert!(twilio::verify(b"token", "https://x.test/webhooks/twilio/whatsapp", &params, &signature));
    if let Ok(message) = twilio::whatsapp_message(&params, "e".into(), "c".into(), 0) {
        assert!(message.sender.value.starts_with('+'));
    }
});
