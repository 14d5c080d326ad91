//! Chart wording in English and Spanish.

use super::Lang;
use crate::measures::Tier;

pub(crate) struct Words {
    pub breakdown: &'static str,
    pub monthly: &'static str,
    pub heatmap: &'static str,
    pub by_course: &'static str,
    pub last_days: &'static str,
    pub class_daily: &'static str,
    pub at_risk: &'static str,
    /// In [`super::STATUS_ORDER`]: present, late, absent, excused.
    pub status: [&'static str; 4],
    pub letter: [&'static str; 4],
    pub sessions: &'static str,
    pub status_axis: &'static str,
    pub month: &'static str,
    pub attendance_rate: &'static str,
    pub absence_rate: &'static str,
    pub course: &'static str,
    pub date: &'static str,
    pub student: &'static str,
    pub goal_90: &'static str,
    pub chronic_10: &'static str,
    pub no_records: &'static str,
    pub no_record: &'static str,
    pub no_class: &'static str,
    pub attended: &'static str,
    pub partly_absent: &'static str,
    pub absent_all_day: &'static str,
    pub unnamed_course: &'static str,
    pub unnamed_student: &'static str,
    pub weekdays: [&'static str; 5],
    pub months: [&'static str; 12],
    pub tiers: [&'static str; 5],
}

impl Words {
    pub fn of(lang: Lang) -> &'static Words {
        match lang {
            Lang::En => &EN,
            Lang::Es => &ES,
        }
    }

    pub fn tier(&self, t: Tier) -> &'static str {
        self.tiers[match t {
            Tier::InsufficientData => 0,
            Tier::Satisfactory => 1,
            Tier::AtRisk => 2,
            Tier::ModerateChronic => 3,
            Tier::SevereChronic => 4,
        }]
    }
}

static EN: Words = Words {
    breakdown: "Sessions by status",
    monthly: "Attendance rate by month",
    heatmap: "Absence by school day",
    by_course: "Attendance rate by course",
    last_days: "Last 5 observed days",
    class_daily: "Daily attendance rate",
    at_risk: "Students by absence rate",
    status: ["Present", "Late", "Absent", "Excused"],
    letter: ["P", "L", "A", "E"],
    sessions: "Sessions",
    status_axis: "Status",
    month: "Month",
    attendance_rate: "Attendance rate",
    absence_rate: "Absence rate (share of days)",
    course: "Course",
    date: "Date",
    student: "Student",
    goal_90: "90% goal",
    chronic_10: "chronic (10%)",
    no_records: "No records in this range",
    no_record: "No record",
    no_class: "No class",
    attended: "Attended",
    partly_absent: "Partly absent (/)",
    absent_all_day: "Absent all day (×)",
    unnamed_course: "Unnamed course",
    unnamed_student: "Unnamed student",
    weekdays: ["Mon", "Tue", "Wed", "Thu", "Fri"],
    months: [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ],
    tiers: [
        "Insufficient data",
        "Satisfactory",
        "At risk",
        "Moderate chronic absence",
        "Severe chronic absence",
    ],
};

static ES: Words = Words {
    breakdown: "Sesiones por estado",
    monthly: "Tasa de asistencia por mes",
    heatmap: "Ausencia por día lectivo",
    by_course: "Tasa de asistencia por curso",
    last_days: "Últimos 5 días observados",
    class_daily: "Tasa de asistencia diaria",
    at_risk: "Estudiantes por tasa de ausencia",
    status: ["Presente", "Tarde", "Ausente", "Justificada"],
    letter: ["P", "T", "A", "J"],
    sessions: "Sesiones",
    status_axis: "Estado",
    month: "Mes",
    attendance_rate: "Tasa de asistencia",
    absence_rate: "Tasa de ausencia (parte de los días)",
    course: "Curso",
    date: "Fecha",
    student: "Estudiante",
    goal_90: "meta 90 %",
    chronic_10: "crónico (10 %)",
    no_records: "Sin registros en este periodo",
    no_record: "Sin registro",
    no_class: "Sin clase",
    attended: "Asistió",
    partly_absent: "Ausencia parcial (/)",
    absent_all_day: "Ausente todo el día (×)",
    unnamed_course: "Curso sin nombre",
    unnamed_student: "Estudiante sin nombre",
    weekdays: ["Lun", "Mar", "Mié", "Jue", "Vie"],
    months: [
        "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic",
    ],
    tiers: [
        "Datos insuficientes",
        "Satisfactoria",
        "En riesgo",
        "Ausentismo crónico moderado",
        "Ausentismo crónico severo",
    ],
};
