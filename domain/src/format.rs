//! One reply, rendered for each channel.
//!
//! Drafts are plain text with blank-line paragraphs, `1.`/`-` list lines
//! and `**bold**`. Each channel has its own markup and limits:
//! Render alone greets and signs: a draft (the bot's or a person's) is only
//! the answer, and a greeting or sign-off the draft brought anyway (models
//! write them) is dropped, so every reply has exactly one of each.
//! - every channel: "Hi Ana," (or "Hello,") first;
//! - email: the paragraphs, a sign-off; plain text plus a simple
//!   HTML alternative (escaped, `<p>`/`<strong>`), no length cap that a
//!   reply could reach in practice (capped at 20,000 characters anyway);
//! - WhatsApp: no HTML, `*bold*`, paragraphs of at most ~400 characters (a
//!   phone screen), one message of at most 1,600 characters (Twilio's
//!   limit), cut at a paragraph or sentence boundary;
//! - web: the paragraphs as plain text (the status page escapes them).

use crate::Channel;

/// WhatsApp messages over this many characters are refused by Twilio.
pub const WHATSAPP_MAX_CHARS: usize = 1600;
const WHATSAPP_PARAGRAPH_CHARS: usize = 400;
const EMAIL_MAX_CHARS: usize = 20_000;
const WEB_MAX_CHARS: usize = 10_000;

/// What the formatter needs besides the reply text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Addressing<'a> {
    /// The customer's name as they gave it (may be empty).
    pub customer_name: &'a str,
    /// Who signs emails ("The Acme support team").
    pub signature: &'a str,
}

/// A reply ready for one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    /// The HTML alternative (email only).
    pub html: Option<String>,
}

/// Renders `body` for `channel`.
pub fn render(channel: Channel, body: &str, to: Addressing<'_>) -> Rendered {
    let paragraphs = without_own_greeting_and_sign_off(paragraphs(body));
    match channel {
        Channel::Email => email(&paragraphs, to),
        Channel::Whatsapp => Rendered {
            text: whatsapp(&[vec![greeting(to)], paragraphs].concat()),
            html: None,
        },
        Channel::Web => Rendered {
            text: trim_to(
                &std::iter::once(greeting(to))
                    .chain(paragraphs.iter().map(|p| strip_bold(p)))
                    .collect::<Vec<_>>()
                    .join("\n\n"),
                WEB_MAX_CHARS,
            ),
            html: None,
        },
    }
}

/// "Hi Ana," or, without a usable name, "Hello,".
fn greeting(to: Addressing<'_>) -> String {
    match first_name(to.customer_name) {
        Some(name) => format!("Hi {name},"),
        None => "Hello,".to_owned(),
    }
}

/// Words that open a greeting line or close a letter, in the languages
/// customers write to us in: a short first or last paragraph made of one
/// of these is the draft's own greeting or sign-off, not its answer.
const GREETINGS: &[&str] = &[
    "hi", "hello", "hey", "dear", "hola", "olá", "ola", "bonjour", "hallo",
];
const SIGN_OFFS: &[&str] = &[
    "best regards",
    "kind regards",
    "regards",
    "best",
    "cheers",
    "thanks,",
    "thank you,",
    "sincerely",
    "saludos",
    "cordialement",
    "atenciosamente",
];

fn without_own_greeting_and_sign_off(mut paragraphs: Vec<String>) -> Vec<String> {
    let short = |p: &str| p.chars().count() <= 60 && !p.contains('\n');
    let opens_with = |p: &str, words: &[&str]| {
        let lower = p.to_lowercase();
        words.iter().any(|w| {
            lower
                .strip_prefix(w)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', ',', '!', '.']))
        })
    };
    if paragraphs.len() > 1
        && paragraphs
            .first()
            .is_some_and(|p| short(p) && opens_with(p, GREETINGS))
    {
        paragraphs.remove(0);
    }
    // A sign-off paragraph is the closing word, perhaps with a name under it.
    if paragraphs.len() > 1
        && paragraphs.last().is_some_and(|p| {
            p.lines().count() <= 3 && p.chars().count() <= 120 && opens_with(p, SIGN_OFFS)
        })
    {
        paragraphs.pop();
    }
    paragraphs
}

