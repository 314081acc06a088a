//! The fixture's manifest: the real one, patched from a sidecar file
//! `<image path>.manifest` of `key = value` lines, so that each test can copy
//! the image to its own path and make that copy claim another build
//! (another datafusion-ffi major, target, ...), with no shared state between tests.

use abi_stable::std_types::{RResult, RString};
use dfpack_abi::PackManifest;

pub extern "C" fn manifest() -> RResult<PackManifest, RString> {
    let mut manifest = match dfpack_abi::export::manifest() {
        RResult::ROk(manifest) => manifest,
        failed => return failed,
    };
    let sidecar = format!("{}.manifest", manifest.path);
    let Ok(text) = std::fs::read_to_string(&sidecar) else {
        return RResult::ROk(manifest);
    };
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let Some((key, value)) = line.split_once('=') else {
            return RResult::RErr(format!("bad line in {sidecar}: {line}").into());
        };
        let value = value.trim();
        let parsed = match key.trim() {
            "abi_major" => value.parse().map(|v| manifest.abi_major = v).is_ok(),
            "abi_minor" => value.parse().map(|v| manifest.abi_minor = v).is_ok(),
            "ffi_major" => value.parse().map(|v| manifest.ffi_major = v).is_ok(),
            "datafusion_version" => {
                manifest.datafusion_version = value.into();
                true
            }
            "arrow_version" => {
                manifest.arrow_version = value.into();
                true
            }
            "pack_name" => {
                manifest.pack_name = value.into();
                true
            }
            "target" => {
                manifest.target = value.into();
                true
            }
            _ => false,
        };
        if !parsed {
            return RResult::RErr(format!("bad line in {sidecar}: {line}").into());
        }
    }
    RResult::ROk(manifest)
}
