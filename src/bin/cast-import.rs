fn main() -> std::process::ExitCode {
    castkit::cli::main(castkit::cmd::import::run)
}
