//! castkit's integration tests: one binary, one module per tool (ripgrep's layout).

mod util;

mod cat;
mod compress;
mod cut;
mod docs;
mod faults;
mod filters;
mod grep;
mod hostile;
mod idle;
mod import;
mod info;
mod merge_stderr;
mod play;
mod props;
mod readme;
mod rec;
mod redact;
mod serve;
mod speed;
mod tape;
mod to_gif;
mod to_html;
mod to_svg;
mod to_txt;
