//! Fuzz target of the AIS row decoder (issue 16, "Proof at scale"): the GRID_DATA pages of
//! `tests/fixtures` (every table the connector reads), mutated (numbers huge or odd, strings
//! long or not UTF-8, values of the wrong type, rows repeated, deep nesting) or raw bytes,
//! parsed as AIS JSON and every row decoded by every typed row. Property: no panic, no hang,
//! and every refusal is a `JdeError::Decode` naming table, row and field. See
//! docs/reliability.md for the long run.
use mlc_fuzz::run;
use mlc_jde::*;
use serde_json::{Map, Value};

/// Decodes `row` as `R`; `Err` when the refusal does not name the field.
fn check<R: JdeRow>(row: &Map<String, Value>, i: usize) -> Result<bool, String> {
    match R::decode(row, i) {
        Ok(_) => Ok(true),
        Err(JdeError::Decode {
            table, row, field, ..
        }) if table == R::TABLE && row == i && field.starts_with(R::TABLE) => Ok(false),
        Err(e) => Err(format!(
            "{} row {i}: refusal names nothing: {e:?}",
            R::TABLE
        )),
    }
}

/// Decodes `row` as every typed row; `Ok(true)` when the row decodes as its own table's.
fn all_rows(own: &str, row: &Map<String, Value>, i: usize) -> Result<bool, String> {
    let mut ok = false;
    macro_rules! each {
        ($($t:ty),*) => {$(
            let decoded = check::<$t>(row, i)?;
            ok |= decoded && own == <$t>::TABLE;
        )*};
    }
    each!(
        F0006Row, F0008Row, F0010Row, F0013Row, F0101Row, F0116Row, F01151Row, F0401Row, F0411Row,
        F0411Z1Row, F0901Row, F0911Row, F4301Row, F4311Row
    );
    Ok(ok)
}

#[test]
fn fuzz_ais_row_decoder() {
    let seeds = mlc_fuzz::seeds_in(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures")),
        ".json",
    );
    assert!(seeds.len() >= 14, "the fixtures are the seeds");
    run("ais-rows", &seeds, |bytes| {
        // AIS bodies are parsed with serde_json (its recursion limit bounds nesting).
        let Ok(v) = serde_json::from_slice::<Value>(bytes) else {
            return Ok(false);
        };
        let Some(fs) = v.as_object() else {
            return Ok(false);
        };
        let mut any = false;
        for (name, form) in fs {
            let own = name.strip_prefix("fs_DATABROWSE_").unwrap_or("");
            let Some(rowset) = form
                .pointer("/data/gridData/rowset")
                .and_then(Value::as_array)
            else {
                continue;
            };
            for (i, row) in rowset.iter().enumerate() {
                if let Value::Object(m) = row {
                    // Every typed row over every row: the other tables' rows are as foreign
                    // as it gets (no column of theirs, or all of them mistyped).
                    any |= all_rows(own, m, i)?;
                }
            }
        }
        Ok(any)
    });
}
