//! Checks a file's ELF headers before `dlopen` sees it.
//!
//! `dlopen` maps segments as the headers describe them: a truncated library
//! gets pages past the end of the file, and touching them kills the host with
//! SIGBUS — no error is ever returned. So the loader reads the headers itself
//! and refuses, in plain words, a file that is not a shared library for this
//! machine or whose segments run past its end.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

const ELF_MAGIC: [u8; 4] = [0x7f, b'E', b'L', b'F'];
const ELF_CLASS_64: u8 = 2;
const ELF_DATA_LITTLE_ENDIAN: u8 = 1;
const ET_DYN: u16 = 3;
const PT_LOAD: u32 = 1;
const ELF64_HEADER_LEN: usize = 64;
const ELF64_PROGRAM_HEADER_LEN: usize = 56;

/// Why a file is not loadable here, in words a user knows.
pub fn check_elf(path: &Path) -> Result<(), String> {
    let mut file = File::open(path).map_err(|e| e.to_string())?;
    let len = file.metadata().map_err(|e| e.to_string())?.len();
    check_elf_in(&mut file, len).map_err(|e| e.to_string())?
}

/// Reads only the ELF header and the program-header table (a few KiB), not
/// the image: a pack is tens of MiB and this runs on every load.
fn check_elf_in(source: &mut (impl Read + Seek), len: u64) -> std::io::Result<Result<(), String>> {
    let mut header = Vec::with_capacity(ELF64_HEADER_LEN);
    source.by_ref().take(ELF64_HEADER_LEN as u64).read_to_end(&mut header)?;
    if header.len() < ELF64_HEADER_LEN || header[..4] != ELF_MAGIC {
        return Ok(Err("not a shared library (no ELF header)".to_string()));
    }
    if header[4] != ELF_CLASS_64 || header[5] != ELF_DATA_LITTLE_ENDIAN {
        return Ok(Err("built for another architecture (not 64-bit little-endian ELF)".to_string()));
    }
    let u16_at = |bytes: &[u8], at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    let u32_at = |bytes: &[u8], at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or_default());
    let u64_at = |bytes: &[u8], at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or_default());

    if u16_at(&header, 16) != ET_DYN {
        return Ok(Err("an ELF file, but not a shared library".to_string()));
    }
    let machine = u16_at(&header, 18);
    if let Some(host) = host_machine()
        && machine != host
    {
        return Ok(Err(format!("built for ELF machine {machine}, this host is ELF machine {host}")));
    }

    let (phoff, phentsize, phnum) = (u64_at(&header, 32), u16_at(&header, 54) as u64, u16_at(&header, 56) as u64);
    let (shoff, shentsize, shnum) = (u64_at(&header, 40), u16_at(&header, 58) as u64, u16_at(&header, 60) as u64);
    let truncated = |needed: u64| {
        Ok(Err(format!("truncated: its headers describe {needed} bytes, but the file has {len} bytes")))
    };
    if phentsize as usize != ELF64_PROGRAM_HEADER_LEN {
        return Ok(Err("an ELF file with malformed program headers".to_string()));
    }
    let program_headers_end = phoff.saturating_add(phentsize * phnum);
    if program_headers_end > len {
        return truncated(program_headers_end);
    }
    let section_headers_end = shoff.saturating_add(shentsize * shnum);
    if section_headers_end > len {
        return truncated(section_headers_end);
    }
    let mut program_headers = vec![0; (phentsize * phnum) as usize];
    source.seek(SeekFrom::Start(phoff))?;
    source.read_exact(&mut program_headers)?;
    for entry in program_headers.chunks_exact(ELF64_PROGRAM_HEADER_LEN) {
        if u32_at(entry, 0) != PT_LOAD {
            continue;
        }
        let segment_end = u64_at(entry, 8).saturating_add(u64_at(entry, 32));
        if segment_end > len {
            return truncated(segment_end);
        }
    }
    Ok(Ok(()))
}

/// The ELF machine number of this host, where known.
fn host_machine() -> Option<u16> {
    match std::env::consts::ARCH {
        "x86_64" => Some(62),
        "aarch64" => Some(183),
        "riscv64" => Some(243),
        "powerpc64" => Some(21),
        "s390x" => Some(22),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_elf_bytes(bytes: &[u8]) -> Result<(), String> {
        check_elf_in(&mut std::io::Cursor::new(bytes), bytes.len() as u64).expect("in-memory reads")
    }

    fn this_test_binary() -> Vec<u8> {
        // Any shared object of this host will do: the C library is always there.
        let maps = std::fs::read_to_string("/proc/self/maps").expect("/proc/self/maps");
        let libc = maps
            .lines()
            .filter_map(|line| line.split_whitespace().nth(5))
            .find(|path| path.contains("libc.so") || path.contains("libc-"))
            .expect("libc is mapped");
        std::fs::read(libc).expect("read libc")
    }

    #[test]
    fn a_real_shared_library_passes() {
        assert_eq!(check_elf_bytes(&this_test_binary()), Ok(()));
    }

    #[test]
    fn text_is_not_a_library() {
        assert_eq!(check_elf_bytes(b"hello, world"), Err("not a shared library (no ELF header)".into()));
    }

    #[test]
    fn a_truncated_library_is_refused_at_every_cut() {
        let full = this_test_binary();
        for cut in [full.len() / 10, full.len() / 2, full.len() - 1] {
            let error = check_elf_bytes(&full[..cut]).expect_err("truncated");
            assert!(error.starts_with("truncated: its headers describe"), "{cut}: {error}");
            assert!(error.ends_with(&format!("but the file has {cut} bytes")), "{error}");
        }
    }

    #[test]
    fn another_machine_is_refused() {
        let mut other = this_test_binary();
        other[18..20].copy_from_slice(&183u16.wrapping_add(1).to_le_bytes());
        let error = check_elf_bytes(&other).expect_err("other machine");
        assert!(error.starts_with("built for ELF machine 184"), "{error}");
    }

    #[test]
    fn an_executable_is_not_a_shared_library() {
        let mut executable = this_test_binary();
        executable[16..18].copy_from_slice(&2u16.to_le_bytes());
        assert_eq!(check_elf_bytes(&executable), Err("an ELF file, but not a shared library".into()));
    }
}
