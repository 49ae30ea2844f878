use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

// mimalloc v3's number for `mi_option_purge_delay` (`mi_option_t` in its mimalloc.h);
// the Rust bindings do not name it.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // By default mimalloc hands freed pages back to the OS only after a delay, which
    // held about 30 MB more at peak under the bench's loads. Purging at once kept the
    // peak where glibc's was, and the speed (docs/performance.md). Its other setting,
    // commit on demand, is in .cargo/config.toml.
    // SAFETY: a plain setter of one of mimalloc's global options.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) };
    cloudtwin::cli::main()
}
