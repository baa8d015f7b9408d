//! devpts: pseudo-terminals. /dev/ptmx (and /dev/pts/ptmx) allocates a pair, /dev/pts/N
//! is the slave end while the master is open, /dev/tty is the caller's controlling
//! terminal. A line discipline like Linux's n_tty: termios input processing, canonical
//! line editing, echo, output processing, VMIN/VTIME, signal characters, flow control
//! (IXON, tcflow; echoes wait while output is stopped), packet mode (TIOCPKT), TIOCSTI,
//! and job control (controlling terminals of sessions, foreground process groups,
//! SIGTTIN/SIGTTOU, hangup).
//!
//! A pty has no driver queue: slave output is the master's input and the other way
//! round, so flushing "output" (TCOFLUSH) drops nothing here, as on Linux once the data
//! reached the other end; each end's TCIFLUSH drops what that end would read.
//!
//! A controlling terminal belongs to a session (`session`); every process of the session
//! has it except those that gave it up with TIOCNOTTY (`detached`). Lock order: kernel lock,
//! then the registry, then a pty's state; file operations never hold a pty's state while
//! taking the kernel lock.

use crate::fsimpl::simple::{makedev, next_ino};
use crate::kernel::sigqueue::{
    bit, SIGCONT, SIGHUP, SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH, SI_KERNEL,
};
use crate::kernel::task::TaskCtx;
use crate::kernel::{KState, Kernel, ProcState, Tid, CURRENT};
use crate::vfs::*;
use crate::waiter::WaitQueue;
use husk_abi::{Errno, SigInfo};
use std::any::Any;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::{Duration, Instant};

/// The device number of the devpts file system.
const DEVPTS_DEV: u64 = 0x19;
/// Input the line discipline holds (N_TTY_BUF_SIZE - 1).
const INPUT_MAX: usize = 4095;
/// Output waiting for the master.
const OUTPUT_MAX: usize = 16384;
/// Most pseudo-terminals at once.
const MAX_PTYS: u32 = 4096;

// c_iflag
const ISTRIP: u32 = 0o40;
const INLCR: u32 = 0o100;
const IGNCR: u32 = 0o200;
const ICRNL: u32 = 0o400;
const IUCLC: u32 = 0o1000;
const IXON: u32 = 0o2000;
const IXANY: u32 = 0o4000;
// c_oflag
const OPOST: u32 = 0o1;
const OLCUC: u32 = 0o2;
const ONLCR: u32 = 0o4;
const OCRNL: u32 = 0o10;
const ONOCR: u32 = 0o20;
const ONLRET: u32 = 0o40;
const TABDLY: u32 = 0o14000;
const XTABS: u32 = 0o14000;
// c_cflag
const B38400: u32 = 0o17;
const CS8: u32 = 0o60;
const CREAD: u32 = 0o200;
const CBAUD: u32 = 0o10017;
// c_lflag
const ISIG: u32 = 0o1;
const ICANON: u32 = 0o2;
const ECHO: u32 = 0o10;
const ECHOE: u32 = 0o20;
const ECHOK: u32 = 0o40;
const ECHONL: u32 = 0o100;
const NOFLSH: u32 = 0o200;
pub(crate) const TOSTOP: u32 = 0o400;
const ECHOCTL: u32 = 0o1000;
const ECHOKE: u32 = 0o4000;
const IEXTEN: u32 = 0o100000;
const EXTPROC: u32 = 0o200000;
// c_cflag bits a pty forces (pty_set_termios)
const CSIZE: u32 = 0o60;
const PARENB: u32 = 0o400;
// c_cc indices
const VINTR: usize = 0;
const VQUIT: usize = 1;
const VERASE: usize = 2;
const VKILL: usize = 3;
const VEOF: usize = 4;
const VTIME: usize = 5;
const VMIN: usize = 6;
const VSTART: usize = 8;
const VSTOP: usize = 9;
const VSUSP: usize = 10;
const VEOL: usize = 11;
const VREPRINT: usize = 12;
const VWERASE: usize = 14;
const VLNEXT: usize = 15;
const VEOL2: usize = 16;

// ioctls
const TCGETS: u32 = 0x5401;
pub(crate) const TCSETS: u32 = 0x5402;
const TCSETSW: u32 = 0x5403;
pub(crate) const TCSETSF: u32 = 0x5404;
const TCSBRK: u32 = 0x5409;
const TCXONC: u32 = 0x540A;
const TCFLSH: u32 = 0x540B;
const TIOCEXCL: u32 = 0x540C;
const TIOCNXCL: u32 = 0x540D;
pub(crate) const TIOCSCTTY: u32 = 0x540E;
pub(crate) const TIOCGPGRP: u32 = 0x540F;
pub(crate) const TIOCSPGRP: u32 = 0x5410;
const TIOCOUTQ: u32 = 0x5411;
const TIOCSTI: u32 = 0x5412;
const TIOCGWINSZ: u32 = 0x5413;
const TIOCSWINSZ: u32 = 0x5414;
const FIONREAD: u32 = 0x541B;
const TIOCPKT: u32 = 0x5420;
pub(crate) const TIOCNOTTY: u32 = 0x5422;
const TIOCSETD: u32 = 0x5423;
const TIOCGETD: u32 = 0x5424;
const TCSBRKP: u32 = 0x5425;
pub(crate) const TIOCGSID: u32 = 0x5429;
const TCGETS2: u32 = 0x802C_542A;
const TCSETS2: u32 = 0x402C_542B;
const TCSETSW2: u32 = 0x402C_542C;
const TCSETSF2: u32 = 0x402C_542D;
const TIOCGPTN: u32 = 0x8004_5430;
const TIOCSPTLCK: u32 = 0x4004_5431;
const TIOCGPKT: u32 = 0x8004_5438;
const TIOCGPTLCK: u32 = 0x8004_5439;
const TIOCGEXCL: u32 = 0x8004_5440;
/// TIOCGPTPEER: handled by `open_peer` (it installs a file descriptor).
pub const TIOCGPTPEER: u32 = 0x5441;

// Packet mode status bits (the byte a master read returns alone).
const TIOCPKT_FLUSHREAD: u8 = 1;
const TIOCPKT_FLUSHWRITE: u8 = 2;
const TIOCPKT_STOP: u8 = 4;
const TIOCPKT_START: u8 = 8;
const TIOCPKT_NOSTOP: u8 = 16;
const TIOCPKT_DOSTOP: u8 = 32;
const TIOCPKT_IOCTL: u8 = 64;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// `struct termios2`; `struct termios` is its first 36 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Termios {
    iflag: u32,
    oflag: u32,
    cflag: u32,
    lflag: u32,
    line: u8,
    cc: [u8; 19],
    ispeed: u32,
    ospeed: u32,
}

impl Termios {
    /// A pty slave's initial termios (Linux's tty_std_termios without HUPCL).
    fn slave_default() -> Termios {
        Termios {
            iflag: ICRNL | IXON,
            oflag: OPOST | ONLCR,
            cflag: B38400 | CS8 | CREAD,
            lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
            line: 0,
            cc: [
                3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0,
            ],
            ispeed: 38400,
            ospeed: 38400,
        }
    }

    fn to_bytes(self, len: usize) -> Vec<u8> {
        let mut b = Vec::with_capacity(44);
        b.extend_from_slice(&self.iflag.to_le_bytes());
        b.extend_from_slice(&self.oflag.to_le_bytes());
        b.extend_from_slice(&self.cflag.to_le_bytes());
        b.extend_from_slice(&self.lflag.to_le_bytes());
        b.push(self.line);
        b.extend_from_slice(&self.cc);
        b.extend_from_slice(&self.ispeed.to_le_bytes());
        b.extend_from_slice(&self.ospeed.to_le_bytes());
        b.truncate(len);
        b
    }

    /// A new termios from `b` (36 or 44 bytes); without speeds, they follow CBAUD.
    fn from_bytes(b: &[u8], old: &Termios) -> Option<Termios> {
        let u = |o: usize| -> Option<u32> {
            Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?))
        };
        let mut cc = [0u8; 19];
        cc.copy_from_slice(b.get(17..36)?);
        let cflag = u(8)?;
        let (ispeed, ospeed) = if b.len() >= 44 {
            (u(36)?, u(40)?)
        } else if cflag & CBAUD == old.cflag & CBAUD {
            (old.ispeed, old.ospeed)
        } else {
            let s = baud_of(cflag & CBAUD).unwrap_or(old.ospeed);
            (s, s)
        };
        Some(Termios {
            iflag: u(0)?,
            oflag: u(4)?,
            cflag,
            lflag: u(12)?,
            line: b[16],
            cc,
            ispeed,
            ospeed,
        })
    }
}

