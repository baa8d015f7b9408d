//! The ELF loader: static, static-PIE and dynamic executables (the interpreter comes from
//! the sandbox's file system), `#!` scripts, and the initial stack with auxv.

use crate::kernel::Creds;
use crate::mm::{Backing, Layout, Mm, Vma, VmaFlags};
use crate::vfs::{Dentry, FsContext, Vfs, WalkFlags, O_RDONLY, S_IFREG};
use husk_abi::{page_down, page_up, Errno, PAGE_SIZE};
use husk_platform::Access;
use std::sync::Arc;

/// Where a loaded program starts.
pub struct Image {
    pub entry: u64,
    pub sp: u64,
    /// The path execve was given (for /proc/PID/exe and comm).
    pub exe: Vec<u8>,
    pub argv: Vec<Vec<u8>>,
}

/// Load address of position-independent executables.
const PIE_BASE: u64 = 0x5555_5555_4000;
/// Nested `#!` interpreters allowed.
const MAX_SCRIPT_DEPTH: u32 = 4;

const PT_LOAD: u32 = 1;
const PT_INTERP: u32 = 3;
const PT_PHDR: u32 = 6;
const PT_GNU_STACK: u32 = 0x6474_e551;

#[derive(Clone, Copy, Debug)]
struct Phdr {
    p_type: u32,
    p_flags: u32,
    p_offset: u64,
    p_vaddr: u64,
    p_filesz: u64,
    p_memsz: u64,
}

struct Elf {
    e_type: u16,
    e_entry: u64,
    e_phoff: u64,
    phdrs: Vec<Phdr>,
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}
fn u64_at(b: &[u8], o: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[o..o + 8]);
    u64::from_le_bytes(a)
}

/// An opened executable file.
struct ExecFile {
    dentry: Arc<Dentry>,
    ops: Arc<dyn crate::vfs::FileOps>,
}

impl ExecFile {
    fn read_at(&self, off: u64, len: usize) -> Result<Vec<u8>, Errno> {
        let mut buf = vec![0u8; len];
        let mut done = 0;
        while done < len {
            let n = self.ops.read(&mut buf[done..], off + done as u64)?;
            if n == 0 {
                break;
            }
            done += n;
        }
        buf.truncate(done);
        Ok(buf)
    }
}

/// Resolves and opens `path` for execution (EACCES if not an executable regular file).
pub fn open_exec(
    vfs: &Vfs,
    fs: &FsContext,
    start: &Arc<Dentry>,
    path: &[u8],
) -> Result<Arc<Dentry>, Errno> {
    let d = vfs.walk(&fs.root, start, path, WalkFlags { follow: true })?;
    let a = d.inode.attr()?;
    if a.mode & crate::vfs::S_IFMT != S_IFREG || a.mode & 0o111 == 0 || d.mount.flags.noexec {
        return Err(Errno::EACCES);
    }
    Ok(d)
}

fn parse_elf(f: &ExecFile, hdr: &[u8]) -> Result<Elf, Errno> {
    if hdr.len() < 64 || &hdr[0..4] != b"\x7fELF" {
        return Err(Errno::ENOEXEC);
    }
    if hdr[4] != 2 || hdr[5] != 1 || u16_at(hdr, 18) != 62 {
        return Err(Errno::ENOEXEC);
    }
    let e_type = u16_at(hdr, 16);
    if e_type != 2 && e_type != 3 {
        return Err(Errno::ENOEXEC);
    }
    let e_phoff = u64_at(hdr, 32);
    let phentsize = u16_at(hdr, 54) as usize;
    let phnum = u16_at(hdr, 56) as usize;
    if phentsize != 56 || phnum == 0 || phnum > 128 {
        return Err(Errno::ENOEXEC);
    }
    let raw = f.read_at(e_phoff, phentsize * phnum)?;
    if raw.len() < phentsize * phnum {
        return Err(Errno::ENOEXEC);
    }
    let phdrs = (0..phnum)
        .map(|i| {
            let b = &raw[i * 56..];
            Phdr {
                p_type: u32_at(b, 0),
                p_flags: u32_at(b, 4),
                p_offset: u64_at(b, 8),
                p_vaddr: u64_at(b, 16),
                p_filesz: u64_at(b, 32),
                p_memsz: u64_at(b, 40),
            }
        })
        .collect();
    Ok(Elf {
        e_type,
        e_entry: u64_at(hdr, 24),
        e_phoff,
        phdrs,
    })
}

