//! Typed rows of the tables the connector reads (docs/jde-tables.md), decoded from GRID_DATA
//! rowsets: `<TABLE>_<ALIAS>` keys, `yyyyMMdd` dates, JSON numbers with decimals applied
//! (read as exact [`Decimal`] from the number's text, never through `f64`), padded strings
//! (trimmed here).

use std::str::FromStr;

use jiff::civil::Date;
use mlc_core::jdetime::{JdeStamp, TimeOfDay, parse_yyyymmdd};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::error::JdeError;

/// A typed row of one JDE table.
pub trait JdeRow: Sized + Send + 'static {
    /// Table name (`F4301`).
    const TABLE: &'static str;
    /// Column aliases requested when the query names none.
    const COLUMNS: &'static [&'static str];
    /// Columns holding dates: their `yyyyMMdd` values are turned back into user-format date
    /// literals when paging by keyset.
    const DATE_COLUMNS: &'static [&'static str] = &[];
    /// Decodes one rowset entry; `index` is its position in the page (for error messages).
    fn decode(row: &Map<String, Value>, index: usize) -> Result<Self, JdeError>;
}

/// Reads the cells of one row, naming table, row and field in every error.
pub(crate) struct Cells<'a> {
    table: &'static str,
    row: &'a Map<String, Value>,
    index: usize,
}

impl<'a> Cells<'a> {
    pub(crate) fn new(table: &'static str, row: &'a Map<String, Value>, index: usize) -> Self {
        Self { table, row, index }
    }

    fn get(&self, alias: &str) -> Option<&'a Value> {
        self.row
            .get(&format!("{}_{alias}", self.table))
            .filter(|v| !v.is_null())
    }

    fn err(&self, alias: &str, reason: impl Into<String>) -> JdeError {
        JdeError::Decode {
            table: self.table,
            row: self.index,
            field: format!("{}_{alias}", self.table),
            reason: reason.into(),
        }
    }

    /// A string column, trimmed (JDE pads; business units are right-justified). Absent or
    /// null is JDE blank. A number is accepted as its text (some DD items are numeric strings).
    pub(crate) fn string(&self, alias: &str) -> Result<String, JdeError> {
        match self.get(alias) {
            None => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.trim().to_owned()),
            Some(Value::Number(n)) => Ok(n.to_string()),
            Some(other) => Err(self.err(alias, format!("expected text, got {}", kind(other)))),
        }
    }

    fn number_text(&self, alias: &str) -> Result<Option<String>, JdeError> {
        match self.get(alias) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(other) => Err(self.err(alias, format!("expected a number, got {}", kind(other)))),
        }
    }

    /// A required integer (address numbers, document numbers).
    pub(crate) fn int(&self, alias: &str) -> Result<i64, JdeError> {
        self.opt_int(alias)?
            .ok_or_else(|| self.err(alias, "missing (required number)"))
    }

    /// An optional integer (absent, null or blank = `None`).
    pub(crate) fn opt_int(&self, alias: &str) -> Result<Option<i64>, JdeError> {
        let Some(t) = self.number_text(alias)? else {
            return Ok(None);
        };
        if let Ok(n) = t.parse::<i64>() {
            return Ok(Some(n));
        }
        // `4512.0` is still an integer; `4512.5` is not.
        match parse_decimal(&t) {
            Some(d) if d.fract().is_zero() => i64::try_from(d.trunc())
                .map(Some)
                .map_err(|_| self.err(alias, format!("integer out of range: {t}"))),
            _ => Err(self.err(alias, format!("expected an integer, got {t:?}"))),
        }
    }

    /// A required exact decimal from the JSON number's own text.
    pub(crate) fn dec(&self, alias: &str) -> Result<Decimal, JdeError> {
        self.opt_dec(alias)?
            .ok_or_else(|| self.err(alias, "missing (required amount)"))
    }

    /// An optional exact decimal.
    pub(crate) fn opt_dec(&self, alias: &str) -> Result<Option<Decimal>, JdeError> {
        let Some(t) = self.number_text(alias)? else {
            return Ok(None);
        };
        parse_decimal(&t)
            .map(Some)
            .ok_or_else(|| self.err(alias, format!("not a decimal number: {t:?}")))
    }

    /// A `yyyyMMdd` date; blank or absent = `None`.
    pub(crate) fn date(&self, alias: &str) -> Result<Option<Date>, JdeError> {
        let t = match self.get(alias) {
            None => return Ok(None),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(other) => {
                return Err(self.err(
                    alias,
                    format!("expected a yyyyMMdd date, got {}", kind(other)),
                ));
            }
        };
        parse_yyyymmdd(&t).map_err(|e| self.err(alias, e.to_string()))
    }

    /// A `HHMMSS` time; absent = midnight (tables without a time column).
    pub(crate) fn time(&self, alias: &str) -> Result<TimeOfDay, JdeError> {
        match self.opt_int(alias)? {
            None => Ok(TimeOfDay::MIDNIGHT),
            Some(n) => u32::try_from(n)
                .map_err(|_| self.err(alias, format!("negative time {n}")))
                .and_then(|n| TimeOfDay::from_raw(n).map_err(|e| self.err(alias, e.to_string()))),
        }
    }

    /// The last-update stamp `(date, time)`; `None` when the date is blank.
    pub(crate) fn stamp(
        &self,
        date: &str,
        time: Option<&str>,
    ) -> Result<Option<JdeStamp>, JdeError> {
        let Some(d) = self.date(date)? else {
            return Ok(None);
        };
        let t = match time {
            Some(t) => self.time(t)?,
            None => TimeOfDay::MIDNIGHT,
        };
        Ok(Some(JdeStamp::new(d, t)))
    }
}

