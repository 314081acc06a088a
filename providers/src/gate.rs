//! The protocol gate: a table is read only when it meets a dataset's
//! requirements and needs nothing the pack cannot honour.
//!
//! Features are named as the Delta protocol names them (`deletionVectors`,
//! `typeWidening-preview`). Legacy protocol versions imply their features.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use dfpack_contracts::{FeatureGate, ProtocolSupport};
use serde::Serialize;

/// A table's protocol action, as written in its log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Protocol {
    pub min_reader_version: i32,
    pub min_writer_version: i32,
    /// Present from reader version 3.
    pub reader_features: Option<Vec<String>>,
    /// Present from writer version 7.
    pub writer_features: Option<Vec<String>>,
}

impl Protocol {
    /// The reader features this protocol needs, explicit or implied by a legacy version.
    pub fn effective_reader_features(&self) -> BTreeSet<String> {
        match (&self.reader_features, self.min_reader_version) {
            (Some(features), _) => features.iter().cloned().collect(),
            (None, 2) => names(&["columnMapping"]),
            // Reader 3 requires an explicit list: a protocol without one is
            // invalid, and the gate says so (see `check_read`).
            (None, _) => BTreeSet::new(),
        }
    }

    /// The writer features this protocol needs, explicit or implied by a legacy version.
    pub fn effective_writer_features(&self) -> BTreeSet<String> {
        if let Some(features) = &self.writer_features {
            return features.iter().cloned().collect();
        }
        const LEGACY: [&str; 7] = [
            "appendOnly",
            "invariants",
            "checkConstraints",
            "changeDataFeed",
            "generatedColumns",
            "columnMapping",
            "identityColumns",
        ];
        let implied = match self.min_writer_version {
            ..=1 => 0,
            2 => 2,
            3 => 3,
            4 => 5,
            5 => 6,
            _ => 7,
        };
        names(&LEGACY[..implied])
    }
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Reader features deltalake-core 1.1.3 reads correctly.
pub const SUPPORTED_READER_FEATURES: [&str; 6] =
    ["columnMapping", "deletionVectors", "timestampNtz", "v2Checkpoint", "variantType", "variantType-preview"];

/// Writer features the pack's writes (appends and overwrites through
/// deltalake-core 1.1.3) maintain. Check constraints, generated and identity
/// columns, row tracking and domain metadata are left out on purpose: the pack
/// does not enforce or maintain them.
pub const SUPPORTED_WRITER_FEATURES: [&str; 10] = [
    "appendOnly",
    "invariants",
    "changeDataFeed",
    "columnMapping",
    "deletionVectors",
    "timestampNtz",
    "v2Checkpoint",
    "variantType",
    "variantType-preview",
    "checkpointProtection",
];

/// The newest protocol versions the pack reads and writes.
pub const MAX_READER_VERSION: i32 = 3;
pub const MAX_WRITER_VERSION: i32 = 7;

/// What the pack itself honours: every property of the schema's
/// `ProtocolSupport` given.
pub fn pack_support() -> ProtocolSupport {
    let owned = |list: &[&str]| Some(list.iter().map(|s| s.to_string()).collect());
    ProtocolSupport {
        max_reader_version: Some(MAX_READER_VERSION),
        max_writer_version: Some(MAX_WRITER_VERSION),
        reader_features: owned(&SUPPORTED_READER_FEATURES),
        writer_features: owned(&SUPPORTED_WRITER_FEATURES),
    }
}

/// `support` with the pack's own value for each property it leaves out.
pub fn filled_support(support: Option<ProtocolSupport>) -> ProtocolSupport {
    let pack = pack_support();
    let Some(given) = support else { return pack };
    ProtocolSupport {
        max_reader_version: given.max_reader_version.or(pack.max_reader_version),
        max_writer_version: given.max_writer_version.or(pack.max_writer_version),
        reader_features: given.reader_features.or(pack.reader_features),
        writer_features: given.writer_features.or(pack.writer_features),
    }
}

/// A dataset's gate: the schema's `FeatureGate`, its requirements at the top
/// level and its `support` always filled (see [`filled_support`]), so two
/// gates that behave alike compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProtocolGate {
    gate: FeatureGate,
}

impl Default for ProtocolGate {
    /// No requirements; the pack's own support.
    fn default() -> Self {
        ProtocolGate::from(FeatureGate::default())
    }
}

impl From<FeatureGate> for ProtocolGate {
    /// An empty list of required features is no requirement, as an absent one.
    fn from(mut gate: FeatureGate) -> Self {
        gate.support = Some(filled_support(gate.support.take()));
        gate.required_reader_features = gate.required_reader_features.filter(|features| !features.is_empty());
        gate.required_writer_features = gate.required_writer_features.filter(|features| !features.is_empty());
        ProtocolGate { gate }
    }
}