/// The speed of a `B*` constant.
fn baud_of(b: u32) -> Option<u32> {
    const T: [u32; 16] = [
        0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400,
    ];
    if b < 16 {
        return Some(T[b as usize]);
    }
    const H: [u32; 15] = [
        57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000,
        2500000, 3000000, 3500000, 4000000,
    ];
    let i = (b & !0o10000).checked_sub(1)? as usize;
    (b & 0o10000 != 0).then(|| H.get(i).copied()).flatten()
}

/// Line discipline and job control state of one pair.
struct PtyState {
    termios: Termios,
    winsize: [u8; 8],
    locked: bool,
    /// Completed canonical lines with their terminators; an empty one is an end of file.
    lines: VecDeque<Vec<u8>>,
    /// The canonical line being edited.
    line: Vec<u8>,
    /// Input in non-canonical mode.
    raw: VecDeque<u8>,
    /// Slave output and echoes waiting for the master.
    out: VecDeque<u8>,
    /// Echoes held while the output is stopped.
    held: Vec<u8>,
    /// The output column (for ONOCR and erasing).
    column: usize,
    /// The next input character is literal (VLNEXT).
    lnext: bool,
    /// The slave's output stopped (IXON, TCOOFF); `tco_stopped`: by TCOOFF, which only
    /// TCOON undoes.
    stopped: bool,
    tco_stopped: bool,
    /// The master's output (the slave's input) stopped by TCOOFF on the master.
    master_stopped: bool,
    /// Packet mode (TIOCPKT on the master) and the status the master reads next.
    packet: bool,
    pktstatus: u8,
    /// Where the master's queue ended when the input being processed arrived: a signal
    /// character's flush discards the echoes after it (they were not pushed yet).
    batch_start: usize,
    /// The master was closed.
    hung_up: bool,
    /// An open of the slave failed on the lock: slave I/O fails with EIO until an open
    /// succeeds (Linux's TTY_IO_ERROR).
    io_error: bool,
    /// Open slave files.
    slaves: usize,
    /// A slave was open and all are closed: the master reads EIO.
    other_closed: bool,
    /// The session this is the controlling terminal of, and its foreground group.
    session: Option<Tid>,
    pgrp: Option<Tid>,
    /// Processes of the session that gave the terminal up (TIOCNOTTY).
    detached: BTreeSet<Tid>,
    excl: bool,
    /// Readers waiting with VMIN 0 and VTIME > 0: when they give up.
    vtime: HashMap<Tid, Instant>,
    /// When the master last wrote input (the VTIME inter-byte timer).
    last_input: Instant,
    /// Tasks whose last read of the slave found nothing (they are waiting).
    blocked: BTreeSet<Tid>,
    /// The slave node's mode, owner and group.
    node: (u32, u32, u32),
}

impl PtyState {
    fn has(&self, idx: usize, c: u8) -> bool {
        let v = self.termios.cc[idx];
        v != 0 && v == c
    }

    fn lflag(&self, f: u32) -> bool {
        self.termios.lflag & f != 0
    }

    fn completed(&self) -> usize {
        self.lines.iter().map(|l| l.len()).sum()
    }

    /// Bytes a read would find (FIONREAD).
    fn readable_bytes(&self) -> usize {
        if self.lflag(ICANON) {
            self.completed()
        } else {
            self.raw.len()
        }
    }

    /// Whether the master may write more input.
    fn input_room(&self) -> bool {
        if self.lflag(ICANON) {
            self.completed() < INPUT_MAX
        } else {
            self.raw.len() < INPUT_MAX
        }
    }

    fn flush_input(&mut self) {
        self.lines.clear();
        self.line.clear();
        self.raw.clear();
        self.held.clear();
        self.lnext = false;
    }

    /// Notes a status change for a master in packet mode.
    fn pkt(&mut self, bits: u8) {
        if self.packet {
            self.pktstatus |= bits;
        }
    }

    /// Stops the slave's output (Linux's stop_tty).
    fn stop_output(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        if self.packet {
            self.pktstatus = (self.pktstatus & !TIOCPKT_START) | TIOCPKT_STOP;
        }
    }

    /// Restarts the slave's output unless TCOOFF stopped it (Linux's start_tty).
    fn start_output(&mut self) {
        if !self.stopped || self.tco_stopped {
            return;
        }
        self.stopped = false;
        if self.packet {
            self.pktstatus = (self.pktstatus & !TIOCPKT_STOP) | TIOCPKT_START;
        }
        let held = std::mem::take(&mut self.held);
        self.out.extend(held);
    }

    /// Output processing of one character into the master's queue (or its size if
    /// `dry`): the number of bytes it becomes.
    fn output_char(&mut self, c: u8, dry: bool) -> usize {
        let o = self.termios.oflag;
        let mut bytes: [u8; 8] = [c, 0, 0, 0, 0, 0, 0, 0];
        let mut n = 1;
        if o & OPOST != 0 {
            match c {
                b'\n' => {
                    if o & ONLCR != 0 {
                        bytes[..2].copy_from_slice(b"\r\n");
                        n = 2;
                        if !dry {
                            self.column = 0;
                        }
                    } else if o & ONLRET != 0 && !dry {
                        self.column = 0;
                    }
                }
                b'\r' => {
                    if o & ONOCR != 0 && self.column == 0 {
                        return 0;
                    }
                    if o & OCRNL != 0 {
                        bytes[0] = b'\n';
                        if o & ONLRET != 0 && !dry {
                            self.column = 0;
                        }
                    } else if !dry {
                        self.column = 0;
                    }
                }
                b'\t' => {
                    let spaces = 8 - (self.column & 7);
                    if o & TABDLY == XTABS {
                        // TAB3: tabs become spaces.
                        bytes = [b' '; 8];
                        n = spaces;
                    }
                    if !dry {
                        self.column += spaces;
                    }
                }
                8 => {
                    if !dry {
                        self.column = self.column.saturating_sub(1);
                    }
                }
                _ => {
                    if o & OLCUC != 0 {
                        bytes[0] = c.to_ascii_uppercase();
                    }
                    if !c.is_ascii_control() && !dry {
                        self.column += 1;
                    }
                }
            }
        }
        if !dry {
            if self.stopped {
                // Only echoes get here while stopped: they wait for the restart.
                self.held.extend_from_slice(&bytes[..n]);
            } else {
                self.out.extend(&bytes[..n]);
            }
        }
        n
    }

    /// Echoes `c` as typed: control characters as ^X under ECHOCTL.
    fn echo_char(&mut self, c: u8) {
        if self.out.len() + self.held.len() + 8 > OUTPUT_MAX {
            return;
        }
        if self.lflag(ECHOCTL) && (c.is_ascii_control()) && c != b'\t' && c != b'\n' {
            self.output_char(b'^', false);
            self.output_char(c ^ 0o100, false);
        } else {
            self.output_char(c, false);
        }
    }

    fn echo_raw(&mut self, s: &[u8]) {
        for &c in s {
            if self.out.len() + self.held.len() + 8 > OUTPUT_MAX {
                return;
            }
            self.output_char(c, false);
        }
    }

    /// Width of a character's echo.
    fn echo_width(&self, c: u8) -> usize {
        if c == b'\t' {
            1
        } else if self.lflag(ECHOCTL) && c.is_ascii_control() {
            2
        } else {
            1
        }
    }

    /// Erases the last character (VERASE), word (VWERASE) or the line (VKILL).
    fn erase(&mut self, c: u8, kind: usize) {
        if self.line.is_empty() {
            return;
        }
        let echo = self.lflag(ECHO);
        if kind == VKILL {
            if !echo {
                self.line.clear();
                return;
            }
            if !self.lflag(ECHOK) || !self.lflag(ECHOKE) || !self.lflag(ECHOE) {
                self.line.clear();
                self.echo_char(c);
                if self.lflag(ECHOK) {
                    self.echo_raw(b"\n");
                }
                return;
            }
        }
        let mut seen_word = false;
        while let Some(&last) = self.line.last() {
            if kind == VWERASE {
                let alnum = last.is_ascii_alphanumeric() || last == b'_';
                if alnum {
                    seen_word = true;
                } else if seen_word {
                    break;
                }
            }
            self.line.pop();
            if echo {
                if kind == VERASE && !self.lflag(ECHOE) {
                    self.echo_char(c);
                } else {
                    for _ in 0..self.echo_width(last) {
                        self.echo_raw(b"\x08 \x08");
                    }
                }
            }
            if kind == VERASE {
                break;
            }
        }
    }

