//! In-memory JDE tables: column definitions (data dictionary aliases and kinds), compact cells
//! and the GRID_DATA wire encoding of a row.
//!
//! Rows are stored as boxed slices of [`Cell`]s in the order of the table's column list. A cell
//! is 16 bytes (strings are shared `Arc<String>`s, amounts a mantissa and a scale) so a 100,000
//! PO data set with a million lines stays within a few hundred megabytes.

use std::collections::BTreeMap;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde_json::{Map, Number, Value};

/// How a column is stored and put on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Fixed-width string (declared length); sent trimmed unless trailing padding is on.
    Str(usize),
    /// Business unit: String 12, right-justified (left-padded with blanks) as JDE stores it.
    Bu,
    /// Whole number (address numbers, order numbers, HHMMSS times, counters).
    Int,
    /// Decimal number sent with the scale it is stored with (amounts in currency decimals,
    /// unit costs with 4).
    Num,
    /// Decimal number sent normalized (line numbers: 1.000 → 1, 1.500 → 1.5; quantities).
    Line,
    /// Date, stored as yyyyMMdd (0 = blank), sent as an 8-character string.
    Date,
}

/// One stored value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// Text (already trimmed; padding is applied when encoding).
    Str(Arc<String>),
    /// Whole number or date (yyyyMMdd, 0 = blank).
    Int(i64),
    /// Decimal as mantissa and scale (kept separate from `Decimal` to keep the cell small).
    Dec(i64, u8),
}

impl Cell {
    /// A text cell. Values repeat a lot (company, order type, item, account, status codes), so
    /// they are interned per thread: a million PO lines then share a few thousand strings.
    pub(crate) fn s(text: &str) -> Cell {
        if text.is_empty() {
            return Cell::Str(empty());
        }
        INTERN.with(|m| {
            let mut m = m.borrow_mut();
            if let Some(a) = m.get(text) {
                return Cell::Str(Arc::clone(a));
            }
            let a = Arc::new(text.to_owned());
            // Bounded, so unique values (invoice numbers, names) cannot grow it forever.
            if m.len() < INTERN_CAP {
                m.insert(text.into(), Arc::clone(&a));
            }
            Cell::Str(a)
        })
    }

    pub(crate) fn d(value: Decimal) -> Cell {
        // Amounts in the sim stay far below i64 mantissas; saturate rather than panic if a test
        // feeds something absurd.
        let m = i64::try_from(value.mantissa()).unwrap_or(i64::MAX);
        Cell::Dec(m, value.scale().min(28) as u8)
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            Cell::Str(s) => s.as_str(),
            _ => "",
        }
    }

    pub(crate) fn as_int(&self) -> i64 {
        match self {
            Cell::Int(i) => *i,
            Cell::Dec(m, s) => Decimal::new(*m, u32::from(*s))
                .trunc()
                .try_into()
                .unwrap_or(0),
            Cell::Str(s) => s.trim().parse().unwrap_or(0),
        }
    }

    pub(crate) fn as_dec(&self) -> Decimal {
        match self {
            Cell::Dec(m, s) => Decimal::new(*m, u32::from(*s)),
            Cell::Int(i) => Decimal::from(*i),
            Cell::Str(s) => s.trim().parse().unwrap_or_default(),
        }
    }
}

/// A table definition: name, title and columns (alias, kind, data dictionary title).
#[derive(Debug)]
pub(crate) struct TableDef {
    pub(crate) name: &'static str,
    pub(crate) title: &'static str,
    pub(crate) cols: &'static [(&'static str, Kind, &'static str)],
}

impl TableDef {
    pub(crate) fn col(&self, alias: &str) -> Option<usize> {
        self.cols.iter().position(|(a, _, _)| *a == alias)
    }

    /// Column index; panics only on a programming error inside the simulator (a typo in an
    /// alias literal), which the tests exercise.
    pub(crate) fn c(&self, alias: &str) -> usize {
        self.col(alias)
            .unwrap_or_else(|| panic!("simulator bug: {} has no column {alias}", self.name))
    }
}

