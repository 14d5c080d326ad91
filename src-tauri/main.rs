fn main() { rollbook_app::run() }
