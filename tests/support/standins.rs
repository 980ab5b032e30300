//! Local stand-ins for the SaaS Steward talks to, enforcing what the real
//! services enforce and failing loudly otherwise: Twilio's Messages API
//! (basic auth, `whatsapp:` addresses, a body of at most 1,600 characters;
//! the message list needs `To` and `DateSent>`; scripted misbehaviour in
//! [`SendMode`]),
//! a Slack-compatible incoming webhook (JSON with `text`), and an
//! OpenAI-compatible chat-completions endpoint (bearer key, model, messages).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const TWILIO_SID: &str = "ACstandin00000000000000000000000";
/// Our WhatsApp sender in tests.
pub const OUR_WHATSAPP: &str = "+14155550199";
pub const TWILIO_AUTH: &str = "standin-auth-token";
pub const TWILIO_API_KEY: &str = "SKstandin0000000000000000000000";
pub const TWILIO_API_SECRET: &str = "standin-api-key-secret";
pub const OPENAI_KEY: &str = "sk-standin";

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

#[derive(Clone, Debug)]
pub struct SentWhatsapp {
    pub sid: String,
    pub to: String,
    /// The text, or `template:<ContentSid> <ContentVariables>`.
    pub body: String,
    pub template: Option<String>,
    pub status_callback: Option<String>,
    pub at: std::time::Instant,
    pub from: String,
    pub date_created: chrono::DateTime<chrono::Utc>,
}

/// How the stand-in answers one send request (the next one in the queue).
#[derive(Clone, Debug)]
pub enum SendMode {
    /// Accepts the message, then holds the answer this long.
    AcceptThenHang(Duration),
    /// Holds the request this long and never sends it.
    HangWithoutSending(Duration),
    /// Accepts the message; answers 201 with a body that is not JSON.
    UnreadableAnswer,
    /// Accepts the message; answers 201 JSON without a `sid`.
    AnswerWithoutSid,
}

/// Sending settings for the Twilio stand-in at `api_base`, authenticated
/// with the account's auth token, from [`OUR_WHATSAPP`].
pub fn twilio_settings(api_base: String) -> steward_activities::config::TwilioSettings {
    steward_activities::config::TwilioSettings {
        api_base,
        account_sid: TWILIO_SID.into(),
        auth_token: TWILIO_AUTH.into(),
        whatsapp_from: OUR_WHATSAPP.into(),
        ..Default::default()
    }
}

#[derive(Clone, Default)]
pub struct Twilio {
    pub sent: Arc<Mutex<Vec<SentWhatsapp>>>,
    /// Requests received (accepted or not), to see a retried send.
    pub requests: Arc<Mutex<u32>>,
    /// Holds the answer of the first request this long (to kill a worker mid-send).
    pub first_delay: Arc<Mutex<Option<Duration>>>,
    /// How the next send requests are answered (then normally).
    pub modes: Arc<Mutex<VecDeque<SendMode>>>,
    /// Numbers Twilio refuses as invalid (error 21211).
    pub invalid_numbers: Arc<Mutex<Vec<String>>>,
    /// Message-list requests received (accepted or not).
    pub lookups: Arc<Mutex<u32>>,
    /// The message list answers 503 while set.
    pub lookup_down: Arc<Mutex<bool>>,
}

impl Twilio {
    pub async fn start(self) -> String {
        let router = Router::new()
            .route(
                "/2010-04-01/Accounts/{sid}/Messages.json",
                post(twilio_messages).get(twilio_list),
            )
            .with_state(self);
        serve(router).await
    }

    pub fn bodies(&self) -> Vec<String> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .map(|m| m.body.clone())
            .collect()
    }
}

fn twilio_error(status: StatusCode, code: u32, message: &str) -> axum::response::Response {
    (
        status,
        Json(json!({"code": code, "message": message, "status": status.as_u16()})),
    )
        .into_response()
}

