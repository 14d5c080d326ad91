//! SVG → PNG with resvg, drawing text with the bundled DejaVu Sans so a PNG looks the same on
//! every machine (no system fonts are consulted).

use std::sync::{Arc, OnceLock};

use resvg::tiny_skia;
use resvg::usvg::{self, fontdb};

use crate::charts::FONT;
use crate::ReportError;

/// The family name inside the bundled font file.
const FONT_FAMILY: &str = "DejaVu Sans";

/// The font database: the bundled font only, and every generic family (`sans-serif`, `serif`,
/// …, which plotters writes) mapped to it. Built once.
fn fonts() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        db.load_font_source(fontdb::Source::Binary(Arc::new(FONT)));
        db.set_sans_serif_family(FONT_FAMILY);
        db.set_serif_family(FONT_FAMILY);
        db.set_monospace_family(FONT_FAMILY);
        db.set_cursive_family(FONT_FAMILY);
        db.set_fantasy_family(FONT_FAMILY);
        Arc::new(db)
    })
    .clone()
}

/// Renders an SVG document as PNG bytes, `scale` times its own width and height (2.0 for a
/// sharp image on a high-density screen or in print).
pub fn svg_to_png(svg: &str, scale: f32) -> Result<Vec<u8>, ReportError> {
    if !(scale.is_finite() && scale > 0.0) {
        return Err(ReportError::Png(format!(
            "scale must be a positive number, not {scale}"
        )));
    }
    let options = usvg::Options {
        font_family: FONT_FAMILY.to_string(),
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| ReportError::Png(e.to_string()))?;
    let size = tree.size().to_int_size().scale_by(scale).ok_or_else(|| {
        ReportError::Png(format!(
            "an image {scale} times the SVG's size is too large"
        ))
    })?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| ReportError::Png("the image has no pixels or is too large".into()))?;
    let transform = tiny_skia::Transform::from_scale(scale, scale);
    resvg::render(&tree, transform, &mut pixmap.as_mut());
    pixmap
        .encode_png()
        .map_err(|e| ReportError::Png(e.to_string()))
}
