//! The roster and check-in files of the tests that run without a server.

/// The offering of [`roster_csv`], Matemáticas 7A.
pub const MATH: &str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
pub const TEACHER: &str = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e";
pub const JOSE: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000001";
pub const ANA: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000002";
pub const BRUNO: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000003";
#[allow(unused_imports)] // calendar.rs chooses its own days
pub use super::cli::recent_date as date;

/// One offering with three students, separated by semicolons, one name with a comma in it.
pub fn roster_csv() -> String {
    let row = |e: u8, s: &str, name: &str| {
        format!(
            "{MATH};Matemáticas 7A;{TEACHER};c3d4e5f6-a7b8-4c9d-0e1f-00000000000{e};{s};{name}\n"
        )
    };
    format!(
        "course_offering_id;course_name;teacher_assignment_id;course_enrollment_id;student_id;\
         student_name\n{}{}{}",
        row(1, JOSE, "Muñoz, José"),
        row(2, ANA, "Ana Álvarez"),
        row(3, BRUNO, "Bruno Díaz")
    )
}

/// A check-in file (`marks import`): one line per `[offering, student, date, status]`.
#[allow(dead_code)] // calendar.rs imports no check-in file
pub fn checkins_csv(rows: &[[&str; 4]]) -> String {
    let mut csv = String::from("course_offering_id,student_id,attendance_date,status\n");
    for row in rows {
        csv.push_str(&row.join(","));
        csv.push('\n');
    }
    csv
}