/// The account's auth token or one of its API keys, for account `sid`.
fn twilio_authorised(sid: &str, headers: &HeaderMap) -> bool {
    let basic = |user: &str, secret: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"))
        )
    };
    let given = headers.get("authorization").and_then(|v| v.to_str().ok());
    sid == TWILIO_SID
        && [
            basic(TWILIO_SID, TWILIO_AUTH),
            basic(TWILIO_API_KEY, TWILIO_API_SECRET),
        ]
        .iter()
        .any(|expected| given == Some(expected.as_str()))
}

async fn twilio_messages(
    State(twilio): State<Twilio>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    body: String,
) -> axum::response::Response {
    *twilio.requests.lock().unwrap() += 1;
    if !twilio_authorised(&sid, &headers) {
        return twilio_error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    if !headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
    {
        return twilio_error(StatusCode::BAD_REQUEST, 20001, "form encoding required");
    }
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let template = get("ContentSid");
    let (Some(from), Some(to), Some(text)) = (
        get("From"),
        get("To"),
        get("Body").or_else(|| {
            template.as_ref().map(|sid| {
                format!(
                    "template:{sid} {}",
                    get("ContentVariables").unwrap_or_default()
                )
            })
        }),
    ) else {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21619,
            "A text message body, media URL or ContentSid is required",
        );
    };
    if let Some(sid) = &template {
        let valid_vars = get("ContentVariables")
            .is_none_or(|v| serde_json::from_str::<serde_json::Map<String, Value>>(&v).is_ok());
        if !(sid.starts_with("HX") && sid.len() == 34 && valid_vars) {
            return twilio_error(
                StatusCode::BAD_REQUEST,
                21656,
                "The ContentVariables Parameter is invalid / ContentSid unknown",
            );
        }
    }
    let e164 = |a: &str| {
        a.strip_prefix("whatsapp:+")
            .is_some_and(|d| d.len() >= 8 && d.chars().all(|c| c.is_ascii_digit()))
    };
    if !e164(&from) || !e164(&to) {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21211,
            "Invalid 'To' or 'From' WhatsApp address",
        );
    }
    if text.trim().is_empty() || text.chars().count() > 1600 {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21617,
            "The concatenated message body exceeds the 1600 character limit",
        );
    }
    let number = to.trim_start_matches("whatsapp:").to_owned();
    if twilio.invalid_numbers.lock().unwrap().contains(&number) {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21211,
            &format!("The 'To' number {to} is not a valid phone number."),
        );
    }
    let mode = twilio.modes.lock().unwrap().pop_front();
    if let Some(SendMode::HangWithoutSending(hold)) = mode {
        tokio::time::sleep(hold).await;
        return twilio_error(StatusCode::SERVICE_UNAVAILABLE, 20500, "Internal error");
    }
    let delay = twilio.first_delay.lock().unwrap().take();
    let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
    twilio.sent.lock().unwrap().push(SentWhatsapp {
        sid: sid.clone(),
        to: number,
        body: text,
        template,
        status_callback: get("StatusCallback"),
        at: std::time::Instant::now(),
        from,
        date_created: chrono::Utc::now(),
    });
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    match mode {
        Some(SendMode::AcceptThenHang(hold)) => tokio::time::sleep(hold).await,
        Some(SendMode::UnreadableAnswer) => {
            return (StatusCode::CREATED, "<html><body>502 Bad Gat").into_response();
        }
        Some(SendMode::AnswerWithoutSid) => {
            return (StatusCode::CREATED, Json(json!({"status": "queued"}))).into_response();
        }
        _ => {}
    }
    (
        StatusCode::CREATED,
        Json(json!({"sid": sid, "status": "queued"})),
    )
        .into_response()
}