    /// The line discipline's handling of one input character from the master.
    fn receive(&mut self, mut c: u8, sigs: &mut Vec<i32>) {
        let iflag = self.termios.iflag;
        if iflag & ISTRIP != 0 {
            c &= 0x7f;
        }
        if iflag & IUCLC != 0 && self.lflag(IEXTEN) {
            c = c.to_ascii_lowercase();
        }
        if self.lnext {
            self.lnext = false;
            // The "^\b" shown for VLNEXT is overwritten by the character's echo.
            if self.lflag(ECHO) {
                self.echo_char(c);
            }
            self.put_input(c);
            return;
        }
        if iflag & IXON != 0 {
            if self.has(VSTART, c) {
                self.start_output();
                return;
            }
            if self.has(VSTOP, c) {
                self.stop_output();
                return;
            }
        }
        if self.lflag(ISIG) {
            for (idx, sig) in [(VINTR, SIGINT), (VQUIT, SIGQUIT), (VSUSP, SIGTSTP)] {
                if self.has(idx, c) {
                    sigs.push(sig);
                    if !self.lflag(NOFLSH) {
                        // Input and the echoes not pushed to the master yet go; what
                        // the master has not read stays.
                        self.flush_input();
                        let keep = self.batch_start.min(self.out.len());
                        self.out.truncate(keep);
                        self.pkt(TIOCPKT_FLUSHREAD | TIOCPKT_FLUSHWRITE);
                    }
                    if iflag & IXON != 0 {
                        self.start_output();
                    }
                    if self.lflag(ECHO) {
                        self.echo_char(c);
                    }
                    return;
                }
            }
        }
        if iflag & IXON != 0 && iflag & IXANY != 0 {
            self.start_output();
        }
        if c == b'\r' {
            if iflag & IGNCR != 0 {
                return;
            }
            if iflag & ICRNL != 0 {
                c = b'\n';
            }
        } else if c == b'\n' && iflag & INLCR != 0 {
            c = b'\r';
        }
        let echo = self.lflag(ECHO);
        if self.lflag(ICANON) {
            let iext = self.lflag(IEXTEN);
            if self.has(VERASE, c) {
                return self.erase(c, VERASE);
            }
            if self.has(VKILL, c) {
                return self.erase(c, VKILL);
            }
            if iext && self.has(VWERASE, c) {
                return self.erase(c, VWERASE);
            }
            if iext && self.has(VLNEXT, c) {
                self.lnext = true;
                if echo && self.lflag(ECHOCTL) {
                    self.echo_raw(b"^\x08");
                }
                return;
            }
            if iext && echo && self.has(VREPRINT, c) {
                self.echo_char(c);
                self.echo_raw(b"\n");
                let line = self.line.clone();
                for ch in line {
                    self.echo_char(ch);
                }
                return;
            }
            if c == b'\n' {
                if echo || self.lflag(ECHONL) {
                    self.echo_raw(b"\n");
                }
                self.line.push(c);
                let l = std::mem::take(&mut self.line);
                self.lines.push_back(l);
                return;
            }
            if self.has(VEOF, c) {
                let l = std::mem::take(&mut self.line);
                self.lines.push_back(l);
                return;
            }
            if self.has(VEOL, c) || (iext && self.has(VEOL2, c)) {
                if echo {
                    self.echo_char(c);
                }
                self.line.push(c);
                let l = std::mem::take(&mut self.line);
                self.lines.push_back(l);
                return;
            }
        }
        if echo {
            if c == b'\n' {
                self.echo_raw(b"\n");
            } else {
                self.echo_char(c);
            }
        } else if c == b'\n' && self.lflag(ECHONL) && self.lflag(ICANON) {
            self.echo_raw(b"\n");
        }
        self.put_input(c);
    }

    fn put_input(&mut self, c: u8) {
        if self.lflag(ICANON) {
            if self.line.len() < INPUT_MAX {
                self.line.push(c);
            }
        } else {
            self.raw.push_back(c);
        }
    }

    /// A change of termios: switching canonical mode moves pending input along.
    fn set_termios(&mut self, mut new: Termios) {
        // pty_set_termios: packet mode hears of flow control changes, and the
        // character size is always 8 bits without parity.
        let flow = |t: &Termios| t.iflag & IXON != 0 && t.cc[VSTOP] == 0o23 && t.cc[VSTART] == 0o21;
        let (old_flow, new_flow) = (flow(&self.termios), flow(&new));
        if self.packet && old_flow != new_flow {
            self.pktstatus &= !(TIOCPKT_DOSTOP | TIOCPKT_NOSTOP);
            self.pktstatus |= if new_flow {
                TIOCPKT_DOSTOP
            } else {
                TIOCPKT_NOSTOP
            };
        }
        if (self.termios.lflag | new.lflag) & EXTPROC != 0 {
            self.pkt(TIOCPKT_IOCTL);
        }
        new.cflag = (new.cflag & !(CSIZE | PARENB)) | CS8 | CREAD;
        let was_canon = self.lflag(ICANON);
        let ixon_off = self.termios.iflag & IXON != 0 && new.iflag & IXON == 0;
        self.termios = new;
        // Clearing IXON restarts output stopped by VSTOP (n_tty_set_termios).
        if ixon_off {
            self.start_output();
        }
        let canon = self.lflag(ICANON);
        if was_canon && !canon {
            for l in self.lines.drain(..) {
                self.raw.extend(l);
            }
            self.raw.extend(self.line.drain(..));
        } else if !was_canon && canon && !self.raw.is_empty() {
            let l: Vec<u8> = self.raw.drain(..).collect();
            self.lines.push_back(l);
        }
    }
}

/// A pseudo-terminal pair.
pub struct Pty {
    pub index: u32,
    ino: u64,
    kernel: Weak<Kernel>,
    devpts: Weak<DevPts>,
    wq: Arc<WaitQueue>,
    st: Mutex<PtyState>,
}

/// Who is calling: from the kernel state.
#[derive(Clone, Copy)]
pub(crate) struct Caller {
    pub tid: Tid,
    pub tgid: Tid,
    pub sid: Tid,
    pub pgid: Tid,
}

pub(crate) fn caller_in(ks: &KState) -> Option<Caller> {
    let (tid, tgid) = CURRENT.with(|c| c.get());
    let p = ks.procs.get(&tgid)?;
    Some(Caller {
        tid,
        tgid,
        sid: p.sid,
        pgid: p.pgid,
    })
}

pub(crate) fn session_alive(ks: &KState, sid: Tid) -> bool {
    ks.procs
        .values()
        .any(|p| p.sid == sid && p.state == ProcState::Running)
}

pub(crate) fn kernel_sig(sig: i32) -> SigInfo {
    SigInfo::user(sig, SI_KERNEL, 0, 0)
}

/// TIOCSPGRP's check: group `pg` of the caller's PID namespace, which must have a
/// member in the caller's session; returns its sandbox-wide id. Kernel lock held.
pub(crate) fn foreground_group(ks: &KState, c: &Caller, pg: i32) -> Result<Tid, Errno> {
    if pg < 0 {
        return Err(Errno::EINVAL);
    }
    let pg = match ks.procs.get(&c.tgid) {
        Some(p) => p.pidns.global(pg).ok_or(Errno::ESRCH)?,
        None => pg,
    };
    let member = ks
        .procs
        .values()
        .find(|p| p.pgid == pg && p.state == ProcState::Running)
        .ok_or(Errno::ESRCH)?;
    if member.sid != c.sid {
        return Err(Errno::EPERM);
    }
    Ok(pg)
}

