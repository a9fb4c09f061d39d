//! JAGGAER simulator.
