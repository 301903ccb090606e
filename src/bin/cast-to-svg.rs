fn main() -> std::process::ExitCode {
    castkit::cli::main(castkit::cmd::to_svg::run)
}
