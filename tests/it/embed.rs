//! The embedding example is a real host: its own binary, depending on the loader only.

use std::process::Command;

use dfpack_tests::{ImageCopy, artifact, pack_image, query_value, session_with_pack};

#[tokio::test]
async fn the_embed_example_loads_the_pack_and_runs_a_query() {
    let copy = ImageCopy::of(&pack_image());
    let output = Command::new(artifact("examples/embed"))
        .arg(&copy.path)
        .arg("SELECT stable_hash64('embedded') AS h")
        .output()
        .expect("run the embed example");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let (ctx, _image) = session_with_pack();
    let expected = query_value(&ctx, "SELECT stable_hash64('embedded')").await;
    assert!(stdout.contains(&format!("| {expected} |")), "{stdout}");
}

#[test]
fn the_embed_example_reports_a_refused_plugin_and_exits_non_zero() {
    let output = Command::new(artifact("examples/embed"))
        .arg("/no/such/libdfpack.so")
        .output()
        .expect("run the embed example");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("[dfpack:abi] cannot load plugin '/no/such/libdfpack.so'"), "{stderr}");
}
