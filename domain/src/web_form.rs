//! The web support form: its fields, the rules both the browser and the
//! server apply (the page receives [`RULES`] as JSON, so the two cannot
//! drift), and server-side validation.

use crate::identity::{Identity, phone_in_region};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The categories a customer can pick (the first is the default).
pub const CATEGORIES: &[&str] = &["question", "problem", "billing", "account", "feedback"];

/// The limits of each field, shared with the page's script.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct FieldRule {
    pub name: &'static str,
    pub label: &'static str,
    pub required: bool,
    pub min: usize,
    pub max: usize,
}

pub const RULES: &[FieldRule] = &[
    FieldRule {
        name: "name",
        label: "Your name",
        required: true,
        min: 1,
        max: 100,
    },
    FieldRule {
        name: "email",
        label: "Email",
        required: true,
        min: 3,
        max: 254,
    },
    FieldRule {
        name: "phone",
        label: "Phone (optional)",
        required: false,
        min: 0,
        max: 32,
    },
    FieldRule {
        name: "category",
        label: "Category",
        required: true,
        min: 1,
        max: 32,
    },
    FieldRule {
        name: "subject",
        label: "Subject",
        required: true,
        min: 3,
        max: 150,
    },
    FieldRule {
        name: "message",
        label: "Message",
        required: true,
        min: 10,
        max: 5000,
    },
];

/// The submitted form, as typed. `website` is the honeypot: hidden from
/// people, filled in by bots.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SupportForm {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub category: String,
    pub subject: String,
    pub message: String,
    pub website: String,
}

/// A form that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidSubmission {
    pub name: String,
    pub email: Identity,
    /// The address as typed (replies keep its case and tag).
    pub email_as_typed: String,
    pub phone: Option<Identity>,
    pub category: String,
    pub subject: String,
    pub message: String,
}

/// Field name → what is wrong with it, in words for the customer.
pub type FieldErrors = BTreeMap<&'static str, String>;

impl SupportForm {
    pub fn is_bot(&self) -> bool {
        !self.website.trim().is_empty()
    }

    fn value(&self, name: &str) -> &str {
        match name {
            "name" => &self.name,
            "email" => &self.email,
            "phone" => &self.phone,
            "category" => &self.category,
            "subject" => &self.subject,
            _ => &self.message,
        }
    }

    /// Checks every field (all errors at once, as the page shows them).
    pub fn validate(&self, default_region: &str) -> Result<ValidSubmission, FieldErrors> {
        let mut errors = FieldErrors::new();
        for rule in RULES {
            let value = self.value(rule.name).trim();
            let length = value.chars().count();
            if value.is_empty() {
                if rule.required {
                    errors.insert(rule.name, format!("{} is required.", rule.label));
                }
            } else if length < rule.min {
                errors.insert(
                    rule.name,
                    format!("Please write at least {} characters.", rule.min),
                );
            } else if length > rule.max {
                errors.insert(
                    rule.name,
                    format!("Please keep it under {} characters.", rule.max),
                );
            }
        }
        let email = Identity::email(self.email.trim());
        if email.is_err() && !errors.contains_key("email") {
            errors.insert(
                "email",
                "Please enter a valid email address, like name@example.com.".into(),
            );
        }
        let phone = match self.phone.trim() {
            "" => None,
            typed => match phone_in_region(typed, default_region) {
                Ok(identity) => Some(identity),
                Err(_) => {
                    errors.entry("phone").or_insert_with(|| {
                        "Please enter a phone number with its country code, like +44 20 7946 0958.".into()
                    });
                    None
                }
            },
        };
        let category = self.category.trim();
        if !category.is_empty() && !CATEGORIES.contains(&category) {
            errors.insert(
                "category",
                "Please pick one of the listed categories.".into(),
            );
        }
        match (errors.is_empty(), email) {
            (true, Ok(email)) => Ok(ValidSubmission {
                name: self.name.trim().to_owned(),
                email,
                email_as_typed: self.email.trim().to_owned(),
                phone,
                category: category.to_owned(),
                subject: self.subject.trim().to_owned(),
                message: self.message.trim().to_owned(),
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> SupportForm {
        SupportForm {
            name: "Ana Lima".into(),
            email: "Ana.Lima+shop@Example.com".into(),
            phone: "+44 20 7946 0958".into(),
            category: "problem".into(),
            subject: "Cannot export".into(),
            message: "The CSV export fails every time.".into(),
            website: String::new(),
        }
    }

    #[test]
    fn a_good_form_normalises_its_identities() {
        let valid = good().validate("US").unwrap();
        assert_eq!(valid.email.value, "ana.lima+shop@example.com");
        assert_eq!(valid.email_as_typed, "Ana.Lima+shop@Example.com");
        assert_eq!(valid.phone.unwrap().value, "+442079460958");
    }

    #[test]
    fn every_broken_field_is_named_at_once() {
        let form = SupportForm {
            email: "not-an-address".into(),
            phone: "12".into(),
            category: "lottery".into(),
            message: "short".into(),
            ..Default::default()
        };
        let errors = form.validate("US").unwrap_err();
        let fields: Vec<_> = errors.keys().copied().collect();
        assert_eq!(
            fields,
            ["category", "email", "message", "name", "phone", "subject"]
        );
        assert!(errors["message"].contains("at least 10"));
    }

    #[test]
    fn the_honeypot_marks_bots() {
        assert!(!good().is_bot());
        assert!(
            SupportForm {
                website: "http://spam".into(),
                ..good()
            }
            .is_bot()
        );
    }
}
