// mimalloc: loading a large plan allocates and frees millions of small JSON nodes, where glibc's
// malloc spent about a quarter of `check`'s time (perf on the 1.0 estate)
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    no_transparent_huge_pages();
    std::process::exit(aks_preflight::cli::main());
}

/// mimalloc asks Linux for transparent huge pages, which are resident 2 MiB at a time: on the
/// 1.0 estate the peak resident memory was 9% higher with them (233 vs 213 MB) for the same
/// allocations. The process opts out (affects this process only).
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl(PR_SET_THP_DISABLE) takes integer arguments only and changes a flag of this
    // process; its result is ignored (an older kernel without it keeps the default).
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
