//! Writes the small Delta table the demo reads: `events`, partitioned by day,
//! in two commits (so time travel has something to show).
//!
//!     cargo run -p dfpack-providers --example demo_table -- examples/data/events_delta

use std::sync::Arc;

use arrow::array::{Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use deltalake_core::DeltaTable;
use url::Url;

fn batch(ids: std::ops::Range<i64>) -> Result<RecordBatch, Box<dyn std::error::Error>> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("day", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("amount", DataType::Float64, false),
    ]));
    let days = ["2026-11-01", "2026-11-02", "2026-11-03"];
    let kinds = ["view", "click", "purchase"];
    let rows: Vec<i64> = ids.collect();
    Ok(RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from(rows.clone())),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|i| days[(*i as usize) % days.len()]))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|i| kinds[(*i as usize * 7) % kinds.len()]))),
            Arc::new(Float64Array::from_iter_values(rows.iter().map(|i| (*i as f64) * 1.25))),
        ],
    )?)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = std::env::args().nth(1) else {
        return Err("usage: demo_table <directory>".into());
    };
    std::fs::create_dir_all(&path)?;
    let path = std::fs::canonicalize(&path)?;
    if path.join("_delta_log").is_dir() {
        println!("{} already holds a Delta table", path.display());
        return Ok(());
    }
    let url = Url::from_directory_path(&path).map_err(|()| format!("not a directory path: {}", path.display()))?;
    let table = DeltaTable::try_from_url(url).await?;
    let table = table.write(vec![batch(0..60)?]).with_partition_columns(["day"]).await?;
    let table = table.write(vec![batch(60..90)?]).await?;
    println!("wrote {} (version {:?})", path.display(), table.version());
    Ok(())
}
