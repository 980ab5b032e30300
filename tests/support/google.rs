//! Local stand-ins for Google: the OAuth2 token endpoint (refresh-token
//! grant with client credentials), the Gmail API subset Steward uses
//! (bearer token required; `history.list` needs `startHistoryId`; `send`
//! needs From = the mailbox, To and Subject, and threads a reply only as
//! Gmail does: a known `threadId`, `In-Reply-To`/`References` naming a
//! message of that thread and a matching subject, or else it becomes a new
//! thread), `messages.list` (`q=rfc822msgid:` searches by `Message-ID`),
//! `users.watch` (a `projects/*/topics/*` topic) and the JWKS of the key
//! that signs Pub/Sub push tokens. Sends can be scripted to misbehave
//! ([`GmailSendMode`]) and the search to be down.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const CLIENT_ID: &str = "standin-client.apps.googleusercontent.com";
pub const CLIENT_SECRET: &str = "standin-client-secret";
pub const REFRESH_TOKEN: &str = "1//standin-refresh-token";
pub const PUSH_ACCOUNT: &str = "gmail-push@steward-test.iam.gserviceaccount.com";
pub const TOPIC: &str = "projects/steward-test/topics/gmail";

#[derive(Clone, Debug)]
pub struct Mail {
    pub id: String,
    pub thread_id: String,
    pub labels: Vec<String>,
    pub raw: String,
    pub history_id: u64,
}

#[derive(Default)]
struct Mailbox {
    /// Gmail ids are unique per mailbox only; a per-stand-in prefix keeps
    /// parallel tests' threads (and so their ticket workflow ids) apart.
    id_prefix: String,
    history_id: u64,
    mails: Vec<Mail>,
    tokens: Vec<String>,
    watches: u32,
    sent: Vec<Mail>,
    send_modes: std::collections::VecDeque<GmailSendMode>,
    send_requests: u32,
    searches: u32,
    search_down: bool,
}

/// How the stand-in answers one `messages.send` (the next in the queue).
#[derive(Clone, Debug)]
pub enum GmailSendMode {
    /// Sends it, then holds the answer this long.
    AcceptThenHang(std::time::Duration),
    /// Sends it; answers 200 with a body that is not JSON.
    UnreadableAnswer,
    /// Refuses it as Gmail does a malformed message: 400 invalidArgument.
    Reject,
}

/// The Google side of a test: OAuth, Gmail and the push-signing key.
#[derive(Clone)]
pub struct Google {
    pub address: String,
    inner: Arc<Mutex<Mailbox>>,
    key: Arc<SigningKey>,
}

/// An RSA key made with the openssl CLI (ring signs but cannot generate).
pub struct SigningKey {
    pub kid: String,
    pair: ring::signature::RsaKeyPair,
    n: Vec<u8>,
}

impl SigningKey {
    pub fn generate(kid: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("steward-jwk-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let der = dir.join("key.der");
        let run = |args: &[&str]| {
            let out = std::process::Command::new("openssl")
                .args(args)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap()
        };
        let der_path = der.to_str().unwrap();
        run(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-outform",
            "DER",
            "-out",
            der_path,
        ]);
        let modulus = run(&[
            "rsa", "-inform", "DER", "-in", der_path, "-noout", "-modulus",
        ]);
        let n = hex::decode(modulus.trim().trim_start_matches("Modulus=")).unwrap();
        // OpenSSL 3 writes a DER RSA key as PKCS#1 (RSAPrivateKey).
        let pair = ring::signature::RsaKeyPair::from_der(&std::fs::read(&der).unwrap()).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        Self {
            kid: kid.to_owned(),
            pair,
            n,
        }
    }

    pub fn jwk(&self) -> Value {
        json!({"kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid,
               "n": URL_SAFE_NO_PAD.encode(&self.n), "e": URL_SAFE_NO_PAD.encode([1u8, 0, 1])})
    }

    /// A JWT with these claims, signed RS256.
    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({"alg": "RS256", "kid": self.kid, "typ": "JWT"});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; self.pair.public().modulus_len()];
        self.pair
            .sign(
                &ring::signature::RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

/// The claims Google puts in a push token.
pub fn push_claims(audience: &str, email: &str, expires_in_secs: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"iss": "https://accounts.google.com", "aud": audience, "azp": "1234567890",
           "email": email, "email_verified": true, "sub": "1234567890",
           "iat": now - 5, "exp": now + expires_in_secs})
}

