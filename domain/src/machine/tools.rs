//! The model's tools, read and answered as text: a tool call's JSON
//! arguments, and the search results shown back to the model.

use crate::ticket_io::KbResults;

/// Reads one string field of a tool call's JSON arguments without a JSON
/// library (the domain crate stays minimal): `{"query": "..."}`.
pub fn tool_argument(arguments: &str, field: &str) -> Option<String> {
    let key = format!("\"{field}\"");
    // `split_once` keeps to char boundaries: no byte offsets into the text.
    let (_, after) = arguments.split_once(&key)?;
    let after = after
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    let mut value = String::new();
    let mut chars = after.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(value),
            '\\' => value.push(chars.next()?),
            c => value.push(c),
        }
    }
    None
}

pub(super) fn kb_tool_result(kb: &KbResults) -> String {
    if kb.passages.is_empty() {
        return "No knowledge-base passage matches.".into();
    }
    kb.passages
        .iter()
        .map(|p| {
            format!(
                "[{}] {} ({})\n{}",
                p.article_slug, p.title, p.heading, p.content
            )
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_arguments_are_read_with_escapes() {
        assert_eq!(
            tool_argument(r#"{"query": "reset \"password\""}"#, "query").as_deref(),
            Some(r#"reset "password""#)
        );
        assert_eq!(
            tool_argument(r#"{"reason":"refund"}"#, "reason").as_deref(),
            Some("refund")
        );
        assert_eq!(tool_argument("{}", "query"), None);
        assert_eq!(tool_argument("{\"query\": \"¡¡Ayuda", "query"), None);
    }
}
