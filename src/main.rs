fn main() {
    std::process::exit(aks_preflight::cli::main());
}