/// Paragraphs of the draft: blank-line separated, trimmed, tags removed
/// (a model may answer with `<br>` or `<p>` although asked not to).
fn paragraphs(body: &str) -> Vec<String> {
    let untagged = body
        .replace("\r\n", "\n")
        .replace("<br>", "\n")
        .replace("<br/>", "\n")
        .replace("<br />", "\n")
        .replace("<p>", "\n\n")
        .replace("</p>", "\n\n");
    untagged
        .split("\n\n")
        .map(|p| {
            p.lines()
                .map(str::trim_end)
                .collect::<Vec<_>>()
                .join("\n")
                .trim()
                .to_owned()
        })
        .filter(|p| !p.is_empty())
        .collect()
}

fn strip_bold(text: &str) -> String {
    text.replace("**", "")
}

fn first_name(name: &str) -> Option<&str> {
    let first = name.split_whitespace().next()?;
    // A name that is really an address or a number is not a greeting.
    (!first.contains('@') && !first.starts_with('+') && first.chars().any(char::is_alphabetic))
        .then_some(first)
}

fn email(paragraphs: &[String], to: Addressing<'_>) -> Rendered {
    let greeting = greeting(to);
    let signature = if to.signature.is_empty() {
        "The support team"
    } else {
        to.signature
    };
    let mut text = vec![greeting.clone()];
    text.extend(paragraphs.iter().map(|p| strip_bold(p)));
    text.push(format!("Best regards,\n{signature}"));
    let text = trim_to(&text.join("\n\n"), EMAIL_MAX_CHARS);
    let mut html = format!("<p>{}</p>", escape_html(&greeting));
    for p in paragraphs {
        html.push_str(&format!(
            "<p>{}</p>",
            bold_to_html(&escape_html(p)).replace('\n', "<br>")
        ));
    }
    html.push_str(&format!(
        "<p>Best regards,<br>{}</p>",
        escape_html(signature)
    ));
    Rendered {
        text,
        html: Some(format!("<html><body>{html}</body></html>")),
    }
}

/// `**x**` → `<strong>x</strong>` on already escaped text; an unpaired
/// marker is left as typed.
fn bold_to_html(escaped: &str) -> String {
    let parts: Vec<&str> = escaped.split("**").collect();
    if parts.len().is_multiple_of(2) {
        return escaped.to_owned();
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<strong>{part}</strong>")
            } else {
                (*part).to_owned()
            }
        })
        .collect()
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn whatsapp(paragraphs: &[String]) -> String {
    let short: Vec<String> = paragraphs
        .iter()
        .flat_map(|p| split_long_paragraph(&p.replace("**", "*")))
        .collect();
    trim_to(&short.join("\n\n"), WHATSAPP_MAX_CHARS)
}

/// Splits a paragraph over ~400 characters at sentence ends; list lines
/// (numbered steps) stay whole.
fn split_long_paragraph(p: &str) -> Vec<String> {
    if p.chars().count() <= WHATSAPP_PARAGRAPH_CHARS || p.contains('\n') {
        return vec![p.to_owned()];
    }
    let mut out = Vec::new();
    let mut current = String::new();
    for sentence in p.split_inclusive(". ") {
        if !current.is_empty()
            && current.chars().count() + sentence.chars().count() > WHATSAPP_PARAGRAPH_CHARS
        {
            out.push(current.trim().to_owned());
            current.clear();
        }
        current.push_str(sentence);
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_owned());
    }
    out
}

