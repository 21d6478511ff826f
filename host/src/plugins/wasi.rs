//! The WASI preview 1 subset a plugin may import, implemented by hand so that nothing else
//! exists: stdin is the input document, stdout the verdict (capped), stderr the log (truncated);
//! no files, environment, arguments or sockets; the clock and randomness are deterministic.

use wasmtime::{Caller, Extern, Linker, ResourceLimiter};

/// The module name of WASI preview 1 imports.
pub const WASI_MODULE: &str = "wasi_snapshot_preview1";

/// The WASI functions a plugin may import; everything else is refused when the module is loaded.
pub const ALLOWED: &[&str] = &[
    "args_get",
    "args_sizes_get",
    "environ_get",
    "environ_sizes_get",
    "clock_res_get",
    "clock_time_get",
    "fd_close",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_filestat_get",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "fd_read",
    "fd_seek",
    "fd_write",
    "poll_oneoff",
    "proc_exit",
    "random_get",
    "sched_yield",
];

/// What a refused WASI import would have given the plugin, for the refusal message.
pub fn capability(name: &str) -> &'static str {
    if name.starts_with("sock_") {
        "network sockets"
    } else if name.starts_with("path_") || name.starts_with("fd_") || name == "fd_readdir" {
        "filesystem access"
    } else if name == "proc_raise" {
        "signals"
    } else {
        "a WASI function outside the plugin ABI"
    }
}

const ESUCCESS: i32 = 0;
const EBADF: i32 = 8;
const ENOTSUP: i32 = 58;
const ESPIPE: i32 = 70;

/// Why the host stopped a plugin from inside a WASI call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// `proc_exit(code)`.
    Exit(i32),
    /// stdout went over its limit.
    OutputTooLarge(usize),
    /// A pointer or length handed to the host lies outside the plugin's memory.
    OutOfBounds(String),
    /// The call's deadline passed while the host was working for the plugin.
    Deadline,
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Exit(code) => write!(f, "exited with status {code}"),
            Stop::OutputTooLarge(limit) => write!(f, "wrote more than {limit} bytes on stdout"),
            Stop::OutOfBounds(what) => write!(f, "out-of-bounds pointer: {what}"),
            Stop::Deadline => write!(f, "ran past its deadline inside a host call"),
        }
    }
}

impl std::error::Error for Stop {}

/// Memory and table limits of one call; remembers a denied growth to name the failure.
#[derive(Debug)]
pub struct Limiter {
    /// Largest linear memory in bytes.
    pub memory_bytes: usize,
    /// The size a denied `memory.grow` asked for.
    pub denied: Option<usize>,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            self.denied = Some(desired);
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// One call's state: its streams, limits and deterministic clock and random source.
#[derive(Debug)]
pub struct Ctx {
    /// The input document.
    pub stdin: Vec<u8>,
    /// Bytes of stdin already read.
    pub read: usize,
    /// `fd_read` calls that asked for bytes after the end of stdin.
    pub reads_after_end: u64,
    /// `fd_read` calls whose buffers held no room at all (zero-length reads).
    pub empty_reads: u64,
    /// When the call must stop; host functions check it as they work.
    pub deadline: Option<std::time::Instant>,
    /// The verdict as written so far.
    pub stdout: Vec<u8>,
    /// stdout limit in bytes.
    pub max_output: usize,
    /// The first bytes of the log.
    pub log: Vec<u8>,
    /// Log bytes beyond the first `max_log`.
    pub log_dropped: u64,
    /// Log limit in bytes.
    pub max_log: usize,
    /// Memory limits.
    pub limiter: Limiter,
    /// The realtime clock's reading in nanoseconds (the analysis' `as_of`).
    pub clock_ns: u64,
    /// The monotonic clock, advanced 1 µs per reading.
    pub monotonic_ns: u64,
    /// State of the deterministic random source.
    pub rng: u64,
}

impl Ctx {
    /// A fresh call with `stdin` as the input.
    pub fn new(
        stdin: Vec<u8>,
        max_output: usize,
        max_log: usize,
        memory_bytes: usize,
        clock_ns: u64,
    ) -> Ctx {
        Ctx {
            stdin,
            read: 0,
            reads_after_end: 0,
            empty_reads: 0,
            deadline: None,
            stdout: Vec::new(),
            max_output,
            log: Vec::new(),
            log_dropped: 0,
            max_log,
            limiter: Limiter {
                memory_bytes,
                denied: None,
            },
            clock_ns,
            monotonic_ns: 0,
            rng: 0x9E37_79B9_7F4A_7C15,
        }
    }

