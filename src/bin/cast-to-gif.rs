fn main() -> std::process::ExitCode {
    castkit::cli::main(castkit::cmd::to_gif::run)
}