/// `GET Messages.json?To=&DateSent>=YYYY-MM-DD`: messages to that address
/// sent on or after that day, newest first.
async fn twilio_list(
    State(twilio): State<Twilio>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> axum::response::Response {
    *twilio.lookups.lock().unwrap() += 1;
    if !twilio_authorised(&sid, &headers) {
        return twilio_error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    if *twilio.lookup_down.lock().unwrap() {
        return twilio_error(StatusCode::SERVICE_UNAVAILABLE, 20500, "Internal error");
    }
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let since =
        get("DateSent>").and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
    let (Some(to), Some(since)) = (get("To"), since) else {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            20001,
            "this stand-in needs To and DateSent> (YYYY-MM-DD)",
        );
    };
    let sent = twilio.sent.lock().unwrap().clone();
    let messages: Vec<Value> = sent
        .iter()
        .rev()
        .filter(|m| format!("whatsapp:{}", m.to) == to && m.date_created.date_naive() >= since)
        .map(|m| {
            let date = m.date_created.to_rfc2822();
            json!({"sid": m.sid, "to": to, "from": m.from, "body": m.body, "status": "sent",
                   "direction": "outbound-api", "date_created": date, "date_sent": date})
        })
        .collect();
    Json(json!({"messages": messages, "page": 0, "page_size": 100, "next_page_uri": null}))
        .into_response()
}

#[derive(Clone, Default)]
pub struct HumanQueue {
    pub posts: Arc<Mutex<Vec<Value>>>,
}

impl HumanQueue {
    pub async fn start(self) -> String {
        let router = Router::new()
            .route("/hook", post(human_queue))
            .with_state(self);
        format!("{}/hook", serve(router).await)
    }

    pub fn posts(&self) -> Vec<Value> {
        self.posts.lock().unwrap().clone()
    }
}

async fn human_queue(State(queue): State<HumanQueue>, body: String) -> (StatusCode, &'static str) {
    // Slack answers 400 "invalid_payload" / "no_text" for these.
    let Ok(value) = serde_json::from_str::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "invalid_payload");
    };
    if value["text"].as_str().is_none_or(|t| t.is_empty()) {
        return (StatusCode::BAD_REQUEST, "no_text");
    }
    queue.posts.lock().unwrap().push(value);
    (StatusCode::OK, "ok")
}

/// Scripted chat-completions: the first call asks for `search_kb`, the next
/// answers from the tool result it was given; `hang` never answers.
/// `text_form` makes it answer the way llama.cpp, Ollama or vLLM without a
/// tool parser do with small models: the tool call as text in `content`.
#[derive(Clone, Default)]
pub struct ChatModel {
    pub requests: Arc<Mutex<Vec<Value>>>,
    pub hang: bool,
    pub text_form: Option<TextForm>,
}

/// How a model writes a tool call, or its reply, as text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextForm {
    /// `{"name": "search_kb", "arguments": {...}}` as the whole content.
    Bare,
    /// The same in a ```json fence after a sentence.
    Fenced,
    /// Hermes/Qwen `<tool_call>…</tool_call>`.
    Tagged,
    /// Calls properly, then "replies" with a JSON object instead of prose.
    JsonReply,
}

impl ChatModel {
    pub async fn start(self) -> String {
        let router = Router::new()
            .route("/v1/chat/completions", post(chat))
            .with_state(self);
        format!("{}/v1", serve(router).await)
    }
}

