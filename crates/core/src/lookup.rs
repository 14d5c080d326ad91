//! Names and lists for the counselor view and reports: who a student is, what an offering is
//! called (and whether it is stored at all), and the students to search among. These tables hold one school (hundreds to a few
//! thousand rows), so they are read by primary key or whole.

use std::collections::HashMap;

use rusqlite::Connection;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::ids::Id;
use crate::roster::sort_key;
use crate::store::Store;

/// An offering a student is actively enrolled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfferingRef {
    pub id: Id,
    pub name: String,
}

/// A student of this device's rosters (or named by a pull), with the offerings they attend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StudentEntry {
    pub id: Id,
    pub full_name: String,
    /// Active enrollments, by offering name.
    pub offerings: Vec<OfferingRef>,
}

/// The student's name, `None` when this device does not know the student (or only by an empty
/// name). By primary key.
pub fn student_name(store: &Store, student: &Id) -> Result<Option<String>> {
    let mut stmt = store
        .conn()
        .prepare_cached("SELECT full_name FROM student WHERE id = ?1 AND trim(full_name) <> ''")?;
    let mut rows = stmt.query_map([student], |r| r.get::<_, String>(0))?;
    Ok(rows.next().transpose()?)
}

/// The names of those of `students` this device knows. One primary-key look-up each.
pub fn student_names<'a>(
    store: &Store,
    students: impl IntoIterator<Item = &'a Id>,
) -> Result<HashMap<Id, String>> {
    let mut out = HashMap::new();
    for id in students {
        if out.contains_key(id) {
            continue;
        }
        if let Some(name) = student_name(store, id)? {
            out.insert(id.clone(), name);
        }
    }
    Ok(out)
}

/// The offering's name, `None` when it is not in this device's rosters. By primary key.
pub fn offering_name(store: &Store, offering: &Id) -> Result<Option<String>> {
    let mut stmt = store
        .conn()
        .prepare_cached("SELECT name FROM offering WHERE id = ?1")?;
    let mut rows = stmt.query_map([offering], |r| r.get::<_, String>(0))?;
    Ok(rows.next().transpose()?)
}

/// Every offering's name (the whole table: one school's offerings).
pub fn offering_names(store: &Store) -> Result<HashMap<Id, String>> {
    names(store, "SELECT id, name FROM offering")
}

/// Every student's name (the whole table: one school's students), those with a name only.
pub fn all_student_names(store: &Store) -> Result<HashMap<Id, String>> {
    names(
        store,
        "SELECT id, full_name FROM student WHERE trim(full_name) <> ''",
    )
}

/// The (id, name) rows of `sql` by id.
fn names(store: &Store, sql: &str) -> Result<HashMap<Id, String>> {
    let mut stmt = store.conn().prepare_cached(sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, Id>(0)?, r.get::<_, String>(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<HashMap<_, _>>>()?)
}

/// Every student with a name, by name (accents and case ignored), each with their active
/// offerings. Two whole-table reads grouped here, which suits a school's size.
pub fn students(store: &Store) -> Result<Vec<StudentEntry>> {
    let conn = store.conn();
    let mut stmt = conn.prepare_cached(
        "SELECT e.student_id, o.id, o.name
         FROM enrollment e JOIN offering o ON o.id = e.offering_id
         WHERE e.active = 1",
    )?;
    let mut offerings: HashMap<Id, Vec<OfferingRef>> = HashMap::new();
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, Id>(0)?,
            OfferingRef {
                id: r.get(1)?,
                name: r.get(2)?,
            },
        ))
    })?;
    for row in rows {
        let (student, offering) = row?;
        offerings.entry(student).or_default().push(offering);
    }
    let mut stmt =
        conn.prepare_cached("SELECT id, full_name FROM student WHERE trim(full_name) <> ''")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, Id>(0)?, r.get::<_, String>(1)?)))?;
    let mut list = Vec::new();
    for row in rows {
        let (id, full_name) = row?;
        let mut mine = offerings.remove(&id).unwrap_or_default();
        mine.sort_by(|a, b| {
            sort_key(&a.name)
                .cmp(&sort_key(&b.name))
                .then_with(|| a.id.cmp(&b.id))
        });
        list.push(StudentEntry {
            id,
            full_name,
            offerings: mine,
        });
    }
    list.sort_by_cached_key(|s| (sort_key(&s.full_name), s.id.clone()));
    Ok(list)
}

/// `NotFound` unless the offering is stored.
pub(crate) fn require_offering(conn: &Connection, offering: &Id) -> Result<()> {
    let exists: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM offering WHERE id = ?1)")?
        .query_row([offering], |r| r.get(0))?;
    if exists {
        Ok(())
    } else {
        Err(Error::NotFound(format!(
            "no offering {offering} is stored here; import a roster that lists it first"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MATH: &str = "a1b2c3d4-e5f6-4a7b-8c9d-000000000001";
    const ART: &str = "a1b2c3d4-e5f6-4a7b-8c9d-000000000002";
    const ANA: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000001";
    const BRUNO: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000002";
    const NAMELESS: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000003";
    const T: &str = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e";

    fn id(s: &str) -> Id {
        Id::parse(s).unwrap()
    }

    fn school() -> Store {
        let store = Store::open_in_memory().unwrap();
        store
            .conn()
            .execute_batch(&format!(
                "INSERT INTO offering VALUES ('{MATH}', 'Matemáticas 7A', '{T}'),
                                             ('{ART}', 'Artes 7A', '{T}');
                 INSERT INTO student VALUES ('{ANA}', 'Ana Álvarez'), ('{BRUNO}', 'bruno Díaz'),
                                            ('{NAMELESS}', ' ');
                 INSERT INTO enrollment VALUES ('e1', '{MATH}', '{ANA}', 1),
                                               ('e2', '{ART}', '{ANA}', 1),
                                               ('e3', '{ART}', '{BRUNO}', 0);"
            ))
            .unwrap();
        store
    }

    #[test]
    fn names_are_found_by_id_and_unknown_ids_are_none() {
        let store = school();
        assert_eq!(
            student_name(&store, &id(ANA)).unwrap().as_deref(),
            Some("Ana Álvarez")
        );
        assert_eq!(
            student_name(&store, &id(NAMELESS)).unwrap(),
            None,
            "a blank name is no name"
        );
        let stranger = id("d4e5f6a7-b8c9-4d0e-a1b2-00000000ffff");
        assert_eq!(student_name(&store, &stranger).unwrap(), None);
        let names = student_names(&store, [&id(ANA), &stranger, &id(ANA)]).unwrap();
        assert_eq!(names.len(), 1);
        assert_eq!(
            offering_name(&store, &id(ART)).unwrap().as_deref(),
            Some("Artes 7A")
        );
        assert_eq!(offering_names(&store).unwrap().len(), 2);
    }

    #[test]
    fn students_are_listed_by_name_with_their_active_offerings() {
        let store = school();
        let list = students(&store).unwrap();
        let names: Vec<&str> = list.iter().map(|s| s.full_name.as_str()).collect();
        assert_eq!(names, vec!["Ana Álvarez", "bruno Díaz"]);
        let ana: Vec<&str> = list[0].offerings.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(ana, vec!["Artes 7A", "Matemáticas 7A"]);
        assert!(
            list[1].offerings.is_empty(),
            "an inactive enrollment is not listed"
        );
    }
}
