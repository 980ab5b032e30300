//! Who, by name, a message says it is from — for phones and mailboxes that
//! several people share (a family phone, `ops@`, a household address).
//!
//! A customer is one person. When a message from a known phone or mailbox
//! introduces someone ("Hi, this is Pablo, Lucía's brother", "Douglas
//! here", a "- Marco" sign-off) and an earlier message from it introduced
//! someone else, they are two customers. Only an explicit introduction or
//! sign-off counts: a display name can be a company ("Lantern Foods Ops"),
//! and a message without a name stays with whoever the address belongs to.

/// Introductions, each followed by the name ("this is Pablo").
const BEFORE_NAME: &[&str] = &[
    "this is",
    "i'm",
    "i am",
    "my name is",
    "it's",
    "soy",
    "sou",
    "me llamo",
    "je suis",
    "je m'appelle",
    "aqui é",
    "aquí",
    "ich bin",
    "hier ist",
    "hier",
    "mein name ist",
    "sono",
    "mi chiamo",
];
/// Sign-off words a name may follow at the end ("Cheers, Marco").
const CLOSINGS: &[&str] = &[
    "cheers",
    "thanks",
    "thank you",
    "best",
    "regards",
    "kind regards",
    "gracias",
    "obrigado",
    "obrigada",
    "merci",
    "saludos",
    "abraços",
    "mit freundlichen grüßen",
    "freundliche grüße",
    "viele grüße",
    "beste grüße",
    "liebe grüße",
    "grüße",
    "gruß",
    "danke",
    "cordiali saluti",
    "un saluto",
    "saluti",
    "grazie",
];
/// People a speaker is the relative or colleague of: "Carmen's husband
/// Jorge" names Jorge.
const RELATIONS: &[&str] = &[
    "husband",
    "wife",
    "brother",
    "sister",
    "son",
    "daughter",
    "mother",
    "father",
    "mom",
    "dad",
    "partner",
    "colleague",
    "assistant",
    "friend",
];
/// Articles some languages put before a first name (Portuguese, Spanish,
/// Italian, Catalan), after the introductions of those languages only
/// ("I'm a Developer" names nobody): grammar, not any particular name.
const ARTICLES: &[&str] = &["a", "o", "la", "el", "il", "lo", "en"];
const ARTICLE_PHRASES: &[&str] = &["aqui é", "aquí", "sou", "soy", "sono"];

/// Capitalised words that follow "I'm" or "this is" without being names.
const NOT_NAMES: &[&str] = &[
    "not", "so", "sorry", "still", "just", "really", "also", "the", "a", "an", "urgent", "from",
    "writing", "having", "trying", "using", "back", "here", "on", "in", "at", "with", "about",
    "your", "our", "my", "this", "that", "it", "i", "lumen", "hi", "hello", "hey", "ok",
];

fn word_is_name(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(char::is_uppercase)
        && word.chars().count() >= 2
        && word.chars().all(|c| c.is_alphabetic() || c == '-')
        && !NOT_NAMES.contains(&word.to_lowercase().as_str())
}

/// The first name after an introduction at byte `at` of `text`, if the words
/// there are a name (a capitalised word, possibly "X's <relation> Name").
fn name_after(text: &str, at: usize, articles: bool) -> Option<String> {
    let raw: Vec<&str> = text[at..].split_whitespace().take(4).collect();
    let words: Vec<&str> = raw
        .iter()
        .map(|w| w.trim_end_matches([',', '.', '!', '?', ';', ':']))
        .collect();
    // "aqui é a Beatriz", "sou o Carlos": an article before a name says a
    // name follows, whatever comes after it ("a Beatriz da Doceria").
    if let [article, name, ..] = words.as_slice()
        && articles
        && ARTICLES.contains(article)
    {
        return word_is_name(name).then(|| (*name).to_owned());
    }
    let first = *words.first()?;
    if let Some(owner) = first
        .strip_suffix("'s")
        .or_else(|| first.strip_suffix("’s"))
    {
        // "Carmen's husband Jorge": the speaker is the last word, not the owner.
        let relation = words.get(1)?.to_lowercase();
        let name = words.get(2)?;
        return (word_is_name(owner)
            && RELATIONS.contains(&relation.as_str())
            && word_is_name(name))
        .then(|| (*name).to_owned());
    }
    // A name ends the clause or runs into a surname: "I'm Ana." or "I'm Ana
    // Lima", not "I'm Brazilian and …".
    // A dash after the name ends its clause as a comma does ("I'm Aisha -
    // got this number…").
    let ends_clause =
        raw[0].len() > first.len() || raw.get(1).is_some_and(|w| ["-", "–", "—"].contains(w));
    let surname = words.get(1).is_some_and(|w| word_is_name(w));
    (word_is_name(first) && (ends_clause || surname || words.len() == 1)).then(|| first.to_owned())
}