fn google_error(status: StatusCode, message: &str) -> axum::response::Response {
    (status, Json(json!({"error": {"code": status.as_u16(), "message": message, "status": "INVALID_ARGUMENT"}})))
        .into_response()
}

impl Google {
    pub fn new(address: &str) -> Self {
        Self {
            address: address.to_owned(),
            inner: Arc::new(Mutex::new(Mailbox {
                id_prefix: uuid::Uuid::new_v4().simple().to_string()[..8].to_owned(),
                history_id: 1000,
                ..Default::default()
            })),
            key: Arc::new(SigningKey::generate("standin-key-1")),
        }
    }

    /// Steward's Gmail settings for this stand-in, served at `url`.
    pub fn settings(
        &self,
        url: &str,
        poll_interval_secs: u64,
    ) -> steward_activities::config::GmailSettings {
        steward_activities::config::GmailSettings {
            api_base: url.to_owned(),
            token_url: format!("{url}/token"),
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            refresh_token: REFRESH_TOKEN.into(),
            mailbox: self.address.clone(),
            pubsub_topic: TOPIC.into(),
            poll_interval_secs,
            renew_before_secs: 86_400,
            signature: "Acme Support".into(),
        }
    }

    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// Serves everything; returns the base URL (token at `/token`, JWKS at
    /// `/oauth2/v3/certs`, Gmail under `/gmail/v1/users/me/`).
    pub async fn start(self) -> String {
        let router = Router::new()
            .route("/token", post(token))
            .route("/oauth2/v3/certs", get(certs))
            .route("/gmail/v1/users/me/profile", get(profile))
            .route("/gmail/v1/users/me/history", get(history))
            .route("/gmail/v1/users/me/messages", get(list))
            .route("/gmail/v1/users/me/messages/{id}", get(message))
            .route("/gmail/v1/users/me/messages/send", post(send))
            .route("/gmail/v1/users/me/watch", post(watch))
            .with_state(self);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        format!("http://{addr}")
    }

    /// A customer's mail lands in the inbox; returns (gmail id, thread id,
    /// the mailbox's new history id).
    pub fn receive(
        &self,
        from: &str,
        subject: &str,
        message_id: &str,
        body: &str,
    ) -> (String, String, u64) {
        let raw = format!(
            "From: \"Ana Lima\" <{from}>\r\nTo: {}\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n{body}\r\n",
            self.address
        );
        let mut mb = self.inner.lock().unwrap();
        mb.history_id += 7;
        let id = format!("18c{}{:x}", mb.id_prefix, mb.history_id);
        let mail = Mail {
            id: id.clone(),
            thread_id: id.clone(),
            labels: vec!["INBOX".into(), "UNREAD".into()],
            raw,
            history_id: mb.history_id,
        };
        mb.mails.push(mail);
        (id.clone(), id, mb.history_id)
    }

    pub fn sent(&self) -> Vec<Mail> {
        self.inner.lock().unwrap().sent.clone()
    }

    pub fn watches(&self) -> u32 {
        self.inner.lock().unwrap().watches
    }

    /// Scripts how the next `messages.send` is answered.
    pub fn push_send_mode(&self, mode: GmailSendMode) {
        self.inner.lock().unwrap().send_modes.push_back(mode);
    }

    /// `messages.send` requests received (sent or not).
    pub fn send_requests(&self) -> u32 {
        self.inner.lock().unwrap().send_requests
    }

    /// `rfc822msgid:` searches received.
    pub fn searches(&self) -> u32 {
        self.inner.lock().unwrap().searches
    }

    pub fn set_search_down(&self, down: bool) {
        self.inner.lock().unwrap().search_down = down;
    }

    fn authorised(&self, headers: &HeaderMap) -> bool {
        let bearer = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        bearer.is_some_and(|t| self.inner.lock().unwrap().tokens.iter().any(|k| k == t))
    }
}

