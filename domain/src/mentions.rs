//! Identities and ticket numbers a customer mentions in a message, and
//! whether they state them as their own.
//!
//! Only a self-statement links two identities to one customer: "my email
//! is …", "I also wrote from …", "my ticket TKT-…", or an address or number
//! in the sender's own signature. A colleague's address, "on behalf of", or
//! a forwarded mail never merges on its own (the link is at most proposed).

use crate::identity::{Identity, IdentityKind, canonical_email, phone_in_region};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mentioned {
    Identity(Identity),
    /// A customer-facing ticket number, `TKT-000042`.
    Ticket(String),
    /// A bare ticket reference (`#61840`, "ticket 66019"): ours or another
    /// help desk's, see [`crate::references`].
    Reference(String),
    /// A number in national notation with a trunk `0` (`06 12345678`): its
    /// country is unknown, so it matches a known international number
    /// whose national part it is (see [`crate::identity::national_candidates`]).
    NationalPhone(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    pub what: Mentioned,
    /// Stated as the sender's own (a link may be applied).
    pub self_stated: bool,
    /// The words around it, kept as the evidence of a link.
    pub evidence: String,
    /// Said to be someone else's ("my colleague's email is", "on behalf
    /// of"): never the sender's, and a reference so mentioned is not held.
    #[serde(default)]
    pub others: bool,
}

/// Ways of saying "this is mine" before an address, number or ticket, in
/// the languages customers write in: grammar of ownership, not any
/// particular message.
const SELF: &[&str] = &[
    "my email",
    "my e-mail",
    "my address",
    "my mail",
    "my number",
    "my phone",
    "my mobile",
    "my login",
    "my account",
    "my ticket",
    "email is",
    "i also wrote from",
    "wrote from",
    "emailed you",
    "i emailed",
    "reach me",
    "call me",
    "text me",
    "contact me",
    "changed my login",
    "i'm on",
    "i am on",
    "it's me",
    "this is",
    "here from",
    "also me",
    // The same statements in the other languages customers write in.
    "meu pedido",
    "meu ticket",
    "meu chamado",
    "meu email",
    "meu e-mail",
    "meu número",
    "mi ticket",
    "mi pedido",
    "mi solicitud",
    "mi caso",
    "mi correo",
    "mi número",
    "mon ticket",
    "ma demande",
    "mon dossier",
    "mon e-mail",
    "mon adresse",
    "mon numéro",
    "te escribí",
    "escribí desde",
    "te escrevi",
    "escrevi de",
    "je vous ai écrit",
    "écrit depuis",
    "meine e-mail",
    "meine email",
    "meine mail",
    "meine adresse",
    "meine nummer",
    "meine handynummer",
    "meine telefonnummer",
    "mein ticket",
    "mein login",
    "meinen login",
    "meinen account",
    "mein konto",
    "meinen zugang",
    "auch von",
    "auch schon von",
    "geschrieben von",
    "la mia mail",
    "la mia email",
    "la mia e-mail",
    "il mio indirizzo",
    "il mio numero",
    "il mio ticket",
    "ho scritto da",
    "scritto anche da",
];
/// First-person "I wrote to you before" verbs. Followed later in the same
/// sentence by a "from" ("I wrote earlier on WhatsApp from our family phone
/// (+34 …)", "os escribí por WhatsApp desde el +34 …"), what follows is
/// where the writer wrote from. General: the grammar of "I wrote from X"
/// with words between verb and preposition, in each language; someone
/// else's writing ("my colleague wrote from") is still someone else's.
const WROTE: &[&str] = &[
    "i wrote",
    "i've written",
    "i have written",
    "i messaged",
    "i texted",
    "i emailed",
    "i contacted",
    "escribí",
    "escrevi",
    "ho scritto",
    "vous ai écrit",
    "j'ai écrit",
];
const FROM: &[&str] = &[" from ", " desde ", " de ", " da ", " depuis "];
/// Other first-person sending verbs ("I asked about approvers earlier from
/// our shared ops@ mailbox"): these count only with a possessive "from
/// my/our", since "I asked for a copy from billing@…" names where the
/// answer came from, not where the writer wrote from.
const SENT: &[&str] = &["i asked", "i sent", "i raised", "i reported", "i posted"];
const FROM_OWN: &[&str] = &[" from my ", " from our "];

/// Words that may stand between "from" and the contact it names: the
/// writer's own device, line or mailbox ("from our family phone (", "desde
/// el", "from my personal address"). Anything else is someone or something
/// else ("from John in accounting (john@…)", "from our supplier at +44 …").
const OWN_CHANNEL_WORDS: &[&str] = &[
    "my",
    "our",
    "the",
    "a",
    "el",
    "la",
    "mi",
    "nuestro",
    "nuestra",
    "o",
    "meu",
    "nosso",
    "il",
    "mio",
    "nostro",
    "mon",
    "notre",
    "family",
    "shared",
    "personal",
    "private",
    "work",
    "old",
    "new",
    "other",
    "office",
    "phone",
    "number",
    "mobile",
    "cell",
    "mailbox",
    "address",
    "email",
    "e-mail",
    "account",
    "whatsapp",
    "teléfono",
    "telefone",
    "número",
    "correo",
    "móvil",
    "celular",
    "telefono",
    "numero",
    "indirizzo",
    "cellulare",
    "téléphone",
    "numéro",
    "adresse",
    "portable",
];

/// Whether `before` says "I wrote … from <my own line>" right before a
/// mention: a writing verb, the first "from" after it, and between that and
/// the mention only words naming the writer's own channel.
fn wrote_from(before: &str) -> bool {
    let own_channel = |rest: &str| {
        rest.split(|c: char| c.is_whitespace() || c == '(' || c == ':')
            .filter(|w| !w.is_empty())
            .all(|w| OWN_CHANNEL_WORDS.contains(&w))
    };
    let followed = |verbs: &[&str], from: &[&str]| {
        verbs.iter().any(|verb| {
            before.match_indices(verb).any(|(at, _)| {
                let after = &before[at + verb.len()..];
                from.iter()
                    .filter_map(|f| after.find(f).map(|i| (i, f.len())))
                    .min()
                    .is_some_and(|(i, len)| own_channel(&after[i + len..]))
            })
        })
    };
    followed(WROTE, FROM) || followed(SENT, FROM_OWN)
}

/// Mail providers where anyone gets an address: a bare "billing@" never
/// means a mailbox at gmail.com.
const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "yahoo.com",
    "icloud.com",
    "me.com",
    "proton.me",
    "protonmail.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "aol.com",
];

