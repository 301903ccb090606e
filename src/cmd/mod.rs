//! One module per tool: its clap definition (`command()`), `run()` for the binary, and the
//! filter itself, callable in-process.

pub mod cat;
pub mod cut;
pub mod grep;
pub mod idle;
pub mod import;
pub mod info;
pub mod merge_stderr;
pub mod play;
pub mod rec;
pub mod redact;
pub mod serve;
pub mod speed;
pub mod to_gif;
pub mod to_html;
pub mod to_svg;
pub mod to_txt;

/// Every tool's clap command, for docs generation and tests.
pub fn all() -> Vec<clap::Command> {
    vec![
        cut::command(),
        grep::command(),
        idle::command(),
        rec::command(),
        speed::command(),
        merge_stderr::command(),
        cat::command(),
        info::command(),
        to_txt::command(),
        play::command(),
        redact::command(),
        to_html::command(),
        serve::command(),
        import::command(),
        to_gif::command(),
        to_svg::command(),
    ]
}