async fn token(State(g): State<Google>, body: String) -> axum::response::Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    if form.get("grant_type").map(String::as_str) != Some("refresh_token") {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "unsupported_grant_type"})),
        )
            .into_response();
    }
    if form.get("client_id").map(String::as_str) != Some(CLIENT_ID)
        || form.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET)
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    if form.get("refresh_token").map(String::as_str) != Some(REFRESH_TOKEN) {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_grant", "error_description": "Token has been expired or revoked."}))).into_response();
    }
    let access = format!("ya29.standin-{}", uuid::Uuid::new_v4().simple());
    g.inner.lock().unwrap().tokens.push(access.clone());
    Json(json!({"access_token": access, "expires_in": 3599, "token_type": "Bearer", "scope": "https://www.googleapis.com/auth/gmail.modify"}))
        .into_response()
}

async fn certs(State(g): State<Google>) -> Json<Value> {
    Json(json!({"keys": [g.key.jwk()]}))
}

macro_rules! require_auth {
    ($g:expr, $headers:expr) => {
        if !$g.authorised(&$headers) {
            return google_error(
                StatusCode::UNAUTHORIZED,
                "Request had invalid authentication credentials.",
            );
        }
    };
}

async fn profile(State(g): State<Google>, headers: HeaderMap) -> axum::response::Response {
    require_auth!(g, headers);
    let mb = g.inner.lock().unwrap();
    Json(json!({"emailAddress": g.address, "messagesTotal": mb.mails.len(), "historyId": mb.history_id.to_string()}))
        .into_response()
}

