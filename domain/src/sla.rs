//! SLA policy and business-hours arithmetic.
//!
//! Deadlines are computed here (pure) from the policy the workflow loaded
//! once through an activity, so changing the policy never changes the replay
//! of a running ticket.

use crate::channel::Channel;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Durations in seconds (plain numbers, so the Web UI shows them readably).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SlaPolicy {
    pub first_response_whatsapp_secs: u64,
    pub first_response_email_secs: u64,
    pub first_response_web_secs: u64,
    /// A human must pick up an escalated ticket within this.
    pub ack_secs: u64,
    /// An assigned ticket must be resolved within this.
    pub resolution_secs: u64,
    /// Warn the human queue when this fraction of a deadline has passed.
    pub warning_fraction: f64,
    /// After a bot reply, silence this long means the answer solved it.
    pub quiet_window_secs: u64,
    /// How long a resolved ticket waits for CSAT (and can be reopened).
    pub csat_window_secs: u64,
    /// Optional calendar per channel (e.g. email handled in office hours,
    /// WhatsApp around the clock); deadlines then count business time only.
    /// (Histories recorded before per-channel calendars hold `null` here.)
    #[serde(deserialize_with = "null_as_empty")]
    pub business_hours: BTreeMap<Channel, BusinessHours>,
}

impl Default for SlaPolicy {
    fn default() -> Self {
        Self {
            first_response_whatsapp_secs: 120,
            first_response_email_secs: 300,
            first_response_web_secs: 300,
            ack_secs: 900,
            resolution_secs: 8 * 3600,
            warning_fraction: 0.8,
            quiet_window_secs: 24 * 3600,
            csat_window_secs: 24 * 3600,
            business_hours: BTreeMap::new(),
        }
    }
}

impl SlaPolicy {
    pub fn first_response_secs(&self, channel: Channel) -> u64 {
        match channel {
            Channel::Whatsapp => self.first_response_whatsapp_secs,
            Channel::Email => self.first_response_email_secs,
            Channel::Web => self.first_response_web_secs,
        }
    }

    /// The deadline `secs` after `start_ms`, in the channel's business time
    /// when it has a calendar.
    pub fn deadline_ms(&self, channel: Channel, start_ms: i64, secs: u64) -> i64 {
        match self.business_hours.get(&channel) {
            Some(hours) => hours.add_business_time(start_ms, secs),
            None => start_ms + (secs as i64) * 1000,
        }
    }
}

fn null_as_empty<'de, D>(d: D) -> Result<BTreeMap<Channel, BusinessHours>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Ok(Option::<BTreeMap<Channel, BusinessHours>>::deserialize(d)?.unwrap_or_default())
}

/// Weekly opening hours at a fixed UTC offset, with holidays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BusinessHours {
    pub utc_offset_minutes: i32,
    /// Monday = 0 … Sunday = 6; `None` closed all day.
    pub weekly: [Option<(NaiveTime, NaiveTime)>; 7],
    pub holidays: Vec<NaiveDate>,
}

impl BusinessHours {
    /// Adds `secs` of open time to `start_ms`.
    pub fn add_business_time(&self, start_ms: i64, secs: u64) -> i64 {
        let offset = Duration::minutes(self.utc_offset_minutes as i64);
        let mut local = DateTime::<Utc>::from_timestamp_millis(start_ms)
            .unwrap_or_default()
            .naive_utc()
            + offset;
        let mut remaining = Duration::seconds(secs as i64);
        // Bounded: a calendar with no open hours at all would loop forever.
        for _ in 0..3660 {
            let date = local.date();
            let window = self.weekly[date.weekday().num_days_from_monday() as usize]
                .filter(|_| !self.holidays.contains(&date));
            if let Some((open, close)) = window {
                let start = local.max(date.and_time(open));
                let end = date.and_time(close);
                if start < end {
                    let available = end - start;
                    if remaining <= available {
                        let done = start + remaining - offset;
                        return Utc.from_utc_datetime(&done).timestamp_millis();
                    }
                    remaining -= available;
                }
            }
            local = (date + Duration::days(1)).and_time(NaiveTime::MIN);
        }
        start_ms + (secs as i64) * 1000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nine_to_five() -> BusinessHours {
        let day = Some((
            NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
        ));
        BusinessHours {
            utc_offset_minutes: 60,
            weekly: [day, day, day, day, day, None, None],
            holidays: vec![NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()],
        }
    }

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn deadlines_skip_nights_weekends_and_holidays() {
        let hours = nine_to_five();
        // Friday 16:50 local (+01:00) + 15 min → Monday 09:05 local.
        assert_eq!(
            hours.add_business_time(ms("2026-11-27T15:50:00Z"), 900),
            ms("2026-11-30T08:05:00Z")
        );
        // Thursday 24 Dec 16:55 local + 10 min → Saturday? no: 25th is a holiday → Monday 28th 09:05.
        assert_eq!(
            hours.add_business_time(ms("2026-12-24T15:55:00Z"), 600),
            ms("2026-12-28T08:05:00Z")
        );
        // Inside opening hours it is plain addition.
        assert_eq!(
            hours.add_business_time(ms("2026-11-26T10:00:00Z"), 120),
            ms("2026-11-26T10:02:00Z")
        );
    }
}