/// Why a table was refused: one entry per unmet condition, in Delta's words.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct GateReport {
    pub missing: Vec<String>,
}

impl GateReport {
    pub fn passed(&self) -> bool {
        self.missing.is_empty()
    }
}

impl ProtocolGate {
    /// The gate as the schema spells it, `support` filled.
    pub fn spec(&self) -> &FeatureGate {
        &self.gate
    }

    /// What the gate lets the pack read and write.
    pub fn support(&self) -> ProtocolSupport {
        filled_support(self.gate.support.clone())
    }

    /// Checks a table's protocol for reading.
    pub fn check_read(&self, protocol: &Protocol) -> GateReport {
        let mut missing = self.check_requirements(protocol);
        let support = self.support();
        let max_reader = support.max_reader_version.unwrap_or(MAX_READER_VERSION);
        if protocol.min_reader_version > max_reader {
            missing.push(format!(
                "reader version {} is newer than this pack reads (up to {max_reader})",
                protocol.min_reader_version
            ));
        }
        let unsupported = outside(protocol.effective_reader_features(), support.reader_features.as_deref());
        if !unsupported.is_empty() {
            missing.push(format!("reader features not supported by this pack: {}", unsupported.join(", ")));
        }
        if protocol.min_reader_version >= 3 && protocol.reader_features.is_none() {
            missing.push("the protocol is invalid: reader version 3 and later list their readerFeatures".to_string());
        }
        GateReport { missing }
    }

    /// Checks a table's protocol for writing: requirements, then both halves of support.
    pub fn check_write(&self, protocol: &Protocol) -> GateReport {
        let mut report = self.check_read(protocol);
        let support = self.support();
        let max_writer = support.max_writer_version.unwrap_or(MAX_WRITER_VERSION);
        if protocol.min_writer_version > max_writer {
            report.missing.push(format!(
                "writer version {} is newer than this pack writes (up to {max_writer})",
                protocol.min_writer_version
            ));
        }
        let unsupported = outside(protocol.effective_writer_features(), support.writer_features.as_deref());
        if !unsupported.is_empty() {
            report
                .missing
                .push(format!("writer features this pack cannot maintain: {}", unsupported.join(", ")));
        }
        report
    }

    fn check_requirements(&self, protocol: &Protocol) -> Vec<String> {
        let required = &self.gate;
        let mut missing = Vec::new();
        if let Some(min) = required.min_reader_version
            && protocol.min_reader_version < min
        {
            missing.push(format!("reader version {min} or newer is required"));
        }
        if let Some(min) = required.min_writer_version
            && protocol.min_writer_version < min
        {
            missing.push(format!("writer version {min} or newer is required"));
        }
        let absent = |wanted: &Option<Vec<String>>, has: BTreeSet<String>| -> Vec<String> {
            wanted.iter().flatten().filter(|f| !has.contains(*f)).cloned().collect()
        };
        let reader = absent(&required.required_reader_features, protocol.effective_reader_features());
        if !reader.is_empty() {
            missing.push(format!("required reader features absent: {}", reader.join(", ")));
        }
        let writer = absent(&required.required_writer_features, protocol.effective_writer_features());
        if !writer.is_empty() {
            missing.push(format!("required writer features absent: {}", writer.join(", ")));
        }
        missing
    }
}

/// The features of `needed` that `honoured` lacks, sorted (absent: none honoured).
fn outside(needed: BTreeSet<String>, honoured: Option<&[String]>) -> Vec<String> {
    let honoured = honoured.unwrap_or_default();
    needed.into_iter().filter(|f| !honoured.contains(f)).collect()
}

/// The refusal a user sees: which table, which version, what it has, what is missing.
pub fn refusal_message(table: &str, uri: &str, version: u64, protocol: &Protocol, report: &GateReport) -> String {
    let mut message = format!("table '{table}' ({uri}) at version {version} is refused by the protocol gate: ");
    message.push_str(&report.missing.join("; "));
    let _ = write!(message, ". The table has {}", describe(protocol));
    message
}

