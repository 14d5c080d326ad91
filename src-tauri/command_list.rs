// The app's commands, as `module::function` under src-tauri/commands: the one list. build.rs
// includes this file to declare them to the ACL (each gets `allow-<name>`), lib.rs to register
// the handler and to export `COMMANDS`; tests/commands.rs checks that each is granted and
// reachable. A new command goes here and into src-tauri/capabilities/main.json.
//
// (Plain `macro_rules!` so build.rs can `include!` it: no `use`, no items beyond the macro.)
macro_rules! with_commands {
    ($then:ident) => {
        $then! {
            app::app_info,
            app::leave_demo,
            app::window_shown,
            today::today,
            today::offerings,
            calendar::missing_rolls,
            calendar::calendar,
            calendar::save_meeting_days,
            calendar::import_non_school_days,
            grid::roster,
            grid::refresh_roll,
            grid::counts,
            grid::set_mark,
            grid::mark_rest_present,
            grid::undo,
            grid::history,
            import::roster_preview,
            import::roster_import,
            settings::settings,
            settings::save_settings,
            settings::save_refresh_minutes,
            settings::sign_in,
            settings::sign_out,
            retention::retention,
            retention::save_retention,
            retention::preview_purge,
            retention::purge_now,
            sync::sync_status,
            sync::sync_now,
            sync::sync_problems,
            sync::resend_unknown,
            sync::discard,
            sync::retry,
            counselor::search_students,
            counselor::student_view,
            counselor::class_view,
            counselor::export_student,
            counselor::export_class,
            counselor::school_view,
            counselor::export_school,
            school::pull_all_classes,
            school::cancel_pull_all_classes,
            school::school_pull_state,
        }
    };
}