/// Job control for a caller of a terminal whose session and foreground group are
/// `session` and `pgrp` (Linux's __tty_check_change): Ok to go on (not its controlling
/// terminal, or the caller is in the foreground), EIO, or ERESTARTSYS after signalling
/// the caller's group with `sig` (SIGTTIN, SIGTTOU).
pub(crate) fn background_check(
    k: &Arc<Kernel>,
    session: Option<Tid>,
    pgrp: Option<Tid>,
    detached: &BTreeSet<Tid>,
    sig: i32,
) -> Result<(), Errno> {
    let mut ks = k.lock();
    let Some(c) = caller_in(&ks) else {
        return Ok(());
    };
    if session != Some(c.sid) || detached.contains(&c.tgid) {
        return Ok(());
    }
    let Some(fg) = pgrp else { return Ok(()) };
    if fg == c.pgid {
        return Ok(());
    }
    let blocked = ks
        .threads
        .get(&c.tid)
        .is_some_and(|t| t.mask & bit(sig) != 0);
    let ign = ks
        .procs
        .get(&c.tgid)
        .is_some_and(|p| p.actions[sig as usize].handler == 1);
    if blocked || ign {
        return if sig == SIGTTIN {
            Err(Errno::EIO)
        } else {
            Ok(())
        };
    }
    if ks.is_orphaned_pgrp(c.pgid) {
        return Err(Errno::EIO);
    }
    k.send_to_pgrp(&mut ks, c.pgid, kernel_sig(sig));
    Err(Errno::ERESTARTSYS)
}

/// Which end a file is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Master,
    Slave,
}

