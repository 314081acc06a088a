//! Is a pack built for this host? Checked on the manifest alone, before any
//! datafusion-ffi struct is touched: mismatched majors crash, refusing is the feature.

use dfpack_abi::manifest::{BuildVersions, major_of};

/// Every way `plugin` differs from `host`, each as "built for X, this host has Y".
pub fn incompatibilities(plugin: &BuildVersions, host: &BuildVersions) -> Vec<String> {
    let mut problems = Vec::new();
    if plugin.abi_major != host.abi_major {
        problems.push(format!(
            "built for pack ABI {}.{}, this host has pack ABI {}.{}",
            plugin.abi_major, plugin.abi_minor, host.abi_major, host.abi_minor
        ));
    } else if plugin.abi_minor > host.abi_minor {
        problems.push(format!(
            "built for pack ABI {}.{}, newer than this host's {}.{}",
            plugin.abi_major, plugin.abi_minor, host.abi_major, host.abi_minor
        ));
    }
    if plugin.ffi_major != host.ffi_major {
        problems.push(format!(
            "built for datafusion-ffi {}, this host has {}",
            plugin.ffi_major, host.ffi_major
        ));
    }
    let majors = [
        ("datafusion", &plugin.datafusion_version, &host.datafusion_version),
        ("arrow", &plugin.arrow_version, &host.arrow_version),
    ];
    for (what, theirs, ours) in majors {
        if major_of(theirs).is_none() || major_of(theirs) != major_of(ours) {
            problems.push(format!("built for {what} {theirs}, this host has {ours}"));
        }
    }
    if plugin.target != host.target {
        problems.push(format!("built for target {}, this host is {}", plugin.target, host.target));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> BuildVersions {
        BuildVersions {
            abi_major: 1,
            abi_minor: 2,
            ffi_major: 55,
            datafusion_version: "55.2.0".into(),
            arrow_version: "59.3.2".into(),
            target: "x86_64-unknown-linux-gnu".into(),
        }
    }

    #[test]
    fn same_build_is_compatible() {
        assert!(incompatibilities(&host(), &host()).is_empty());
    }

    #[test]
    fn older_minor_and_other_patch_releases_are_compatible() {
        let plugin = BuildVersions {
            abi_minor: 0,
            datafusion_version: "55.0.1".into(),
            arrow_version: "59.0.0".into(),
            ..host()
        };
        assert!(incompatibilities(&plugin, &host()).is_empty());
    }

    #[test]
    fn each_mismatch_names_both_sides() {
        let cases: [(BuildVersions, &str); 6] = [
            (BuildVersions { abi_major: 2, ..host() }, "built for pack ABI 2.2, this host has pack ABI 1.2"),
            (BuildVersions { abi_minor: 3, ..host() }, "built for pack ABI 1.3, newer than this host's 1.2"),
            (BuildVersions { ffi_major: 54, ..host() }, "built for datafusion-ffi 54, this host has 55"),
            (
                BuildVersions { datafusion_version: "54.0.0".into(), ..host() },
                "built for datafusion 54.0.0, this host has 55.2.0",
            ),
            (BuildVersions { arrow_version: "58.1.0".into(), ..host() }, "built for arrow 58.1.0, this host has 59.3.2"),
            (
                BuildVersions { target: "aarch64-apple-darwin".into(), ..host() },
                "built for target aarch64-apple-darwin, this host is x86_64-unknown-linux-gnu",
            ),
        ];
        for (plugin, expected) in cases {
            assert_eq!(incompatibilities(&plugin, &host()), vec![expected.to_string()]);
        }
    }

    #[test]
    fn all_mismatches_are_reported_together() {
        let plugin = BuildVersions { ffi_major: 54, target: "riscv64".into(), ..host() };
        assert_eq!(incompatibilities(&plugin, &host()).len(), 2);
    }

    #[test]
    fn an_unparsable_version_is_a_mismatch() {
        let plugin = BuildVersions { arrow_version: "garbage".into(), ..host() };
        assert_eq!(
            incompatibilities(&plugin, &host()),
            vec!["built for arrow garbage, this host has 59.3.2".to_string()]
        );
    }
}
