//! Why a ticket goes to a human. The string form is the `EscalationReason`
//! search attribute and the `escalations.reason` column.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationReason {
    SecurityIncident,
    Legal,
    AccountAccessVerification,
    Refund,
    Pricing,
    AngryCustomer,
    HumanRequested,
    NoAnswerInKb,
    /// The draft failed the reply check (a promise, a leak, a bad format).
    DraftRejected,
    /// No reply was sent before the first-response deadline.
    SlaFirstResponse,
    /// Drafting or sending failed permanently.
    BotFailure,
    /// A reply could not be delivered (an invalid number or address, a
    /// provider's permanent refusal, no allowed route).
    DeliveryFailed,
}

impl EscalationReason {
    pub const ALL: [EscalationReason; 12] = [
        Self::SecurityIncident,
        Self::Legal,
        Self::AccountAccessVerification,
        Self::Refund,
        Self::Pricing,
        Self::AngryCustomer,
        Self::HumanRequested,
        Self::NoAnswerInKb,
        Self::DraftRejected,
        Self::SlaFirstResponse,
        Self::BotFailure,
        Self::DeliveryFailed,
    ];

    /// The reason named by its string form (`refund`, `legal`, …).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SecurityIncident => "security_incident",
            Self::Legal => "legal",
            Self::AccountAccessVerification => "account_access_verification",
            Self::Refund => "refund",
            Self::Pricing => "pricing",
            Self::AngryCustomer => "angry_customer",
            Self::HumanRequested => "human_requested",
            Self::NoAnswerInKb => "no_answer_in_kb",
            Self::DraftRejected => "draft_rejected",
            Self::SlaFirstResponse => "sla_first_response",
            Self::BotFailure => "bot_failure",
            Self::DeliveryFailed => "delivery_failed",
        }
    }
}