/// `text` with each bare role mailbox the writer calls their own ("our
/// shared ops@ mailbox", "from our info@") completed with `own_domain`.
/// General: people name their organisation's shared mailbox by its local
/// part alone, after "our"; the domain they leave out is their own. Not at
/// a free-mail domain, and not after "your" ("your billing@ address").
pub fn complete_bare_mailboxes(text: &str, own_domain: &str) -> String {
    if FREE_MAIL.contains(&own_domain.to_ascii_lowercase().as_str()) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        out.push(c);
        let bare = c == '@'
            && chars
                .peek()
                .is_none_or(|(_, next)| next.is_whitespace() || ",;)".contains(*next))
            && text[..at]
                .chars()
                .next_back()
                .is_some_and(|before| before.is_ascii_alphanumeric());
        if bare && ours(&text[..at]) {
            out.push_str(own_domain);
        }
    }
    out
}

/// Whether "our" is among the three words before the local part at the end
/// of `before` ("our shared ops", "our ops").
fn ours(before: &str) -> bool {
    before
        .split_whitespace()
        .rev()
        .skip(1)
        .take(3)
        .any(|w| w.eq_ignore_ascii_case("our"))
}

/// Self-introductions ("hey it's Dan (dan@x.com)", "Nikhil here, …"):
/// they open a message, so they count in its first sentence only ("the
/// form is here, ana@x.com never got it" introduces nobody).
const INTRODUCTIONS: &[&str] = &["hey it's", "hi it's", "hello it's", " here,"];
/// Ways of saying "this is someone else's" (colleagues, bosses, family,
/// forwards, writing for someone): general relations, in each language.
const NOT_SELF: &[&str] = &[
    "on behalf of",
    "colleague",
    "my boss",
    "my manager",
    "forwarded",
    "for my client",
    "my wife",
    "my husband",
    "my son",
    "my daughter",
    "coworker",
    "co-worker",
    "teammate",
    "email my",
    "my colleague's",
    "my boss's",
    // The same in German and Italian.
    "im auftrag",
    "kollege",
    "kollegin",
    "mein chef",
    "meine chefin",
    "weitergeleitet",
    "per conto di",
    "collega",
    "il mio capo",
    "inoltrat",
];
/// Labels of contact fields. A line that opens with one of them and a
/// colon ("Phone: +44 …", "Mobil: 0171 …") gives the writer's own contact,
/// as a form field or a signature line does. General: how contact details
/// are labelled in forms and signatures, in the languages customers write
/// in (someone else's field still names them: "my boss's phone: …").
const FIELD_LABELS: &[&str] = &[
    "phone",
    "mobile",
    "mob",
    "cell",
    "tel",
    "tel.",
    "telephone",
    "whatsapp",
    "email",
    "e-mail",
    "m",
    "t",
    "p",
    "telefon",
    "handy",
    "mobil",
    "telefono",
    "teléfono",
    "téléphone",
    "cellulare",
    "celular",
    "móvil",
    "portable",
    "telemóvel",
];

