//! Rebuilds the store when a migration file is added or changed: `sqlx::migrate!` embeds the folders at
//! compile time, and without this line cargo would not notice a new file.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