/// A table with its rows.
#[derive(Debug)]
pub(crate) struct Table {
    pub(crate) def: &'static TableDef,
    pub(crate) rows: Vec<Box<[Cell]>>,
}

impl Table {
    pub(crate) fn new(def: &'static TableDef) -> Self {
        Table {
            def,
            rows: Vec::new(),
        }
    }

    /// Starts a row with every column at its blank value; the caller sets what it knows.
    pub(crate) fn blank_row(&self) -> Vec<Cell> {
        self.def
            .cols
            .iter()
            .map(|(_, k, _)| match k {
                Kind::Str(_) | Kind::Bu => Cell::Str(empty()),
                Kind::Int | Kind::Date => Cell::Int(0),
                Kind::Num | Kind::Line => Cell::Dec(0, 0),
            })
            .collect()
    }

    /// Inserts a row built from `(alias, cell)` pairs on top of a blank row.
    pub(crate) fn insert(&mut self, values: Vec<(&str, Cell)>) {
        let mut row = self.blank_row();
        let cols = self.def.cols;
        // Callers list values in column order, so look from just after the previous column
        // first (one comparison per value instead of a scan: this is the generator's hot path).
        let mut next = 0;
        for (alias, cell) in values {
            let i = (next..cols.len())
                .chain(0..next)
                .find(|&i| cols[i].0 == alias)
                .unwrap_or_else(|| {
                    panic!("simulator bug: {} has no column {alias}", self.def.name)
                });
            row[i] = cell;
            next = i + 1;
        }
        self.rows.push(row.into_boxed_slice());
    }

    /// Encodes one row as a GRID_DATA object with `<TABLE>_<ALIAS>` keys.
    pub(crate) fn encode(&self, row: &[Cell], proj: &[usize], pad_trailing: bool) -> Value {
        let mut obj = Map::with_capacity(proj.len());
        for &i in proj {
            let (alias, kind, _) = self.def.cols[i];
            obj.insert(
                format!("{}_{}", self.def.name, alias),
                encode_cell(&row[i], kind, pad_trailing),
            );
        }
        Value::Object(obj)
    }

    /// The `columns` map of the grid: row key → data dictionary title.
    pub(crate) fn column_titles(&self, proj: &[usize]) -> Value {
        let mut obj = Map::new();
        for &i in proj {
            let (alias, _, title) = self.def.cols[i];
            obj.insert(
                format!("{}_{}", self.def.name, alias),
                Value::String(title.into()),
            );
        }
        Value::Object(obj)
    }
}

const INTERN_CAP: usize = 100_000;

