//! Adapters that implement the flows' ports over the real clients: [`ais::AisSource`] over the
//! JDE AIS client, [`j1p::J1pSide`] over the JAGGAER J1P client and cXML codec.
pub mod ais;
pub mod j1p;
