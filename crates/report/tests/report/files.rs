//! Writing exports to disk: a chart set is written whole or not at all, and a path of the wrong
//! kind is named with what is wrong.

use rollbook_report::files::{write_charts, write_file, ChartFormat};
use rollbook_report::Chart;

fn chart(svg: &str) -> Chart {
    Chart {
        svg: svg.to_string(),
        alt: "a chart".into(),
        title: "Chart".into(),
    }
}

const GOOD: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><rect width="200" height="100" fill="red"/></svg>"#;

/// The names in `dir`, sorted.
fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_chart_set_that_fails_half_way_leaves_no_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (good, bad) = (chart(GOOD), chart("<svg this is not"));
    let dest = tmp.path().join("charts");
    let set = [
        ("first", &good),
        ("second", &good),
        ("broken", &bad),
        ("last", &good),
    ];
    let err = write_charts(&dest, &set, ChartFormat::Png).expect_err("the broken chart fails");
    assert!(err.to_string().contains("PNG"), "{err}");
    assert!(!dest.exists(), "no directory with some of the charts");
    assert!(
        listing(tmp.path()).is_empty(),
        "no temporary left behind: {:?}",
        listing(tmp.path())
    );

    // Into an existing directory: its files stay as they were.
    std::fs::create_dir(&dest).expect("dir");
    std::fs::write(dest.join("first.png"), "old").expect("old file");
    std::fs::write(dest.join("notes.txt"), "mine").expect("other file");
    write_charts(&dest, &set, ChartFormat::Png).expect_err("fails again");
    assert_eq!(listing(&dest), ["first.png", "notes.txt"]);
    assert_eq!(
        std::fs::read_to_string(dest.join("first.png")).expect("old"),
        "old"
    );
    assert_eq!(listing(tmp.path()), ["charts"], "no temporary left behind");
}

#[test]
fn a_whole_chart_set_is_moved_into_place() {
    let tmp = tempfile::tempdir().expect("tmp");
    let good = chart(GOOD);
    let set = [("breakdown", &good), ("monthly", &good)];
    let dest = tmp.path().join("new").join("svg");
    write_charts(&dest, &set, ChartFormat::Svg).expect("writes");
    assert_eq!(listing(&dest), ["breakdown.svg", "monthly.svg"]);
    assert_eq!(
        std::fs::read_to_string(dest.join("monthly.svg")).expect("svg"),
        GOOD
    );
    // Again, into the directory now there, beside a file of the user's: replaced, kept.
    std::fs::write(dest.join("notes.txt"), "mine").expect("other file");
    std::fs::write(dest.join("monthly.svg"), "old").expect("old chart");
    write_charts(&dest, &set, ChartFormat::Svg).expect("writes again");
    assert_eq!(
        listing(&dest),
        ["breakdown.svg", "monthly.svg", "notes.txt"]
    );
    assert_eq!(
        std::fs::read_to_string(dest.join("monthly.svg")).expect("svg"),
        GOOD
    );
    assert_eq!(
        listing(&tmp.path().join("new")),
        ["svg"],
        "no temporary left behind"
    );
    write_charts(&dest, &set, ChartFormat::Png).expect("PNGs beside them");
    assert!(dest.join("monthly.png").exists());
}

#[test]
fn a_path_of_the_wrong_kind_is_named_with_what_is_wrong() {
    let tmp = tempfile::tempdir().expect("tmp");
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "x").expect("file");
    let good = chart(GOOD);
    let err = write_charts(&file, &[("c", &good)], ChartFormat::Svg).expect_err("a file");
    let text = err.to_string();
    assert!(
        text.contains(&file.display().to_string()) && text.contains("is a file, not a directory"),
        "{text}"
    );
    assert!(err.is_user_input(), "the user's to fix: exit 2");
    let err = write_file(tmp.path(), b"csv").expect_err("a directory");
    let text = err.to_string();
    assert!(
        text.contains(&tmp.path().display().to_string())
            && text.contains("is a directory, not a file"),
        "{text}"
    );
    write_file(&tmp.path().join("deep").join("r.csv"), b"a,b\n").expect("parents are created");
}