/// Maps the PT_LOAD segments of `elf` at `bias`; returns the end of the highest segment.
fn map_segments(mm: &Mm, f: &ExecFile, elf: &Elf, bias: u64) -> Result<u64, Errno> {
    let obj = f.dentry.inode.mappable().ok_or(Errno::ENOEXEC)?;
    let path = f.dentry.path_string();
    let mut max_end = 0;
    for ph in elf.phdrs.iter().filter(|p| p.p_type == PT_LOAD) {
        if ph.p_filesz > ph.p_memsz || ph.p_vaddr % PAGE_SIZE != ph.p_offset % PAGE_SIZE {
            return Err(Errno::ENOEXEC);
        }
        let prot = Access {
            read: ph.p_flags & 4 != 0,
            write: ph.p_flags & 2 != 0,
            exec: ph.p_flags & 1 != 0,
        };
        let vaddr = ph.p_vaddr.checked_add(bias).ok_or(Errno::ENOEXEC)?;
        let start = page_down(vaddr);
        let file_end = vaddr + ph.p_filesz;
        let mem_end = vaddr + ph.p_memsz;
        if mem_end > mm.max_addr {
            return Err(Errno::ENOMEM);
        }
        let map_end = page_up(file_end);
        if ph.p_filesz > 0 {
            mm.insert_vma(Vma {
                start,
                end: map_end,
                prot,
                shared: false,
                growsdown: false,
                backing: Backing::File {
                    obj: obj.clone(),
                    offset: page_down(ph.p_offset),
                    path: path.clone(),
                },
                name: "",
                flags: VmaFlags::default(),
            });
            // As Linux does: with a bss, the rest of the last file page reads as zero.
            if ph.p_memsz > ph.p_filesz && file_end % PAGE_SIZE != 0 {
                let n = (map_end - file_end) as usize;
                mm.write_force(file_end, &vec![0u8; n])?;
            }
        }
        let anon_start = if ph.p_filesz > 0 { map_end } else { start };
        if page_up(mem_end) > anon_start {
            mm.insert_vma(Vma {
                start: anon_start,
                end: page_up(mem_end),
                prot,
                shared: false,
                growsdown: false,
                backing: Backing::Anon,
                name: "",
                flags: VmaFlags::default(),
            });
        }
        max_end = max_end.max(mem_end);
    }
    Ok(max_end)
}

/// Loads the program at `path` into the empty address space `mm`.
#[allow(clippy::too_many_arguments)]
pub fn load(
    vfs: &Vfs,
    mm: &Mm,
    fs: &FsContext,
    start: &Arc<Dentry>,
    path: &[u8],
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
    creds: &Creds,
) -> Result<Image, Errno> {
    load_depth(vfs, mm, fs, start, path, argv, envp, creds, 0)
}

