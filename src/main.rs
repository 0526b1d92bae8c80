// mimalloc: loading a large plan allocates and frees millions of small JSON nodes, where glibc's
// malloc spent about a quarter of `check`'s time (perf on the 1.0 estate)
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(aks_preflight::cli::main());
}