/// Exact decimal from number text, including exponent forms a JSON number may take.
pub(crate) fn parse_decimal(t: &str) -> Option<Decimal> {
    Decimal::from_str(t)
        .ok()
        .or_else(|| Decimal::from_scientific(t).ok())
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

macro_rules! jde_row {
    (
        $(#[$m:meta])*
        $name:ident, $table:literal,
        columns [$($col:literal),* $(,)?],
        dates [$($dcol:literal),* $(,)?],
        |$c:ident| { $( $(#[$fm:meta])* $field:ident : $ty:ty = $e:expr ),* $(,)? }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct $name {
            $( $(#[$fm])* pub $field: $ty, )*
        }

        impl JdeRow for $name {
            const TABLE: &'static str = $table;
            const COLUMNS: &'static [&'static str] = &[$($col),*];
            const DATE_COLUMNS: &'static [&'static str] = &[$($dcol),*];
            fn decode(row: &Map<String, Value>, index: usize) -> Result<Self, JdeError> {
                let $c = Cells::new($table, row, index);
                Ok(Self { $( $field: $e, )* })
            }
        }
    };
}

jde_row! {
    /// F0101 Address Book Master.
    F0101Row, "F0101",
    columns ["AN8", "ALPH", "TAX", "AT1", "UPMJ", "UPMT"],
    dates ["UPMJ"],
    |c| {
        /// Address number.
        an8: i64 = c.int("AN8")?,
        /// Alpha name.
        alph: String = c.string("ALPH")?,
        /// Tax id.
        tax: String = c.string("TAX")?,
        /// Search type (`V` supplier).
        at1: String = c.string("AT1")?,
        /// Last update (UPMJ + UPMT).
        updated: Option<JdeStamp> = c.stamp("UPMJ", Some("UPMT"))?,
    }
}

jde_row! {
    /// F0401 Supplier Master.
    F0401Row, "F0401",
    columns ["AN8", "CRRP", "HDPY", "TRAP", "UPMJ", "UPMT"],
    dates ["UPMJ"],
    |c| {
        /// Supplier address number.
        an8: i64 = c.int("AN8")?,
        /// Default A/P currency.
        crrp: String = c.string("CRRP")?,
        /// Hold payment code (non-blank = on hold).
        hdpy: String = c.string("HDPY")?,
        /// Payment terms.
        trap: String = c.string("TRAP")?,
        /// Last update (UPMJ + UPMT).
        updated: Option<JdeStamp> = c.stamp("UPMJ", Some("UPMT"))?,
    }
}

jde_row! {
    /// F0116 Address by Date (effective-dated addresses).
    F0116Row, "F0116",
    columns ["AN8", "EFTB", "ADD1", "ADD2", "ADD3", "ADD4", "CTY1", "ADDS", "ADDZ", "CTR", "UPMJ",
             "UPMT"],
    dates ["EFTB", "UPMJ"],
    |c| {
        /// Address number.
        an8: i64 = c.int("AN8")?,
        /// Beginning effective date (blank = always).
        eftb: Option<Date> = c.date("EFTB")?,
        /// Address line 1.
        add1: String = c.string("ADD1")?,
        /// Address line 2.
        add2: String = c.string("ADD2")?,
        /// Address line 3.
        add3: String = c.string("ADD3")?,
        /// Address line 4.
        add4: String = c.string("ADD4")?,
        /// City.
        cty1: String = c.string("CTY1")?,
        /// State.
        adds: String = c.string("ADDS")?,
        /// Postal code.
        addz: String = c.string("ADDZ")?,
        /// Country.
        ctr: String = c.string("CTR")?,
        /// Last update (UPMJ + UPMT).
        updated: Option<JdeStamp> = c.stamp("UPMJ", Some("UPMT"))?,
    }
}

jde_row! {
    /// F01151 Electronic Address (e-mail).
    F01151Row, "F01151",
    columns ["AN8", "IDLN", "RCK7", "ETP", "EMAL", "UPMJ", "UPMT"],
    dates ["UPMJ"],
    |c| {
        /// Address number.
        an8: i64 = c.int("AN8")?,
        /// Who's who line.
        idln: i64 = c.opt_int("IDLN")?.unwrap_or(0),
        /// Line number.
        rck7: i64 = c.opt_int("RCK7")?.unwrap_or(0),
        /// Electronic address type (`E` e-mail).
        etp: String = c.string("ETP")?,
        /// The address.
        emal: String = c.string("EMAL")?,
        /// Last update (UPMJ + UPMT).
        updated: Option<JdeStamp> = c.stamp("UPMJ", Some("UPMT"))?,
    }
}

jde_row! {
    /// F0006 Business Unit Master.
    F0006Row, "F0006",
    columns ["MCU", "CO", "DL01", "STYL", "PECC", "UPMJ"],
    dates ["UPMJ"],
    |c| {
        /// Business unit (trimmed).
        mcu: String = c.string("MCU")?,
        /// Company.
        co: String = c.string("CO")?,
        /// Description.
        dl01: String = c.string("DL01")?,
        /// BU type.
        styl: String = c.string("STYL")?,
        /// Posting edit (blank = open for posting; `N`, `K`, ... = closed).
        pecc: String = c.string("PECC")?,
        /// Date last updated.
        updated: Option<JdeStamp> = c.stamp("UPMJ", None)?,
    }
}

jde_row! {
    /// F0901 Account Master.
    F0901Row, "F0901",
    columns ["AID", "CO", "MCU", "OBJ", "SUB", "DL01", "PEC", "UPMJ"],
    dates ["UPMJ"],
    |c| {
        /// Short account id.
        aid: String = c.string("AID")?,
        /// Company.
        co: String = c.string("CO")?,
        /// Business unit.
        mcu: String = c.string("MCU")?,
        /// Object account.
        obj: String = c.string("OBJ")?,
        /// Subsidiary.
        sub: String = c.string("SUB")?,
        /// Description.
        dl01: String = c.string("DL01")?,
        /// Posting edit (blank = postable).
        pec: String = c.string("PEC")?,
        /// Date last updated.
        updated: Option<JdeStamp> = c.stamp("UPMJ", None)?,
    }
}

jde_row! {
    /// F0010 Company Constants.
    F0010Row, "F0010",
    columns ["CO", "NAME", "CRCD", "DFYJ", "PNC", "DTPN", "APFJ", "APPN"],
    dates ["DFYJ", "APFJ"],
    |c| {
        /// Company.
        co: String = c.string("CO")?,
        /// Name.
        name: String = c.string("NAME")?,
        /// Company currency.
        crcd: String = c.string("CRCD")?,
        /// Fiscal year start.
        dfyj: Option<Date> = c.date("DFYJ")?,
        /// Current period number (General Ledger).
        pnc: i64 = c.opt_int("PNC")?.unwrap_or(0),
        /// Fiscal date pattern (F0008 `DTPN`); blank = `R`, calendar months.
        dtpn: String = c.string("DTPN")?,
        /// Start of the A/P fiscal year (blank = `DFYJ`).
        apfj: Option<Date> = c.date("APFJ")?,
        /// A/P current period (0 = the G/L period).
        appn: i64 = c.opt_int("APPN")?.unwrap_or(0),
    }
}

jde_row! {
    /// F0008 Date Fiscal Patterns: one fiscal year of one pattern, with its period end dates.
    F0008Row, "F0008",
    columns ["DTPN", "DFYJ", "D01J", "D02J", "D03J", "D04J", "D05J", "D06J", "D07J", "D08J",
             "D09J", "D10J", "D11J", "D12J", "D13J", "D14J"],
    dates ["DFYJ", "D01J", "D02J", "D03J", "D04J", "D05J", "D06J", "D07J", "D08J", "D09J",
           "D10J", "D11J", "D12J", "D13J", "D14J"],
    |c| {
        /// Fiscal date pattern.
        dtpn: String = c.string("DTPN")?,
        /// First day of the fiscal year.
        dfyj: Option<Date> = c.date("DFYJ")?,
        /// End of periods 1..14 (blank when unused).
        ends: Vec<Option<Date>> = ["D01J", "D02J", "D03J", "D04J", "D05J", "D06J", "D07J",
            "D08J", "D09J", "D10J", "D11J", "D12J", "D13J", "D14J"]
            .iter()
            .map(|a| c.date(a))
            .collect::<Result<Vec<_>, _>>()?,
    }
}

jde_row! {
    /// F0013 Currency Codes.
    F0013Row, "F0013",
    columns ["CRCD", "CDEC", "DL01"],
    dates [],
    |c| {
        /// Currency code.
        crcd: String = c.string("CRCD")?,
        /// Decimals.
        cdec: u32 = {
            let n = c.int("CDEC")?;
            u32::try_from(n).ok().filter(|n| *n <= 28).ok_or_else(|| c.err("CDEC", format!("currency decimals out of range: {n}")))?
        },
        /// Description.
        dl01: String = c.string("DL01")?,
    }
}

jde_row! {
    /// F4301 Purchase Order Header.
    F4301Row, "F4301",
    columns ["KCOO", "DOCO", "DCTO", "SFXO", "MCU", "AN8", "SHAN", "TRDJ", "DRQJ", "PDDJ", "PTC",
             "ANBY", "ORBY", "CRRM", "CRCD", "HOLD", "OTOT", "UPMJ", "TDAY"],
    dates ["TRDJ", "DRQJ", "PDDJ", "UPMJ"],
    |c| {
        /// Order company.
        kcoo: String = c.string("KCOO")?,
        /// Order number.
        doco: i64 = c.int("DOCO")?,
        /// Order type.
        dcto: String = c.string("DCTO")?,
        /// Order suffix.
        sfxo: String = c.string("SFXO")?,
        /// Business unit.
        mcu: String = c.string("MCU")?,
        /// Supplier.
        an8: i64 = c.int("AN8")?,
        /// Ship-to address number (0 when blank).
        shan: i64 = c.opt_int("SHAN")?.unwrap_or(0),
        /// Order date.
        trdj: Option<Date> = c.date("TRDJ")?,
        /// Requested date.
        drqj: Option<Date> = c.date("DRQJ")?,
        /// Promised delivery date.
        pddj: Option<Date> = c.date("PDDJ")?,
        /// Payment terms code.
        ptc: String = c.string("PTC")?,
        /// Buyer's address number (0 when blank).
        anby: i64 = c.opt_int("ANBY")?.unwrap_or(0),
        /// Ordered by (originator, a user id).
        orby: String = c.string("ORBY")?,
        /// Currency mode: `F` when the order is in a foreign currency (amounts in F4311
        /// FRRC/FEA), `D` or blank when domestic.
        crrm: String = c.string("CRRM")?,
        /// Currency of the order (the foreign one when `crrm` is `F`).
        crcd: String = c.string("CRCD")?,
        /// Hold code (blank = not on hold).
        hold: String = c.string("HOLD")?,
        /// Order gross amount.
        otot: Decimal = c.dec("OTOT")?,
        /// Last update (UPMJ + TDAY).
        updated: Option<JdeStamp> = c.stamp("UPMJ", Some("TDAY"))?,
    }
}

jde_row! {
    /// F4311 Purchase Order Detail.
    F4311Row, "F4311",
    columns ["KCOO", "DOCO", "DCTO", "SFXO", "LNID", "MCU", "AN8", "LITM", "DSC1", "DSC2", "LNTY",
             "UORG", "UOM", "PRRC", "AEXP", "UREC", "UOPN", "FRRC", "FEA", "ANI", "OMCU", "OBJ", "SUB",
             "NXTR", "LTTR", "DRQJ", "PDDJ", "UPMJ", "TDAY"],
    dates ["DRQJ", "PDDJ", "UPMJ"],
    |c| {
        /// Order company.
        kcoo: String = c.string("KCOO")?,
        /// Order number.
        doco: i64 = c.int("DOCO")?,
        /// Order type.
        dcto: String = c.string("DCTO")?,
        /// Order suffix.
        sfxo: String = c.string("SFXO")?,
        /// Line number (1, 1.5...).
        lnid: Decimal = c.dec("LNID")?,
        /// Branch/plant.
        mcu: String = c.string("MCU")?,
        /// Supplier.
        an8: i64 = c.opt_int("AN8")?.unwrap_or(0),
        /// Second item number.
        litm: String = c.string("LITM")?,
        /// Description 1.
        dsc1: String = c.string("DSC1")?,
        /// Description 2.
        dsc2: String = c.string("DSC2")?,
        /// Line type (`S` stock, `N` non-stock, `J` job cost, ...: the customer's F40205).
        lnty: String = c.string("LNTY")?,
        /// Quantity ordered.
        uorg: Decimal = c.dec("UORG")?,
        /// Unit of measure.
        uom: String = c.string("UOM")?,
        /// Unit cost.
        prrc: Decimal = c.dec("PRRC")?,
        /// Extended price.
        aexp: Decimal = c.dec("AEXP")?,
        /// Quantity received (zero when blank).
        urec: Decimal = c.opt_dec("UREC")?.unwrap_or(Decimal::ZERO),
        /// Quantity open (zero when blank).
        uopn: Decimal = c.opt_dec("UOPN")?.unwrap_or(Decimal::ZERO),
        /// Foreign unit cost (zero when blank: a domestic order).
        frrc: Decimal = c.opt_dec("FRRC")?.unwrap_or(Decimal::ZERO),
        /// Foreign extended price (zero when blank: a domestic order).
        fea: Decimal = c.opt_dec("FEA")?.unwrap_or(Decimal::ZERO),
        /// Account number as entered.
        ani: String = c.string("ANI")?,
        /// Account business unit.
        omcu: String = c.string("OMCU")?,
        /// Object account.
        obj: String = c.string("OBJ")?,
        /// Subsidiary.
        sub: String = c.string("SUB")?,
        /// Next status.
        nxtr: String = c.string("NXTR")?,
        /// Last status.
        lttr: String = c.string("LTTR")?,
        /// Requested date.
        drqj: Option<Date> = c.date("DRQJ")?,
        /// Promised delivery date.
        pddj: Option<Date> = c.date("PDDJ")?,
        /// Last update (UPMJ + TDAY).
        updated: Option<JdeStamp> = c.stamp("UPMJ", Some("TDAY"))?,
    }
}

jde_row! {
    /// F43121 Purchase Order Receiver File: receipt rows (`MATC = 1`) carry what was received
    /// and what of it is still open to voucher (`UOPN`/`AOPN`); each voucher match adds a row
    /// (`MATC = 2`) naming the voucher (`DOC`/`DCT`/`KCO`).
    F43121Row, "F43121",
    columns ["MATC", "KCOO", "DOCO", "DCTO", "SFXO", "LNID", "NLIN", "DOC", "DCT", "KCO", "AN8",
             "RCDJ", "UREC", "AREC", "UOPN", "AOPN", "FAP", "CRCD", "UPMJ"],
    dates ["RCDJ", "UPMJ"],
    |c| {
        /// Match type: `1` receipt, `2` voucher match.
        matc: String = c.string("MATC")?,
        /// Order company.
        kcoo: String = c.string("KCOO")?,
        /// Order number.
        doco: i64 = c.int("DOCO")?,
        /// Order type.
        dcto: String = c.string("DCTO")?,
        /// Order suffix.
        sfxo: String = c.string("SFXO")?,
        /// PO line (1, 1.5...).
        lnid: Decimal = c.dec("LNID")?,
        /// Receipt line (several receipts of one PO line are numbered 1, 2...).
        nlin: Decimal = c.opt_dec("NLIN")?.unwrap_or_default(),
        /// Receipt document, or the voucher on a match row.
        doc: i64 = c.opt_int("DOC")?.unwrap_or(0),
        /// Its document type (`OV` receipt, `PV` voucher).
        dct: String = c.string("DCT")?,
        /// Its company.
        kco: String = c.string("KCO")?,
        /// Supplier.
        an8: i64 = c.opt_int("AN8")?.unwrap_or(0),
        /// Date received.
        rcdj: Option<Date> = c.date("RCDJ")?,
        /// Quantity received (on a match row: quantity vouchered).
        urec: Decimal = c.opt_dec("UREC")?.unwrap_or_default(),
        /// Amount received (on a match row: amount vouchered).
        arec: Decimal = c.opt_dec("AREC")?.unwrap_or_default(),
        /// Quantity received and not yet vouchered.
        uopn: Decimal = c.opt_dec("UOPN")?.unwrap_or_default(),
        /// Amount received and not yet vouchered.
        aopn: Decimal = c.opt_dec("AOPN")?.unwrap_or_default(),
        /// Foreign amount received and not yet vouchered (a foreign order).
        fap: Decimal = c.opt_dec("FAP")?.unwrap_or_default(),
        /// Currency.
        crcd: String = c.string("CRCD")?,
        /// Date last updated.
        updated: Option<Date> = c.date("UPMJ")?,
    }
}

jde_row! {
    /// F0401 Supplier Master, the Voucher Match Automation rule only (read when
    /// `match_rule = ""` to know whether the supplier's rule needs a receipt).
    F0401MatchRow, "F0401",
    columns ["AN8", "ATRL"],
    dates [],
    |c| {
        /// Supplier address number.
        an8: i64 = c.int("AN8")?,
        /// Automation rule (`01`–`09`, blank = none).
        atrl: String = c.string("ATRL")?,
    }
}

jde_row! {
    /// F0411 A/P Ledger (vouchers).
    F0411Row, "F0411",
    columns ["KCO", "DOC", "DCT", "SFX", "AN8", "VINV", "DIVJ", "DGJ", "ICU", "CO", "AG", "CRCD",
             "CRRM", "ACR", "PST", "MCU", "UPMJ"],
    dates ["DIVJ", "DGJ", "UPMJ"],
    |c| {
        /// Document company.
        kco: String = c.string("KCO")?,
        /// Document (voucher) number.
        doc: i64 = c.int("DOC")?,
        /// Document type.
        dct: String = c.string("DCT")?,
        /// Pay item.
        sfx: String = c.string("SFX")?,
        /// Supplier.
        an8: i64 = c.int("AN8")?,
        /// Supplier invoice number.
        vinv: String = c.string("VINV")?,
        /// Invoice date.
        divj: Option<Date> = c.date("DIVJ")?,
        /// G/L date.
        dgj: Option<Date> = c.date("DGJ")?,
        /// Batch number.
        icu: Option<i64> = c.opt_int("ICU")?,
        /// Company.
        co: String = c.string("CO")?,
        /// Gross amount.
        ag: Decimal = c.dec("AG")?,
        /// Currency.
        crcd: String = c.string("CRCD")?,
        /// Currency mode.
        crrm: String = c.string("CRRM")?,
        /// Foreign gross amount.
        acr: Decimal = c.opt_dec("ACR")?.unwrap_or_default(),
        /// Pay status.
        pst: String = c.string("PST")?,
        /// Business unit.
        mcu: String = c.string("MCU")?,
        /// Date last updated.
        updated: Option<JdeStamp> = c.stamp("UPMJ", None)?,
    }
}

jde_row! {
    /// F0411Z1 Voucher batch (our Z rows and their processing outcome).
    F0411Z1Row, "F0411Z1",
    columns ["EDUS", "EDBT", "EDTN", "EDLN", "EDSP", "AN8", "VINV", "DIVJ", "DGJ", "KCO",
             "CO", "AG", "ACR", "CRCD", "CRRM", "DOC", "DCT", "ICU"],
    dates ["DIVJ", "DGJ"],
    |c| {
        /// EDI user.
        edus: String = c.string("EDUS")?,
        /// EDI batch.
        edbt: String = c.string("EDBT")?,
        /// EDI transaction (our voucher id).
        edtn: String = c.string("EDTN")?,
        /// EDI line.
        edln: Decimal = c.dec("EDLN")?,
        /// Processed flag (`1` processed).
        edsp: String = c.string("EDSP")?,
        /// Supplier.
        an8: i64 = c.opt_int("AN8")?.unwrap_or(0),
        /// Supplier invoice number.
        vinv: String = c.string("VINV")?,
        /// Invoice date.
        divj: Option<Date> = c.date("DIVJ")?,
        /// G/L date.
        dgj: Option<Date> = c.date("DGJ")?,
        /// Document company.
        kco: String = c.string("KCO")?,
        /// Company.
        co: String = c.string("CO")?,
        /// Gross amount.
        ag: Decimal = c.opt_dec("AG")?.unwrap_or_default(),
        /// Foreign gross.
        acr: Decimal = c.opt_dec("ACR")?.unwrap_or_default(),
        /// Currency.
        crcd: String = c.string("CRCD")?,
        /// Currency mode.
        crrm: String = c.string("CRRM")?,
        /// Voucher number written back by the processor (`None` while 0/blank).
        doc: Option<i64> = c.opt_int("DOC")?.filter(|d| *d != 0),
        /// Voucher type written back.
        dct: String = c.string("DCT")?,
        /// Batch number written back.
        icu: Option<i64> = c.opt_int("ICU")?.filter(|d| *d != 0),
    }
}

impl F0411Z1Row {
    /// The batch processor turned this row into a voucher.
    pub fn is_processed(&self) -> bool {
        self.edsp == "1"
    }
}

jde_row! {
    /// F0911 Account Ledger (posted distribution).
    F0911Row, "F0911",
    columns ["KCO", "DOC", "DCT", "JELN", "ANI", "MCU", "OBJ", "SUB", "AA", "ACR", "EXA", "LT", "CRCD"],
    dates [],
    |c| {
        /// Document company.
        kco: String = c.string("KCO")?,
        /// Document number.
        doc: i64 = c.int("DOC")?,
        /// Document type.
        dct: String = c.string("DCT")?,
        /// Journal line number.
        jeln: Decimal = c.dec("JELN")?,
        /// Account number as entered.
        ani: String = c.string("ANI")?,
        /// Business unit.
        mcu: String = c.string("MCU")?,
        /// Object account.
        obj: String = c.string("OBJ")?,
        /// Subsidiary.
        sub: String = c.string("SUB")?,
        /// Domestic amount.
        aa: Decimal = c.dec("AA")?,
        /// Foreign amount.
        acr: Decimal = c.opt_dec("ACR")?.unwrap_or_default(),
        /// Explanation.
        exa: String = c.string("EXA")?,
        /// Ledger type.
        lt: String = c.string("LT")?,
        /// Currency.
        crcd: String = c.string("CRCD")?,
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn row(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn amounts_keep_their_exact_text() {
        let r = row(serde_json::from_str(
            r#"{"F4301_DOCO": 4512, "F4301_AN8": 4343, "F4301_OTOT": 1250.10,
                "F4301_KCOO": "00200", "F4301_MCU": "         200", "F4301_UPMJ": "20240301",
                "F4301_TDAY": 141805}"#,
        )
        .unwrap());
        let po = F4301Row::decode(&r, 0).unwrap();
        assert_eq!(po.otot.to_string(), "1250.10");
        assert_eq!(po.mcu, "200");
        let s = po.updated.unwrap();
        assert_eq!(s.date, date(2024, 3, 1));
        assert_eq!(s.time.raw(), 141_805);
    }

    #[test]
    fn errors_name_table_row_and_field() {
        let r = row(serde_json::json!({"F4301_DOCO": "x12", "F4301_AN8": 1, "F4301_OTOT": 1}));
        match F4301Row::decode(&r, 7) {
            Err(JdeError::Decode {
                table, row, field, ..
            }) => {
                assert_eq!((table, row, field.as_str()), ("F4301", 7, "F4301_DOCO"));
            }
            other => panic!("{other:?}"),
        }
        let r = row(
            serde_json::json!({"F4301_DOCO": 1, "F4301_AN8": 1, "F4301_OTOT": 1, "F4301_UPMJ": "2024-03-01"}),
        );
        assert!(
            matches!(F4301Row::decode(&r, 0), Err(JdeError::Decode { field, .. }) if field == "F4301_UPMJ")
        );
        let r = row(serde_json::json!({"F4301_DOCO": 1, "F4301_AN8": 1}));
        assert!(
            matches!(F4301Row::decode(&r, 0), Err(JdeError::Decode { field, .. }) if field == "F4301_OTOT")
        );
    }

    #[test]
    fn line_numbers_and_blank_dates() {
        let r = row(serde_json::from_str(
            r#"{"F4311_DOCO": 1, "F4311_LNID": 1.5, "F4311_UORG": 2, "F4311_PRRC": 12.3456,
                "F4311_AEXP": 24.69, "F4311_UPMJ": ""}"#,
        )
        .unwrap());
        let l = F4311Row::decode(&r, 0).unwrap();
        assert_eq!(l.lnid, dec("1.5"));
        assert_eq!(l.prrc, dec("12.3456"));
        assert_eq!((l.frrc, l.fea), (Decimal::ZERO, Decimal::ZERO));
        assert_eq!(l.updated, None);
    }
}
