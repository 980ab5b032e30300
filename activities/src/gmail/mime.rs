//! RFC 5322 both ways: the customer's part of an inbound mail (quoted
//! history and signature removed), and a threaded reply with a plain-text
//! and an HTML alternative.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mail_parser::MessageParser;

/// What Steward reads from an inbound mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMail {
    pub from_address: String,
    pub from_name: String,
    pub subject: String,
    /// Without angle brackets; empty when the mail has none.
    pub message_id: String,
    /// The customer's new text only.
    pub text: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MimeError {
    #[error("not an RFC 5322 message")]
    Unparseable,
    #[error("the message has no From address")]
    NoSender,
    #[error("recipient {0:?} is not one email address")]
    BadRecipient(String),
}

pub fn parse_inbound(raw: &[u8]) -> Result<InboundMail, MimeError> {
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(MimeError::Unparseable)?;
    let from = message
        .from()
        .and_then(|f| f.first())
        .ok_or(MimeError::NoSender)?;
    let from_address = from.address().ok_or(MimeError::NoSender)?.to_owned();
    Ok(InboundMail {
        from_name: from.name().unwrap_or("").to_owned(),
        from_address,
        subject: message.subject().unwrap_or("").to_owned(),
        message_id: message.message_id().unwrap_or("").to_owned(),
        text: strip_quoted(&message.body_text(0).unwrap_or_default()),
    })
}

/// The new part of a reply: everything before the quoted previous mail
/// (`On … wrote:`, `-----Original Message-----`, `>` lines, Outlook's
/// `From:` block) and the signature (`-- `, "Sent from my …").
pub fn strip_quoted(text: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        let next = lines.get(i + 1).map_or("", |l| l.trim());
        let attribution = t.starts_with("On ")
            && (t.ends_with("wrote:") || (next.ends_with("wrote:") && t.len() < 120));
        let outlook = t.starts_with("From:")
            && kept.last().is_some_and(|l| l.trim().is_empty())
            && lines[i..].iter().take(5).any(|l| {
                l.trim_start().starts_with("Sent:") || l.trim_start().starts_with("Date:")
            });
        if attribution
            || outlook
            || t.starts_with('>')
            || t.starts_with("-----Original Message-----")
            || *line == "-- "
            || t == "--"
            || t.starts_with("Sent from my ")
        {
            break;
        }
        kept.push(line);
    }
    kept.join("\n").trim().to_owned()
}

/// A reply to the customer, threaded under their message.
#[derive(Debug, Clone)]
pub struct Reply<'a> {
    pub from_name: &'a str,
    pub from_address: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    /// The customer's `Message-ID` (without brackets); empty for a first mail.
    pub in_reply_to: &'a str,
    /// Unique and stable per reply (a retried send carries the same id).
    pub message_id: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    pub date: chrono::DateTime<chrono::Utc>,
}

/// RFC 2047 for a header value that is not plain ASCII.
fn header_text(value: &str) -> String {
    let clean: String = value.chars().filter(|c| *c != '\r' && *c != '\n').collect();
    if clean.is_ascii() {
        clean
    } else {
        format!("=?UTF-8?B?{}?=", STANDARD.encode(clean.as_bytes()))
    }
}

fn base64_lines(text: &str) -> String {
    let encoded = STANDARD.encode(text.as_bytes());
    encoded
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\r\n")
}

pub fn reply_subject(subject: &str) -> String {
    let s = subject.trim();
    if s.is_empty() {
        "Your support request".to_owned()
    } else if s.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("re:")) {
        // `get`, not `[..3]`: the third byte may sit inside a character ("¡¡Ayuda!!").
        s.to_owned()
    } else {
        format!("Re: {s}")
    }
}

/// The recipient exactly as it may stand in `To:`: one bare mailbox (a
/// list, a display name or a line break from outside data is refused).
pub fn recipient(to: &str) -> Result<&str, MimeError> {
    let to = to.trim();
    if steward_domain::identity::is_single_address(to) {
        Ok(to)
    } else {
        Err(MimeError::BadRecipient(to.chars().take(80).collect()))
    }
}

/// A `Message-ID` from outside, reduced to what may stand between `<>`.
fn msg_id(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>'))
        .collect()
}

/// The full message, or why it may not be sent.
pub fn checked_reply(reply: &Reply<'_>) -> Result<String, MimeError> {
    recipient(reply.to)?;
    Ok(build_reply(reply))
}

/// The full message, CRLF line endings. An invalid recipient leaves `To:`
/// empty, which Gmail refuses (400) instead of sending to a list; callers
/// that want the reason first use [`checked_reply`].
pub fn build_reply(reply: &Reply<'_>) -> String {
    let boundary = format!("steward-{}", reply.message_id.replace(['@', '.', ':'], "-"));
    let mut headers = vec![
        format!(
            "From: {} <{}>",
            header_text(reply.from_name),
            reply.from_address
        ),
        format!("To: {}", recipient(reply.to).unwrap_or_default()),
        format!("Subject: {}", header_text(&reply_subject(reply.subject))),
        format!("Date: {}", reply.date.to_rfc2822()),
        format!("Message-ID: <{}>", reply.message_id),
        "MIME-Version: 1.0".to_owned(),
        format!("Content-Type: multipart/alternative; boundary=\"{boundary}\""),
    ];
    let in_reply_to = msg_id(reply.in_reply_to);
    if !in_reply_to.is_empty() {
        headers.push(format!("In-Reply-To: <{in_reply_to}>"));
        headers.push(format!("References: <{in_reply_to}>"));
    }
    let part = |content_type: &str, body: &str| {
        format!(
            "--{boundary}\r\nContent-Type: {content_type}; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            base64_lines(body)
        )
    };
    format!(
        "{}\r\n\r\n{}{}--{boundary}--\r\n",
        headers.join("\r\n"),
        part("text/plain", reply.text),
        part("text/html", reply.html)
    )
}

#[cfg(test)]
#[path = "mime_tests.rs"]
mod tests;
