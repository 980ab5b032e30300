//! The acknowledgement latency plot: p50, p95 and p99 against offered
//! rate, latency on a log scale (an overloaded rate is orders of magnitude
//! above a comfortable one). Drawn as SVG text, rasterised with resvg.

use anyhow::Context;
use serde_json::Value;
use std::fmt::Write;
use std::path::Path;

/// The picture and the plot area's margins, in pixels.
const W: f64 = 760.0;
const H: f64 = 440.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 150.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 60.0;

fn series(curve: &[Value], key: &str) -> Vec<(f64, f64)> {
    curve
        .iter()
        .filter_map(|s| Some((s["offered_rate"].as_f64()?, s[key].as_f64()?.max(0.1))))
        .collect()
}

pub(super) fn latency_svg(curve: &[Value]) -> String {
    let lines = [
        ("p50_ms", "p50", "#1f77b4"),
        ("p95_ms", "p95", "#ff7f0e"),
        ("p99_ms", "p99", "#d62728"),
    ];
    let all: Vec<(f64, f64)> = lines
        .iter()
        .flat_map(|(k, _, _)| series(curve, k))
        .collect();
    let max_x = all.iter().map(|p| p.0).fold(1.0, f64::max);
    let max_decade = all.iter().map(|p| p.1.log10().ceil()).fold(1.0, f64::max);
    let min_decade = all
        .iter()
        .map(|p| p.1.log10().floor())
        .fold(max_decade - 1.0, f64::min)
        .max(-1.0);
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let x = |v: f64| LEFT + v / max_x * pw;
    let y = |ms: f64| TOP + ph - (ms.log10() - min_decade) / (max_decade - min_decade) * ph;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="DejaVu Sans, sans-serif" font-size="13"><rect width="100%" height="100%" fill="white"/><text x="{LEFT}" y="24" font-size="15">Webhook acknowledgement latency against offered rate</text>"#
    );
    let mut decade = min_decade;
    while decade <= max_decade {
        let ms = 10f64.powf(decade);
        let label = if ms < 1.0 {
            format!("{ms}")
        } else {
            format!("{ms:.0}")
        };
        let (right, at, label_x) = (LEFT + pw, y(ms), LEFT - 6.0);
        let label_y = at + 4.0;
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{right}" y1="{at}" y2="{at}" stroke="#ddd"/><text x="{label_x}" y="{label_y}" text-anchor="end">{label} ms</text>"##
        );
        decade += 1.0;
    }
    for (rate, _) in series(curve, "p50_ms") {
        let _ = write!(
            s,
            r##"<line x1="{0}" x2="{0}" y1="{TOP}" y2="{1}" stroke="#eee"/><text x="{0}" y="{2}" text-anchor="middle">{rate}</text>"##,
            x(rate),
            TOP + ph,
            TOP + ph + 18.0
        );
    }
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">offered rate (requests/s)</text>"#,
        LEFT + pw / 2.0,
        H - 14.0
    );
    let _ = write!(
        s,
        r##"<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>"##
    );
    for (i, (key, name, colour)) in lines.iter().enumerate() {
        let points: Vec<String> = series(curve, key)
            .iter()
            .map(|(r, ms)| format!("{:.1},{:.1}", x(*r), y(*ms)))
            .collect();
        let _ = write!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2.5"/>"#,
            points.join(" ")
        );
        for p in &points {
            let (px, py) = p.split_once(',').unwrap_or(("0", "0"));
            let _ = write!(
                s,
                r#"<circle cx="{px}" cy="{py}" r="3.5" fill="{colour}"/>"#
            );
        }
        let ly = TOP + 20.0 + i as f64 * 22.0;
        let _ = write!(
            s,
            r#"<line x1="{0}" x2="{1}" y1="{ly}" y2="{ly}" stroke="{colour}" stroke-width="3"/><text x="{2}" y="{3}">{name}</text>"#,
            LEFT + pw + 15.0,
            LEFT + pw + 40.0,
            LEFT + pw + 48.0,
            ly + 4.0
        );
    }
    s.push_str("</svg>");
    s
}

/// Rasterises `svg` to a PNG at `path` with the system's fonts.
pub(super) fn svg_to_png(svg: &str, path: &Path) -> anyhow::Result<()> {
    let mut options = resvg::usvg::Options::default();
    options.fontdb_mut().load_system_fonts();
    let tree = resvg::usvg::Tree::from_str(svg, &options).context("parsing the plot's SVG")?;
    let size = tree.size().to_int_size();
    let mut pixmap =
        resvg::tiny_skia::Pixmap::new(size.width(), size.height()).context("an empty plot")?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    pixmap
        .save_png(path)
        .with_context(|| format!("writing {}", path.display()))
}
