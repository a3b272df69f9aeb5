//! The other identifiers of Decree 357/2025 (seed 001), beside the product ID. The decree names
//! each one's parts but not their lengths or order (*unconfirmed*), so each layout here is this
//! project's, fixed-width so that an identifier reads back into its parts:
//!
//! - broker certificate: province code (2 digits) + personal ID (12 digits) or foreigner's ID
//!   (`F` + 11 digits) + issue date (`YYYYMMDD`) + certificate number (6 digits) + revoked flag
//!   (`0` in force, `1` revoked): 29 characters;
//! - apartment-management unit: the organisation's tax code (13 digits; a 10-digit code takes the
//!   branch number `000`) + the date of its eligibility notice (`YYYYMMDD`): 21 characters;
//! - housing-support beneficiary: personal ID (12 digits) + beneficiary group (2 digits) +
//!   programme (2 digits): 16 characters.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::Serialize;

use super::IdError;

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

fn date(s: &str, what: &str) -> Result<NaiveDate, IdError> {
    NaiveDate::parse_from_str(s, "%Y%m%d").map_err(|_| IdError::new(format!("{what} `{s}` is not a date YYYYMMDD")))
}

/// Who holds a broker certificate: a Vietnamese citizen's 12-digit personal ID, or a foreigner's ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Holder {
    Personal(String),
    Foreign(String),
}

impl FromStr for Holder {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let t = s.trim().to_ascii_uppercase();
        match t.strip_prefix('F') {
            Some(rest) if digits(rest, 11) => Ok(Holder::Foreign(t)),
            None if digits(&t, 12) => Ok(Holder::Personal(t)),
            _ => Err(IdError::new(format!(
                "`{s}` is neither a 12-digit personal ID nor a foreigner's ID (F and 11 digits)"
            ))),
        }
    }
}

impl Holder {
    pub fn as_str(&self) -> &str {
        match self {
            Holder::Personal(s) | Holder::Foreign(s) => s,
        }
    }
}

/// The electronic ID of a real-estate broker's practising certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokerCertificateId {
    pub province: String,
    pub holder: Holder,
    pub issued_on: NaiveDate,
    pub number: u32,
    pub revoked: bool,
}

impl BrokerCertificateId {
    pub const LEN: usize = 29;

    pub fn new(
        province: &str,
        holder: Holder,
        issued_on: NaiveDate,
        number: u32,
        revoked: bool,
    ) -> Result<Self, IdError> {
        if !digits(province, 2) {
            return Err(IdError::new(format!("province code `{province}` must be 2 digits")));
        }
        if number == 0 || number > 999_999 {
            return Err(IdError::new(format!("certificate number {number} must be from 1 to 999999")));
        }
        Ok(Self { province: province.to_owned(), holder, issued_on, number, revoked })
    }

    /// The same certificate, revoked: the flag is part of the ID, so a revocation changes it.
    pub fn revoke(self) -> Self {
        Self { revoked: true, ..self }
    }
}

impl fmt::Display for BrokerCertificateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flag = if self.revoked { '1' } else { '0' };
        write!(
            f,
            "{}{}{}{:06}{flag}",
            self.province,
            self.holder.as_str(),
            self.issued_on.format("%Y%m%d"),
            self.number
        )
    }
}

impl FromStr for BrokerCertificateId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let t = s.trim().to_ascii_uppercase();
        if t.len() != Self::LEN || !t.is_ascii() {
            return Err(IdError::new(format!(
                "broker certificate ID `{s}` must have {} characters: province (2), personal or foreign ID (12), issue date (8), number (6), revoked flag (1)",
                Self::LEN
            )));
        }
        let revoked = match &t[28..] {
            "0" => false,
            "1" => true,
            other => return Err(IdError::new(format!("revoked flag `{other}` must be 0 (in force) or 1 (revoked)"))),
        };
        let number = t[22..28]
            .parse()
            .map_err(|_| IdError::new(format!("certificate number `{}` must be 6 digits", &t[22..28])))?;
        Self::new(&t[..2], t[2..14].parse()?, date(&t[14..22], "issue date")?, number, revoked)
    }
}

/// The electronic ID of an apartment building's management unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManagementUnitId {
    /// The 13-digit tax code (a 10-digit code with branch `000`).
    pub tax_code: String,
    pub notice_on: NaiveDate,
}

impl ManagementUnitId {
    pub const LEN: usize = 21;

    pub fn new(tax_code: &str, notice_on: NaiveDate) -> Result<Self, IdError> {
        let t = tax_code.trim().replace('-', "");
        let tax_code = match t.len() {
            10 if digits(&t, 10) => format!("{t}000"),
            13 if digits(&t, 13) => t,
            _ => return Err(IdError::new(format!("tax code `{tax_code}` must be 10 or 13 digits"))),
        };
        Ok(Self { tax_code, notice_on })
    }
}

impl fmt::Display for ManagementUnitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.tax_code, self.notice_on.format("%Y%m%d"))
    }
}

