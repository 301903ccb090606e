fn main() -> std::process::ExitCode {
    castkit::cli::main(castkit::cmd::merge_stderr::run)
}
