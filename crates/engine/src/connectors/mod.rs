//! Adapters that implement the flows' ports over the real clients: [`ais::AisSource`] over the
//! JDE AIS client, [`j1p::J1pSide`] over the JAGGAER J1P client and cXML codec, [`xml::XmlSide`]
//! over the XML Router client (suppliers and POs) and the J1P side (the rest).
pub mod ais;
pub mod j1p;
pub mod xml;