impl Pty {
    fn state(&self) -> MutexGuard<'_, PtyState> {
        lock(&self.st)
    }

    /// Whether the caller's controlling terminal is this one.
    fn is_ctty_of(&self, c: &Caller) -> bool {
        let st = self.state();
        st.session == Some(c.sid) && !st.detached.contains(&c.tgid)
    }

    /// Job control for a background caller (Linux's __tty_check_change): Ok to go on,
    /// EIO, or ERESTARTSYS after signalling the caller's group.
    fn job_check(&self, sig: i32) -> Result<(), Errno> {
        let Some(k) = self.kernel.upgrade() else {
            return Ok(());
        };
        let (session, pgrp, detached) = {
            let st = self.state();
            (st.session, st.pgrp, st.detached.clone())
        };
        background_check(&k, session, pgrp, &detached, sig)
    }

    /// Signals the foreground process group.
    fn signal_fg(&self, sigs: &[i32], pgrp: Option<Tid>) {
        let (Some(k), Some(pg)) = (self.kernel.upgrade(), pgrp) else {
            return;
        };
        if sigs.is_empty() {
            return;
        }
        let mut ks = k.lock();
        for &s in sigs {
            k.send_to_pgrp(&mut ks, pg, kernel_sig(s));
        }
    }

    fn master_read(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        let mut st = self.state();
        if buf.is_empty() {
            return Ok(0);
        }
        // Packet mode: a status change is read alone; data comes after TIOCPKT_DATA.
        if st.packet && st.pktstatus != 0 {
            buf[0] = std::mem::take(&mut st.pktstatus);
            return Ok(1);
        }
        if st.out.is_empty() {
            return Err(if st.other_closed {
                Errno::EIO
            } else {
                Errno::EAGAIN
            });
        }
        let skip = usize::from(st.packet);
        if skip == 1 {
            buf[0] = 0; // TIOCPKT_DATA
        }
        let n = (buf.len() - skip).min(st.out.len());
        for (i, b) in st.out.drain(..n).enumerate() {
            buf[skip + i] = b;
        }
        drop(st);
        self.wq.notify_all();
        Ok(skip + n)
    }

    /// Input from the master (or TIOCSTI) through the line discipline; signals go to
    /// the foreground group. Returns how many bytes were taken.
    fn input(&self, buf: &[u8]) -> usize {
        let mut sigs = Vec::new();
        let mut st = self.state();
        st.batch_start = st.out.len();
        let mut n = 0;
        for &c in buf {
            if !st.input_room() {
                break;
            }
            st.receive(c, &mut sigs);
            n += 1;
        }
        st.last_input = Instant::now();
        let pgrp = st.pgrp;
        drop(st);
        self.wq.notify_all();
        self.signal_fg(&sigs, pgrp);
        n
    }

    fn master_write(&self, buf: &[u8]) -> Result<usize, Errno> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.state().master_stopped {
            return Err(Errno::EAGAIN);
        }
        match self.input(buf) {
            0 => Err(Errno::EAGAIN),
            n => Ok(n),
        }
    }

    /// TIOCSTI: only on the caller's controlling terminal, or with CAP_SYS_ADMIN (a
    /// master is nobody's controlling terminal).
    fn sti_check(&self, end: End) -> Result<(), Errno> {
        let k = self.kernel.upgrade().ok_or(Errno::EPERM)?;
        let ks = k.lock();
        let c = caller_in(&ks).ok_or(Errno::EPERM)?;
        if end == End::Slave && self.is_ctty_of(&c) {
            return Ok(());
        }
        let admin = ks
            .procs
            .get(&c.tgid)
            .is_some_and(|p| p.creds.capable_init(crate::kernel::caps::CAP_SYS_ADMIN));
        if admin {
            Ok(())
        } else {
            Err(Errno::EPERM)
        }
    }

    fn slave_read(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        if self.state().io_error {
            return Err(Errno::EIO);
        }
        self.job_check(SIGTTIN)?;
        let (tid, _) = CURRENT.with(|c| c.get());
        let r = self.slave_read_now(buf, tid);
        let mut st = self.state();
        if r == Err(Errno::EAGAIN) {
            st.blocked.insert(tid);
        } else {
            st.blocked.remove(&tid);
        }
        r
    }

    fn slave_read_now(&self, buf: &mut [u8], tid: Tid) -> Result<usize, Errno> {
        let mut st = self.state();
        if st.hung_up {
            // A read waiting when the master went away fails; later ones see the end.
            return if st.blocked.remove(&tid) {
                Err(Errno::EIO)
            } else {
                Ok(0)
            };
        }
        if buf.is_empty() {
            return Ok(0);
        }
        if st.lflag(ICANON) {
            let Some(front) = st.lines.front_mut() else {
                return Err(Errno::EAGAIN);
            };
            let n = buf.len().min(front.len());
            buf[..n].copy_from_slice(&front[..n]);
            front.drain(..n);
            if front.is_empty() {
                st.lines.pop_front();
            }
            drop(st);
            self.wq.notify_all();
            return Ok(n);
        }
        let vmin = st.termios.cc[VMIN] as usize;
        let vtime = st.termios.cc[VTIME] as u64;
        if st.raw.is_empty() {
            if vmin == 0 {
                if vtime == 0 {
                    return Ok(0);
                }
                let now = Instant::now();
                let end = *st
                    .vtime
                    .entry(tid)
                    .or_insert(now + Duration::from_millis(100 * vtime));
                if now >= end {
                    st.vtime.remove(&tid);
                    return Ok(0);
                }
            } else {
                // VMIN > 0: the timer starts with the first byte.
                st.vtime.remove(&tid);
            }
            return Err(Errno::EAGAIN);
        }
        if st.raw.len() < vmin.min(buf.len()) {
            if vtime == 0 {
                return Err(Errno::EAGAIN);
            }
            // The inter-byte timer: VTIME after the last byte arrived.
            let end = st.last_input + Duration::from_millis(100 * vtime);
            if Instant::now() < end {
                st.vtime.insert(tid, end);
                return Err(Errno::EAGAIN);
            }
        }
        st.vtime.remove(&tid);
        let n = buf.len().min(st.raw.len());
        for (i, b) in st.raw.drain(..n).enumerate() {
            buf[i] = b;
        }
        drop(st);
        self.wq.notify_all();
        Ok(n)
    }

    fn slave_write(&self, buf: &[u8]) -> Result<usize, Errno> {
        if self.state().io_error {
            return Err(Errno::EIO);
        }
        if self.state().lflag(TOSTOP) {
            self.job_check(SIGTTOU)?;
        }
        let mut st = self.state();
        if st.hung_up {
            return Err(Errno::EIO);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        if st.stopped {
            return Err(Errno::EAGAIN);
        }
        let mut n = 0;
        for &c in buf {
            let need = st.output_char(c, true);
            if st.out.len() + need > OUTPUT_MAX {
                break;
            }
            st.output_char(c, false);
            n += 1;
        }
        drop(st);
        if n == 0 {
            return Err(Errno::EAGAIN);
        }
        self.wq.notify_all();
        Ok(n)
    }

    fn readiness(&self, end: End) -> u32 {
        let st = self.state();
        match end {
            End::Master => {
                let mut r = 0;
                if !st.out.is_empty() {
                    r |= POLLIN;
                }
                if st.packet && st.pktstatus != 0 {
                    r |= POLLIN | POLLPRI;
                }
                if st.other_closed {
                    r |= POLLHUP;
                }
                if st.input_room() && !st.master_stopped {
                    r |= POLLOUT;
                }
                r
            }
            End::Slave => {
                if st.hung_up {
                    return POLLIN | POLLOUT | POLLERR | POLLHUP;
                }
                let mut r = 0;
                let (tid, _) = CURRENT.with(|c| c.get());
                let timing = st.vtime.get(&tid).is_some_and(|&d| Instant::now() < d);
                let avail = if st.lflag(ICANON) {
                    !st.lines.is_empty()
                } else if timing {
                    // This task's read waits for VMIN bytes or its VTIME timer.
                    st.raw.len() >= (st.termios.cc[VMIN] as usize).max(1)
                } else {
                    let vmin = st.termios.cc[VMIN] as usize;
                    let need = if st.termios.cc[VTIME] == 0 && vmin > 0 {
                        vmin
                    } else {
                        1
                    };
                    st.raw.len() >= need
                };
                if avail {
                    r |= POLLIN;
                }
                if !st.stopped && st.out.len() < OUTPUT_MAX {
                    r |= POLLOUT;
                }
                r
            }
        }
    }

    fn deadline(&self) -> Option<Instant> {
        let (tid, _) = CURRENT.with(|c| c.get());
        self.state().vtime.get(&tid).copied()
    }

    /// Makes this the controlling terminal of the caller's session (TIOCSCTTY and opens
    /// by session leaders). `steal`: take it from another session (privileged).
    fn set_ctty(&self, steal: bool, quiet: bool, readable: bool) -> Result<u64, Errno> {
        let Some(k) = self.kernel.upgrade() else {
            return Err(Errno::EPERM);
        };
        let ks = k.lock();
        let Some(c) = caller_in(&ks) else {
            return Err(Errno::EPERM);
        };
        if c.sid == c.tgid && self.is_ctty_of(&c) {
            return Ok(0);
        }
        if c.sid != c.tgid {
            return Err(Errno::EPERM);
        }
        if let Some(dp) = self.devpts.upgrade() {
            if dp.ctty_of(c.sid, c.tgid).is_some() {
                return Err(Errno::EPERM);
            }
        }
        if crate::fsimpl::hosttty::ctty_of(&k, c.sid, c.tgid).is_some() {
            return Err(Errno::EPERM);
        }
        let mut st = self.state();
        if st.hung_up {
            return Err(Errno::EIO);
        }
        let admin = || {
            ks.procs
                .get(&c.tgid)
                .is_some_and(|p| p.creds.capable_init(crate::kernel::caps::CAP_SYS_ADMIN))
        };
        if let Some(s) = st.session {
            if s != c.sid && session_alive(&ks, s) && (quiet || !(steal && admin())) {
                return Err(Errno::EPERM);
            }
        }
        // Write access alone does not give a controlling terminal (tty_open_proc_set_tty).
        if !readable && (quiet || !admin()) {
            return Err(Errno::EPERM);
        }
        st.session = Some(c.sid);
        st.pgrp = Some(c.pgid);
        st.detached.clear();
        Ok(0)
    }

    /// TIOCNOTTY.
    fn notty(&self) -> Result<u64, Errno> {
        let Some(k) = self.kernel.upgrade() else {
            return Err(Errno::ENOTTY);
        };
        let mut ks = k.lock();
        let Some(c) = caller_in(&ks) else {
            return Err(Errno::ENOTTY);
        };
        if !self.is_ctty_of(&c) {
            return Err(Errno::ENOTTY);
        }
        if c.sid != c.tgid {
            self.state().detached.insert(c.tgid);
            return Ok(0);
        }
        let pgrp = {
            let mut st = self.state();
            st.session = None;
            st.detached.clear();
            st.pgrp.take()
        };
        if let Some(pg) = pgrp {
            k.send_to_pgrp(&mut ks, pg, kernel_sig(SIGHUP));
            k.send_to_pgrp(&mut ks, pg, kernel_sig(SIGCONT));
        }
        Ok(0)
    }

    /// The master's last close: the slave hangs up, the controlling process gets SIGHUP
    /// and SIGCONT, and the session loses its controlling terminal.
    fn hangup(&self) {
        let session = {
            let mut st = self.state();
            st.hung_up = true;
            st.flush_input();
            st.out.clear();
            st.pgrp = None;
            st.detached.clear();
            st.session.take()
        };
        self.wq.notify_all();
        if let Some(dp) = self.devpts.upgrade() {
            let mut m = lock(&dp.ptys);
            if m.get(&self.index)
                .is_some_and(|w| std::ptr::eq(w.as_ptr(), self))
            {
                m.remove(&self.index);
            }
        }
        if let (Some(k), Some(sid)) = (self.kernel.upgrade(), session) {
            let mut ks = k.lock();
            if ks
                .procs
                .get(&sid)
                .is_some_and(|p| p.sid == sid && p.state == ProcState::Running)
            {
                k.send_to_process(&mut ks, sid, kernel_sig(SIGHUP));
                k.send_to_process(&mut ks, sid, kernel_sig(SIGCONT));
            }
        }
    }

    fn ioctl(&self, end: End, readable: bool, cmd: u32, arg: u64) -> Result<IoctlResult, Errno> {
        if end == End::Slave && self.state().hung_up {
            return Err(if cmd == TIOCSPGRP {
                Errno::ENOTTY
            } else {
                Errno::EIO
            });
        }
        let int = |v: i64| IoctlResult::Out((v as i32).to_le_bytes().to_vec());
        match cmd {
            TCGETS => Ok(IoctlResult::Out(self.state().termios.to_bytes(36))),
            TCGETS2 => Ok(IoctlResult::Out(self.state().termios.to_bytes(44))),
            TCSETS | TCSETSW | TCSETSF => {
                self.job_check(SIGTTOU)?;
                Ok(IoctlResult::NeedIn(36))
            }
            TCSETS2 | TCSETSW2 | TCSETSF2 => {
                self.job_check(SIGTTOU)?;
                Ok(IoctlResult::NeedIn(44))
            }
            TIOCGWINSZ => Ok(IoctlResult::Out(self.state().winsize.to_vec())),
            TIOCSWINSZ => Ok(IoctlResult::NeedIn(8)),
            FIONREAD => {
                let st = self.state();
                let n = match end {
                    End::Master => st.out.len(),
                    End::Slave => st.readable_bytes(),
                };
                Ok(int(n as i64))
            }
            // A pty has no driver output queue: what was written is already the other
            // end's input.
            TIOCOUTQ => Ok(int(0)),
            TCFLSH => {
                if arg > 2 {
                    return Err(Errno::EINVAL);
                }
                if end == End::Slave {
                    self.job_check(SIGTTOU)?;
                }
                let mut st = self.state();
                // Each end flushes its own input; flushing output only drops what is
                // in flight to the other end (nothing here), but packet mode hears of
                // the slave's flushes.
                let flush_in = arg != 1;
                let flush_out = arg != 0;
                match end {
                    End::Slave => {
                        if flush_in {
                            st.flush_input();
                            st.pkt(TIOCPKT_FLUSHREAD);
                        }
                        if flush_out {
                            st.pkt(TIOCPKT_FLUSHWRITE);
                        }
                    }
                    End::Master => {
                        if flush_in {
                            st.out.clear();
                        }
                    }
                }
                drop(st);
                self.wq.notify_all();
                Ok(IoctlResult::Value(0))
            }
            TCXONC => {
                if end == End::Slave {
                    self.job_check(SIGTTOU)?;
                }
                let mut st = self.state();
                match (arg, end) {
                    // TCOOFF, TCOON: this end's output.
                    (0, End::Slave) => {
                        if !st.tco_stopped {
                            st.tco_stopped = true;
                            st.stop_output();
                        }
                    }
                    (1, End::Slave) => {
                        if st.tco_stopped {
                            st.tco_stopped = false;
                            st.start_output();
                        }
                    }
                    (0, End::Master) => st.master_stopped = true,
                    (1, End::Master) => st.master_stopped = false,
                    // TCIOFF, TCION: send VSTOP or VSTART to the other end.
                    (2 | 3, _) => {
                        let c = st.termios.cc[if arg == 2 { VSTOP } else { VSTART }];
                        if c != 0 {
                            match end {
                                End::Slave => st.out.push_back(c),
                                End::Master => {
                                    drop(st);
                                    self.input(&[c]);
                                    return Ok(IoctlResult::Value(0));
                                }
                            }
                        }
                    }
                    _ => return Err(Errno::EINVAL),
                }
                drop(st);
                self.wq.notify_all();
                Ok(IoctlResult::Value(0))
            }
            TIOCSTI => {
                self.sti_check(end)?;
                Ok(IoctlResult::NeedIn(1))
            }
            TIOCPKT if end == End::Master => Ok(IoctlResult::NeedIn(4)),
            TIOCGPKT if end == End::Master => Ok(int(self.state().packet as i64)),
            TCSBRK | TCSBRKP => Ok(IoctlResult::Value(0)),
            TIOCEXCL | TIOCNXCL => {
                self.state().excl = cmd == TIOCEXCL;
                Ok(IoctlResult::Value(0))
            }
            TIOCGEXCL => Ok(int(self.state().excl as i64)),
            TIOCGETD => Ok(int(0)),
            TIOCSETD => Ok(IoctlResult::NeedIn(4)),
            // On the master it means the slave, as Linux's tty_pair_get_tty.
            TIOCSCTTY => self
                .set_ctty(arg == 1, false, readable)
                .map(IoctlResult::Value),
            TIOCNOTTY if end == End::Slave => self.notty().map(IoctlResult::Value),
            TIOCGPGRP | TIOCGSID => {
                if end == End::Slave {
                    let k = self.kernel.upgrade().ok_or(Errno::ENOTTY)?;
                    let c = caller_in(&k.lock()).ok_or(Errno::ENOTTY)?;
                    if !self.is_ctty_of(&c) {
                        return Err(Errno::ENOTTY);
                    }
                }
                // IDs as the caller's PID namespace sees them.
                let ns = self.kernel.upgrade().and_then(|k| {
                    let (_, tgid) = CURRENT.with(|c| c.get());
                    k.lock().procs.get(&tgid).map(|p| p.pidns.clone())
                });
                let local = |id: i32| ns.as_ref().map_or(id, |n| n.local(id));
                let st = self.state();
                if cmd == TIOCGSID {
                    let s = st.session.ok_or(Errno::ENOTTY)?;
                    Ok(int(local(s) as i64))
                } else {
                    Ok(int(local(st.pgrp.unwrap_or(0)) as i64))
                }
            }
            TIOCSPGRP => {
                match self.job_check(SIGTTOU) {
                    Err(Errno::EIO) => return Err(Errno::ENOTTY),
                    Err(e) => return Err(e),
                    Ok(()) => {}
                }
                Ok(IoctlResult::NeedIn(4))
            }
            TIOCGPTN if end == End::Master => Ok(int(self.index as i64)),
            TIOCSPTLCK if end == End::Master => Ok(IoctlResult::NeedIn(4)),
            TIOCGPTLCK if end == End::Master => Ok(int(self.state().locked as i64)),
            _ => Err(Errno::ENOTTY),
        }
    }

    fn ioctl_in(&self, end: End, cmd: u32, data: &[u8]) -> Result<u64, Errno> {
        let int = || -> Result<i32, Errno> {
            Ok(i32::from_le_bytes(
                data.get(..4)
                    .and_then(|b| b.try_into().ok())
                    .ok_or(Errno::EFAULT)?,
            ))
        };
        match cmd {
            TCSETS | TCSETSW | TCSETSF | TCSETS2 | TCSETSW2 | TCSETSF2 => {
                let mut st = self.state();
                let t = Termios::from_bytes(data, &st.termios).ok_or(Errno::EFAULT)?;
                if cmd == TCSETSF || cmd == TCSETSF2 {
                    st.flush_input();
                    st.pkt(TIOCPKT_FLUSHREAD);
                }
                st.set_termios(t);
                drop(st);
                self.wq.notify_all();
                Ok(0)
            }
            TIOCSWINSZ => {
                let mut ws = [0u8; 8];
                ws.copy_from_slice(data.get(..8).ok_or(Errno::EFAULT)?);
                let mut st = self.state();
                if st.winsize == ws {
                    return Ok(0);
                }
                st.winsize = ws;
                let pgrp = st.pgrp;
                drop(st);
                self.signal_fg(&[SIGWINCH], pgrp);
                Ok(0)
            }
            TIOCSETD => {
                if int()? != 0 {
                    return Err(Errno::EINVAL);
                }
                Ok(0)
            }
            TIOCSPTLCK => {
                self.state().locked = int()? != 0;
                Ok(0)
            }
            TIOCPKT => {
                let on = int()? != 0;
                let mut st = self.state();
                if on && !st.packet {
                    st.pktstatus = 0;
                }
                st.packet = on;
                Ok(0)
            }
            TIOCSTI => {
                let c = *data.first().ok_or(Errno::EFAULT)?;
                match end {
                    // The master's own line discipline is raw: the byte is read next.
                    End::Master => {
                        self.state().out.push_back(c);
                        self.wq.notify_all();
                    }
                    End::Slave => {
                        self.input(&[c]);
                    }
                }
                Ok(0)
            }
            TIOCSPGRP => {
                let pg = int()?;
                let k = self.kernel.upgrade().ok_or(Errno::ENOTTY)?;
                let ks = k.lock();
                let c = caller_in(&ks).ok_or(Errno::ENOTTY)?;
                if !self.is_ctty_of(&c) {
                    return Err(Errno::ENOTTY);
                }
                self.state().pgrp = Some(foreground_group(&ks, &c, pg)?);
                Ok(0)
            }
            _ => Err(Errno::ENOTTY),
        }
    }
}

