//! PNG on request: the SVG plots rasterized with resvg (pure Rust), text drawn with the
//! system's fonts (DejaVu or Liberation on Debian; without any font the text is left out and
//! `fonts_available` says so).

use resvg::{tiny_skia, usvg};
use std::sync::{Arc, OnceLock};

fn fontdb() -> Arc<usvg::fontdb::Database> {
    static DB: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_system_fonts();
        // plotters writes font-family="sans-serif": map it to a family that is installed.
        let families: Vec<String> = db
            .faces()
            .flat_map(|f| f.families.iter().map(|(n, _)| n.clone()))
            .collect();
        for want in ["DejaVu Sans", "Liberation Sans", "Noto Sans", "FreeSans"] {
            if families.iter().any(|f| f == want) {
                db.set_sans_serif_family(want);
                break;
            }
        }
        Arc::new(db)
    })
    .clone()
}

/// Whether any system font was found (text in PNGs needs one).
pub fn fonts_available() -> bool {
    !fontdb().is_empty()
}

/// Rasterizes one SVG document (as made by `plots`) to PNG bytes at `scale` (1 = its size).
pub fn svg_to_png(svg: &str, scale: f32) -> Result<Vec<u8>, String> {
    let svg = if svg.contains("xmlns=") {
        svg.to_string()
    } else {
        svg.replacen("<svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"", 1)
    };
    let opt = usvg::Options {
        fontdb: fontdb(),
        ..Default::default()
    };
    let tree = usvg::Tree::from_str(&svg, &opt).map_err(|e| format!("svg: {e}"))?;
    let size = tree.size();
    let (w, h) = (
        (size.width() * scale).ceil() as u32,
        (size.height() * scale).ceil() as u32,
    );
    let mut pixmap = tiny_skia::Pixmap::new(w.max(1), h.max(1)).ok_or("png: empty image")?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| format!("png: {e}"))
}

/// Every `<svg>...</svg>` element of an HTML page, in order.
pub fn svgs_in(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<svg") {
        let Some(j) = rest[i..].find("</svg>") else {
            break;
        };
        out.push(&rest[i..i + j + 6]);
        rest = &rest[i + j + 6..];
    }
    out
}
