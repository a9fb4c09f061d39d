//! Every typed row decodes its fixture (a GRID_DATA page as AIS returns it) exactly.

use mlc_jde::*;
use serde_json::{Map, Value};

fn first_row(table: &str) -> Map<String, Value> {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/{table}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v[format!("fs_DATABROWSE_{table}")]["data"]["gridData"]["rowset"][0]
        .as_object()
        .unwrap()
        .clone()
}

fn decode<R: JdeRow>() -> R {
    let row = first_row(R::TABLE);
    for c in R::COLUMNS {
        assert!(
            row.contains_key(&format!("{}_{c}", R::TABLE)),
            "{} fixture lacks {c}",
            R::TABLE
        );
    }
    R::decode(&row, 0).unwrap()
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}
use rust_decimal::Decimal;

#[test]
fn every_row_type_decodes_its_fixture() {
    let r: F0101Row = decode();
    assert_eq!(
        (r.an8, r.alph.as_str(), r.at1.as_str()),
        (4343, "Acme Widgets Ltd", "V")
    );
    assert_eq!(r.updated.unwrap().to_cursor(), "126060:141805");
    let r: F0401Row = decode();
    assert_eq!((r.hdpy.as_str(), r.trap.as_str()), ("", "N30"));
    let r: F0116Row = decode();
    assert_eq!(
        (r.eftb, r.cty1.as_str(), r.ctr.as_str()),
        (None, "Denver", "US")
    );
    let r: F01151Row = decode();
    assert_eq!(
        (r.etp.as_str(), r.emal.as_str(), r.rck7),
        ("E", "ap@acme.example", 1)
    );
    let r: F0006Row = decode();
    assert_eq!((r.mcu.as_str(), r.co.as_str()), ("200", "00200"));
    let r: F0901Row = decode();
    assert_eq!(
        (r.aid.as_str(), r.obj.as_str(), r.pec.as_str()),
        ("00001234", "6110", "")
    );
    let r: F0010Row = decode();
    assert_eq!((r.crcd.as_str(), r.pnc), ("USD", 3));
    assert_eq!(r.dfyj, Some(jiff::civil::date(2026, 1, 1)));
    assert_eq!((r.dtpn.as_str(), r.appn), ("F", 2));
    assert_eq!(r.apfj, Some(jiff::civil::date(2026, 1, 1)));
    // A 4-4-5 year: 12 period ends, 13 and 14 repeat the last one.
    let r: F0008Row = decode();
    assert_eq!(
        (r.dtpn.as_str(), r.dfyj),
        ("F", Some(jiff::civil::date(2026, 1, 1)))
    );
    assert_eq!(r.ends.len(), 14);
    assert_eq!(r.ends[9], Some(jiff::civil::date(2026, 10, 28)));
    assert_eq!(r.ends[13], Some(jiff::civil::date(2026, 12, 31)));
    let r: F0013Row = decode();
    assert_eq!((r.crcd.as_str(), r.cdec), ("JPY", 0));
    let r: F4301Row = decode();
    assert_eq!(r.otot.to_string(), "1250.10", "exact text, not through f64");
    assert_eq!((r.doco, r.dcto.as_str(), r.hold.as_str()), (4512, "OP", ""));
    let r: F4311Row = decode();
    assert_eq!(
        (r.lnid, r.prrc, r.aexp),
        (d("1.5"), d("12.3456"), d("123.46"))
    );
    assert_eq!((r.nxtr.as_str(), r.omcu.as_str()), ("400", "200"));
    let r: F0411Row = decode();
    assert_eq!(
        (r.doc, r.ag.to_string().as_str(), r.icu),
        (198455, "1102.50", Some(5001))
    );
    let r: F0411Z1Row = decode();
    assert!(r.is_processed());
    assert_eq!((r.doc, r.edln), (Some(198455), d("1")));
    let r: F0911Row = decode();
    assert_eq!(
        (r.aa.to_string().as_str(), r.lt.as_str()),
        ("1000.00", "AA")
    );
}