async fn history(
    State(g): State<Google>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> axum::response::Response {
    require_auth!(g, headers);
    let Some(start) = q.get("startHistoryId").and_then(|s| s.parse::<u64>().ok()) else {
        return google_error(StatusCode::BAD_REQUEST, "Invalid startHistoryId");
    };
    let mb = g.inner.lock().unwrap();
    let records: Vec<Value> = mb
        .mails
        .iter()
        .filter(|m| m.history_id > start)
        .map(|m| json!({"id": m.history_id.to_string(), "messagesAdded": [{"message": {"id": m.id, "threadId": m.thread_id, "labelIds": m.labels}}]}))
        .collect();
    Json(json!({"history": records, "historyId": mb.history_id.to_string()})).into_response()
}

async fn list(
    State(g): State<Google>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> axum::response::Response {
    require_auth!(g, headers);
    if let Some(wanted) = q.get("q").and_then(|q| q.strip_prefix("rfc822msgid:")) {
        return search_message_id(&g, wanted, q.get("labelIds").map(String::as_str));
    }
    let mb = g.inner.lock().unwrap();
    let ids: Vec<Value> = mb
        .mails
        .iter()
        .map(|m| json!({"id": m.id, "threadId": m.thread_id}))
        .collect();
    Json(json!({"messages": ids, "resultSizeEstimate": ids.len()})).into_response()
}

/// `q=rfc822msgid:<id>` (angle brackets optional), in one label or all.
fn search_message_id(g: &Google, wanted: &str, label: Option<&str>) -> axum::response::Response {
    let mut mb = g.inner.lock().unwrap();
    mb.searches += 1;
    if mb.search_down {
        return google_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "The service is currently unavailable.",
        );
    }
    let bare = |id: &str| {
        id.trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_owned()
    };
    let wanted = bare(wanted);
    if wanted.is_empty() {
        return google_error(StatusCode::BAD_REQUEST, "Invalid query");
    }
    let ids: Vec<Value> = mb
        .mails
        .iter()
        .chain(mb.sent.iter())
        .filter(|m| label.is_none_or(|l| m.labels.iter().any(|x| x == l)))
        .filter(|m| header(&m.raw, "Message-ID").map(bare) == Some(wanted.clone()))
        .map(|m| json!({"id": m.id, "threadId": m.thread_id}))
        .collect();
    if ids.is_empty() {
        // Gmail leaves `messages` out when nothing matches.
        return Json(json!({"resultSizeEstimate": 0})).into_response();
    }
    Json(json!({"messages": ids, "resultSizeEstimate": ids.len()})).into_response()
}

async fn message(
    State(g): State<Google>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> axum::response::Response {
    require_auth!(g, headers);
    if q.get("format").map(String::as_str) != Some("raw") {
        return google_error(
            StatusCode::BAD_REQUEST,
            "this stand-in serves format=raw only",
        );
    }
    let mb = g.inner.lock().unwrap();
    let Some(m) = mb.mails.iter().chain(mb.sent.iter()).find(|m| m.id == id) else {
        return google_error(StatusCode::NOT_FOUND, "Requested entity was not found.");
    };
    Json(json!({"id": m.id, "threadId": m.thread_id, "labelIds": m.labels, "historyId": m.history_id.to_string(),
                "raw": URL_SAFE.encode(m.raw.as_bytes())}))
    .into_response()
}

/// A header of a raw RFC 5322 message (first occurrence, value trimmed).
pub fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    let head = raw.split("\r\n\r\n").next()?;
    head.split("\r\n").find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn base_subject(s: &str) -> String {
    let s = s.trim();
    let s = if s.len() >= 3 && s[..3].eq_ignore_ascii_case("re:") {
        &s[3..]
    } else {
        s
    };
    s.trim().to_owned()
}

async fn send(
    State(g): State<Google>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> axum::response::Response {
    require_auth!(g, headers);
    let Some(raw) = body["raw"]
        .as_str()
        .and_then(|r| URL_SAFE.decode(r).ok())
        .and_then(|b| String::from_utf8(b).ok())
    else {
        return google_error(
            StatusCode::BAD_REQUEST,
            "'raw' RFC822 payload message string or uploading message via /upload/* URL required",
        );
    };
    let (Some(from), Some(_to), Some(subject)) = (
        header(&raw, "From"),
        header(&raw, "To"),
        header(&raw, "Subject"),
    ) else {
        return google_error(
            StatusCode::BAD_REQUEST,
            "Invalid To header / missing From or Subject",
        );
    };
    if !from.contains(&format!("<{}>", g.address)) {
        return google_error(
            StatusCode::FORBIDDEN,
            "Mail service not enabled for this From address",
        );
    }
    let (mode, id, thread_id) = {
        let mut mb = g.inner.lock().unwrap();
        mb.send_requests += 1;
        let mode = mb.send_modes.pop_front();
        if let Some(GmailSendMode::Reject) = mode {
            return google_error(StatusCode::BAD_REQUEST, "Invalid To header");
        }
        mb.history_id += 1;
        let id = format!("18d{}{:x}", mb.id_prefix, mb.history_id);
        // Gmail's rule: threadId given, References/In-Reply-To name a message
        // of that thread, and the subjects match; otherwise a new thread.
        let requested = body["threadId"].as_str().unwrap_or("");
        let thread_mails: Vec<&Mail> = mb
            .mails
            .iter()
            .filter(|m| m.thread_id == requested)
            .collect();
        let refers = header(&raw, "In-Reply-To").is_some_and(|r| {
            thread_mails
                .iter()
                .any(|m| header(&m.raw, "Message-ID") == Some(r))
        }) && header(&raw, "References").is_some();
        let same_subject = thread_mails
            .iter()
            .any(|m| header(&m.raw, "Subject").map(base_subject) == Some(base_subject(subject)));
        let thread_id = if !requested.is_empty() && refers && same_subject {
            requested.to_owned()
        } else {
            id.clone()
        };
        let mail = Mail {
            id: id.clone(),
            thread_id: thread_id.clone(),
            labels: vec!["SENT".into()],
            raw,
            history_id: mb.history_id,
        };
        mb.sent.push(mail);
        (mode, id, thread_id)
    };
    match mode {
        Some(GmailSendMode::AcceptThenHang(hold)) => tokio::time::sleep(hold).await,
        Some(GmailSendMode::UnreadableAnswer) => {
            return (StatusCode::OK, "<!DOCTYPE html><html><body>Server Err").into_response();
        }
        _ => {}
    }
    Json(json!({"id": id, "threadId": thread_id, "labelIds": ["SENT"]})).into_response()
}

async fn watch(
    State(g): State<Google>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> axum::response::Response {
    require_auth!(g, headers);
    let topic = body["topicName"].as_str().unwrap_or("");
    let parts: Vec<&str> = topic.split('/').collect();
    if parts.len() != 4 || parts[0] != "projects" || parts[2] != "topics" {
        return google_error(
            StatusCode::BAD_REQUEST,
            "Invalid topicName does not match projects/*/topics/*",
        );
    }
    let mut mb = g.inner.lock().unwrap();
    mb.watches += 1;
    let expiration = chrono::Utc::now().timestamp_millis() + 7 * 86_400_000;
    Json(json!({"historyId": mb.history_id.to_string(), "expiration": expiration.to_string()}))
        .into_response()
}
