//! What a user does and sees in the window, through the stable hooks the UI provides
//! (`data-testid`, ARIA roles, `data-student-id` / `data-status` / `aria-pressed`).

use std::future::Future;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, Locator};

use crate::driver::PATIENCE;

/// WebDriver key codes (W3C WebDriver, "keyboard actions").
pub const NULL: char = '\u{E000}';
pub const CONTROL: char = '\u{E009}';
pub const SHIFT: char = '\u{E008}';
pub const ARROW_UP: char = '\u{E013}';
pub const ARROW_DOWN: char = '\u{E015}';

/// The first element matching `css`, waiting for it to appear.
pub async fn find(client: &Client, css: &str) -> Element {
    client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}\npage: {}", page_text(client)))
}

/// Clicks `css` once it is there and enabled: a click on a disabled button does nothing, and a
/// user waits for it (say, while the previous command runs) before clicking.
pub async fn click(client: &Client, css: &str) {
    let element = find(client, css).await;
    wait_until(client, &format!("{css} is enabled"), || async {
        element.is_enabled().await.unwrap_or(false)
    })
    .await;
    element
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Types into a field, replacing what it held.
pub async fn fill(client: &Client, css: &str, text: &str) {
    let field = find(client, css).await;
    field
        .clear()
        .await
        .unwrap_or_else(|e| panic!("clear {css}: {e}"));
    if text.is_empty() {
        return;
    }
    field
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("type into {css}: {e}"));
}

/// Keys pressed where the focus is (as a user at the keyboard does).
pub async fn press(client: &Client, keys: &str) {
    client
        .active_element()
        .await
        .expect("something has the focus")
        .send_keys(keys)
        .await
        .unwrap_or_else(|e| panic!("press {keys:?}: {e}"));
}

/// Runs a script in the page and returns its JSON result.
pub async fn js(client: &Client, script: &str) -> serde_json::Value {
    client
        .execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

/// The text of `css` (empty when it is not there).
pub async fn text(client: &Client, css: &str) -> String {
    match client.find(Locator::Css(css)).await {
        Ok(element) => element.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Waits until `check` holds, showing `what` and the page if it never does.
pub async fn wait_until<F, Fut>(client: &Client, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(
            start.elapsed() < PATIENCE,
            "{what} never happened\npage: {}",
            page_text(client)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the text of `css` contains `part`.
pub async fn wait_for_text(client: &Client, css: &str, part: &str) -> String {
    let mut last = String::new();
    let start = Instant::now();
    loop {
        last = match client.find(Locator::Css(css)).await {
            Ok(element) => element.text().await.unwrap_or(last),
            Err(_) => last,
        };
        if last.contains(part) {
            return last;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "{css} never said {part:?} (last: {last:?})\npage: {}",
            page_text(client)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Goes to a screen by its hash route, as the header's links do.
pub async fn open(client: &Client, route: &str) {
    click(client, &format!("nav a[href=\"{route}\"]")).await;
}

/// The grid's rows as (student id, shown status), top to bottom.
pub async fn grid_rows(client: &Client) -> Vec<(String, String)> {
    let rows = js(
        client,
        "return [...document.querySelectorAll('[role=grid] [role=row][data-student-id]')]
            .map(r => [r.dataset.studentId, r.dataset.status]);",
    )
    .await;
    serde_json::from_value(rows).expect("rows as pairs")
}

/// The status each row shows through its pressed button (`aria-pressed=true`), top to bottom:
/// what a screen reader announces, not only a colour.
pub async fn pressed_statuses(client: &Client) -> Vec<String> {
    let pressed = js(
        client,
        "return [...document.querySelectorAll('[role=grid] [role=row][data-student-id]')]
            .map(r => r.querySelector('button[aria-pressed=true]')?.dataset.status ?? '');",
    )
    .await;
    serde_json::from_value(pressed).expect("a list of statuses")
}

/// What the window shows, for failure messages.
pub fn page_text(client: &Client) -> String {
    let client = client.clone();
    let read = async move {
        match client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_else(|e| format!("<{e}>")),
            Err(e) => format!("<{e}>"),
        }
    };
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(read))
}
