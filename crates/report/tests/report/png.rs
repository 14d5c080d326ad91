//! PNG rendering: decodes at the expected size, with text drawn by the bundled font.

use rollbook_core::calendar::Calendar;
use rollbook_report::{student_charts, student_report, svg_to_png, Lang, Theme};

use crate::util::*;

fn decode(bytes: &[u8]) -> (png::OutputInfo, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("sized")];
    let info = reader.next_frame(&mut buf).expect("a PNG frame");
    buf.truncate(info.buffer_size());
    (info, buf)
}

fn svg_size(svg: &str) -> (u32, u32) {
    let doc = roxmltree::Document::parse(svg).expect("xml");
    let root = doc.root_element();
    let n = |a: &str| {
        root.attribute(a)
            .and_then(|v| v.parse().ok())
            .expect("sized svg")
    };
    (n("width"), n("height"))
}

#[test]
fn charts_render_to_png_at_their_size_times_scale() {
    let records = year(1, 40);
    let report = student_report(&id(1), &records, None, None);
    let charts = student_charts(
        &report,
        &records,
        &Calendar::default(),
        Theme::Dark,
        Lang::Es,
    )
    .expect("draws");
    for (chart, scale) in [(&charts.heatmap, 1.0), (&charts.breakdown, 2.0)] {
        let (w, h) = svg_size(&chart.svg);
        let (info, _) = decode(&svg_to_png(&chart.svg, scale).expect("renders"));
        let expected = (
            (w as f32 * scale).round() as u32,
            (h as f32 * scale).round() as u32,
        );
        assert_eq!((info.width, info.height), expected, "{}", chart.title);
    }
}

/// Text only: if the bundled font were not mapped to `sans-serif`, nothing would be drawn.
#[test]
fn text_is_drawn_with_the_bundled_font() {
    let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40" viewBox="0 0 200 40">
        <text x="10" y="30" font-family="sans-serif" font-size="24" fill="#000000">Ausente ×</text>
        </svg>"##;
    let (info, pixels) = decode(&svg_to_png(svg, 1.0).expect("renders"));
    assert_eq!(info.color_type, png::ColorType::Rgba);
    let inked = pixels.chunks(4).filter(|p| p[3] > 128).count();
    assert!(inked > 200, "glyphs were drawn: {inked} opaque pixels");
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    assert!(svg_to_png("not svg", 1.0).is_err());
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>"#;
    assert!(svg_to_png(svg, 0.0).is_err());
    assert!(svg_to_png(svg, f32::NAN).is_err());
    assert!(svg_to_png(svg, 1.0).is_ok());
}