/// The person a message introduces itself as, or signs with.
pub fn introduced_name(text: &str) -> Option<String> {
    for phrase in BEFORE_NAME {
        // Offsets are taken in `text` itself: lowercasing changes byte
        // lengths ("İ" grows), so an offset into a lowercased copy is not one.
        for (at, _) in text.char_indices() {
            let starts_word = text[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric());
            if starts_word
                && let Some(rest) = strip_prefix_ignore_case(&text[at..], phrase)
                && rest.starts_with(' ')
                && let Some(name) = name_after(
                    text,
                    text.len() - rest.len(),
                    ARTICLE_PHRASES.contains(phrase),
                )
            {
                return Some(name);
            }
        }
    }
    name_before_here(text).or_else(|| signed_name(text))
}

/// "Douglas Henderson here." / "Nikhil here," at the start of a sentence.
fn name_before_here(text: &str) -> Option<String> {
    let at = text.find(" here")?;
    let before = text[..at].rsplit(['.', '!', '?', '\n', ',']).next()?.trim();
    let words: Vec<&str> = before.split_whitespace().collect();
    (!words.is_empty() && words.len() <= 2 && words.iter().all(|w| word_is_name(w)))
        .then(|| words[0].to_owned())
}

/// A sign-off at the very end: "- Aisha", "Cheers, Marco", "…rates? Fiona".
fn signed_name(text: &str) -> Option<String> {
    let text = text.trim_end();
    let tail = text.rsplit(['.', '!', '?', '\n']).next()?.trim();
    if tail.is_empty() {
        // Ends with punctuation: the last thing is a sentence, not a name.
        return None;
    }
    if let Some(name) = tail.strip_prefix(['-', '—', '–']) {
        let name = name.trim();
        return word_is_name(name).then(|| name.to_owned());
    }
    let name = match CLOSINGS
        .iter()
        .find_map(|c| strip_prefix_ignore_case(tail, c))
    {
        Some(rest) => rest.trim_start_matches([',', ' ']),
        None if !tail.contains(' ') => tail,
        None => return None,
    };
    // "Viele Grüße, Petra Lang": a first name and surname name the first.
    let words: Vec<&str> = name.split_whitespace().collect();
    (!words.is_empty() && words.len() <= 3 && words.iter().all(|w| word_is_name(w)))
        .then(|| words[0].to_owned())
}

/// `text` after a leading `prefix` (lowercase), compared character by
/// character so the rest is a slice of `text` itself.
fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let mut chars = text.char_indices();
    for want in prefix.chars() {
        let (_, got) = chars.next()?;
        if !got.to_lowercase().eq(want.to_lowercase()) {
            return None;
        }
    }
    Some(chars.as_str())
}

/// How a writer says that a phone or address came to them from someone
/// else (a recycled number, an inherited mailbox). General: these are the
/// ways of disowning a number's history, not any message's wording; each
/// needs a named writer too (see [`disowns_earlier`]).
const DISOWNING: &[&str] = &[
    "got this number",
    "have this number since",
    "had this number since",
    "this number used to",
    "number was recycled",
    "recycled number",
    "previous owner",
    "no idea who",
    "don't know who",
    "dont know who",
    "not the person who",
];

/// Whether `text` says that whoever wrote from this phone or address
/// before was someone else ("got this number last month, no idea who Mark
/// is"): then a named writer is a customer of their own even when nobody
/// was introduced on it before.
pub fn disowns_earlier(text: &str) -> bool {
    let lower = text.to_lowercase();
    DISOWNING.iter().any(|p| lower.contains(p))
}

/// Endings that make another name of a name (Daniel/Daniela, Paul/Paula,
/// Martin/Martina, Louis/Louise): gendered and diminutive name endings,
/// general to the European names customers write with.
const OTHER_NAME_ENDINGS: &[&str] = &[
    "a", "e", "o", "ia", "ie", "na", "ne", "ina", "ine", "ette", "elle", "ella",
];

