//! The packed-image reader on a small image built here, and on every kind
//! of damage a downloaded file can carry: truncation, bad offsets, wrong
//! counts, arbitrary bytes. Each is an error, never a panic.

use super::*;
use proptest::prelude::*;

const H: usize = 32;

/// A valid one-layer image (hidden 32, two tokens) whose every f32 weight
/// is 0.5 and every Q4 block holds scale 1.0 (f16 0x3c00) and nibbles 9
/// (weight 1.0) and 7 (weight -1.0).
fn image() -> Vec<u8> {
    let shape = [H, 1, 1, H, 2, 4, 1].map(|v| v as i32);
    let mut head = b"E5S1".to_vec();
    head.extend(1u32.to_le_bytes());
    shape.iter().for_each(|v| head.extend(v.to_le_bytes()));
    head.extend(1e-12f32.to_le_bytes());
    head.extend(32i32.to_le_bytes());
    // Tokenizer: one piece "a" (score 0), no normalisation entries.
    head.extend(1i32.to_le_bytes());
    [0i32, 2, 1, 3]
        .iter()
        .for_each(|v| head.extend(v.to_le_bytes()));
    head.extend(1u64.to_le_bytes());
    [0u32, 1].iter().for_each(|v| head.extend(v.to_le_bytes()));
    head.extend(0f32.to_le_bytes());
    head.push(b'a');
    head.extend(0i32.to_le_bytes());
    head.extend(0u32.to_le_bytes());
    let shape = Shape {
        hidden: H,
        layers: 1,
        heads: 1,
        feed_forward: H,
        vocabulary: 2,
        positions: 4,
        token_types: 1,
        layer_norm_eps: 1e-12,
    };
    let tensors: Vec<(String, u8, usize)> = expected(&shape)
        .into_iter()
        .map(|(name, _, dims)| {
            let quantised = dims.len() == 2 && name != "emb.pos" && name != "emb.type";
            (name, u8::from(quantised), dims.iter().product())
        })
        .collect();
    let mut directory = (tensors.len() as i32).to_le_bytes().to_vec();
    let entry_bytes: usize = tensors
        .iter()
        .map(|(n, _, _)| 2 + n.len() + 1 + 4 + 16)
        .sum();
    let mut offset = head.len() + 4 + entry_bytes;
    let mut data = Vec::new();
    for (name, dtype, count) in &tensors {
        let bytes = if *dtype == 1 {
            let block = [[0x00u8, 0x3c].as_slice(), &[0x79; 16]].concat();
            block.repeat(count / 32)
        } else {
            0.5f32.to_le_bytes().repeat(*count)
        };
        directory.extend((name.len() as u16).to_le_bytes());
        directory.extend(name.as_bytes());
        directory.push(*dtype);
        directory.extend((*count as u32).to_le_bytes());
        directory.extend((offset as u64).to_le_bytes());
        directory.extend((bytes.len() as u64).to_le_bytes());
        offset += bytes.len();
        data.extend(bytes);
    }
    [head, directory, data].concat()
}

#[test]
fn reads_a_valid_image_with_candles_names_and_values() {
    let (shape, weights) = read(&image()).unwrap();
    assert_eq!((shape.hidden, shape.layers, shape.vocabulary), (H, 1, 2));
    let (dims, values) = &weights["embeddings.word_embeddings.weight"];
    assert_eq!(dims, &vec![2, H]);
    // Low nibbles (9) are the block's first 16 weights, high (7) the rest.
    assert_eq!(&values[..16], &[1.0; 16]);
    assert_eq!(&values[16..32], &[-1.0; 16]);
    let (dims, values) = &weights["encoder.layer.0.output.LayerNorm.bias"];
    assert_eq!((dims.as_slice(), values[0]), ([H].as_slice(), 0.5));
    assert_eq!(weights.len(), 5 + 16);
}

#[test]
fn every_truncation_is_an_error() {
    let full = image();
    for len in 0..full.len() {
        assert!(
            read(&full[..len]).is_err(),
            "read {len} of {} bytes",
            full.len()
        );
    }
}

#[test]
fn half_precision_matches_ieee() {
    assert_eq!(f16_to_f32(0x3c00), 1.0);
    assert_eq!(f16_to_f32(0xc000), -2.0);
    assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
    assert_eq!(f16_to_f32(0x7c00), f32::INFINITY);
    assert!(f16_to_f32(0x7e00).is_nan());
    assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
}

#[test]
fn a_wrong_magic_or_shape_is_refused() {
    let mut bad = image();
    bad[0] = b'X';
    assert!(matches!(read(&bad), Err(PackedError::Magic)));
    let mut heads = image();
    heads[16..20].copy_from_slice(&5i32.to_le_bytes()); // 32 % 5 != 0
    assert!(matches!(read(&heads), Err(PackedError::Shape(_))));
    let mut negative = image();
    negative[24..28].copy_from_slice(&(-1i32).to_le_bytes());
    assert!(matches!(read(&negative), Err(PackedError::Shape(_))));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = read(&bytes);
        let mut prefixed = b"E5S1".to_vec();
        prefixed.extend(&bytes);
        let _ = read(&prefixed);
    }

    /// Any byte of a valid image overwritten: a clear error or a readable
    /// image, never a panic or an out-of-bounds read.
    #[test]
    fn damaged_images_never_panic(at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut img = image();
        let i = at.index(img.len());
        img[i] = byte;
        let _ = read(&img);
    }
}