async fn chat(
    State(model): State<ChatModel>,
    headers: HeaderMap,
    body: String,
) -> axum::response::Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {OPENAI_KEY}"))
    {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}))).into_response();
    }
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"message": "We could not parse the JSON body"}})),
        )
            .into_response();
    };
    let messages = request["messages"].as_array().cloned().unwrap_or_default();
    if request["model"].as_str().is_none() || messages.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"message": "'model' and 'messages' are required"}})),
        )
            .into_response();
    }
    model.requests.lock().unwrap().push(request.clone());
    if model.hang {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    let tool_result = messages
        .iter()
        .rev()
        .find(|m| m["role"] == "tool")
        .and_then(|m| m["content"].as_str());
    let call = r#"{"name": "search_kb", "arguments": {"query": "reset password"}}"#;
    let message = match (tool_result, model.text_form) {
        (None, None | Some(TextForm::JsonReply)) => {
            json!({"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
            "function": {"name": "search_kb", "arguments": "{\"query\": \"reset password\"}"}}]})
        }
        (None, Some(TextForm::Bare)) => json!({"role": "assistant", "content": call}),
        (None, Some(TextForm::Fenced)) => json!({"role": "assistant",
            "content": format!("I'll search the knowledge base.\n```json\n{call}\n```")}),
        (None, Some(TextForm::Tagged)) => json!({"role": "assistant",
            "content": format!("<tool_call>\n{call}\n</tool_call>")}),
        (Some(_), Some(TextForm::JsonReply)) => json!({"role": "assistant",
            "content": r#"{"reply": "Click Forgot password?", "article": "Resetting your password"}"#}),
        (Some(result), _) => {
            let title = if result.contains("Resetting your password") {
                "Resetting your password"
            } else {
                "no article"
            };
            json!({"role": "assistant", "content": format!("Click \"Forgot password?\" on the sign-in page (from: {title}).")})
        }
    };
    Json(
        json!({"id": "chatcmpl-1", "object": "chat.completion", "model": request["model"],
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150}}),
    )
    .into_response()
}

/// An OpenAI-compatible `/v1/embeddings`: bearer key, `model`, a non-empty
/// `input` (string or list of non-empty strings), optional `dimensions`.
/// Vectors are hashed bags of words (deterministic, similar for texts that
/// share words), `dimensions` long (1,536 by default), L2-normalised.
#[derive(Clone, Default)]
pub struct EmbeddingsModel {
    /// Texts embedded so far (every input of every request).
    pub inputs: Arc<Mutex<Vec<String>>>,
}

impl EmbeddingsModel {
    pub async fn start(self) -> String {
        let router = Router::new()
            .route("/v1/embeddings", post(embeddings))
            .with_state(self);
        format!("{}/v1", serve(router).await)
    }

    pub fn embedded(&self) -> usize {
        self.inputs.lock().unwrap().len()
    }
}

fn bag_of_words(text: &str, dims: usize) -> Vec<f64> {
    let mut v = vec![0.0; dims];
    for word in text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 2)
    {
        let h = word.bytes().fold(1469598103934665603u64, |h, b| {
            (h ^ b as u64).wrapping_mul(1099511628211)
        });
        v[(h % dims as u64) as usize] += 1.0;
    }
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-9);
    v.iter().map(|x| x / norm).collect()
}

async fn embeddings(
    State(model): State<EmbeddingsModel>,
    headers: HeaderMap,
    body: String,
) -> axum::response::Response {
    let error = |status: StatusCode, message: &str| {
        (
            status,
            Json(json!({"error": {"message": message, "type": "invalid_request_error"}})),
        )
            .into_response()
    };
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {OPENAI_KEY}"))
    {
        return error(StatusCode::UNAUTHORIZED, "Incorrect API key provided");
    }
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "We could not parse the JSON body");
    };
    let inputs: Vec<String> = match &request["input"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    if request["model"].as_str().is_none_or(str::is_empty)
        || inputs.is_empty()
        || inputs.iter().any(|i| i.is_empty())
    {
        return error(
            StatusCode::BAD_REQUEST,
            "'model' and a non-empty 'input' are required",
        );
    }
    let dims = request["dimensions"].as_u64().unwrap_or(1536) as usize;
    if !(1..=3072).contains(&dims) {
        return error(
            StatusCode::BAD_REQUEST,
            "'dimensions' must be between 1 and 3072",
        );
    }
    model.inputs.lock().unwrap().extend(inputs.iter().cloned());
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, text)| json!({"object": "embedding", "index": i, "embedding": bag_of_words(text, dims)}))
        .collect();
    Json(
        json!({"object": "list", "data": data, "model": request["model"],
                "usage": {"prompt_tokens": inputs.len() * 8, "total_tokens": inputs.len() * 8}}),
    )
    .into_response()
}
