//! Is every question in a message covered by the knowledge base?
//!
//! Two checks before the offline responder answers:
//! - a message that asks Lumen to work with a third-party product
//!   ("is there a Microsoft Teams integration?") that no article mentions
//!   has no answer in the KB, however close the nearest article looks
//!   (Slack's setup article is close to a Teams question, and wrong);
//! - a message with several questions is split, each question is searched
//!   on its own, and every question's article is cited (a two-part
//!   question needs both articles).

use super::search;
use sqlx::PgPool;
use steward_workflows::contracts::{Draft, DraftInput, KbResults};

/// Third-party products and platforms customers ask Lumen to work with.
/// General: widely used tools of the kinds a project and time-tracking
/// app integrates with (chat, calendars, storage, CRM, accounting, dev,
/// BI, other PM and time trackers); whether one is covered is read from
/// the KB at run time, never assumed.
const PRODUCTS: &[&str] = &[
    "outlook",
    "microsoft teams",
    "ms teams",
    "exchange online",
    "gitlab",
    "bitbucket",
    "google drive",
    "google sheets",
    "dropbox",
    "onedrive",
    "sharepoint",
    "salesforce",
    "hubspot",
    "quickbooks",
    "xero",
    "stripe",
    "paypal",
    "webex",
    "discord",
    "airtable",
    "clickup",
    "basecamp",
    "freshdesk",
    "zendesk",
    "intercom",
    "mailchimp",
    "figma",
    "miro",
    "confluence",
    "netsuite",
    "workday",
    "bamboohr",
    "toggl",
    "clockify",
    "calendly",
    "icloud",
    "thunderbird",
    "smartsheet",
    "wrike",
    "power bi",
    "tableau",
    "make.com",
    "ifttt",
    "telegram",
    "apple calendar",
    "google meet",
    "zoom",
    "todoist",
    "evernote",
    "freshbooks",
    "datev",
    "personio",
    "monday.com",
    "asana",
    "trello",
    "jira",
    "github",
    "slack",
    "google calendar",
    "zapier",
    "okta",
    "excel",
];
/// Names that are also ordinary words ("our teams", "a linear plan"):
/// counted only capitalised.
const CAPITALISED_PRODUCTS: &[&str] = &["Teams", "Notion", "Zoom", "Harvest", "Linear"];
/// Words of a sentence that asks for a product to work with Lumen. General:
/// how integration questions are asked, not what they are about.
const WORKS_WITH: &[&str] = &[
    "integrat",
    "sync",
    "connect",
    "equivalent",
    "plugin",
    "plug-in",
    "add-in",
    "addon",
    "add-on",
    "work with",
    "works with",
    "support",
    "link",
    "hook up",
    "post to",
    "posted to",
    "push to",
    "show up in",
    "appear in",
    "app for",
];

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '@' || c == '.'
}

/// Whether `name` occurs in `text` as a whole word (not inside an address).
fn names(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        before.is_none_or(|c| !is_word_char(c))
            && after.is_none_or(|c| !(c.is_alphanumeric() || c == '@'))
    })
}

/// Products named in sentences that ask for them to work with Lumen.
pub fn products_asked_for(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for sentence in crate::triage::features::sentences(text) {
        let lower = sentence.to_lowercase();
        if !WORKS_WITH.iter().any(|w| lower.contains(w)) {
            continue;
        }
        let hits = PRODUCTS
            .iter()
            .filter(|p| names(&lower, p))
            .chain(CAPITALISED_PRODUCTS.iter().filter(|p| names(&sentence, p)));
        for p in hits {
            if !found.iter().any(|f: &String| f.eq_ignore_ascii_case(p)) {
                found.push((*p).to_owned());
            }
        }
    }
    found
}

