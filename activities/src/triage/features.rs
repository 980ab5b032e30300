//! What the triage model sees of a text: its sentence embedding plus a few
//! simple features (the phrase rules that fired, whether it came with a
//! subject line, its length, whether it is in English).
//!
//! The same function builds the features of a whole message and of each of
//! its sentences, so a request in the third paragraph of a polite email is
//! scored on its own as well as diluted in the whole.

use steward_domain::guardrails;

/// Names of the simple features, in order, after the embedding dimensions
/// (written into the model artefact so a reader knows what each weight is).
pub const EXTRA: [&str; 12] = [
    "rule_security_incident",
    "rule_legal",
    "rule_account_access_verification",
    "rule_refund",
    "rule_pricing",
    "rule_angry_customer",
    "rule_human_requested",
    "rule_prompt_injection",
    "has_subject",
    "log_words",
    "non_english",
    "is_sentence",
];

/// Function words that only one of the languages our customers write in
/// uses often: a closed class per language, so they say which language a
/// message is in whatever it is about. (MiniLM is an English model: the
/// flag tells the classifier how far to trust the embedding.)
const NON_ENGLISH: &[&str] = &[
    "und", "nicht", "ich", "wir", "ist", "das", "der", "die", "mit", "für", // de
    "je", "nous", "vous", "est", "pas", "les", "une", "avec", "pour", "mon", // fr
    "el", "los", "las", "una", "para", "por", "pero", "mi", "es", "y", // es
    "não", "eu", "uma", "com", "você", "meu", "minha", "está", "o", // pt
    "il", "non", "sono", "della", "che", "grazie", "mio", "ho", // it
    "het", "een", "niet", "ik", "wij", "zijn", "voor", "mijn", // nl
];
/// English function words, the same closed class for the comparison.
const ENGLISH: &[&str] = &[
    "the", "and", "is", "to", "i", "we", "my", "our", "you", "it", "of", "for", "with", "can",
    "how", "what", "not", "do", "a",
];

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether most function words in `text` are not English ones.
pub fn non_english(text: &str) -> bool {
    let words = words(text);
    let count = |list: &[&str]| words.iter().filter(|w| list.contains(&w.as_str())).count();
    count(NON_ENGLISH) > count(ENGLISH)
}

/// Sentences of a message: split at line breaks and sentence ends, quoted
/// lines (`>`) dropped, very short pieces ("Hi,", "Thanks!") dropped.
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('>') {
            continue;
        }
        let mut current = String::new();
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            current.push(c);
            let at_end = matches!(c, '.' | '!' | '?') && chars.peek().is_none_or(|n| *n == ' ');
            if at_end {
                out.push(std::mem::take(&mut current));
            }
        }
        out.push(current);
    }
    out.into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| words(s).len() >= 3)
        .collect()
}

/// The feature vector of `text` (a whole message or one of its sentences)
/// given its embedding.
pub fn vector(embedding: &[f32], text: &str, has_subject: bool, is_sentence: bool) -> Vec<f32> {
    let (hits, injection) = guardrails::rule_hits("", text);
    let mut v = embedding.to_vec();
    v.extend(hits.iter().map(|h| f32::from(u8::from(!h.is_empty()))));
    v.push(f32::from(u8::from(injection)));
    v.push(f32::from(u8::from(has_subject)));
    v.push((1.0 + words(text).len() as f32).ln());
    v.push(f32::from(u8::from(non_english(text))));
    v.push(f32::from(u8::from(is_sentence)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_at_ends_and_lines_and_skip_quotes() {
        let s = sentences(
            "Hi,\nThe app works fine. But I was billed twice! Can you help?\n> old quoted text here",
        );
        assert_eq!(
            s,
            vec![
                "The app works fine.",
                "But I was billed twice!",
                "Can you help?"
            ]
        );
        assert_eq!(
            sentences("Version 2.5 is out now"),
            vec!["Version 2.5 is out now"]
        );
    }

    #[test]
    fn language_flag_follows_function_words() {
        assert!(non_english(
            "Ich kann mich nicht anmelden und das ist dringend"
        ));
        assert!(!non_english("I can't sign in and it is urgent"));
        assert!(non_english(
            "oi tudo bem, eu não consigo entrar com minha conta"
        ));
    }
}