impl FromStr for ManagementUnitId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let t = s.trim();
        if t.len() != Self::LEN || !t.is_ascii() {
            return Err(IdError::new(format!(
                "management unit ID `{s}` must have {} characters: tax code (13), notice date (8)",
                Self::LEN
            )));
        }
        Self::new(&t[..13], date(&t[13..], "notice date")?)
    }
}

/// Who a housing-support beneficiary is (its group).
const GROUPS: [(&str, &str); 4] = [
    ("01", "people with meritorious services"),
    ("02", "poor household"),
    ("03", "near-poor household"),
    ("09", "other"),
];
/// The housing-support programme.
const PROGRAMMES: [(&str, &str); 3] = [
    ("01", "housing for people with meritorious services"),
    ("02", "housing for poor and near-poor households"),
    ("09", "other support programme"),
];

/// The electronic ID of a person who benefits from a housing-support programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BeneficiaryId {
    pub personal_id: String,
    pub group: &'static str,
    pub programme: &'static str,
}

impl BeneficiaryId {
    pub const LEN: usize = 16;

    pub fn new(personal_id: &str, group: &str, programme: &str) -> Result<Self, IdError> {
        if !digits(personal_id, 12) {
            return Err(IdError::new(format!("personal ID `{personal_id}` must be 12 digits")));
        }
        let find = |table: &[(&'static str, &str)], code: &str, what: &str| {
            table.iter().find(|(c, _)| *c == code).map(|(c, _)| *c).ok_or_else(|| {
                let known: Vec<String> = table.iter().map(|(c, n)| format!("{c} ({n})")).collect();
                IdError::new(format!("{what} `{code}` must be one of {}", known.join(", ")))
            })
        };
        Ok(Self {
            personal_id: personal_id.to_owned(),
            group: find(&GROUPS, group, "beneficiary group")?,
            programme: find(&PROGRAMMES, programme, "programme")?,
        })
    }
}

impl fmt::Display for BeneficiaryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.personal_id, self.group, self.programme)
    }
}

impl FromStr for BeneficiaryId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let t = s.trim();
        if t.len() != Self::LEN || !t.is_ascii() {
            return Err(IdError::new(format!(
                "beneficiary ID `{s}` must have {} characters: personal ID (12), group (2), programme (2)",
                Self::LEN
            )));
        }
        Self::new(&t[..12], &t[12..14], &t[14..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_broker_certificate_id_reads_back_into_its_parts() {
        let id =
            BrokerCertificateId::new("01", "001099000111".parse().unwrap(), day("2026-03-01"), 123, false).unwrap();
        assert_eq!(id.to_string(), "01001099000111202603010001230");
        assert_eq!(id.to_string().len(), BrokerCertificateId::LEN);
        assert_eq!(id.to_string().parse::<BrokerCertificateId>().unwrap(), id);
        let revoked = id.clone().revoke();
        assert_eq!(revoked.to_string(), "01001099000111202603010001231");
        let foreign =
            BrokerCertificateId::new("79", "f12345678901".parse().unwrap(), day("2025-12-31"), 7, false).unwrap();
        assert_eq!(
            foreign.to_string().parse::<BrokerCertificateId>().unwrap().holder,
            Holder::Foreign("F12345678901".into())
        );
        for (bad, says) in [
            ("0100109900011120260301000123", "29 characters"),
            ("01001099000111202613010001230", "issue date"),
            ("01001099000111202603010001232", "revoked flag"),
            ("0A001099000111202603010001230", "province code"),
            ("01X01099000111202603010001230", "foreigner's ID"),
            ("01001099000111202603010000000", "from 1 to 999999"),
        ] {
            let e = bad.parse::<BrokerCertificateId>().unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn a_management_unit_id_pads_a_ten_digit_tax_code() {
        let id = ManagementUnitId::new("0101234567", day("2026-05-20")).unwrap();
        assert_eq!(id.to_string(), "010123456700020260520");
        assert_eq!(id.to_string().parse::<ManagementUnitId>().unwrap(), id);
        assert_eq!(ManagementUnitId::new("0101234567-001", day("2026-05-20")).unwrap().tax_code, "0101234567001");
        assert!(ManagementUnitId::new("12345", day("2026-05-20")).unwrap_err().to_string().contains("10 or 13 digits"));
        assert!("010123456700020261320".parse::<ManagementUnitId>().unwrap_err().to_string().contains("notice date"));
    }

    #[test]
    fn a_beneficiary_id_names_a_known_group_and_programme() {
        let id = BeneficiaryId::new("001099000111", "02", "02").unwrap();
        assert_eq!(id.to_string(), "0010990001110202");
        assert_eq!(id.to_string().parse::<BeneficiaryId>().unwrap(), id);
        assert!(
            BeneficiaryId::new("001099000111", "05", "02").unwrap_err().to_string().contains("beneficiary group `05`")
        );
        assert!("00109900011102".parse::<BeneficiaryId>().unwrap_err().to_string().contains("16 characters"));
    }
}
