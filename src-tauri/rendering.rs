//! How the window paints on Linux. WebKitGTK composites the page with OpenGL; on a computer with
//! no GPU (a virtual machine, a thin client, a CI runner) that OpenGL is Mesa's software
//! renderer, and compositing through it costs the window's web process some 60–90 MiB and its
//! launch time, for a page that has nothing to animate. There the window paints without
//! compositing, as WebKitGTK does when `WEBKIT_DISABLE_COMPOSITING_MODE` is set: with the CPU,
//! straight into the window. A computer with a GPU keeps WebKit's default, and so does anyone
//! who set the variable themselves (to `0` as well). Windows (WebView2) and macOS are not
//! concerned.

use std::path::Path;

/// WebKitGTK's switch, read by its web process when it starts.
pub const NO_COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// Where Linux lists the GPUs a program may render with (`renderD128`, ...).
#[cfg(target_os = "linux")]
const DRI: &str = "/dev/dri";

/// Sets [`NO_COMPOSITING`] when there is no GPU to composite with and the user did not choose.
/// Called first thing in [`crate::run`], before any thread starts (the environment is then
/// read by the web processes WebKit starts).
pub fn choose() {
    if without_compositing_here() {
        std::env::set_var(NO_COMPOSITING, "1");
    }
}

/// Whether the window paints without compositing on this computer, in this environment: on
/// Linux with no GPU render node, unless [`NO_COMPOSITING`] is set already.
#[cfg(target_os = "linux")]
pub fn without_compositing_here() -> bool {
    paint_without_compositing(
        std::env::var_os(NO_COMPOSITING).is_some(),
        has_render_node(Path::new(DRI)),
    )
}

#[cfg(not(target_os = "linux"))]
pub fn without_compositing_here() -> bool {
    false
}

/// Whether to paint without compositing: only when the user left it to Rollbook and no GPU is
/// there.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn paint_without_compositing(user_chose: bool, gpu: bool) -> bool {
    !user_chose && !gpu
}

/// Whether `dri` lists a render node (`renderD*`): a GPU that OpenGL can use.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn has_render_node(dri: &Path) -> bool {
    std::fs::read_dir(dri).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compositing_is_left_on_with_a_gpu_or_when_the_user_chose() {
        assert!(paint_without_compositing(false, false));
        assert!(!paint_without_compositing(false, true));
        assert!(!paint_without_compositing(true, false));
        assert!(!paint_without_compositing(true, true));
    }

    #[test]
    fn a_gpu_is_a_render_node_in_dri() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!has_render_node(&dir.path().join("missing")), "no /dev/dri");
        assert!(!has_render_node(dir.path()), "an empty /dev/dri");
        // A display-only device (card0) is not one OpenGL renders with.
        std::fs::write(dir.path().join("card0"), "").unwrap();
        assert!(!has_render_node(dir.path()));
        std::fs::write(dir.path().join("renderD128"), "").unwrap();
        assert!(has_render_node(dir.path()));
    }
}