#[allow(clippy::too_many_arguments)]
fn load_depth(
    vfs: &Vfs,
    mm: &Mm,
    fs: &FsContext,
    start: &Arc<Dentry>,
    path: &[u8],
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
    creds: &Creds,
    depth: u32,
) -> Result<Image, Errno> {
    let dentry = open_exec(vfs, fs, start, path)?;
    let ops = dentry.inode.clone().open(O_RDONLY)?;
    let f = ExecFile { dentry, ops };
    let hdr = f.read_at(0, 256)?;
    if hdr.starts_with(b"#!") {
        if depth >= MAX_SCRIPT_DEPTH {
            return Err(Errno::ELOOP);
        }
        let line_end = hdr.iter().position(|&c| c == b'\n').unwrap_or(hdr.len());
        let line = &hdr[2..line_end];
        let line: Vec<u8> = line
            .iter()
            .map(|&c| if c == b'\t' { b' ' } else { c })
            .collect();
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() {
            return Err(Errno::ENOEXEC);
        }
        let (interp, arg) = match trimmed.iter().position(|&c| c == b' ') {
            Some(i) => (
                trimmed[..i].to_vec(),
                Some(trimmed[i..].trim_ascii().to_vec()),
            ),
            None => (trimmed.to_vec(), None),
        };
        let mut new_argv = vec![interp.clone()];
        if let Some(a) = arg.filter(|a| !a.is_empty()) {
            new_argv.push(a);
        }
        new_argv.push(path.to_vec());
        new_argv.extend(argv.into_iter().skip(1));
        let mut img = load_depth(
            vfs,
            mm,
            fs,
            start,
            &interp,
            new_argv,
            envp,
            creds,
            depth + 1,
        )?;
        img.exe = interp;
        return Ok(img);
    }
    let elf = parse_elf(&f, &hdr)?;
    let bias = if elf.e_type == 3 { PIE_BASE } else { 0 };
    let end = map_segments(mm, &f, &elf, bias)?;
    // The interpreter, if any.
    let mut interp_base = 0;
    let mut entry = elf.e_entry + bias;
    if let Some(ip) = elf.phdrs.iter().find(|p| p.p_type == PT_INTERP) {
        let raw = f.read_at(ip.p_offset, ip.p_filesz.min(4096) as usize)?;
        let ipath: Vec<u8> = raw.into_iter().take_while(|&c| c != 0).collect();
        let identry = vfs.walk(&fs.root, &fs.root, &ipath, WalkFlags { follow: true })?;
        let iops = identry.inode.clone().open(O_RDONLY)?;
        let ifile = ExecFile {
            dentry: identry,
            ops: iops,
        };
        let ihdr = ifile.read_at(0, 256)?;
        let ielf = parse_elf(&ifile, &ihdr)?;
        let loads: Vec<&Phdr> = ielf.phdrs.iter().filter(|p| p.p_type == PT_LOAD).collect();
        let lo = loads
            .iter()
            .map(|p| page_down(p.p_vaddr))
            .min()
            .ok_or(Errno::ENOEXEC)?;
        let hi = loads
            .iter()
            .map(|p| page_up(p.p_vaddr + p.p_memsz))
            .max()
            .ok_or(Errno::ENOEXEC)?;
        let base = mm.find_free(hi - lo, 0)?;
        let ibias = base - lo;
        map_segments(mm, &ifile, &ielf, ibias)?;
        interp_base = ibias;
        entry = ielf.e_entry + ibias;
    }
    {
        let brk = page_up(end);
        let mut inner = mm.lock();
        inner.brk_start = brk;
        inner.brk = brk;
    }
    let phdr_addr = match elf.phdrs.iter().find(|p| p.p_type == PT_PHDR) {
        Some(p) => p.p_vaddr + bias,
        None => elf
            .phdrs
            .iter()
            .find(|p| p.p_type == PT_LOAD && p.p_offset == 0)
            .map(|p| p.p_vaddr + bias + elf.e_phoff)
            .unwrap_or(0),
    };
    let exec_stack = elf
        .phdrs
        .iter()
        .find(|p| p.p_type == PT_GNU_STACK)
        .is_some_and(|p| p.p_flags & 1 != 0);
    let auxv = vec![
        (3u64, phdr_addr),                  // AT_PHDR
        (4, 56),                            // AT_PHENT
        (5, elf.phdrs.len() as u64),        // AT_PHNUM
        (6, PAGE_SIZE),                     // AT_PAGESZ
        (7, interp_base),                   // AT_BASE
        (8, 0),                             // AT_FLAGS
        (9, elf.e_entry + bias),            // AT_ENTRY
        (11, creds.ruid as u64),            // AT_UID
        (12, creds.euid as u64),            // AT_EUID
        (13, creds.rgid as u64),            // AT_GID
        (14, creds.egid as u64),            // AT_EGID
        (16, crate::host::host_auxval(16)), // AT_HWCAP
        (17, 100),                          // AT_CLKTCK
        (23, 0),                            // AT_SECURE
        (26, crate::host::host_auxval(26)), // AT_HWCAP2
    ];
    let sp = setup_stack(mm, path, &argv, &envp, auxv, exec_stack)?;
    Ok(Image {
        entry,
        sp,
        exe: path.to_vec(),
        argv,
    })
}

