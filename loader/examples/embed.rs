//! The smallest Rust host: load the pack, build a session with it, run a query.
//!
//! cargo run -p dfpack-loader --example embed -- [path/to/libdfpack.so] [SQL]

use dfpack_loader::{Pack, SessionFactory, default_pack_path};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    if let Err(error) = run().await {
        eprintln!("{error}");
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().map(Into::into).or_else(default_pack_path).ok_or("no libdfpack.so found")?;
    let sql = args.next().unwrap_or_else(|| "SELECT stable_hash64('hello') AS h".to_string());

    let pack = Pack::load(path)?;
    let ctx = SessionFactory::new().with_pack(pack).build()?;
    ctx.sql(&sql).await?.show().await?;
    Ok(())
}