/// The products of [`products_asked_for`] that no article mentions.
pub async fn unknown_products(pool: &PgPool, text: &str) -> Result<Vec<String>, sqlx::Error> {
    let mut unknown = Vec::new();
    for product in products_asked_for(text) {
        let capitalised = CAPITALISED_PRODUCTS.contains(&product.as_str());
        let pattern = format!("\\m{}\\M", regex_escape(&product));
        let sql = if capitalised {
            "SELECT EXISTS (SELECT 1 FROM kb_chunks c JOIN kb_articles a ON a.id = c.article_id
             WHERE a.title || ' ' || c.content ~ $1)"
        } else {
            "SELECT EXISTS (SELECT 1 FROM kb_chunks c JOIN kb_articles a ON a.id = c.article_id
             WHERE a.title || ' ' || c.content ~* $1)"
        };
        let known: bool = sqlx::query_scalar(sql)
            .bind(pattern)
            .fetch_one(pool)
            .await?;
        if !known {
            unknown.push(product);
        }
    }
    Ok(unknown)
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\.+*?()[]{}|^$".contains(c);
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}

/// Questions of a message: sentences ending in `?`, or list items, with
/// enough words to stand alone. Fewer than two: the message is one question.
pub fn questions(body: &str) -> Vec<String> {
    let qs: Vec<String> = crate::triage::features::sentences(body)
        .into_iter()
        .filter(|s| s.ends_with('?') || s.starts_with(['-', '•', '*']) || starts_numbered(s))
        .filter(|s| s.split_whitespace().count() >= 5)
        .collect();
    if qs.len() < 2 { Vec::new() } else { qs }
}

fn starts_numbered(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_digit()) && matches!(chars.next(), Some('.' | ')'))
}

/// Each question searched on its own (the first four).
pub async fn per_question(
    pool: &PgPool,
    questions: &[String],
) -> Result<Vec<KbResults>, sqlx::Error> {
    let mut out = Vec::new();
    for q in questions.iter().take(4) {
        out.push(search(pool, q, 3).await?);
    }
    Ok(out)
}

/// What a draft rests on besides the whole message's search: each
/// question's own search and the products no article mentions. Searched
/// once, it drafts at any retrieval bar (`steward eval --direct` reports
/// the decisions at several).
pub struct Grounds {
    pub parts: Vec<(String, KbResults)>,
    pub unknown: Vec<String>,
}

impl Grounds {
    pub async fn search(pool: &PgPool, question: &str) -> Result<Self, sqlx::Error> {
        let questions = questions(question);
        let results = per_question(pool, &questions).await?;
        Ok(Self {
            parts: questions.into_iter().zip(results).collect(),
            unknown: unknown_products(pool, question).await?,
        })
    }

    /// The offline responder's draft for `input` on these grounds.
    pub fn draft(&self, input: &DraftInput) -> Draft {
        crate::responder::draft_all(input, &self.parts, &self.unknown)
    }
}

/// The offline responder's draft for `input`: every question is searched
/// on its own, and a product nobody wrote an article about is a question
/// the KB cannot answer (the draft-reply activity; `steward eval
/// --direct` runs the same [`Grounds`] without the workflow).
pub async fn draft(pool: &PgPool, input: &DraftInput) -> Result<Draft, sqlx::Error> {
    Ok(Grounds::search(pool, &input.question).await?.draft(input))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_count_only_when_asked_to_work_with_lumen() {
        assert_eq!(
            products_asked_for(
                "Is there a Microsoft Teams integration? We'd like updates in Teams."
            ),
            vec!["microsoft teams", "Teams"]
        );
        assert!(
            products_asked_for("I log in with gemma@outlook.com and it fails to sync.").is_empty()
        );
        assert!(products_asked_for("Our teams sync every Monday.").is_empty());
        assert!(
            products_asked_for("We moved from Toggl last year. How do I stop a timer?").is_empty()
        );
    }

    #[test]
    fn several_questions_are_split() {
        let body = "Hi,\n1. How do I make the token read-only for reports?\n2. Which workspace does the API use for my account?\nThanks";
        assert_eq!(questions(body).len(), 2);
        assert!(questions("How do I reset my password? Thanks!").is_empty());
    }
}