    /// The log as one line of text (control characters become spaces), with a note of what
    /// was cut.
    pub fn log_text(&self) -> String {
        let mut s: String = String::from_utf8_lossy(&self.log)
            .trim_end()
            .chars()
            .map(|c| {
                if c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
                {
                    ' '
                } else {
                    c
                }
            })
            .collect();
        if self.log_dropped > 0 {
            s.push_str(&format!(" … ({} more bytes not kept)", self.log_dropped));
        }
        s
    }

    fn next_random(&mut self) -> u64 {
        // splitmix64
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn memory(caller: &mut Caller<'_, Ctx>) -> wasmtime::Result<wasmtime::Memory> {
    match caller.get_export("memory") {
        Some(Extern::Memory(m)) => Ok(m),
        _ => Err(wasmtime::Error::new(Stop::OutOfBounds(
            "the module exports no memory named `memory`".into(),
        ))),
    }
}

fn range(
    what: &str,
    ptr: i32,
    len: usize,
    size: usize,
) -> wasmtime::Result<std::ops::Range<usize>> {
    let start = ptr as u32 as usize;
    match start.checked_add(len) {
        Some(end) if end <= size => Ok(start..end),
        _ => Err(wasmtime::Error::new(Stop::OutOfBounds(format!(
            "{what} at {start:#x}+{len} is outside the plugin's {size}-byte memory"
        )))),
    }
}

fn write_bytes(
    caller: &mut Caller<'_, Ctx>,
    what: &str,
    ptr: i32,
    bytes: &[u8],
) -> wasmtime::Result<()> {
    let mem = memory(caller)?;
    let data = mem.data_mut(caller);
    let r = range(what, ptr, bytes.len(), data.len())?;
    data[r].copy_from_slice(bytes);
    Ok(())
}

/// Fuel charged per iovec entry a host call walks, beside one unit per byte it moves.
const FUEL_PER_IOVEC: u64 = 8;
/// Bytes a host call moves between two looks at the deadline.
const DEADLINE_CHECK_BYTES: usize = 1 << 20;

/// The fuel a host call spends for the plugin: the bytes it moves and the entries it walks
/// count as instructions, so no host call outlasts the plugin's fuel.
struct Meter {
    left: Option<u64>,
    spent: u64,
    entries: usize,
}

impl Meter {
    fn start(caller: &Caller<'_, Ctx>) -> Meter {
        Meter {
            left: caller.get_fuel().ok(),
            spent: 0,
            entries: 0,
        }
    }

    /// Spends `cost`; fails once the plugin's fuel is gone, and looks at the deadline now and
    /// then.
    fn spend(&mut self, cost: u64, ctx: &Ctx) -> wasmtime::Result<()> {
        self.spent = self.spent.saturating_add(cost);
        if self.left.is_some_and(|left| self.spent > left) {
            return Err(wasmtime::Error::new(wasmtime::Trap::OutOfFuel));
        }
        self.entries += 1;
        if self.entries.is_multiple_of(1024) {
            check_deadline(ctx)?;
        }
        Ok(())
    }

    /// Takes what was spent from the plugin's fuel.
    fn settle(self, caller: &mut Caller<'_, Ctx>) -> wasmtime::Result<()> {
        if let Some(left) = self.left {
            caller.set_fuel(left.saturating_sub(self.spent))?;
        }
        Ok(())
    }
}

/// Runs `work` with a meter and settles its fuel whether or not it succeeded.
fn metered<T>(
    caller: &mut Caller<'_, Ctx>,
    work: impl FnOnce(&mut Caller<'_, Ctx>, &mut Meter) -> wasmtime::Result<T>,
) -> wasmtime::Result<T> {
    let mut meter = Meter::start(caller);
    let result = work(caller, &mut meter);
    meter.settle(caller)?;
    result
}

/// Fails the call when its deadline has passed.
fn check_deadline(ctx: &Ctx) -> wasmtime::Result<()> {
    match ctx.deadline {
        Some(d) if std::time::Instant::now() >= d => Err(wasmtime::Error::new(Stop::Deadline)),
        _ => Ok(()),
    }
}

/// The array of `count` iovecs at `iovs`, bounded by the memory before anything is read.
fn iovec_array(
    what: &str,
    iovs: i32,
    count: i32,
    size: usize,
) -> wasmtime::Result<std::ops::Range<usize>> {
    let count = count as u32 as usize;
    range(what, iovs, count.saturating_mul(8), size)
}

/// The (ptr, len) of iovec `i` of the array at `array` (already bounds-checked).
fn iovec(data: &[u8], array: &std::ops::Range<usize>, i: usize) -> (i32, usize) {
    let at = array.start + i * 8;
    let c = &data[at..at + 8];
    let ptr = i32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    let len = u32::from_le_bytes([c[4], c[5], c[6], c[7]]) as usize;
    (ptr, len)
}

/// Fills the plugin's buffer with the deterministic random source, in place: bounds, fuel and
/// deadline are checked before any byte is made.
fn random_get(c: &mut Caller<'_, Ctx>, buf: i32, len: i32) -> wasmtime::Result<i32> {
    let mem = memory(c)?;
    let len = len as u32 as usize;
    let r = range("random_get buffer", buf, len, mem.data_size(&*c))?;
    metered(c, |c, meter| {
        meter.spend(len as u64, c.data())?;
        let mut at = r.start;
        while at < r.end {
            check_deadline(c.data())?;
            let end = (at + DEADLINE_CHECK_BYTES).min(r.end);
            let (data, ctx) = mem.data_and_store_mut(&mut *c);
            for chunk in data[at..end].chunks_mut(8) {
                let word = ctx.next_random().to_le_bytes();
                chunk.copy_from_slice(&word[..chunk.len()]);
            }
            at = end;
        }
        Ok(ESUCCESS)
    })
}

/// Copies stdin into the plugin's iovecs, walking them in place.
fn fd_read(c: &mut Caller<'_, Ctx>, iovs: i32, count: i32, nread: i32) -> wasmtime::Result<i32> {
    let mem = memory(c)?;
    let array = iovec_array("fd_read iovec array", iovs, count, mem.data_size(&*c))?;
    let (total, asked) = metered(c, |c, meter| {
        let (data, ctx) = mem.data_and_store_mut(&mut *c);
        let size = data.len();
        let mut total = 0usize;
        let mut asked = 0usize;
        for i in 0..array.len() / 8 {
            let (ptr, len) = iovec(data, &array, i);
            let r = range("fd_read buffer", ptr, len, size)?;
            asked = asked.saturating_add(len);
            let left = &ctx.stdin[ctx.read..];
            let n = left.len().min(len);
            data[r.start..r.start + n].copy_from_slice(&left[..n]);
            ctx.read += n;
            total += n;
            meter.spend(FUEL_PER_IOVEC + n as u64, ctx)?;
            if n < len {
                break;
            }
        }
        Ok((total, asked))
    })?;
    let ctx = c.data_mut();
    if asked == 0 {
        ctx.empty_reads += 1;
    } else if total == 0 {
        ctx.reads_after_end += 1;
    }
    write_bytes(c, "fd_read result", nread, &(total as u32).to_le_bytes())?;
    Ok(ESUCCESS)
}

/// Appends the plugin's iovecs to stdout (capped) or the log (truncated), walking them in place.
fn fd_write(
    c: &mut Caller<'_, Ctx>,
    fd: i32,
    iovs: i32,
    count: i32,
    nwritten: i32,
) -> wasmtime::Result<i32> {
    let mem = memory(c)?;
    let array = iovec_array("fd_write iovec array", iovs, count, mem.data_size(&*c))?;
    let total = metered(c, |c, meter| {
        let (data, ctx) = mem.data_and_store_mut(&mut *c);
        let size = data.len();
        let mut total = 0usize;
        for i in 0..array.len() / 8 {
            let (ptr, len) = iovec(data, &array, i);
            let r = range("fd_write buffer", ptr, len, size)?;
            let bytes = &data[r];
            let kept = if fd == 1 {
                if ctx.stdout.len() + bytes.len() > ctx.max_output {
                    return Err(wasmtime::Error::new(Stop::OutputTooLarge(ctx.max_output)));
                }
                ctx.stdout.extend_from_slice(bytes);
                bytes.len()
            } else {
                let room = ctx.max_log.saturating_sub(ctx.log.len());
                let keep = room.min(bytes.len());
                ctx.log.extend_from_slice(&bytes[..keep]);
                ctx.log_dropped += (bytes.len() - keep) as u64;
                keep
            };
            total = total.saturating_add(len);
            // Bytes dropped from the log are not moved, so they cost only the entry.
            meter.spend(FUEL_PER_IOVEC + kept as u64, ctx)?;
        }
        Ok(total)
    })?;
    write_bytes(
        c,
        "fd_write result",
        nwritten,
        &(total.min(u32::MAX as usize) as u32).to_le_bytes(),
    )?;
    Ok(ESUCCESS)
}

/// Defines the allowed WASI functions in `linker`.
pub fn add_to_linker(linker: &mut Linker<Ctx>) -> wasmtime::Result<()> {
    let m = WASI_MODULE;
    // No arguments and no environment.
    for name in ["args_sizes_get", "environ_sizes_get"] {
        linker.func_wrap(m, name, |mut c: Caller<'_, Ctx>, count: i32, size: i32| {
            write_bytes(&mut c, "count", count, &0u32.to_le_bytes())?;
            write_bytes(&mut c, "size", size, &0u32.to_le_bytes())?;
            Ok(ESUCCESS)
        })?;
    }
    for name in ["args_get", "environ_get"] {
        linker.func_wrap(m, name, |_: Caller<'_, Ctx>, _: i32, _: i32| Ok(ESUCCESS))?;
    }
    linker.func_wrap(
        m,
        "clock_res_get",
        |mut c: Caller<'_, Ctx>, _id: i32, out: i32| {
            write_bytes(&mut c, "clock_res_get result", out, &1000u64.to_le_bytes())?;
            Ok(ESUCCESS)
        },
    )?;
    linker.func_wrap(
        m,
        "clock_time_get",
        |mut c: Caller<'_, Ctx>, id: i32, _precision: i64, out: i32| {
            let now = if id == 0 {
                c.data().clock_ns
            } else {
                let ctx = c.data_mut();
                ctx.monotonic_ns += 1000;
                ctx.monotonic_ns
            };
            write_bytes(&mut c, "clock_time_get result", out, &now.to_le_bytes())?;
            Ok(ESUCCESS)
        },
    )?;
    linker.func_wrap(
        m,
        "random_get",
        |mut c: Caller<'_, Ctx>, buf: i32, len: i32| random_get(&mut c, buf, len),
    )?;
    linker.func_wrap(m, "fd_close", |_: Caller<'_, Ctx>, fd: i32| {
        Ok(if (0..=2).contains(&fd) {
            ESUCCESS
        } else {
            EBADF
        })
    })?;
    linker.func_wrap(
        m,
        "fd_fdstat_get",
        |mut c: Caller<'_, Ctx>, fd: i32, out: i32| {
            if !(0..=2).contains(&fd) {
                return Ok(EBADF);
            }
            // filetype character_device, no flags; rights: fd_read (bit 1) for stdin, fd_write (bit 6) otherwise.
            let mut stat = [0u8; 24];
            stat[0] = 2;
            let rights: u64 = if fd == 0 { 1 << 1 } else { 1 << 6 };
            stat[8..16].copy_from_slice(&rights.to_le_bytes());
            write_bytes(&mut c, "fd_fdstat_get result", out, &stat)?;
            Ok(ESUCCESS)
        },
    )?;
    linker.func_wrap(
        m,
        "fd_fdstat_set_flags",
        |_: Caller<'_, Ctx>, _: i32, _: i32| Ok(ENOTSUP),
    )?;
    linker.func_wrap(
        m,
        "fd_filestat_get",
        |mut c: Caller<'_, Ctx>, fd: i32, out: i32| {
            if !(0..=2).contains(&fd) {
                return Ok(EBADF);
            }
            let mut stat = [0u8; 64];
            stat[16] = 2;
            write_bytes(&mut c, "fd_filestat_get result", out, &stat)?;
            Ok(ESUCCESS)
        },
    )?;
    // No preopened directories.
    linker.func_wrap(m, "fd_prestat_get", |_: Caller<'_, Ctx>, _: i32, _: i32| {
        Ok(EBADF)
    })?;
    linker.func_wrap(
        m,
        "fd_prestat_dir_name",
        |_: Caller<'_, Ctx>, _: i32, _: i32, _: i32| Ok(EBADF),
    )?;
    linker.func_wrap(
        m,
        "fd_seek",
        |_: Caller<'_, Ctx>, fd: i32, _: i64, _: i32, _: i32| {
            Ok(if (0..=2).contains(&fd) { ESPIPE } else { EBADF })
        },
    )?;
    linker.func_wrap(
        m,
        "fd_read",
        |mut c: Caller<'_, Ctx>, fd: i32, iovs: i32, count: i32, nread: i32| {
            if fd != 0 {
                return Ok(EBADF);
            }
            fd_read(&mut c, iovs, count, nread)
        },
    )?;
    linker.func_wrap(
        m,
        "fd_write",
        |mut c: Caller<'_, Ctx>, fd: i32, iovs: i32, count: i32, nwritten: i32| {
            if !(1..=2).contains(&fd) {
                return Ok(EBADF);
            }
            fd_write(&mut c, fd, iovs, count, nwritten)
        },
    )?;
    linker.func_wrap(
        m,
        "poll_oneoff",
        |_: Caller<'_, Ctx>, _: i32, _: i32, _: i32, _: i32| Ok(ENOTSUP),
    )?;
    linker.func_wrap(
        m,
        "proc_exit",
        |_: Caller<'_, Ctx>, code: i32| -> wasmtime::Result<()> {
            Err(wasmtime::Error::new(Stop::Exit(code)))
        },
    )?;
    linker.func_wrap(m, "sched_yield", |_: Caller<'_, Ctx>| Ok(ESUCCESS))?;
    Ok(())
}