/// The master end of a pair (one per open of /dev/ptmx).
pub struct PtyMaster {
    pub pty: Arc<Pty>,
    /// Opened for reading.
    readable: bool,
}

impl Drop for PtyMaster {
    fn drop(&mut self) {
        self.pty.hangup();
    }
}

impl FileOps for PtyMaster {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        self.pty.master_read(buf)
    }
    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        self.pty.master_write(buf)
    }
    fn seekable(&self) -> bool {
        false
    }
    fn readiness(&self) -> u32 {
        self.pty.readiness(End::Master)
    }
    fn wait_queue(&self) -> Option<Arc<WaitQueue>> {
        Some(self.pty.wq.clone())
    }
    fn ioctl(&self, cmd: u32, arg: u64) -> Result<IoctlResult, Errno> {
        self.pty.ioctl(End::Master, self.readable, cmd, arg)
    }
    fn ioctl_in(&self, cmd: u32, data: &[u8]) -> Result<u64, Errno> {
        self.pty.ioctl_in(End::Master, cmd, data)
    }
    fn as_any(&self) -> Option<&dyn Any> {
        Some(self)
    }
}

/// An open slave (through /dev/pts/N or /dev/tty).
pub struct PtySlave {
    pub pty: Arc<Pty>,
    /// Opened for reading.
    readable: bool,
}

impl PtySlave {
    fn new(pty: Arc<Pty>, flags: u32) -> Result<PtySlave, Errno> {
        {
            let mut st = pty.state();
            if st.hung_up {
                return Err(Errno::EIO);
            }
            st.slaves += 1;
            st.other_closed = false;
            st.io_error = false;
        }
        pty.wq.notify_all();
        Ok(PtySlave {
            pty,
            readable: flags & O_ACCMODE != O_WRONLY,
        })
    }
}

impl Drop for PtySlave {
    fn drop(&mut self) {
        {
            let mut st = self.pty.state();
            st.slaves = st.slaves.saturating_sub(1);
            if st.slaves == 0 {
                st.other_closed = true;
            }
        }
        self.pty.wq.notify_all();
    }
}

impl FileOps for PtySlave {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        self.pty.slave_read(buf)
    }
    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        self.pty.slave_write(buf)
    }
    fn seekable(&self) -> bool {
        false
    }
    fn readiness(&self) -> u32 {
        self.pty.readiness(End::Slave)
    }
    fn wait_queue(&self) -> Option<Arc<WaitQueue>> {
        Some(self.pty.wq.clone())
    }
    fn deadline(&self) -> Option<Instant> {
        self.pty.deadline()
    }
    fn ioctl(&self, cmd: u32, arg: u64) -> Result<IoctlResult, Errno> {
        self.pty.ioctl(End::Slave, self.readable, cmd, arg)
    }
    fn ioctl_in(&self, cmd: u32, data: &[u8]) -> Result<u64, Errno> {
        self.pty.ioctl_in(End::Slave, cmd, data)
    }
    fn as_any(&self) -> Option<&dyn Any> {
        Some(self)
    }
}

