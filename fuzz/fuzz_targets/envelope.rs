//! Bytes from the inbound topic: decoded and validated, or refused.
#![no_main]

use libfuzzer_sys::fuzz_target;
use steward_domain::InboundMessage;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(message) = InboundMessage::decode_envelope(bytes) {
        // What decodes re-encodes to something that decodes the same.
        let again = InboundMessage::decode_envelope(&message.encode_envelope());
        assert_eq!(again.as_ref(), Ok(&message));
    }
});