/// `reader version 3 [deletionVectors], writer version 7 [appendOnly, …]`.
pub fn describe(protocol: &Protocol) -> String {
    let list = |set: BTreeSet<String>| {
        if set.is_empty() { String::new() } else { format!(" [{}]", set.into_iter().collect::<Vec<_>>().join(", ")) }
    };
    format!(
        "reader version {}{}, writer version {}{}",
        protocol.min_reader_version,
        list(protocol.effective_reader_features()),
        protocol.min_writer_version,
        list(protocol.effective_writer_features())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn protocol(reader: i32, writer: i32, rf: Option<&[&str]>, wf: Option<&[&str]>) -> Protocol {
        let own = |l: Option<&[&str]>| l.map(|l| l.iter().map(|s| s.to_string()).collect());
        Protocol { min_reader_version: reader, min_writer_version: writer, reader_features: own(rf), writer_features: own(wf) }
    }

    #[test]
    fn legacy_versions_imply_their_features() {
        let p = protocol(2, 5, None, None);
        assert_eq!(p.effective_reader_features(), names(&["columnMapping"]));
        assert_eq!(
            p.effective_writer_features(),
            names(&["appendOnly", "invariants", "checkConstraints", "changeDataFeed", "generatedColumns", "columnMapping"])
        );
        assert!(protocol(1, 1, None, None).effective_writer_features().is_empty());
        assert_eq!(protocol(1, 2, None, None).effective_writer_features(), names(&["appendOnly", "invariants"]));
    }

    #[test]
    fn the_default_gate_reads_what_deltalake_reads_and_refuses_the_rest() {
        let gate = ProtocolGate::default();
        assert!(gate.check_read(&protocol(3, 7, Some(&["deletionVectors", "v2Checkpoint"]), Some(&[]))).passed());
        let widened = gate.check_read(&protocol(3, 7, Some(&["timestampNtz", "typeWidening-preview"]), Some(&[])));
        assert_eq!(widened.missing, ["reader features not supported by this pack: typeWidening-preview"]);
        let future = gate.check_read(&protocol(5, 7, Some(&["blahabl"]), Some(&[])));
        assert_eq!(
            future.missing,
            ["reader version 5 is newer than this pack reads (up to 3)", "reader features not supported by this pack: blahabl"]
        );
    }

    #[test]
    fn requirements_name_what_the_table_lacks() {
        let gate = ProtocolGate::from(FeatureGate {
            min_reader_version: Some(3),
            min_writer_version: Some(7),
            required_reader_features: Some(vec!["deletionVectors".into()]),
            required_writer_features: Some(vec!["changeDataFeed".into(), "appendOnly".into()]),
            support: None,
        });
        let report = gate.check_read(&protocol(1, 2, None, None));
        assert_eq!(
            report.missing,
            [
                "reader version 3 or newer is required",
                "writer version 7 or newer is required",
                "required reader features absent: deletionVectors",
                "required writer features absent: changeDataFeed",
            ]
        );
        // Legacy writer 4 implies changeDataFeed.
        let cdf = ProtocolGate::from(FeatureGate {
            required_writer_features: Some(vec!["changeDataFeed".into()]),
            ..Default::default()
        });
        assert!(cdf.check_read(&protocol(1, 4, None, None)).passed());
    }

    #[test]
    fn support_takes_the_packs_value_for_what_the_gate_leaves_out() {
        let pack = ProtocolGate::default();
        assert_eq!(pack.support(), pack_support());
        assert_eq!(ProtocolGate::from(FeatureGate { support: Some(pack_support()), ..Default::default() }), pack);
        let empty = FeatureGate { required_reader_features: Some(vec![]), ..Default::default() };
        assert_eq!(ProtocolGate::from(empty), pack, "no required features is no requirement");
        let narrow = ProtocolGate::from(FeatureGate {
            support: Some(ProtocolSupport {
                max_reader_version: Some(2),
                reader_features: Some(vec!["columnMapping".into()]),
                ..Default::default()
            }),
            ..Default::default()
        });
        assert_eq!(narrow.support().max_writer_version, Some(MAX_WRITER_VERSION));
        assert_eq!(
            narrow.check_read(&protocol(3, 7, Some(&["deletionVectors"]), Some(&[]))).missing,
            [
                "reader version 3 is newer than this pack reads (up to 2)",
                "reader features not supported by this pack: deletionVectors"
            ]
        );
        assert!(narrow.check_read(&protocol(2, 5, None, None)).passed());
    }

    #[test]
    fn writes_are_refused_for_features_the_pack_cannot_maintain() {
        let gate = ProtocolGate::default();
        let clustered = protocol(
            3,
            7,
            Some(&["deletionVectors"]),
            Some(&["domainMetadata", "deletionVectors", "rowTracking", "clustering"]),
        );
        assert!(gate.check_read(&clustered).passed());
        assert_eq!(
            gate.check_write(&clustered).missing,
            ["writer features this pack cannot maintain: clustering, domainMetadata, rowTracking"]
        );
    }

    #[test]
    fn the_refusal_names_table_version_and_protocol() {
        let p = protocol(3, 7, Some(&["typeWidening-preview"]), Some(&["typeWidening-preview"]));
        let report = ProtocolGate::default().check_read(&p);
        assert_eq!(
            refusal_message("widened", "file:///t/", 2, &p, &report),
            "table 'widened' (file:///t/) at version 2 is refused by the protocol gate: reader features not \
             supported by this pack: typeWidening-preview. The table has reader version 3 [typeWidening-preview], \
             writer version 7 [typeWidening-preview]"
        );
    }
}