/// Cuts `text` to at most `limit` characters at a paragraph or sentence
/// boundary, marking the cut with `…`.
fn trim_to(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let cut: String = text.chars().take(limit - 1).collect();
    let end = cut
        .rfind("\n\n")
        .or_else(|| cut.rfind(". ").map(|i| i + 1))
        .unwrap_or(cut.len());
    format!("{}…", cut[..end].trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Greeting and sign-off lines of a rendered reply.
    fn greetings_and_sign_offs(text: &str) -> (usize, usize) {
        let lines: Vec<&str> = text.lines().collect();
        let greetings = lines
            .iter()
            .filter(|l| l.starts_with("Hi ") || l.starts_with("Hello,"))
            .count();
        let sign_offs = lines
            .iter()
            .filter(|l| l.starts_with("Best regards"))
            .count();
        (greetings, sign_offs)
    }

    #[test]
    fn every_reply_has_exactly_one_greeting_and_at_most_one_sign_off() {
        let bot = "To reset it, open the sign-in page.\n\nSource: \"Reset your password\"";
        let agent = "Hi Ana,\n\nI have refunded the duplicate charge.\n\nBest regards,\nSam";
        let to = Addressing {
            customer_name: "Ana Lima",
            signature: "The Acme support team",
        };
        for body in [bot, agent] {
            for channel in [Channel::Email, Channel::Whatsapp, Channel::Web] {
                let text = render(channel, body, to).text;
                let (greetings, sign_offs) = greetings_and_sign_offs(&text);
                let expected_sign_offs = usize::from(channel == Channel::Email);
                assert_eq!(
                    (greetings, sign_offs),
                    (1, expected_sign_offs),
                    "{channel:?}: {text}"
                );
                assert!(text.starts_with("Hi Ana,"), "{text}");
            }
        }
    }

    const DRAFT: &str = "To reset your password:\n1. Open **Settings**.\n2. Choose Reset.\n\nThe link expires in <b>one hour</b>.<br>Reply if it does not arrive.";

    fn to(name: &str) -> Addressing<'_> {
        Addressing {
            customer_name: name,
            signature: "Acme Support",
        }
    }

    #[test]
    fn email_has_greeting_paragraphs_sign_off_and_escaped_html() {
        let r = render(Channel::Email, DRAFT, to("Ana Lima"));
        assert!(
            r.text
                .starts_with("Hi Ana,\n\nTo reset your password:\n1. Open Settings.\n2.")
        );
        assert!(
            r.text.ends_with("Best regards,\nAcme Support"),
            "{}",
            r.text
        );
        let html = r.html.unwrap();
        assert!(html.contains("<p>Hi Ana,</p>"));
        assert!(html.contains("1. Open <strong>Settings</strong>.<br>2. Choose Reset."));
        assert!(
            html.contains("&lt;b&gt;one hour&lt;/b&gt;"),
            "customer-visible tags are escaped: {html}"
        );
        assert!(!html.contains("<b>"));
    }

    #[test]
    fn email_greeting_falls_back_when_the_name_is_an_address() {
        for name in ["", "ana@example.com", "+14155550100"] {
            assert!(
                render(Channel::Email, "x", to(name))
                    .text
                    .starts_with("Hello,\n\n")
            );
        }
    }

    #[test]
    fn whatsapp_uses_single_star_bold_and_no_html() {
        let r = render(
            Channel::Whatsapp,
            "Open **Settings**.<br>Then <p>save</p>",
            to("Ana"),
        );
        assert_eq!(r.text, "Hi Ana,\n\nOpen *Settings*.\nThen\n\nsave");
        assert!(r.html.is_none());
    }

    #[test]
    fn whatsapp_splits_long_paragraphs_and_respects_the_limit() {
        let long = "This sentence is about forty characters. ".repeat(30);
        let r = render(Channel::Whatsapp, &long, to(""));
        assert!(
            r.text.contains("\n\n"),
            "long paragraph split into short ones"
        );
        assert!(
            r.text
                .split("\n\n")
                .all(|p| p.chars().count() <= WHATSAPP_PARAGRAPH_CHARS)
        );
        let huge = format!("{}\n\n{}", "First paragraph. ".repeat(50), "x".repeat(900));
        let r = render(Channel::Whatsapp, &huge, to(""));
        assert!(r.text.chars().count() <= WHATSAPP_MAX_CHARS);
        assert!(r.text.ends_with('…'));
    }

    #[test]
    fn web_is_plain_paragraphs() {
        let r = render(Channel::Web, DRAFT, to("Ana"));
        assert!(
            r.text
                .starts_with("Hi Ana,\n\nTo reset your password:\n1. Open Settings.")
        );
        assert!(!r.text.contains("<br>"));
    }

    #[test]
    fn the_same_reply_differs_per_channel_only_in_form() {
        let texts: Vec<String> = Channel::ALL
            .iter()
            .map(|c| render(*c, DRAFT, to("Ana")).text)
            .collect();
        for t in &texts {
            assert!(t.contains("Choose Reset."));
        }
        assert_ne!(texts[0], texts[1]);
    }
}
