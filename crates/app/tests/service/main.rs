//! Service tests: the real binary's `run` against the JDE and JAGGAER simulators on loopback,
//! with a SQLite store (and PostgreSQL when `MLC_TEST_POSTGRES_URL` is set), plus `tenant
//! pause|resume`.
mod fencing;
mod lifecycle;
mod multi_worker;
mod tenant;

/// The shared harness (simulators, temp dir with config and vault, the binary as a service).
use mlc_test_support as harness;
