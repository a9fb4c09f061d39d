//! JD Edwards AIS Server simulator.
