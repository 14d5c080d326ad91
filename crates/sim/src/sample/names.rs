//! The names the sample school's people get: Colombian given names and surnames for the students,
//! the five teachers, and the order of a class list by surname.

use std::collections::HashSet;

use rand::rngs::StdRng;
use rand::Rng;

const GIVEN_F: [&str; 24] = [
    "María José",
    "Valentina",
    "Isabella",
    "Sofía",
    "Mariana",
    "Luciana",
    "Daniela",
    "Gabriela",
    "Salomé",
    "Sara",
    "Juliana",
    "Manuela",
    "Ana María",
    "Laura Sofía",
    "Camila",
    "Valeria",
    "Antonella",
    "María Paula",
    "Natalia",
    "Paula Andrea",
    "Emilia",
    "Luisa Fernanda",
    "Ximena",
    "Ángela",
];
const GIVEN_M: [&str; 24] = [
    "Juan David",
    "Santiago",
    "Samuel",
    "Sebastián",
    "Matías",
    "Nicolás",
    "Alejandro",
    "Juan José",
    "Tomás",
    "Emmanuel",
    "Jerónimo",
    "Martín",
    "Juan Esteban",
    "Andrés Felipe",
    "Daniel",
    "Miguel Ángel",
    "David",
    "Juan Pablo",
    "Simón",
    "Jacobo",
    "Julián",
    "Esteban",
    "Óscar Iván",
    "Felipe",
];
const SURNAMES: [&str; 40] = [
    "Rodríguez",
    "Gómez",
    "González",
    "Martínez",
    "García",
    "López",
    "Hernández",
    "Sánchez",
    "Ramírez",
    "Pérez",
    "Díaz",
    "Muñoz",
    "Rojas",
    "Moreno",
    "Jiménez",
    "Castro",
    "Vargas",
    "Ortiz",
    "Gutiérrez",
    "Torres",
    "Álvarez",
    "Ruiz",
    "Suárez",
    "Valencia",
    "Quintero",
    "Cárdenas",
    "Ospina",
    "Restrepo",
    "Zapata",
    "Arango",
    "Londoño",
    "Mejía",
    "Peña",
    "Córdoba",
    "Castaño",
    "Betancur",
    "Montoya",
    "Salazar",
    "Agudelo",
    "Henao",
];
pub(super) const TEACHERS: [&str; 5] = [
    "Luz Marina Ocampo Restrepo",
    "Carlos Alberto Vélez Duque",
    "Gloria Patricia Ríos Cardona",
    "Jorge Enrique Zuluaga Marín",
    "Claudia Milena Rincón Peña",
];

pub(super) fn unique_name(rng: &mut StdRng, used: &mut HashSet<String>) -> String {
    loop {
        let given = if rng.random_bool(0.5) {
            &GIVEN_F[..]
        } else {
            &GIVEN_M[..]
        };
        let first = given[rng.random_range(0..given.len())];
        let s1 = SURNAMES[rng.random_range(0..SURNAMES.len())];
        let s2 = SURNAMES[rng.random_range(0..SURNAMES.len())];
        if s1 == s2 {
            continue;
        }
        let name = format!("{first} {s1} {s2}");
        if used.insert(name.clone()) {
            return name;
        }
    }
}

/// Sort key "Surname1 Surname2 Given names", the order of a Colombian class list.
pub(super) fn surname_key(full_name: &str) -> String {
    let parts: Vec<&str> = full_name.split(' ').collect();
    let split = parts.len().saturating_sub(2);
    format!("{} {}", parts[split..].join(" "), parts[..split].join(" "))
}