/// The /dev/pts directory and the registry of pairs.
pub struct DevPts {
    ino: u64,
    ptmx_ino: u64,
    me: Weak<DevPts>,
    /// The kernel, set once it exists (`attach_kernel`).
    pub kernel: OnceLock<Weak<Kernel>>,
    ptys: Mutex<BTreeMap<u32, Weak<Pty>>>,
    /// Host terminals the sandbox was given (a container's console, an `exec -t`
    /// pty), listed as /dev/pts/N beside the sandbox's own ptys, as a container's
    /// console is /dev/pts/0 under runc.
    host: Mutex<BTreeMap<u32, Weak<super::hosttty::HostTty>>>,
}

impl DevPts {
    pub fn new() -> Arc<DevPts> {
        Arc::new_cyclic(|me| DevPts {
            ino: 1,
            ptmx_ino: 2,
            me: me.clone(),
            kernel: OnceLock::new(),
            ptys: Mutex::new(BTreeMap::new()),
            host: Mutex::new(BTreeMap::new()),
        })
    }

    /// Lists host terminal `tty` as /dev/pts/N, N the lowest free index; returns N.
    pub(crate) fn register_host(&self, tty: &Arc<super::hosttty::HostTty>) -> Option<u32> {
        let m = lock(&self.ptys);
        let mut h = lock(&self.host);
        h.retain(|_, w| w.strong_count() > 0);
        let index = (0..MAX_PTYS)
            .find(|i| !h.contains_key(i) && m.get(i).is_none_or(|w| w.strong_count() == 0))?;
        h.insert(index, Arc::downgrade(tty));
        Some(index)
    }

    /// Host terminal N, if the caller may see it: it was given to a process of the
    /// caller's mount namespace (or the Sentry itself asks, outside any task).
    fn host_tty(&self, index: u32) -> Option<Arc<super::hosttty::HostTty>> {
        let t = lock(&self.host).get(&index).and_then(Weak::upgrade)?;
        self.caller_sees(&t).then_some(t)
    }

    fn caller_sees(&self, t: &super::hosttty::HostTty) -> bool {
        let (_, tgid) = CURRENT.with(|c| c.get());
        if tgid == 0 {
            return true;
        }
        let Some(k) = self.kernel.get().and_then(Weak::upgrade) else {
            return true;
        };
        let mnt = k.lock().procs.get(&tgid).map(|p| p.ns.mnt.clone());
        mnt.is_none_or(|m| t.visible_in(&m))
    }

    /// The pty index and foreground process group of the controlling terminal of
    /// process `tgid` of session `sid` (for /proc/PID/stat), the sandbox's own or one
    /// from the host. Kernel lock held.
    pub(crate) fn ctty_info(&self, k: &Kernel, sid: Tid, tgid: Tid) -> Option<(u32, Option<Tid>)> {
        if let Some(p) = self.ctty_of(sid, tgid) {
            let pgrp = p.state().pgrp;
            return Some((p.index, pgrp));
        }
        let t = super::hosttty::ctty_of(k, sid, tgid)?;
        Some((t.index()?, t.foreground()))
    }

    /// The /dev/ptmx device node (the same as /dev/pts/ptmx).
    pub fn ptmx_inode(&self) -> InodeRef {
        Arc::new(PtmxInode {
            devpts: self.me.clone(),
            ino: self.ptmx_ino,
            dev: DEVPTS_DEV,
        })
    }

    /// The /dev/tty device node.
    pub fn tty_inode(&self) -> InodeRef {
        Arc::new(TtyInode {
            devpts: self.me.clone(),
            ino: next_ino(),
        })
    }

    fn get(&self, index: u32) -> Option<Arc<Pty>> {
        lock(&self.ptys).get(&index).and_then(|w| w.upgrade())
    }

    /// Whether session `sid` (process `tgid` of it) has a pty as controlling terminal.
    pub(crate) fn has_ctty(&self, sid: Tid, tgid: Tid) -> bool {
        self.ctty_of(sid, tgid).is_some()
    }

    /// The controlling terminal of process `tgid` in session `sid`.
    fn ctty_of(&self, sid: Tid, tgid: Tid) -> Option<Arc<Pty>> {
        let all: Vec<Arc<Pty>> = lock(&self.ptys)
            .values()
            .filter_map(|w| w.upgrade())
            .collect();
        all.into_iter().find(|p| {
            let st = p.state();
            st.session == Some(sid) && !st.detached.contains(&tgid)
        })
    }

    /// Session leader `sid` exited (kernel lock held): its controlling terminal's
    /// foreground group gets SIGHUP and the session loses the terminal.
    pub fn session_leader_exit(&self, k: &Kernel, ks: &mut KState, sid: Tid) {
        let all: Vec<Arc<Pty>> = lock(&self.ptys)
            .values()
            .filter_map(|w| w.upgrade())
            .collect();
        for p in all {
            let pgrp = {
                let mut st = p.state();
                if st.session != Some(sid) {
                    continue;
                }
                st.session = None;
                st.detached.clear();
                st.pgrp.take()
            };
            if let Some(pg) = pgrp {
                k.send_to_pgrp(ks, pg, kernel_sig(SIGHUP));
            }
        }
    }

    /// Allocates a pair: the lowest free index.
    fn alloc(&self) -> Result<Arc<Pty>, Errno> {
        let kernel = self.kernel.get().cloned().unwrap_or_default();
        let (uid, _gid) = kernel
            .upgrade()
            .and_then(|k| {
                let ks = k.lock();
                let (_, tgid) = CURRENT.with(|c| c.get());
                ks.procs.get(&tgid).map(|p| (p.creds.fsuid, p.creds.fsgid))
            })
            .unwrap_or((0, 0));
        let mut m = lock(&self.ptys);
        m.retain(|_, w| w.strong_count() > 0);
        let host: BTreeSet<u32> = lock(&self.host)
            .iter()
            .filter(|(_, w)| w.strong_count() > 0)
            .map(|(i, _)| *i)
            .collect();
        let mut index = 0;
        while m.contains_key(&index) || host.contains(&index) {
            index += 1;
        }
        if index >= MAX_PTYS {
            return Err(Errno::ENOSPC);
        }
        let pty = Arc::new(Pty {
            index,
            ino: index as u64 + 3,
            kernel,
            devpts: self.me.clone(),
            wq: WaitQueue::new(),
            st: Mutex::new(PtyState {
                termios: Termios::slave_default(),
                winsize: [0; 8],
                locked: true,
                lines: VecDeque::new(),
                line: Vec::new(),
                raw: VecDeque::new(),
                out: VecDeque::new(),
                held: Vec::new(),
                column: 0,
                lnext: false,
                stopped: false,
                tco_stopped: false,
                master_stopped: false,
                packet: false,
                pktstatus: 0,
                batch_start: 0,
                hung_up: false,
                io_error: false,
                slaves: 0,
                other_closed: false,
                session: None,
                pgrp: None,
                detached: BTreeSet::new(),
                excl: false,
                vtime: HashMap::new(),
                blocked: BTreeSet::new(),
                last_input: Instant::now(),
                node: (0o620, uid, 5),
            }),
        });
        m.insert(index, Arc::downgrade(&pty));
        Ok(pty)
    }
}

/// Parses a slave's name: a decimal number without leading zeros.
fn parse_index(name: &[u8]) -> Option<u32> {
    if name.is_empty() || name.len() > 9 || (name[0] == b'0' && name.len() > 1) {
        return None;
    }
    if !name.iter().all(|c| c.is_ascii_digit()) {
        return None;
    }
    std::str::from_utf8(name).ok()?.parse().ok()
}

