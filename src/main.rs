// mimalloc: loading a large plan allocates and frees millions of small JSON nodes, where glibc's
// malloc spent about a quarter of `check`'s time (perf on the 1.0 estate)
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    no_transparent_huge_pages();
    purge_freed_memory_at_once();
    analyse_on_this_thread_too();
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

/// `mi_option_purge_delay` in `enum mi_option_e` of mimalloc 3.x, the version libmimalloc-sys
/// 0.1.49 builds (Cargo.lock; its Rust bindings predate the option and do not name it).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

unsafe extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    #[cfg(test)]
    fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
}

/// mimalloc keeps memory that was freed resident for a second before it gives it back to Linux
/// (`purge_delay`, 1000 ms); loading a plan frees the scratch values of each change as it goes, so the
/// peak resident memory of the 0.1 estate was 28.5 MB with the delay and 23.9 MB without it,
/// for the same CPU time within noise (bench/RESULTS.md).
fn purge_freed_memory_at_once() {
    // SAFETY: mi_option_set takes integers and sets one of mimalloc's options; an option it
    // does not know is ignored.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 0) }
}

/// Clusters are analysed in parallel on rayon's global pool (src/analysis/mod.rs). By default
/// the pool has one worker per core and the thread that asks waits for them, idle; every worker
/// that allocates keeps a heap of its own. With `use_current_thread` this thread is one of the
/// pool's workers and does its share of the work: on two cores one thread is spawned instead of
/// two, on one core none (the analysis runs on this thread).
fn analyse_on_this_thread_too() {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // An error means the pool exists already: nothing else in this process builds one first,
    // and if it did, the default pool is as correct, only a thread larger.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .use_current_thread()
        .build_global();
}

#[cfg(test)]
mod tests {
    /// The option index is mimalloc's `purge_delay`: its default is 1000 (ms), which no option
    /// next to it has, and setting it reads back.
    #[test]
    fn purge_delay_is_the_option_set() {
        // SAFETY: as in `purge_freed_memory_at_once`
        unsafe {
            assert_eq!(super::mi_option_get(super::MI_OPTION_PURGE_DELAY), 1000);
            assert_ne!(super::mi_option_get(super::MI_OPTION_PURGE_DELAY - 1), 1000);
            assert_ne!(super::mi_option_get(super::MI_OPTION_PURGE_DELAY + 1), 1000);
        }
        super::purge_freed_memory_at_once();
        // SAFETY: as above
        assert_eq!(
            unsafe { super::mi_option_get(super::MI_OPTION_PURGE_DELAY) },
            0
        );
    }

    /// The thread that builds the pool is its worker 0 and does part of a parallel
    /// iteration itself; the pool spawns one thread fewer than it has cores. On a thread of its
    /// own: the pool keeps it as worker 0, and no other test of this binary uses rayon.
    #[test]
    fn the_calling_thread_is_one_of_the_analysis_threads() {
        use rayon::prelude::*;
        std::thread::spawn(|| {
            super::analyse_on_this_thread_too();
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            assert_eq!(rayon::current_thread_index(), Some(0));
            assert_eq!(rayon::current_num_threads(), cores);
            let ran_on: std::collections::BTreeSet<usize> = (0..10_000)
                .into_par_iter()
                .map(|_| rayon::current_thread_index().unwrap())
                .collect();
            assert!(ran_on.contains(&0), "{ran_on:?}");
        })
        .join()
        .unwrap();
    }
}
