//! PII redaction for log lines: phone numbers and email addresses are
//! masked before a line leaves the process (this covers the Temporal SDK's
//! own spans too, which carry workflow ids such as
//! `ticket-whatsapp-+14155550100`). Message bodies are never logged.

use std::io::{self, Write};
use tracing_subscriber::fmt::MakeWriter;

/// `+14155550100` and `+44 7700 900123` → `+14•••••••00`, `(212) 555-0101`
/// → `(21••••••01`; `ana.lopez@example.com` → `a•••@example.com`.
pub fn redact(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < chars.len() {
        if let Some((end, digits)) = phone_at(&chars, i) {
            if !chars[i].is_ascii_digit() {
                out.push(chars[i]);
            }
            out.extend(&digits[..2]);
            out.extend(std::iter::repeat_n('•', digits.len() - 4));
            out.extend(&digits[digits.len() - 2..]);
            i = end;
            continue;
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

/// A phone number starting at `chars[i]`: where it ends and its digits.
/// `+` and 8 to 15 digits (E.164, spaced or not); `(` and 9 to 15 digits;
/// or a bare `212 555 0101` / `07700 900123` shape. Single spaces, dashes,
/// dots and parentheses may separate digit groups; dates and times
/// (`2026-11-30 14:25`) do not have these shapes.
fn phone_at(chars: &[char], i: usize) -> Option<(usize, Vec<char>)> {
    let first = chars[i];
    let after_word = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '•');
    if after_word && first != '+' {
        return None;
    }
    let start = if first == '+' || first == '(' {
        i + 1
    } else {
        i
    };
    let mut digits = Vec::new();
    let mut groups = Vec::new();
    let mut j = start;
    while j < chars.len() {
        let c = chars[j];
        if c.is_ascii_digit() {
            digits.push(c);
            if groups.is_empty() || !chars[j - 1].is_ascii_digit() {
                groups.push(0);
            }
            *groups.last_mut()? += 1;
            j += 1;
        } else if matches!(c, ' ' | '-' | '.' | '(' | ')')
            && !digits.is_empty()
            && chars
                .get(j + 1)
                .is_some_and(|n| n.is_ascii_digit() || *n == '(' || (c == ')' && *n == ' '))
        {
            // ") 5" is one separator of "(212) 555".
            j += if c == ')' && chars[j + 1] == ' ' {
                2
            } else {
                1
            };
        } else {
            break;
        }
    }
    if chars.get(j).is_some_and(|c| c.is_alphanumeric()) {
        return None;
    }
    let n = digits.len();
    let shaped = match first {
        '+' => (8..=15).contains(&n),
        '(' => (9..=15).contains(&n),
        '0' => (10..=13).contains(&n) && groups.len() >= 2 && groups[0] >= 4,
        _ => groups == [3, 3, 4],
    };
    (shaped && n >= 8).then_some((j, digits))
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

    #[test]
    fn phones_written_with_spaces_are_masked_too() {
        for (line, masked) in [
            ("from +44 7700 900123 today", "from +44••••••••23 today"),
            ("call (212) 555-0101.", "call (21••••••01."),
            ("tel 212 555 0101", "tel 21••••••01"),
            ("uk 07700 900123,", "uk 07•••••••23,"),
            ("+1 (415) 555-0100", "+14•••••••00"),
        ] {
            assert_eq!(redact(line), masked, "{line}");
        }
        for kept in [
            "at 2026-11-30 14:25:34.123 took 1500 ms",
            "ticket=TKT-000042 port 7233 v1.2.3",
            "id 550e8400-e29b-41d4-a716-446655440000",
        ] {
            assert_eq!(redact(kept), kept);
        }
    }
}
