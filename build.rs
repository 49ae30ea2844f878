// The migrations are embedded by refinery's macro, which cargo does not know reads
// `migrations/`: without this, a new migration file left the binary without it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
