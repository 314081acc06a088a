//! The SQL examples in the hash functions' documentation show real output:
//! each is run in a DataFusion session and its table compared with the one
//! documented.

use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::SessionContext;
use dfpack_udfs::hash;

/// The query of a documented example and the table it shows.
fn parse_example(example: &str) -> (String, String) {
    let body = example
        .trim()
        .strip_prefix("```sql")
        .and_then(|rest| rest.strip_suffix("```"))
        .expect("the example is a fenced sql block");
    let mut lines = body.trim().lines();
    let query = lines
        .next()
        .and_then(|line| line.strip_prefix("> "))
        .expect("the example starts with a `> ` query line");
    let table = lines.collect::<Vec<_>>().join("\n");
    (query.to_string(), table)
}

#[tokio::test]
async fn documented_examples_show_real_output() {
    let ctx = SessionContext::new();
    for udf in hash::functions() {
        ctx.register_udf(udf.as_ref().clone());
    }
    for udf in hash::functions() {
        let doc = udf.documentation().expect("documented");
        let example = doc.sql_example.as_deref().expect("has an example");
        let (query, documented) = parse_example(example);
        let batches = ctx.sql(&query).await.unwrap().collect().await.unwrap();
        let actual = pretty_format_batches(&batches).unwrap().to_string();
        assert_eq!(
            actual.trim(),
            documented.trim(),
            "the example of {} shows other output than it gives",
            udf.name()
        );
    }
}
