//! The inbox over real HTTP on loopback (one test binary; see
//! docs/ARCHITECTURE.md, Tests).

mod http;
