//! Small wordings the desk view shares: channel names as people say them,
//! a customer's short name, a masked contact, shortened text and spans of
//! time. Everything works on characters, never byte offsets.

use crate::Channel;

/// `WhatsApp`, `Email`, `Web form`: how agents name the channels.
pub fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Whatsapp => "WhatsApp",
        Channel::Email => "Email",
        Channel::Web => "Web form",
    }
}

/// `Grace O.` for "Grace O'Neil": enough to greet, little to identify.
pub fn short_name(full: &str) -> String {
    let mut words = full.split_whitespace();
    let Some(first) = words.next() else {
        return String::new();
    };
    let first = shorten(first, 24);
    match words
        .last()
        .and_then(|w| w.chars().find(|c| c.is_alphabetic()))
    {
        Some(initial) => format!("{first} {}.", initial.to_uppercase()),
        None => first,
    }
}

/// `+4479•••0123`, `g•••@example.com`: an agent recognises the contact
/// the customer gave; a screenshot of the list does not leak it.
pub fn mask_contact(value: &str) -> String {
    let value = value.trim();
    if let Some((local, domain)) = value.rsplit_once('@') {
        let first: String = local.chars().take(1).collect();
        return format!("{first}•••@{}", shorten(domain, 40));
    }
    let chars: Vec<char> = value.chars().filter(|c| !c.is_whitespace()).collect();
    // Five shown in front and four behind: anything shorter would show it all.
    if chars.len() <= 9 {
        return "•••".into();
    }
    let head: String = chars.iter().take(5).collect();
    let tail: String = chars.iter().skip(chars.len() - 4).collect();
    format!("{head}•••{tail}")
}

/// At most `max` characters on one line: line breaks and runs of spaces
/// become one space, and a cut is marked with `…`.
pub fn shorten(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let kept: String = flat.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

/// `45 s`, `12 min`, `3 h 20 min`, `2 d 3 h`: a span as an agent reads it
/// (rounded down; a negative span is `0 s`).
pub fn span(ms: i64) -> String {
    let secs = ms.max(0) / 1000;
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{secs} s"),
        // Under ten minutes the seconds matter (an SLA of 2 min shows as
        // "1 min 59 s" once a step has run, not as "1 min").
        (0, 0, m) if m < 10 && secs % 60 != 0 => format!("{m} min {} s", secs % 60),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// `2026-11-30 14:32 UTC`: absolute, so a card read later is still right.
pub fn utc(unix_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(unix_ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "unknown time".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_keep_a_first_name_and_an_initial() {
        assert_eq!(short_name("Grace O'Neil"), "Grace O.");
        assert_eq!(short_name("  Ana  "), "Ana");
        assert_eq!(short_name("Émile de la Tour"), "Émile T.");
        assert_eq!(short_name(""), "");
    }

    #[test]
    fn contacts_are_masked_without_cutting_characters() {
        assert_eq!(mask_contact("+44 7911 123456"), "+4479•••3456");
        assert_eq!(mask_contact("émile@exemple.fr"), "é•••@exemple.fr");
        assert_eq!(mask_contact("12345"), "•••");
        assert_eq!(
            mask_contact("+12345678"),
            "•••",
            "a short number is not shown whole"
        );
    }

    #[test]
    fn shortening_counts_characters_and_flattens_lines() {
        assert_eq!(
            shorten("¡¡Ayuda!!\n\nme   cobraron", 100),
            "¡¡Ayuda!! me cobraron"
        );
        assert_eq!(shorten("ééééé", 3), "éé…");
        assert_eq!(shorten("", 3), "");
    }

    #[test]
    fn spans_read_as_people_say_them() {
        assert_eq!(span(45_000), "45 s");
        assert_eq!(span(120_000), "2 min");
        assert_eq!(span(719_000), "11 min");
        assert_eq!(span(119_500), "1 min 59 s");
        assert_eq!(span(3_600_000), "1 h");
        assert_eq!(span(12_000_000), "3 h 20 min");
        assert_eq!(span(86_400_000 * 2 + 3_600_000 * 3), "2 d 3 h");
        assert_eq!(span(-5), "0 s");
    }

    #[test]
    fn times_are_absolute_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(i64::MAX), "unknown time");
    }
}
