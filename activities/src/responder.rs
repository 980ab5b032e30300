//! The offline responder: a reply made only of knowledge-base sentences.
//!
//! It picks the sentences of the best passage that share the most content
//! words with the question (kept in their original order, so instructions
//! stay in sequence), wraps them in the channel's greeting and sign-off, and
//! names the article. It invents nothing: below the confidence threshold, or
//! without passages, it declines and the ticket escalates (`no_answer_in_kb`).

use std::collections::HashSet;
use steward_domain::Channel;
use steward_workflows::contracts::{Draft, DraftInput};

const MAX_SENTENCES: usize = 4;

fn words(text: &str) -> HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() > 3)
        .map(|w| w.to_lowercase())
        .collect()
}

/// Sentences, keeping numbered list items whole.
fn sentences(passage: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in passage.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let starts_list =
            line.chars().next().is_some_and(|c| c.is_ascii_digit()) || line.starts_with('-');
        if starts_list {
            out.push(line.to_owned());
            continue;
        }
        let mut current = String::new();
        for piece in line.split_inclusive(". ") {
            current.push_str(piece);
            if piece.ends_with(". ") {
                out.push(current.trim().to_owned());
                current.clear();
            }
        }
        if !current.trim().is_empty() {
            out.push(current.trim().to_owned());
        }
    }
    out
}

pub fn draft(input: &DraftInput) -> Draft {
    let decline = |reason: &str| Draft {
        text: None,
        cited_articles: vec![],
        decline_reason: Some(reason.to_owned()),
    };
    let Some(best) = input.kb.passages.first() else {
        return decline("no knowledge-base passage matches the question");
    };
    if input.kb.confidence < input.min_confidence {
        return decline(&format!(
            "retrieval confidence {:.2} is below the threshold {:.2}",
            input.kb.confidence, input.min_confidence
        ));
    }
    let question = words(&input.question);
    let candidates = sentences(&best.content);
    let mut scored: Vec<(usize, usize)> = candidates
        .iter()
        .enumerate()
        .map(|(i, s)| (i, words(s).intersection(&question).count()))
        .filter(|(_, score)| *score > 0)
        .collect();
    scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut chosen: Vec<usize> = scored.iter().take(MAX_SENTENCES).map(|(i, _)| *i).collect();
    if chosen.is_empty() {
        chosen = (0..candidates.len().min(MAX_SENTENCES)).collect();
    }
    // A list item pulls in its whole list, so steps are never skipped.
    if let Some(item) = chosen.iter().copied().find(|i| is_item(&candidates[*i])) {
        let mut first = item;
        while first > 0 && is_item(&candidates[first - 1]) {
            first -= 1;
        }
        let mut last = item;
        while last + 1 < candidates.len() && is_item(&candidates[last + 1]) {
            last += 1;
        }
        chosen.extend(first..=last);
    }
    chosen.sort_unstable();
    chosen.dedup();
    let answer: Vec<&str> = chosen.iter().map(|i| candidates[*i].as_str()).collect();
    Draft {
        text: Some(compose(
            input.channel,
            &input.customer_name,
            &answer,
            &best.title,
        )),
        cited_articles: vec![best.article_slug.clone()],
        decline_reason: None,
    }
}

fn is_item(sentence: &str) -> bool {
    sentence.chars().next().is_some_and(|c| c.is_ascii_digit()) || sentence.starts_with('-')
}

fn compose(channel: Channel, name: &str, answer: &[&str], title: &str) -> String {
    let first_name = name.split_whitespace().next().unwrap_or("");
    let greeting = if first_name.is_empty() {
        "Hi,".to_owned()
    } else {
        format!("Hi {first_name},")
    };
    let mut body = String::new();
    for sentence in answer {
        let separator = if is_item(sentence) {
            "\n"
        } else if body.is_empty() {
            ""
        } else {
            " "
        };
        body.push_str(separator);
        body.push_str(sentence);
    }
    match channel {
        Channel::Whatsapp => format!("{greeting}\n\n{}\n\n_Source: {title}_", body.trim()),
        Channel::Email => format!(
            "{greeting}\n\n{}\n\nThis comes from our help article \"{title}\". If it does not solve it, just reply to this email.\n\nBest regards,\nSteward, for the support team",
            body.trim()
        ),
        Channel::Web => format!("{greeting}\n\n{}\n\nSource: \"{title}\"", body.trim()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use steward_workflows::contracts::{KbResults, Passage};

    fn input(confidence: f32) -> DraftInput {
        DraftInput {
            ticket_id: "TKT-1".into(),
            channel: Channel::Whatsapp,
            customer_name: "Ana Lopez".into(),
            question: "How do I reset my password?".into(),
            kb: KbResults {
                passages: vec![Passage {
                    article_slug: "kb-007".into(),
                    title: "Reset your password".into(),
                    heading: "".into(),
                    content: "Passwords expire never. To reset your password:\n1. Open the sign-in page.\n2. Click Forgot password.\nThe link is valid for 1 hour.".into(),
                    score: 1.0,
                }],
                confidence,
            },
            min_confidence: 0.5,
        }
    }

    #[test]
    fn reply_is_built_from_kb_sentences_and_cites_the_article() {
        let d = draft(&input(0.9));
        let text = d.text.unwrap();
        assert!(text.starts_with("Hi Ana,"), "{text}");
        assert!(
            text.contains("1. Open the sign-in page.\n2. Click Forgot password."),
            "{text}"
        );
        assert!(text.contains("Reset your password"));
        assert_eq!(d.cited_articles, vec!["kb-007"]);
    }

    #[test]
    fn low_confidence_declines_instead_of_guessing() {
        let d = draft(&input(0.2));
        assert!(d.text.is_none());
        assert!(d.decline_reason.unwrap().contains("below the threshold"));
    }
}