thread_local! {
    static EMPTY: Arc<String> = Arc::new(String::new());
    static INTERN: std::cell::RefCell<std::collections::HashMap<Box<str>, Arc<String>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// A shared empty string, so blank cells cost no allocation.
pub(crate) fn empty() -> Arc<String> {
    EMPTY.with(Arc::clone)
}

/// Exact JSON number from decimal text (serde_json's arbitrary_precision keeps the digits).
pub(crate) fn json_number(text: &str) -> Value {
    text.parse::<Number>()
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

pub(crate) fn encode_cell(cell: &Cell, kind: Kind, pad_trailing: bool) -> Value {
    match kind {
        Kind::Str(len) => {
            let s = cell.as_str();
            if pad_trailing {
                Value::String(format!("{s:<len$}"))
            } else {
                Value::String(s.to_owned())
            }
        }
        Kind::Bu => Value::String(format!("{:>12}", cell.as_str())),
        Kind::Int => json_number(&cell.as_int().to_string()),
        Kind::Num => json_number(&cell.as_dec().to_string()),
        Kind::Line => json_number(&cell.as_dec().normalize().to_string()),
        Kind::Date => match cell.as_int() {
            0 => Value::String(String::new()),
            d => Value::String(format!("{d:08}")),
        },
    }
}

use Kind::{Bu, Date, Int, Line, Num, Str};

macro_rules! table {
    ($id:ident, $name:literal, $title:literal, [$(($a:literal, $k:expr, $t:literal)),* $(,)?]) => {
        pub(crate) static $id: TableDef = TableDef { name: $name, title: $title, cols: &[$(($a, $k, $t)),*] };
    };
}

table!(
    F0101,
    "F0101",
    "Address Book Master",
    [
        ("AN8", Int, "Address Number"),
        ("ALKY", Str(20), "Long Address Number"),
        ("ALPH", Str(40), "Alpha Name"),
        ("DC", Str(40), "Description - Compressed"),
        ("TAX", Str(20), "Tax ID"),
        ("AT1", Str(3), "Sch Typ"),
        ("MCU", Bu, "Business Unit"),
        ("TAXC", Str(1), "Person/Corp Code"),
        ("AN86", Int, "Factor/Special Payee"),
        ("UPMJ", Date, "Date Updated"),
        ("UPMT", Int, "Time Last Updated"),
        ("USER", Str(10), "User ID"),
    ]
);
table!(
    F0401,
    "F0401",
    "Supplier Master",
    [
        ("AN8", Int, "Address Number"),
        ("APC", Str(4), "G/L Offset"),
        ("MCUP", Bu, "Business Unit - A/P Default"),
        ("OBAP", Str(6), "Object Account - A/P Default"),
        ("CRRP", Str(3), "Currency Code - A/P"),
        ("TRAP", Str(3), "Payment Terms - A/P"),
        ("HDPY", Str(1), "Hold Payment Code"),
        ("ATRL", Str(2), "Automation Rule"),
        ("UPMJ", Date, "Date Updated"),
        ("UPMT", Int, "Time Last Updated"),
    ]
);
table!(
    F0116,
    "F0116",
    "Address by Date",
    [
        ("AN8", Int, "Address Number"),
        ("EFTB", Date, "Beginning Effective Date"),
        ("ADD1", Str(40), "Address Line 1"),
        ("ADD2", Str(40), "Address Line 2"),
        ("ADD3", Str(40), "Address Line 3"),
        ("ADD4", Str(40), "Address Line 4"),
        ("ADDZ", Str(12), "Postal Code"),
        ("CTY1", Str(25), "City"),
        ("ADDS", Str(3), "State"),
        ("CTR", Str(3), "Country"),
        ("UPMJ", Date, "Date Updated"),
        ("UPMT", Int, "Time Last Updated"),
    ]
);
table!(
    F01151,
    "F01151",
    "Electronic Address",
    [
        ("AN8", Int, "Address Number"),
        ("IDLN", Int, "Who's Who Line Number - ID"),
        ("RCK7", Int, "Line Number ID - 5.0"),
        ("ETP", Str(4), "Electronic Address Type"),
        ("EMAL", Str(256), "Electronic Address"),
        ("UPMJ", Date, "Date Updated"),
        ("UPMT", Int, "Time Last Updated"),
    ]
);
table!(
    F0006,
    "F0006",
    "Business Unit Master",
    [
        ("MCU", Bu, "Business Unit"),
        ("STYL", Str(2), "BU Type"),
        ("LDM", Str(1), "LD"),
        ("CO", Str(5), "Company"),
        ("AN8", Int, "Address Number"),
        ("DL01", Str(30), "Description"),
        ("PECC", Str(1), "Posting Edit"),
        ("UPMJ", Date, "Date Updated"),
    ]
);
table!(
    F0901,
    "F0901",
    "Account Master",
    [
        ("AID", Str(8), "Account ID"),
        ("CO", Str(5), "Company"),
        ("MCU", Bu, "Business Unit"),
        ("OBJ", Str(6), "Object Account"),
        ("SUB", Str(8), "Subsidiary"),
        ("DL01", Str(30), "Description"),
        ("LDA", Str(1), "LOD"),
        ("PEC", Str(1), "Posting Edit"),
        ("CRCD", Str(3), "Currency Code"),
        ("UPMJ", Date, "Date Updated"),
    ]
);
table!(
    F0010,
    "F0010",
    "Company Constants",
    [
        ("CO", Str(5), "Company"),
        ("NAME", Str(30), "Name"),
        ("CRCD", Str(3), "Currency Code"),
        ("DFYJ", Date, "Date Fiscal Year Begins"),
        ("PNC", Int, "Current Period"),
        ("DTPN", Str(1), "Fiscal Date Pattern"),
        ("APFJ", Date, "Date - A/P Fiscal Year Begins"),
        ("APPN", Int, "Period Number - A/P"),
        ("UPMJ", Date, "Date Updated"),
    ]
);
table!(
    F0008,
    "F0008",
    "Date Fiscal Patterns",
    [
        ("DTPN", Str(1), "Fiscal Date Pattern"),
        ("DFYJ", Date, "Date Fiscal Year Begins"),
        ("CTRY", Int, "Century"),
        ("FY", Int, "Fiscal Year"),
        ("D01J", Date, "End of Period 01"),
        ("D02J", Date, "End of Period 02"),
        ("D03J", Date, "End of Period 03"),
        ("D04J", Date, "End of Period 04"),
        ("D05J", Date, "End of Period 05"),
        ("D06J", Date, "End of Period 06"),
        ("D07J", Date, "End of Period 07"),
        ("D08J", Date, "End of Period 08"),
        ("D09J", Date, "End of Period 09"),
        ("D10J", Date, "End of Period 10"),
        ("D11J", Date, "End of Period 11"),
        ("D12J", Date, "End of Period 12"),
        ("D13J", Date, "End of Period 13"),
        ("D14J", Date, "End of Period 14"),
        ("UPMJ", Date, "Date Updated"),
    ]
);
table!(
    F0015,
    "F0015",
    "Currency Exchange Rates",
    [
        ("CRCD", Str(3), "From Currency Code"),
        ("CRDC", Str(3), "To Currency Code"),
        ("AN8", Int, "Address Number"),
        ("RTTYP", Str(2), "Exchange Rate Type"),
        ("EFT", Date, "Effective Date"),
        ("CRR", Num, "Multiplier Exchange Rate"),
        ("CRRD", Num, "Divisor Exchange Rate"),
        ("UPMJ", Date, "Date Updated"),
    ]
);
table!(
    F0013,
    "F0013",
    "Currency Codes",
    [
        ("CRCD", Str(3), "Currency Code"),
        ("CDEC", Int, "Currency Decimals"),
        ("DL01", Str(30), "Description"),
    ]
);
table!(
    F4301,
    "F4301",
    "Purchase Order Header",
    [
        ("KCOO", Str(5), "Order Co"),
        ("DOCO", Int, "Order Number"),
        ("DCTO", Str(2), "Or Ty"),
        ("SFXO", Str(3), "Order Suffix"),
        ("MCU", Bu, "Business Unit"),
        ("AN8", Int, "Address Number"),
        ("SHAN", Int, "Ship To"),
        ("TRDJ", Date, "Order Date"),
        ("DRQJ", Date, "Requested Date"),
        ("PDDJ", Date, "Promised Delivery"),
        ("PTC", Str(3), "Payment Terms"),
        ("HOLD", Str(2), "Hold Code"),
        ("OTOT", Num, "Order Gross Amount"),
        ("CRRM", Str(1), "Mode"),
        ("CRCD", Str(3), "Currency Code"),
        ("CRR", Num, "Exchange Rate"),
        ("FAP", Num, "Foreign Open Amount"),
        ("ANBY", Int, "Buyer Number"),
        ("ORBY", Str(10), "Ordered By"),
        ("TKBY", Str(10), "Taken By"),
        ("VR01", Str(25), "Reference"),
        ("USER", Str(10), "User ID"),
        ("UPMJ", Date, "Date Updated"),
        ("TDAY", Int, "Time of Day"),
    ]
);
table!(
    F4311,
    "F4311",
    "Purchase Order Detail File",
    [
        ("KCOO", Str(5), "Order Co"),
        ("DOCO", Int, "Order Number"),
        ("DCTO", Str(2), "Or Ty"),
        ("SFXO", Str(3), "Order Suffix"),
        ("LNID", Line, "Line Number"),
        ("MCU", Bu, "Business Unit"),
        ("AN8", Int, "Address Number"),
        ("ITM", Int, "Short Item No"),
        ("LITM", Str(25), "2nd Item Number"),
        ("DSC1", Str(30), "Description"),
        ("DSC2", Str(30), "Description 2"),
        ("LNTY", Str(2), "Ln Ty"),
        ("UORG", Line, "Quantity Ordered"),
        ("UOM", Str(2), "Tr. UoM"),
        ("PRRC", Num, "Unit Cost"),
        ("AEXP", Num, "Extended Price"),
        ("UREC", Line, "Quantity Received"),
        ("UOPN", Line, "Quantity Open"),
        ("AOPN", Num, "Amount Open"),
        ("AREC", Num, "Amount Received"),
        ("FRRC", Num, "Foreign Unit Cost"),
        ("FEA", Num, "Foreign Extended Price"),
        ("CRCD", Str(3), "Currency Code"),
        ("ANI", Str(29), "Account Number"),
        ("OMCU", Bu, "Account BU"),
        ("OBJ", Str(6), "Obj Acct"),
        ("SUB", Str(8), "Sub"),
        ("NXTR", Str(3), "Next Stat"),
        ("LTTR", Str(3), "Last Stat"),
        ("TRDJ", Date, "Order Date"),
        ("DRQJ", Date, "Requested Date"),
        ("PDDJ", Date, "Promised Delivery"),
        ("UPMJ", Date, "Date Updated"),
        ("TDAY", Int, "Time of Day"),
    ]
);
table!(
    F0411,
    "F0411",
    "Accounts Payable Ledger",
    [
        ("KCO", Str(5), "Document Company"),
        ("DOC", Int, "Document Number"),
        ("DCT", Str(2), "Doc Type"),
        ("SFX", Str(3), "Pay Item"),
        ("AN8", Int, "Address Number"),
        ("PYE", Int, "Payee Address Number"),
        ("VINV", Str(25), "Invoice Number"),
        ("DIVJ", Date, "Invoice Date"),
        ("DGJ", Date, "G/L Date"),
        ("DDJ", Date, "Due Date"),
        ("PTC", Str(3), "Payment Terms"),
        ("ADSC", Num, "Discount Available"),
        ("ICU", Int, "Batch Number"),
        ("ICUT", Str(2), "Batch Type"),
        ("CO", Str(5), "Company"),
        ("PST", Str(1), "Pay Status"),
        ("AG", Num, "Gross Amount"),
        ("AAP", Num, "Open Amount"),
        ("STAM", Num, "Tax Amount"),
        ("CRRM", Str(1), "Mode"),
        ("CRCD", Str(3), "Currency Code"),
        ("CRR", Num, "Exchange Rate"),
        ("ACR", Num, "Foreign Amount"),
        ("MCU", Bu, "Business Unit"),
        ("RMK", Str(30), "Remark"),
        ("PO", Str(8), "Purchase Order"),
        ("PDCT", Str(2), "PO Doc Type"),
        ("PKCO", Str(5), "PO Company"),
        ("UPMJ", Date, "Date Updated"),
        ("UPMT", Int, "Time Last Updated"),
    ]
);
table!(
    F0411Z1,
    "F0411Z1",
    "Voucher Transactions - Batch Upload",
    [
        ("EDUS", Str(10), "EDI - User ID"),
        ("EDBT", Str(15), "EDI - Batch Number"),
        ("EDTN", Str(22), "EDI - Transaction Number"),
        ("EDLN", Line, "EDI - Line Number"),
        ("EDSP", Str(1), "EDI - Successfully Processed"),
        ("EDTC", Str(1), "Transaction Action"),
        ("EDTR", Str(1), "Transaction Type"),
        ("EDER", Str(1), "EDI - Send/Receive Indicator"),
        ("AN8", Int, "Address Number"),
        ("VINV", Str(25), "Invoice Number"),
        ("DIVJ", Date, "Invoice Date"),
        ("DGJ", Date, "G/L Date"),
        ("KCO", Str(5), "Document Company"),
        ("CO", Str(5), "Company"),
        ("AG", Num, "Gross Amount"),
        ("STAM", Num, "Tax Amount"),
        ("CTAM", Num, "Foreign Tax Amount"),
        ("TXA1", Str(10), "Tax Area"),
        ("EXR1", Str(2), "Tax Expl Code"),
        ("ACR", Num, "Foreign Amount"),
        ("CRR", Num, "Exchange Rate"),
        ("CRCD", Str(3), "Currency Code"),
        ("CRRM", Str(1), "Mode"),
        ("MCU", Bu, "Business Unit"),
        ("RMK", Str(30), "Remark"),
        ("PO", Str(8), "Purchase Order"),
        ("PDCT", Str(2), "PO Doc Type"),
        ("PKCO", Str(5), "PO Company"),
        ("PST", Str(1), "Pay Status"),
        ("DDJ", Date, "Due Date"),
        ("PTC", Str(3), "Payment Terms"),
        ("ADSC", Num, "Discount Available"),
        ("ATFLG", Str(1), "Automation Flag"),
        ("ATRL", Str(2), "Automation Rule"),
        ("PSTE", Str(1), "Process Type"),
        ("DOC", Int, "Document Number"),
        ("DCT", Str(2), "Doc Type"),
        ("ICU", Int, "Batch Number"),
        ("UPMJ", Date, "Date Updated"),
        ("UPMT", Int, "Time Last Updated"),
    ]
);
table!(
    F0411Z1T,
    "F0411Z1T",
    "Voucher Transaction Batch Upload - Voucher Match Automation",
    [
        ("EDUS", Str(10), "EDI - User ID"),
        ("EDBT", Str(15), "EDI - Batch Number"),
        ("EDTN", Str(22), "EDI - Transaction Number"),
        ("EDLN", Line, "EDI - Line Number"),
        ("KCOO", Str(5), "Order Co"),
        ("DOCO", Int, "Order Number"),
        ("DCTO", Str(2), "Or Ty"),
        ("SFXO", Str(3), "Order Suffix"),
        ("LNID", Line, "Line Number"),
        ("NLIN", Line, "Number of Lines"),
        ("DOC", Int, "Document Number"),
        ("ITM", Int, "Short Item No"),
        ("LITM", Str(25), "2nd Item Number"),
        ("CITM", Str(25), "Customer/Supplier Item Number"),
        ("STAVM", Str(1), "Invoice Match Status"),
        ("INVLYN", Str(1), "Invoice Line Flag"),
        ("UORG", Line, "Quantity Invoiced"),
        ("UOM", Str(2), "Unit of Measure"),
        ("PRRC", Num, "Unit Cost"),
        ("AEXP", Num, "Extended Price"),
        ("UPMJ", Date, "Date Updated"),
        ("UPMT", Int, "Time Last Updated"),
    ]
);
table!(
    F43121,
    "F43121",
    "Purchase Order Receiver File",
    [
        ("MATC", Str(1), "Match Type"),
        ("AN8", Int, "Address Number"),
        ("KCOO", Str(5), "Order Co"),
        ("DOCO", Int, "Order Number"),
        ("DCTO", Str(2), "Or Ty"),
        ("SFXO", Str(3), "Order Suffix"),
        ("LNID", Line, "Line Number"),
        ("NLIN", Line, "Number of Lines"),
        ("KCO", Str(5), "Document Company"),
        ("DOC", Int, "Document Number"),
        ("DCT", Str(2), "Doc Type"),
        ("SFX", Str(3), "Pay Item"),
        ("RCDJ", Date, "Date Received"),
        ("DGL", Date, "G/L Date"),
        ("UOM", Str(2), "Tr. UoM"),
        ("UORG", Line, "Quantity Ordered"),
        ("UREC", Line, "Quantity Received"),
        ("UOPN", Line, "Quantity Open"),
        ("UPTD", Line, "Quantity Paid to Date"),
        ("UCLO", Line, "Quantity Closed"),
        ("PRRC", Num, "Unit Cost"),
        ("AREC", Num, "Amount Received"),
        ("AOPN", Num, "Amount Open"),
        ("APTD", Num, "Amount Paid to Date"),
        ("ACLO", Num, "Amount Closed"),
        ("CRCD", Str(3), "Currency Code"),
        ("CRR", Num, "Exchange Rate"),
        ("FRRC", Num, "Foreign Unit Cost"),
        ("FREC", Num, "Foreign Amount Received"),
        ("FAP", Num, "Foreign Open Amount"),
        ("FAPT", Num, "Foreign Amount Paid to Date"),
        ("VINV", Str(25), "Invoice Number"),
        ("UPMJ", Date, "Date Updated"),
        ("TDAY", Int, "Time of Day"),
    ]
);
table!(
    F0911Z1,
    "F0911Z1",
    "Journal Entry Transactions - Batch File",
    [
        ("EDUS", Str(10), "EDI - User ID"),
        ("EDBT", Str(15), "EDI - Batch Number"),
        ("EDTN", Str(22), "EDI - Transaction Number"),
        ("EDLN", Line, "EDI - Line Number"),
        ("EDSP", Str(1), "EDI - Successfully Processed"),
        ("CO", Str(5), "Company"),
        ("DGJ", Date, "G/L Date"),
        ("ANI", Str(29), "Account Number"),
        ("AM", Str(1), "Account Mode"),
        ("MCU", Bu, "Business Unit"),
        ("OBJ", Str(6), "Object Account"),
        ("SUB", Str(8), "Subsidiary"),
        ("LT", Str(2), "Ledger Type"),
        ("AA", Num, "Amount"),
        ("ACR", Num, "Foreign Amount"),
        ("EXA", Str(30), "Explanation"),
        ("CRCD", Str(3), "Currency Code"),
        ("UPMJ", Date, "Date Updated"),
        ("UPMT", Int, "Time Last Updated"),
    ]
);
table!(
    F0911,
    "F0911",
    "Account Ledger",
    [
        ("KCO", Str(5), "Document Company"),
        ("DOC", Int, "Document Number"),
        ("DCT", Str(2), "Doc Type"),
        ("DGJ", Date, "G/L Date"),
        ("JELN", Line, "Journal Entry Line Number"),
        ("LT", Str(2), "Ledger Type"),
        ("CO", Str(5), "Company"),
        ("ANI", Str(29), "Account Number"),
        ("AID", Str(8), "Account ID"),
        ("MCU", Bu, "Business Unit"),
        ("OBJ", Str(6), "Object Account"),
        ("SUB", Str(8), "Subsidiary"),
        ("AA", Num, "Amount"),
        ("ACR", Num, "Foreign Amount"),
        ("EXA", Str(30), "Explanation"),
        ("CRCD", Str(3), "Currency Code"),
        ("ICU", Int, "Batch Number"),
        ("AN8", Int, "Address Number"),
        ("VINV", Str(25), "Invoice Number"),
        ("POST", Str(1), "Posted Code"),
        ("UPMJ", Date, "Date Updated"),
        ("UPMT", Int, "Time Last Updated"),
    ]
);

/// Every table the simulator serves, by name.
pub(crate) static ALL: [&TableDef; 18] = [
    &F0101, &F0401, &F0116, &F01151, &F0006, &F0901, &F0010, &F0008, &F0013, &F0015, &F4301,
    &F4311, &F43121, &F0411, &F0411Z1, &F0411Z1T, &F0911Z1, &F0911,
];

/// The simulated database: all tables by name plus next-number counters.
#[derive(Debug)]
pub(crate) struct Db {
    pub(crate) tables: BTreeMap<&'static str, Table>,
    /// Next voucher document number (F0002 next numbers for system 04).
    pub(crate) next_doc: i64,
    /// Next batch number (ICU).
    pub(crate) next_icu: i64,
    /// Next purchase order number.
    pub(crate) next_doco: i64,
    /// Next address book number.
    pub(crate) next_an8: i64,
    /// Next batch job number (F986110 JOBNBR).
    pub(crate) next_job: i64,
    /// Next receipt document number (F43121 DOC of a `MATC = 1` row, document type `OV`).
    pub(crate) next_receipt: i64,
    /// The simulated Work Center: messages per recipient (`EDUS`), oldest first.
    pub(crate) work_center: BTreeMap<String, Vec<crate::jde::WorkCenterMessage>>,
    /// Transactions already turned into vouchers: (EDUS, EDTN) → F0411 DOC. Survives the
    /// purge of the Z rows, like the voucher itself.
    pub(crate) vouchered: BTreeMap<(String, String), i64>,
}

impl Db {
    pub(crate) fn new() -> Self {
        Db {
            tables: ALL.iter().map(|d| (d.name, Table::new(d))).collect(),
            next_doc: 198_000,
            next_icu: 40_000,
            next_doco: 10_000,
            next_an8: 4_001,
            next_job: 5_200,
            next_receipt: 70_000,
            work_center: BTreeMap::new(),
            vouchered: BTreeMap::new(),
        }
    }

    pub(crate) fn t(&self, name: &str) -> &Table {
        &self.tables[name]
    }

    pub(crate) fn tm(&mut self, name: &str) -> &mut Table {
        self.tables
            .get_mut(name)
            .unwrap_or_else(|| panic!("simulator bug: no table {name}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_small() {
        assert!(std::mem::size_of::<Cell>() <= 16);
    }

    #[test]
    fn every_table_has_unique_aliases() {
        for def in ALL {
            let mut seen = std::collections::HashSet::new();
            for (a, _, _) in def.cols {
                assert!(seen.insert(*a), "{} duplicates {a}", def.name);
            }
        }
    }

    #[test]
    fn encoding_is_exact_and_jde_shaped() {
        let amount = "1250.10".parse::<Decimal>().unwrap();
        assert_eq!(
            encode_cell(&Cell::d(amount), Kind::Num, false).to_string(),
            "1250.10"
        );
        let lnid = "1.500".parse::<Decimal>().unwrap();
        assert_eq!(
            encode_cell(&Cell::d(lnid), Kind::Line, false).to_string(),
            "1.5"
        );
        assert_eq!(
            encode_cell(&Cell::s("200"), Kind::Bu, false),
            Value::String("         200".into())
        );
        assert_eq!(
            encode_cell(&Cell::Int(20240301), Kind::Date, false),
            Value::String("20240301".into())
        );
        assert_eq!(
            encode_cell(&Cell::Int(0), Kind::Date, false),
            Value::String(String::new())
        );
        assert_eq!(
            encode_cell(&Cell::s("OP"), Kind::Str(2), true),
            Value::String("OP".into())
        );
        assert_eq!(
            encode_cell(&Cell::s("V"), Kind::Str(3), true),
            Value::String("V  ".into())
        );
    }
}