impl Inode for DevPts {
    fn attr(&self) -> Result<Attr, Errno> {
        Ok(Attr {
            dev: DEVPTS_DEV,
            ino: self.ino,
            mode: S_IFDIR | 0o755,
            nlink: 2,
            blksize: 1024,
            ..Default::default()
        })
    }
    fn lookup(&self, name: &[u8]) -> Result<InodeRef, Errno> {
        if name == b"ptmx" {
            return Ok(self.ptmx_inode());
        }
        let index = parse_index(name).ok_or(Errno::ENOENT)?;
        if let Some(tty) = self.host_tty(index) {
            return Ok(Arc::new(HostPtsInode { tty, index }));
        }
        let pty = self.get(index).ok_or(Errno::ENOENT)?;
        Ok(Arc::new(PtsInode { pty }))
    }
    fn readdir(&self) -> Result<Vec<DirEnt>, Errno> {
        let mut v = vec![DirEnt {
            name: b"ptmx".to_vec(),
            ino: self.ptmx_ino,
            dtype: 2,
        }];
        let mut live: BTreeMap<u32, u64> = BTreeMap::new();
        for (i, w) in lock(&self.ptys).iter() {
            if let Some(p) = w.upgrade() {
                live.insert(*i, p.ino);
            }
        }
        let host: Vec<(u32, Arc<super::hosttty::HostTty>)> = lock(&self.host)
            .iter()
            .filter_map(|(i, w)| w.upgrade().map(|t| (*i, t)))
            .collect();
        for (i, t) in host {
            if self.caller_sees(&t) {
                live.insert(i, t.ino());
            }
        }
        for (i, ino) in live {
            v.push(DirEnt {
                name: i.to_string().into_bytes(),
                ino,
                dtype: 2,
            });
        }
        Ok(v)
    }
    fn create(
        &self,
        _name: &[u8],
        _node: NewNode,
        _mode: u32,
        _uid: u32,
        _gid: u32,
    ) -> Result<InodeRef, Errno> {
        Err(Errno::EACCES)
    }
    fn unlink(&self, _name: &[u8], _dir: bool) -> Result<(), Errno> {
        Err(Errno::EACCES)
    }
    fn open(self: Arc<Self>, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        super::simple::open_dir(flags)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// /dev/ptmx and /dev/pts/ptmx.
struct PtmxInode {
    devpts: Weak<DevPts>,
    ino: u64,
    dev: u64,
}

impl Inode for PtmxInode {
    fn attr(&self) -> Result<Attr, Errno> {
        Ok(Attr {
            dev: self.dev,
            ino: self.ino,
            mode: S_IFCHR | 0o666,
            nlink: 1,
            rdev: makedev(5, 2),
            blksize: 4096,
            ..Default::default()
        })
    }
    fn set_attr(&self, _change: &SetAttr) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }
    fn open(self: Arc<Self>, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        let dp = self.devpts.upgrade().ok_or(Errno::ENODEV)?;
        let pty = dp.alloc()?;
        Ok(Arc::new(PtyMaster {
            pty,
            readable: flags & O_ACCMODE != O_WRONLY,
        }))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// /dev/pts/N.
struct PtsInode {
    pty: Arc<Pty>,
}

/// Whether `inode` is the /dev/pts/N node of host terminal `tty`.
pub(crate) fn is_node_of(inode: &InodeRef, tty: &Arc<super::hosttty::HostTty>) -> bool {
    inode
        .as_any()
        .downcast_ref::<HostPtsInode>()
        .is_some_and(|n| Arc::ptr_eq(&n.tty, tty))
}

/// /dev/pts/N of a host terminal: opening it gives another fd on the host terminal.
struct HostPtsInode {
    tty: Arc<super::hosttty::HostTty>,
    index: u32,
}

impl Inode for HostPtsInode {
    fn attr(&self) -> Result<Attr, Errno> {
        Ok(Attr {
            dev: DEVPTS_DEV,
            ino: self.tty.ino(),
            mode: S_IFCHR | 0o620,
            nlink: 1,
            uid: self.tty.owner(),
            gid: 5,
            rdev: makedev(136, self.index as u64),
            blksize: 1024,
            ..Default::default()
        })
    }
    fn set_attr(&self, _change: &SetAttr) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }
    fn open(self: Arc<Self>, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        let host = crate::host::HostFd::new(std::os::fd::AsRawFd::as_raw_fd(&self.tty.fd()))
            .ok_or(Errno::EMFILE)?;
        Ok(Arc::new(host.with_tty(self.tty.clone())))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Inode for PtsInode {
    fn attr(&self) -> Result<Attr, Errno> {
        let (mode, uid, gid) = self.pty.state().node;
        Ok(Attr {
            dev: DEVPTS_DEV,
            ino: self.pty.ino,
            mode: S_IFCHR | mode,
            nlink: 1,
            uid,
            gid,
            rdev: makedev(136, self.pty.index as u64),
            blksize: 1024,
            ..Default::default()
        })
    }
    fn set_attr(&self, change: &SetAttr) -> Result<(), Errno> {
        if change.size.is_some() {
            return Err(Errno::EINVAL);
        }
        let mut st = self.pty.state();
        if let Some(m) = change.mode {
            st.node.0 = m & 0o7777;
        }
        if let Some(u) = change.uid {
            st.node.1 = u;
        }
        if let Some(g) = change.gid {
            st.node.2 = g;
        }
        Ok(())
    }
    fn open(self: Arc<Self>, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        open_slave(&self.pty, flags)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Opens the slave of `pty`; a session leader without a controlling terminal acquires it
/// unless O_NOCTTY.
fn open_slave(pty: &Arc<Pty>, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
    {
        let mut st = pty.state();
        if st.hung_up {
            return Err(Errno::EIO);
        }
        if st.locked {
            st.io_error = true;
            return Err(Errno::EIO);
        }
    }
    let slave = PtySlave::new(pty.clone(), flags)?;
    if flags & O_NOCTTY == 0 {
        // Only when the caller is a session leader without one, the terminal is free
        // and the open is for reading; otherwise nothing happens.
        let _ = pty.set_ctty(false, true, slave.readable);
    }
    Ok(Arc::new(slave))
}

/// /dev/tty: the caller's controlling terminal.
struct TtyInode {
    devpts: Weak<DevPts>,
    ino: u64,
}

impl Inode for TtyInode {
    fn attr(&self) -> Result<Attr, Errno> {
        Ok(Attr {
            dev: 5,
            ino: self.ino,
            mode: S_IFCHR | 0o666,
            nlink: 1,
            rdev: makedev(5, 0),
            blksize: 4096,
            ..Default::default()
        })
    }
    fn set_attr(&self, _change: &SetAttr) -> Result<(), Errno> {
        Ok(())
    }
    fn open(self: Arc<Self>, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        let dp = self.devpts.upgrade().ok_or(Errno::ENXIO)?;
        let k = dp
            .kernel
            .get()
            .and_then(|w| w.upgrade())
            .ok_or(Errno::ENXIO)?;
        let c = caller_in(&k.lock()).ok_or(Errno::ENXIO)?;
        match dp.ctty_of(c.sid, c.tgid) {
            Some(pty) => Ok(Arc::new(PtySlave::new(pty, flags)?)),
            // A terminal from the host: a new file on it.
            None => {
                let tty = crate::fsimpl::hosttty::ctty_of(&k, c.sid, c.tgid).ok_or(Errno::ENXIO)?;
                let host = crate::host::HostFd::new(std::os::fd::AsRawFd::as_raw_fd(&tty.fd()))
                    .ok_or(Errno::EMFILE)?;
                Ok(Arc::new(host.with_tty(tty)))
            }
        }
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Gives devpts the kernel (for job control and signals); call once it exists.
pub fn attach_kernel(k: &Arc<Kernel>) {
    let root = k.vfs.root.clone();
    if let Ok(d) = k
        .vfs
        .walk(&root, &root, b"/dev/pts", WalkFlags { follow: true })
    {
        if let Some(dp) = d.inode.as_any().downcast_ref::<DevPts>() {
            let _ = dp.kernel.set(Arc::downgrade(k));
            if let Some(me) = dp.me.upgrade() {
                let _ = k.ttys.set(me);
            }
        }
    }
}

/// TIOCGPTPEER: opens the slave of master `f` with `flags` and returns the new fd.
pub fn open_peer(t: &mut TaskCtx, f: &Arc<OpenFile>, flags: u64) -> Result<u64, Errno> {
    let any = f.ops.as_any();
    let Some(m) = any.and_then(|a| a.downcast_ref::<PtyMaster>()) else {
        // A slave is a terminal but not a master: EIO, as Linux.
        return Err(if any.is_some_and(|a| a.is::<PtySlave>()) {
            Errno::EIO
        } else {
            Errno::ENOTTY
        });
    };
    // Linux takes the argument as an int and keeps only the status flags that matter.
    let flags = (flags as u32) & (O_ACCMODE | O_NONBLOCK | O_CLOEXEC);
    let path = format!("/dev/pts/{}", m.pty.index).into_bytes();
    let root = t.fs.lock().unwrap_or_else(|p| p.into_inner()).root.clone();
    let dentry =
        t.k.vfs
            .walk(&root, &root, &path, WalkFlags { follow: false })
            .map_err(|_| Errno::EIO)?;
    let ops = open_slave(&m.pty, flags | O_NOCTTY)?;
    let file = OpenFile::new(ops, Some(dentry), flags);
    let limit = t.rlimit(7).rlim_cur;
    let fd = t.files.insert(file, flags & O_CLOEXEC != 0, 0, limit)?;
    Ok(fd as u64)
}
