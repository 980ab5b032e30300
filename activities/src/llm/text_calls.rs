//! Tool calls that arrive as text. Many OpenAI-compatible servers (llama.cpp,
//! Ollama, vLLM without a tool parser) return a small model's tool call in
//! `content` rather than `tool_calls`: a bare JSON object
//! (`{"name": "search_kb", "arguments": {...}}`), the same in a fenced code
//! block, or Hermes/Qwen-style `<tool_call>…</tool_call>` blocks. They are
//! read here as the tool calls they are, so the workflow runs them instead
//! of sending the JSON to the customer.

use serde_json::Value;
use steward_workflows::contracts::ToolCall;

/// The pieces of `content` that may hold a call: each `<tool_call>` block,
/// each fenced block, else the whole text.
fn candidates(content: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = content;
    while let Some(start) = rest.find("<tool_call>") {
        let after = &rest[start + "<tool_call>".len()..];
        let end = after.find("</tool_call>").unwrap_or(after.len());
        out.push(&after[..end]);
        rest = &after[end..];
    }
    if out.is_empty() {
        let mut parts = content.split("```");
        parts.next();
        // Odd pieces are inside fences; a language tag may open them.
        while let Some(inside) = parts.next() {
            let body = inside.trim_start();
            let body = body.strip_prefix("json").unwrap_or(body);
            out.push(body);
            parts.next();
        }
    }
    if out.is_empty() {
        out.push(content);
    }
    out
}

/// One call from a parsed object: `{"name", "arguments"|"parameters"}`, or
/// the wire shape `{"function": {"name", "arguments"}}`.
fn call(value: &Value, known: &[&str], n: usize) -> Option<ToolCall> {
    let value = if value.get("function").is_some() {
        &value["function"]
    } else {
        value
    };
    let name = value["name"].as_str()?;
    if !known.contains(&name) {
        return None;
    }
    let arguments = match value.get("arguments").or_else(|| value.get("parameters")) {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => "{}".to_owned(),
    };
    Some(ToolCall {
        id: format!("text_call_{n}"),
        name: name.to_owned(),
        arguments,
    })
}

/// The calls of our `known` tools written in `content`; empty when it is
/// prose (or names a tool we do not have).
pub(super) fn from_text(content: &str, known: &[&str]) -> Vec<ToolCall> {
    let mut calls = Vec::new();
    for piece in candidates(content) {
        let Ok(value) = serde_json::from_str::<Value>(piece.trim()) else {
            continue;
        };
        let items = match &value {
            Value::Array(items) => items.clone(),
            Value::Object(o) if o.contains_key("tool_calls") => {
                value["tool_calls"].as_array().cloned().unwrap_or_default()
            }
            _ => vec![value],
        };
        for item in &items {
            if let Some(c) = call(item, known, calls.len() + 1) {
                calls.push(c);
            }
        }
    }
    calls
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["search_kb", "escalate"];

    #[test]
    fn bare_fenced_and_tagged_calls_are_read() {
        let bare = r#"{"name": "search_kb", "arguments": {"query": "reset password"}}"#;
        let c = from_text(bare, KNOWN);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].name, "search_kb");
        assert_eq!(c[0].arguments, r#"{"query":"reset password"}"#);
        let fenced = "Let me look.\n```json\n{\"name\": \"escalate\", \"parameters\": {\"reason\": \"refund\"}}\n```";
        assert_eq!(
            from_text(fenced, KNOWN)[0].arguments,
            r#"{"reason":"refund"}"#
        );
        let tagged = "<tool_call>\n{\"name\": \"search_kb\", \"arguments\": \"{\\\"query\\\": \\\"sso\\\"}\"}\n</tool_call>";
        let c = from_text(tagged, KNOWN);
        assert_eq!(
            (c[0].id.as_str(), c[0].arguments.as_str()),
            ("text_call_1", r#"{"query": "sso"}"#)
        );
    }

    #[test]
    fn prose_and_unknown_tools_are_not_calls() {
        assert!(from_text("Click \"Forgot password?\" on the sign-in page.", KNOWN).is_empty());
        assert!(from_text(r#"{"name": "delete_account", "arguments": {}}"#, KNOWN).is_empty());
        assert!(from_text("Use `{\"name\": 1}` in the body.", KNOWN).is_empty());
    }
}
