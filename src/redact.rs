//! PII redaction for log lines: phone numbers and email addresses are
//! masked before a line leaves the process (this covers the Temporal SDK's
//! own spans too, which carry workflow ids such as
//! `ticket-whatsapp-+14155550100`). Message bodies are never logged.

use std::io::{self, Write};
use tracing_subscriber::fmt::MakeWriter;

/// `+14155550100` → `+14•••••••00`; `ana.lopez@example.com` → `a•••@example.com`.
pub fn redact(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < chars.len() {
        // E.164: '+' then 8 to 15 digits.
        if chars[i] == '+' {
            let digits = chars[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if (8..=15).contains(&digits) {
                out.push('+');
                out.extend(&chars[i + 1..i + 3]);
                out.extend(std::iter::repeat_n('•', digits - 4));
                out.extend(&chars[i + digits - 1..i + digits + 1]);
                i += digits + 1;
                continue;
            }
        }
        if chars[i] == '@' && i > 0 {
            let local_len = out.chars().rev().take_while(|c| is_local(*c)).count();
            let domain_ok = chars[i + 1..]
                .iter()
                .take_while(|c| c.is_alphanumeric() || **c == '.' || **c == '-')
                .any(|c| *c == '.');
            if local_len > 0 && domain_ok {
                let keep: String = out
                    .chars()
                    .rev()
                    .take(local_len)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .take(1)
                    .collect();
                for _ in 0..local_len {
                    out.pop();
                }
                out.push_str(&keep);
                out.push_str("•••");
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

fn is_local(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

/// Wraps a writer: each formatted event is redacted as a whole.
pub struct Redacting<M>(pub M);

pub struct RedactingWriter<W: Write> {
    inner: W,
    buffer: Vec<u8>,
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter {
            inner: self.0.make_writer(),
            buffer: Vec::new(),
        }
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    // tracing-subscriber makes one writer per event, so the buffer is one
    // whole event here.
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.buffer);
        let _ = self.inner.write_all(redact(&text).as_bytes());
        let _ = self.inner.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_and_emails_are_masked_and_the_rest_kept() {
        let line = r#"recorded workflow_id=ticket-whatsapp-+14155550100 from=ana.lopez+x@example.com ticket=TKT-000042 at 12:00"#;
        let r = redact(line);
        assert!(r.contains("ticket-whatsapp-+14•••••••00"), "{r}");
        assert!(r.contains("from=a•••@example.com"), "{r}");
        assert!(r.contains("ticket=TKT-000042 at 12:00"), "{r}");
        assert!(!r.contains("4155550") && !r.contains("lopez"), "{r}");
        assert_eq!(
            redact("no pii here, +12 and a@b"),
            "no pii here, +12 and a@b"
        );
    }
}
