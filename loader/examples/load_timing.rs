//! Measures, in one fresh process, what a host pays to use the pack: load and
//! verify the image, then build a session with everything installed.
//! Prints `load_us install_us` (microseconds). scripts/measure.sh runs it many times.

use std::time::Instant;

use dfpack_loader::{Pack, SessionFactory, default_pack_path};

fn main() -> std::process::ExitCode {
    let Some(path) = std::env::args().nth(1).map(Into::into).or_else(default_pack_path) else {
        eprintln!("usage: load_timing <libdfpack.so>");
        return std::process::ExitCode::FAILURE;
    };
    let start = Instant::now();
    let pack = match Pack::load(path) {
        Ok(pack) => pack,
        Err(error) => {
            eprintln!("{error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let loaded = start.elapsed();
    if let Err(error) = SessionFactory::new().with_pack(pack).build() {
        eprintln!("{error}");
        return std::process::ExitCode::FAILURE;
    }
    let installed = start.elapsed() - loaded;
    println!("{} {}", loaded.as_micros(), installed.as_micros());
    std::process::ExitCode::SUCCESS
}