/// Whether two introduced names are the same person: the same first name
/// (accents and case aside), or one a short form of the other ("Doug"),
/// but not when the longer is the shorter plus a name ending ("Daniela" is
/// not "Daniel").
pub fn same_person(a: &str, b: &str) -> bool {
    let (a, b) = (fold(a), fold(b));
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    a == b
        || (short.len() >= 3
            && long
                .strip_prefix(short.as_str())
                .is_some_and(|rest| !OTHER_NAME_ENDINGS.contains(&rest)))
}

fn fold(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Option<String> {
        introduced_name(text)
    }

    #[test]
    fn introductions_and_sign_offs_name_the_writer() {
        assert_eq!(
            name("Hola, soy Lucía. No me llegan").as_deref(),
            Some("Lucía")
        );
        assert_eq!(
            name("Hi, this is Pablo, Lucía's brother. I'm borrowing her phone.").as_deref(),
            Some("Pablo")
        );
        assert_eq!(
            name("Hello, I'm Carmen's husband Jorge, on the family phone.").as_deref(),
            Some("Jorge")
        );
        assert_eq!(
            name("Hello, Douglas Henderson here. I'm in").as_deref(),
            Some("Douglas")
        );
        assert_eq!(
            name("How do we add an approver? - Aisha").as_deref(),
            Some("Aisha")
        );
        assert_eq!(
            name("Our zap stopped working. Cheers, Marco").as_deref(),
            Some("Marco")
        );
        assert_eq!(
            name("How do I set billable rates? Fiona").as_deref(),
            Some("Fiona")
        );
        assert_eq!(
            name("Wie ändere ich die Rechnungsadresse? Viele Grüße, Petra Lang").as_deref(),
            Some("Petra")
        );
        assert_eq!(
            name("Hallo, hier Tobias Hofmann. Ich habe auch").as_deref(),
            Some("Tobias")
        );
        assert_eq!(
            name("ciao, sono Giulia Bianchi, la mia mail").as_deref(),
            Some("Giulia")
        );
        assert_eq!(
            name("Hi, I'm Daniela, Daniel's sister").as_deref(),
            Some("Daniela")
        );
        assert_eq!(
            name("oi, aqui é a Beatriz da Doceria Flor de Sal").as_deref(),
            Some("Beatriz")
        );
        assert_eq!(
            name("Olá, sou a Beatriz Lopes da Casa Oliva.").as_deref(),
            Some("Beatriz")
        );
        assert_eq!(
            name("hello, I'm Aisha - got this number last month").as_deref(),
            Some("Aisha")
        );
        assert_eq!(name("Hi, I'm a bit lost with timers"), None);
        assert_eq!(name("Hi, I'm a Developer at Acme. How do I"), None);
    }

    #[test]
    fn other_capitalised_words_are_not_names() {
        assert_eq!(name("I'm Sorry to bother you again"), None);
        assert_eq!(name("This is Urgent: the timer froze"), None);
        assert_eq!(name("this is about the export"), None);
        assert_eq!(name("It's not working. Thanks!"), None);
        assert_eq!(name("I'm Ana's assistant, writing for her."), None);
        assert_eq!(name("I'm Brazilian and new to Lumen"), None);
        assert_eq!(name("the export fails. Thanks"), None);
    }

    #[test]
    fn names_whose_lowercase_is_longer_do_not_panic() {
        // "İ" lowercases to two characters: offsets into a lowercased copy
        // ran past the original (an underflow, then a panic).
        assert_eq!(name("Gracias, İİİİİİİİ İ"), None);
        assert_eq!(name("İİİİ this is Ana.").as_deref(), Some("Ana"));
        assert_eq!(name("Help İİ. THANKS, İbrahim").as_deref(), Some("İbrahim"));
    }

    #[test]
    fn a_recycled_number_is_disowned() {
        assert!(disowns_earlier(
            "hello, I'm Aisha - got this number last month, no idea who Mark is"
        ));
        assert!(!disowns_earlier("This is my new number, I'm Aisha"));
        assert!(!disowns_earlier("I have no idea how to stop the timer"));
    }

    #[test]
    fn short_forms_and_accents_are_the_same_person() {
        assert!(same_person("Lucía", "lucia"));
        assert!(same_person("Doug", "Douglas"));
        assert!(
            !same_person("Daniel", "Daniela"),
            "another name, not a short form"
        );
        assert!(!same_person("Martina", "Martin"));
        assert!(!same_person("Lucía", "Pablo"));
        assert!(
            !same_person("Al", "Alice"),
            "two letters are too short to tell"
        );
    }
}