/// Whether the mention at `at` is the value of a labelled contact field.
fn labelled_field(lower: &str, at: usize) -> bool {
    let line_start = lower[..at].rfind('\n').map_or(0, |i| i + 1);
    lower[line_start..at]
        .trim_end()
        .strip_suffix(':')
        .is_some_and(|label| FIELD_LABELS.contains(&label.trim()))
}

/// Whole words that make a mention someone else's (a relative clause
/// "…, who called from +44 …" describes another person too).
const OTHERS: &[&str] = &["her", "his", "their", "she", "he", "who", "whose"];

fn window(text: &str, at: usize) -> &str {
    let mut start = at.saturating_sub(60);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    // The statement belongs to this sentence only.
    let before = &text[start..at];
    let cut = before
        .rfind(['.', '!', '?', '\n'])
        .map(|i| i + 1)
        .unwrap_or(0);
    &before[cut..]
}

fn tokens(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let part = c.is_alphanumeric() || "@.+-_()".contains(c);
        match (part, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, &text[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    out
}

/// Where the sender's own words end: a forwarded or quoted mail below it
/// (its addresses and signature are someone else's, so they can never be
/// the sender's own statement or signature).
const QUOTE_MARKERS: &[&str] = &[
    "---------- forwarded message",
    "begin forwarded message",
    "-----original message-----",
    "\n> ",
    "\n>",
];

fn own_part(lower: &str) -> &str {
    let mut end = QUOTE_MARKERS
        .iter()
        .filter_map(|m| lower.find(m))
        .min()
        .unwrap_or(lower.len());
    // "On Tue, 3 Nov 2026, Ana <ana@x.com> wrote:" opens a quote too.
    if let Some(wrote) = lower.find(" wrote:") {
        let line_start = lower[..wrote].rfind('\n').map_or(0, |i| i + 1);
        if lower[line_start..].starts_with("on ") {
            end = end.min(line_start);
        }
    }
    &lower[..end]
}

/// Where the sender's signature starts: the last three lines of a longer
/// message, or a short closing paragraph (at most three lines, none ending
/// like a sentence: "Ana Lima | Acme | cell 212.555.0187", not "Please send
/// invoices to finance@x.com.").
fn signature_start(lower: &str) -> usize {
    let newlines: Vec<usize> = lower.match_indices('\n').map(|(i, _)| i).collect();
    let last_three = newlines
        .len()
        .checked_sub(3)
        .map(|i| newlines[i])
        .unwrap_or(usize::MAX);
    let closing = lower.trim_end().rfind("\n\n").filter(|&at| {
        let lines: Vec<&str> = lower[at..].trim().lines().collect();
        !lines.is_empty()
            && lines.len() <= 3
            && lines.iter().all(|l| {
                let l = l.trim_end();
                l.len() <= 80 && !l.ends_with(['.', '?', '!', ':'])
            })
    });
    closing.map_or(last_three, |at| at.min(last_three))
}

/// Mentions in `text`, phones read in `default_region`. Only the sender's
/// own part counts: forwarded and quoted mail below it is ignored.
pub fn mentions(text: &str, default_region: &str) -> Vec<Mention> {
    let lower = text.to_lowercase();
    let lower = own_part(&lower).to_owned();
    let signature_start = signature_start(&lower);
    let mut found = Vec::new();
    let mut phone_run: Option<(usize, String)> = None;
    let push = |what: Mentioned, at: usize, found: &mut Vec<Mention>| {
        let before = window(&lower, at);
        let someone_else = NOT_SELF.iter().any(|p| before.contains(p))
            || before
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| OTHERS.contains(&w));
        let first_sentence = !lower[..at].contains(['.', '!', '?', '\n']);
        let introduced = first_sentence && INTRODUCTIONS.iter().any(|p| before.contains(p));
        let self_stated = (at >= signature_start
            || introduced
            || labelled_field(&lower, at)
            || wrote_from(before)
            || SELF.iter().any(|p| before.contains(p)))
            && !someone_else;
        if !found.iter().any(|m: &Mention| m.what == what) {
            found.push(Mention {
                what,
                self_stated,
                others: someone_else,
                evidence: format!("{}…", before.trim()),
            });
        }
    };
    for (at, token) in tokens(&lower) {
        let token = token.trim_matches(|c: char| ".,;:()".contains(c));
        if token.contains('@') {
            if let Ok(email) = canonical_email(token) {
                push(Mentioned::Identity(email), at, &mut found);
            }
        } else if let Ok(number) = crate::TicketNumber::parse(token) {
            push(Mentioned::Ticket(number.to_string()), at, &mut found);
        } else if let Some(reference) = crate::references::reference_at(&lower, at, token) {
            push(Mentioned::Reference(reference), at, &mut found);
        }
        // Phone numbers span several tokens ("+44 7700 900123").
        let digits = token.chars().filter(char::is_ascii_digit).count();
        let phone_like = digits > 0
            && token
                .chars()
                .all(|c| c.is_ascii_digit() || "+-().".contains(c));
        match (&mut phone_run, phone_like) {
            (Some((_, run)), true) => run.push_str(token),
            (None, true) => phone_run = Some((at, token.to_owned())),
            (Some(_), false) | (None, false) => {
                if let Some((start, run)) = phone_run.take() {
                    read_phone(&run, start, default_region, &mut |m, a| {
                        push(m, a, &mut found)
                    });
                }
            }
        }
    }
    if let Some((start, run)) = phone_run.take() {
        read_phone(&run, start, default_region, &mut |m, a| {
            push(m, a, &mut found)
        });
    }
    found
}

fn read_phone(run: &str, at: usize, region: &str, push: &mut impl FnMut(Mentioned, usize)) {
    let digits: String = run.chars().filter(char::is_ascii_digit).collect();
    if !(9..=15).contains(&digits.len()) {
        return;
    }
    let international = run.trim_start_matches('(').starts_with(['+']) || digits.starts_with("00");
    if !international && let Some(national) = digits.strip_prefix('0') {
        push(Mentioned::NationalPhone(national.to_owned()), at);
    } else if let Ok(phone) = phone_in_region(run, region) {
        push(Mentioned::Identity(phone), at);
    }
}

impl Mention {
    pub fn identity(&self) -> Option<&Identity> {
        match &self.what {
            Mentioned::Identity(i) => Some(i),
            Mentioned::Ticket(_) | Mentioned::Reference(_) | Mentioned::NationalPhone(_) => None,
        }
    }

    pub fn is_email(&self) -> bool {
        self.identity()
            .is_some_and(|i| i.kind == IdentityKind::Email)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own(text: &str) -> Vec<String> {
        mentions(text, "US")
            .into_iter()
            .filter(|m| m.self_stated)
            .map(|m| match m.what {
                Mentioned::Identity(i) => i.value,
                Mentioned::Ticket(t) | Mentioned::Reference(t) => t,
                Mentioned::NationalPhone(n) => format!("0{n}"),
            })
            .collect()
    }

    #[test]
    fn bare_mailboxes_take_the_writers_domain() {
        let done = |t: &str| complete_bare_mailboxes(t, "x.com");
        assert_eq!(done("our ops@ mailbox"), "our ops@x.com mailbox");
        assert_eq!(
            done("from our info@, thanks"),
            "from our info@x.com, thanks"
        );
        assert_eq!(
            done("write to your billing@ address"),
            "write to your billing@ address"
        );
        assert_eq!(
            done("my address is jane.doe@\nx.de"),
            "my address is jane.doe@\nx.de"
        );
        assert_eq!(
            complete_bare_mailboxes("our shared billing@ mailbox", "gmail.com"),
            "our shared billing@ mailbox"
        );
        assert_eq!(done("ana@y.com and @handle"), "ana@y.com and @handle");
        assert_eq!(done("written to é@ too"), "written to é@ too");
    }

    #[test]
    fn self_statements_and_signatures_link() {
        assert_eq!(
            own("hey it's jon, my lumen email is jon.baptiste+lumen@gmail.com, any update?"),
            vec!["jonbaptiste@gmail.com"]
        );
        assert_eq!(
            own(
                "emailed you this morning from dmitri.volkov@harbourline.co.uk about the slack thing"
            ),
            vec!["dmitri.volkov@harbourline.co.uk"]
        );
        assert_eq!(
            own("Following up on the timer.\n\nGrace Okafor | Fernhill\nMobile: +44 7700 900123"),
            vec!["+447700900123"]
        );
        assert_eq!(
            own("Hola, I wrote earlier on WhatsApp from our family phone (+1 415 555 0100) too."),
            vec!["+14155550100"]
        );
        assert_eq!(
            own("También os escribí por WhatsApp desde el +1 415 555 0100 ayer."),
            vec!["+14155550100"]
        );
        assert!(
            own("My colleague wrote earlier from +1 415 555 0100 about this.").is_empty(),
            "someone else's writing is theirs"
        );
        assert!(own("I wrote to support about +1 415 555 0100 being wrong.").is_empty());
        assert_eq!(
            own(&complete_bare_mailboxes(
                "Hi, I asked about approvers earlier from our shared ops@ mailbox.",
                "lanternfoods.com"
            )),
            vec!["ops@lanternfoods.com"]
        );
        assert!(
            own("I asked for a copy from billing@vendor.example last week.").is_empty(),
            "where an answer came from is not where the writer wrote from"
        );
        assert!(own("I contacted John from accounting (john@acme.example) too.").is_empty());
        assert!(own("I asked for a quote from our supplier at +1 415 555 0100.").is_empty());
        assert!(
            own("I sent the invites from our admin account, and tom@acme.example can't see them.")
                .is_empty()
        );
        assert!(own("Escribí a María de contabilidad, maria@acme.example, ayer.").is_empty());
        assert_eq!(own("Any news on my ticket TKT-000042?"), vec!["TKT-000042"]);
        // Short and padded forms are one ticket.
        assert_eq!(own("Any news on my ticket TKT-42?"), vec!["TKT-000042"]);
        assert_eq!(
            own("Following up.\n\nGrace Okafor | Fernhill\nMobile: 07700 900123"),
            vec!["07700900123"],
            "a national number is kept for resolution to read"
        );
        assert_eq!(own("This is about my ticket #70455."), vec!["70455"]);
        assert_eq!(
            own(
                "Following up on push notifications.\n\nMarcus Bell | Ironclad | cell 212.555.0187"
            ),
            vec!["+12125550187"],
            "a short closing paragraph is a signature"
        );
        assert_eq!(
            own("Hi,\n\nPlease send invoices to finance@x.com."),
            Vec::<String>::new()
        );
        assert_eq!(
            own("Please call me on +1 415 555 0134 today"),
            vec!["+14155550134"]
        );
        assert_eq!(
            own("Phone: +44 7700 900123. Still seeing the freeze on Android."),
            vec!["+447700900123"],
            "a labelled contact field opening a line is the writer's"
        );
        assert_eq!(
            own("Hi team\nMobil: +49 171 2345678\nDanke"),
            vec!["+491712345678"]
        );
        assert_eq!(
            own("Hallo, ich habe meinen Login von r.s@nord.de auf diese Adresse umgestellt."),
            vec!["r.s@nord.de"],
            "German self-statements in the accusative too"
        );
        assert!(
            own("Can you call my boss, phone: +1 415 555 0134").is_empty(),
            "a label mid-sentence, after someone else, is not a field of the writer's"
        );
    }

    #[test]
    fn other_peoples_identities_never_link() {
        assert!(
            own("I'm writing on behalf of my colleague ana@x.com about her invoice.").is_empty()
        );
        assert!(own("My boss asked about TKT-000007, can you check his ticket?").is_empty());
        assert!(
            own("The export fails. The file is here, ana@x.com never got it").is_empty(),
            "an introduction opens a message"
        );
        let forwarded = "Fwd: from Tina below. I'm her manager.\n\n---------- Forwarded message ---------\nFrom: Tina Ng <t.ng@x.com>\nHi, my timer stops";
        assert!(
            own(forwarded).is_empty(),
            "a forwarded sender is not the forwarder"
        );
        assert!(
            mentions(forwarded, "US").is_empty(),
            "nor proposed from the quote"
        );
        assert!(
            own("Thanks!\n\nOn Mon, 2 Nov 2026, Ana <ana@x.com> wrote:\n> my email is ana@x.com")
                .is_empty()
        );
        assert_eq!(
            own("my email is bo@x.com\n\n-----Original Message-----\nFrom: ana@x.com"),
            vec!["bo@x.com"],
            "the sender's own statement above the quote still counts"
        );
        let all = mentions("Please also cc finance@x.com on this.", "US");
        assert_eq!(all.len(), 1);
        assert!(!all[0].self_stated, "a bare address is at most a proposal");
    }
}
