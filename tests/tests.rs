//! castkit's integration tests: one binary, one module per tool (ripgrep's layout).

mod util;

mod cut;
mod docs;
mod faults;
mod filters;
mod idle;
mod props;
mod rec;
mod speed;
