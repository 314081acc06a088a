// The manifest names the target a pack was built for; the loader compares it with its own.
fn main() {
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_string());
    println!("cargo:rustc-env=DFPACK_TARGET={target}");
}
