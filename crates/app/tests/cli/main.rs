//! CLI tests: the real binary, run with `assert_cmd` in a temp directory.
mod config;
mod credentials;
mod demo;
mod helpers;
mod store;
mod users;
mod validate;