/// Builds the initial stack: strings, AT_RANDOM bytes, platform string, auxv, envp,
/// argv, argc. Returns the stack pointer (pointing at argc).
fn setup_stack(
    mm: &Mm,
    execfn: &[u8],
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    mut auxv: Vec<(u64, u64)>,
    exec_stack: bool,
) -> Result<u64, Errno> {
    let top = page_down(mm.max_addr - 16 * PAGE_SIZE);
    let size = 128 * 1024;
    mm.insert_vma(Vma {
        start: top - size,
        end: top,
        prot: Access {
            read: true,
            write: true,
            exec: exec_stack,
        },
        shared: false,
        growsdown: true,
        backing: Backing::Anon,
        name: "[stack]",
        flags: VmaFlags::default(),
    });
    mm.set_mmap_base(page_down(top - (1 << 30)));
    let mut sp = top - 8;
    let push_str = |s: &[u8], sp: &mut u64| -> Result<u64, Errno> {
        *sp -= s.len() as u64 + 1;
        let mut b = s.to_vec();
        b.push(0);
        mm.copy_out(*sp, &b)?;
        Ok(*sp)
    };
    let execfn_addr = push_str(execfn, &mut sp)?;
    let env_end = sp;
    let mut env_ptrs = Vec::with_capacity(envp.len());
    for e in envp.iter().rev() {
        env_ptrs.push(push_str(e, &mut sp)?);
    }
    env_ptrs.reverse();
    let env_start = sp;
    let arg_end = sp;
    let mut arg_ptrs = Vec::with_capacity(argv.len());
    for a in argv.iter().rev() {
        arg_ptrs.push(push_str(a, &mut sp)?);
    }
    arg_ptrs.reverse();
    let arg_start = sp;
    let platform = push_str(b"x86_64", &mut sp)?;
    sp &= !15;
    sp -= 16;
    let mut random = [0u8; 16];
    crate::host::random(&mut random);
    mm.copy_out(sp, &random)?;
    let random_addr = sp;
    auxv.push((25, random_addr)); // AT_RANDOM
    auxv.push((31, execfn_addr)); // AT_EXECFN
    auxv.push((15, platform)); // AT_PLATFORM
    auxv.push((0, 0)); // AT_NULL
    let words = 1 + argv.len() + 1 + envp.len() + 1 + auxv.len() * 2;
    sp -= words as u64 * 8;
    sp &= !15;
    let mut v: Vec<u64> = Vec::with_capacity(words);
    v.push(argv.len() as u64);
    v.extend(&arg_ptrs);
    v.push(0);
    v.extend(&env_ptrs);
    v.push(0);
    for &(k, val) in &auxv {
        v.push(k);
        v.push(val);
    }
    let bytes: Vec<u8> = v.iter().flat_map(|w| w.to_le_bytes()).collect();
    mm.copy_out(sp, &bytes)?;
    let mut inner = mm.lock();
    inner.layout = Layout {
        arg_start,
        arg_end,
        env_start,
        env_end,
        auxv: auxv.clone(),
        exe: String::from_utf8_lossy(execfn).into_owned(),
    };
    Ok(sp)
}
