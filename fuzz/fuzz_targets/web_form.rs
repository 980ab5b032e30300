//! The web form's JSON body, deserialised and validated as the gateway does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use steward_domain::identity::is_single_address;
use steward_domain::web_form::SupportForm;

fuzz_target!(|bytes: &[u8]| {
    let Ok(form) = serde_json::from_slice::<SupportForm>(bytes) else {
        return;
    };
    if let Ok(valid) = form.validate("US") {
        assert!(is_single_address(&valid.email.value));
    }
});
