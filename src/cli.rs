//! The `diachinh` command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use diachinh::progress::Progress;
use geo::Rect;
use indicatif::{ProgressBar, ProgressStyle};

use diachinh::audit::checkpoint::AuditDir;
use diachinh::calendar::{self, Calendar};
use diachinh::crs::Crs;
use diachinh::import::calendar::CalendarDays;
use diachinh::import::holders::Holders;
use diachinh::import::market::{Addresses, Projects, Units};
use diachinh::import::overlay::{self, Overlay};
use diachinh::import::parcels::{self, ParcelImportOptions};
use diachinh::import::planning::Planning;
use diachinh::import::prices::Prices;
use diachinh::import::source::{Assignment, Field, FieldMapping, SourceOptions};
use diachinh::import::store;
use diachinh::import::store::overlays::Store;
use diachinh::import::transactions::Transactions;
use diachinh::import::zones::CommuneZones;
use diachinh::import::{Action, ImportError, OnDuplicate, OnInvalid, ReportLine};
use diachinh::quality::{self, Thresholds};
use diachinh::samples::SampleKind;
use diachinh::storage::gateway::Actor;
use diachinh::{parcel_id, samples, startup, storage};

#[derive(Parser)]
#[command(
    name = "diachinh",
    version,
    about = "Land parcels, planning and real-estate data for Vietnam: import, store, serve."
)]
pub struct Cli {
    /// PostgreSQL/PostGIS connection, e.g. postgres://user@127.0.0.1:5432/diachinh
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// The audit signing key, its public half and the checkpoints' copy: a directory outside
    /// the database that only the service may read (`serve` creates it).
    #[arg(long, env = "DIACHINH_AUDIT_DIR", global = true, default_value = "var/audit")]
    audit_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create or update the database tables (applies migrations/).
    Migrate,
    /// Load data from files into the database. Every import is all-or-nothing.
    #[command(subcommand)]
    Import(ImportKind),
    /// Serve the map, tiles and APIs over HTTP.
    Serve {
        /// Address and port to listen on.
        #[arg(long, env = "DIACHINH_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Memory for cached vector tiles, in MiB; 0 turns the cache off.
        #[arg(long, env = "DIACHINH_TILE_CACHE_MB", value_name = "N", default_value_t = 256)]
        tile_cache_mb: u64,
        /// A tile-layer catalog (one TOML file per layer) instead of the built-in one.
        #[arg(long, env = "DIACHINH_TILES_DIR")]
        tiles_dir: Option<PathBuf>,
        /// MapLibre styles served at /styles/{name}.json instead of the built-in ones.
        #[arg(long, env = "DIACHINH_STYLES_DIR")]
        styles_dir: Option<PathBuf>,
        /// The URL clients reach the service at (behind a proxy: its public address), which
        /// absolute links start with; by default http:// and the --listen address.
        #[arg(long, env = "DIACHINH_PUBLIC_URL", value_name = "URL")]
        public_url: Option<String>,
        /// Minutes between signed checkpoints of the audit chain.
        #[arg(long, env = "DIACHINH_CHECKPOINT_MINUTES", value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
        checkpoint_minutes: u64,
        /// The open data's bulk files, as `diachinh open-data publish` writes them.
        #[arg(long, env = "DIACHINH_OPEN_DATA_DIR", default_value = "var/open-data")]
        open_data_dir: PathBuf,
        /// An address of its own for /metrics and /health (Prometheus); without it /metrics is
        /// the admin's on the service's address.
        #[arg(long, env = "DIACHINH_METRICS_LISTEN", value_name = "ADDR")]
        metrics_listen: Option<SocketAddr>,
        /// A streaming read replica of the database (repeat for several; the variable takes a
        /// comma-separated list): reads go to replicas that have replayed what the service has
        /// applied, writes and the change feed to the primary (DATABASE_URL).
        #[arg(long = "replica", env = "DIACHINH_REPLICAS", value_name = "URL", value_delimiter = ',')]
        replicas: Vec<String>,
        /// Seconds a request may run before it is answered 503 (a slow query, too much asked).
        #[arg(long, env = "DIACHINH_TIME_LIMIT_S", value_name = "S", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
        time_limit_s: u64,
        /// Answer every feature page (OGC API, WFS, downloads) from PostGIS, none from the
        /// layers in memory: to compare the two, or to rule memory out.
        #[arg(long, env = "DIACHINH_PAGES_FROM_DATABASE")]
        pages_from_database: bool,
    },
    /// Open data: publish the bulk files (GeoPackage, PMTiles) and catalogue the service lists
    /// at /open-data; run on a schedule (deploy/diachinh-open-data.timer).
    #[command(subcommand)]
    OpenData(OpenDataCommand),
    /// Vector tiles: export a PMTiles archive, or warm a running server's tile cache.
    #[command(subcommand)]
    Tiles(TilesCommand),
    /// Officers' accounts, for the registration office. Passwords are read from standard input,
    /// never from the command line.
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// API tokens for programs: issued per account with an expiry and part of its scope,
    /// shown once, kept hashed, revocable.
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// The audit trail: verify its chain, or show entries.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Decree 357's identifiers of brokers' certificates, apartment-management units and
    /// housing-support beneficiaries: make one from its parts, or read one back into them.
    #[command(subcommand)]
    Ids(IdsCommand),
    /// The working-day calendar deadlines are counted on.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Data-quality checks: overlaps, gaps, slivers, area mismatches, parcels outside their
    /// commune, legacy or unplanned land uses, duplicate keys, repaired features, dangling units.
    #[command(subcommand)]
    Quality(QualityCommand),
    /// Writes a consistent backup of the whole database (pg_dump of one snapshot), the audit
    /// keys and checkpoints, and a manifest with row counts, checksums and its own checksum.
    Backup {
        /// A new (or empty) directory, kept apart from the data directory.
        #[arg(long)]
        to: PathBuf,
    },
    /// Restores a backup into an empty database, refusing a corrupted or truncated one; with
    /// --verify proves it: rows and checksums per table, the audit chain, the service answering.
    Restore {
        #[arg(long)]
        from: PathBuf,
        /// The empty database to restore into, e.g. postgres://…/diachinh_restored
        #[arg(long)]
        into: String,
        #[arg(long)]
        verify: bool,
    },
    /// Regenerate the synthetic sample data in data-samples/ (deterministic), or load it.
    Samples {
        /// Folder to write to or load from.
        #[arg(long, default_value = "data-samples")]
        dir: PathBuf,
        /// Load every sample into the database instead of regenerating them (skips samples
        /// already loaded).
        #[arg(long)]
        load: bool,
        /// Write only a GeoPackage of N synthetic parcels (benchmarks, scale tests) into --dir,
        /// spread over communes of 5,000 under real 2025 codes as a province is.
        #[arg(long, value_name = "N", conflicts_with = "load")]
        synthetic: Option<usize>,
    },
}

#[derive(Subcommand)]
enum OpenDataCommand {
    /// Writes every open dataset's files and the catalogue into DIR, replacing them file by file.
    Publish {
        #[arg(long, env = "DIACHINH_OPEN_DATA_DIR", default_value = "var/open-data")]
        to: PathBuf,
        /// A tile-layer catalog instead of the built-in one.
        #[arg(long, env = "DIACHINH_TILES_DIR")]
        tiles_dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Prints the last day of "within N working days from a moment" (YYYY-MM-DD). A moment
    /// after 15:00 (Vietnam time) or on a day off counts from the next working day.
    Deadline {
        /// The moment received, RFC 3339 (2026-11-10T15:01:00+07:00); now when absent.
        #[arg(long)]
        from: Option<chrono::DateTime<chrono::FixedOffset>>,
        /// Working days; 0 is the same working day.
        #[arg(long)]
        days: u32,
        /// Count from the moment's own day whatever its time (no 15:00 rule).
        #[arg(long)]
        no_cutoff: bool,
    },
}

#[derive(Subcommand)]
enum QualityCommand {
    /// Runs every check over a commune or a province, replaces their findings, opens a
    /// correction ticket for each new one, and prints one JSON line per finding.
    Check {
        /// A 2025 commune code, or a province code for all its communes.
        #[arg(long, value_name = "CODE")]
        commune: String,
        /// Overlaps of parcels above this area are findings (m²).
        #[arg(long, default_value_t = Thresholds::default().overlap_m2)]
        overlap_m2: f64,
        /// Holes inside a surveyed block up to this area are gaps (m²).
        #[arg(long, default_value_t = Thresholds::default().gap_max_m2)]
        gap_max_m2: f64,
        /// Computed area differing from the legal area by more than this share.
        #[arg(long, default_value_t = Thresholds::default().area_share)]
        area_share: f64,
    },
}

#[derive(Subcommand)]
enum IdsCommand {
    /// A broker certificate's ID: province + personal or foreigner's ID + issue date + number +
    /// revoked flag (29 characters).
    Broker {
        /// Province code (2 digits).
        #[arg(long)]
        province: String,
        /// The broker's 12-digit personal ID, or a foreigner's ID (F and 11 digits).
        #[arg(long)]
        holder: String,
        /// Issue date (YYYY-MM-DD).
        #[arg(long)]
        issued: chrono::NaiveDate,
        /// Certificate number (1-999999).
        #[arg(long)]
        number: u32,
        /// The certificate is revoked.
        #[arg(long)]
        revoked: bool,
    },
    /// An apartment-management unit's ID: tax code + eligibility notice date (21 characters).
    ManagementUnit {
        /// Tax code (10 or 13 digits).
        #[arg(long)]
        tax_code: String,
        /// Date of the eligibility notice (YYYY-MM-DD).
        #[arg(long)]
        notice: chrono::NaiveDate,
    },
    /// A housing-support beneficiary's ID: personal ID + group + programme (16 characters).
    Beneficiary {
        /// 12-digit personal ID.
        #[arg(long)]
        personal_id: String,
        /// Group: 01 people with meritorious services, 02 poor, 03 near-poor, 09 other.
        #[arg(long)]
        group: String,
        /// Programme: 01 meritorious services, 02 poor and near-poor households, 09 other.
        #[arg(long)]
        programme: String,
    },
    /// Reads an ID of any of these kinds back into its parts, as JSON.
    Read { id: String },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain and check it against the signed checkpoints (in the database
    /// and in --audit-dir); exit non-zero naming the first entry altered, removed or reordered.
    Verify,
    /// Sign a checkpoint of the chain's head now (the service signs one every few minutes);
    /// needs the signing key in --audit-dir.
    Checkpoint,
    /// Anonymous requests as JSON lines: counts per minute, route and client address.
    Reads {
        /// Only minutes from this day on (YYYY-MM-DD, UTC).
        #[arg(long)]
        since: Option<chrono::NaiveDate>,
    },
    /// Entries as JSON lines.
    Show {
        /// Only this account's entries (its username).
        #[arg(long)]
        account: Option<String>,
        /// Only entries from this day on (YYYY-MM-DD, UTC).
        #[arg(long)]
        since: Option<chrono::NaiveDate>,
        /// Only actions starting with this (e.g. "GET", "import").
        #[arg(long)]
        action: Option<String>,
    },
}

#[derive(Subcommand)]
enum TokensCommand {
    /// Issue a token for an account and print it, once.
    Issue {
        username: String,
        /// Days it lasts (1-366).
        #[arg(long, default_value_t = 90)]
        days: i32,
        /// Province or commune codes narrowing the account's scope, comma-separated.
        #[arg(long, value_delimiter = ',')]
        scope: Vec<String>,
    },
    /// Every token (never its secret), as JSON lines.
    List,
    /// Revoke a token by its id.
    Revoke { id: i64 },
}

#[derive(Subcommand)]
enum AccountsCommand {
    /// Create an account for one named person; its initial password (standard input) only lets
    /// it change the password, within 7 days.
    Add {
        username: String,
        /// Full name of the person.
        #[arg(long)]
        name: String,
        /// The person's 12-digit personal ID.
        #[arg(long)]
        personal_id: String,
        /// Organisation the person works for.
        #[arg(long)]
        org: String,
        /// Role (admin, registrar, commune_officer, market_officer, justice_officer, investor,
        /// broker, viewer); repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Province or commune codes, comma-separated (a province covers its communes, pre-reform
        /// ones included).
        #[arg(long, value_delimiter = ',')]
        scope: Vec<String>,
        /// Last day the account may be used (contractors), YYYY-MM-DD.
        #[arg(long)]
        until: Option<chrono::NaiveDate>,
    },
    /// Every account with its roles, scope and state, as JSON lines (never a password hash).
    List,
    /// Lock an account: lost, left or other.
    Lock {
        username: String,
        #[arg(long)]
        reason: String,
    },
    /// Lift an account's locks (an end date passed stays until changed).
    Unlock { username: String },
    /// Give an account a new initial password (standard input).
    ResetPassword { username: String },
    /// Give an account a role or scope codes.
    Grant {
        username: String,
        #[arg(long)]
        role: Option<String>,
        #[arg(long, value_delimiter = ',')]
        scope: Vec<String>,
    },
    /// Take a role or scope codes from an account.
    Revoke {
        username: String,
        #[arg(long)]
        role: Option<String>,
        #[arg(long, value_delimiter = ',')]
        scope: Vec<String>,
    },
}

#[derive(Subcommand)]
enum TilesCommand {
    /// Write the open view of some layers over a bbox and zoom range to a PMTiles v3 archive.
    ///
    /// Example: diachinh tiles export --layers admin,parcels --minzoom 10 --maxzoom 16 map.pmtiles
    #[command(verbatim_doc_comment)]
    Export {
        #[command(flatten)]
        range: TileRange,
        /// A tile-layer catalog instead of the built-in one.
        #[arg(long, env = "DIACHINH_TILES_DIR")]
        tiles_dir: Option<PathBuf>,
        /// Cut the tiles for this account's view (its personal data in its scope), as the
        /// registration office providing data to it; by default the open view.
        #[arg(long = "as", value_name = "USERNAME")]
        as_account: Option<String>,
        /// The archive to write (replaced only once it is complete).
        out: PathBuf,
    },
    /// Request every tile of a range from a running server, so that its cache holds them.
    Seed {
        #[command(flatten)]
        range: TileRange,
        /// The server.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
    },
}

/// Which tiles: layers, area, zooms.
#[derive(Args)]
struct TileRange {
    /// Layers, comma-separated, as `GET /tiles` lists them (e.g. admin,parcels).
    #[arg(long)]
    layers: String,
    /// W,S,E,N in WGS84 degrees [default: the extent of the layers' data].
    #[arg(long)]
    bbox: Option<String>,
    #[arg(long, default_value_t = 0)]
    minzoom: u8,
    #[arg(long, default_value_t = 16)]
    maxzoom: u8,
}

/// More tiles than this in one run is almost certainly a mistaken bbox or zoom.
const MAX_TILES: u64 = 5_000_000;

impl TileRange {
    /// The tiles, given the data's extent for when no bbox was asked.
    fn tiles(&self, extent: Option<[f64; 4]>) -> anyhow::Result<([f64; 4], Vec<diachinh::tiles::TileId>)> {
        anyhow::ensure!(
            self.minzoom <= self.maxzoom && self.maxzoom <= diachinh::catalog::MAX_ZOOM,
            "zooms {}-{} must be ordered and at most {}",
            self.minzoom,
            self.maxzoom,
            diachinh::catalog::MAX_ZOOM
        );
        let bbox = match &self.bbox {
            Some(b) => diachinh::http::params::bbox(b).map_err(|e| anyhow::anyhow!(e.message))?,
            None => extent.context("the layers hold no data: give --bbox")?,
        };
        let tiles = diachinh::tiles::pmtiles::tiles_in(bbox, self.minzoom, self.maxzoom, MAX_TILES)
            .map_err(|n| anyhow::anyhow!("{n} tiles: more than {MAX_TILES}; narrow --bbox or the zooms"))?;
        Ok((bbox, tiles))
    }
}

#[derive(Subcommand)]
enum ImportKind {
    /// Cadastral parcels (thửa đất) from any file GDAL reads: GeoPackage, Shapefile, GeoJSON,
    /// DGN v7, GML, CSV with a WKT column.
    ///
    /// Field names exported by ViLIS/VBDLIS/ELIS are recognised in any case: MaXa (commune code),
    /// SoHieuToBanDo (map sheet), SoThuTuThua (parcel number), DienTich (legal area, m²),
    /// KyHieuMucDichSuDung (land-use code, e.g. ODT or ODT+CLN), DiaChi (address), MaDiaChiSo
    /// (digital address), TenChu (holder name, stored apart as personal data). In a DGN sheet the
    /// labels inside each parcel give its number, land use and area.
    ///
    /// Example: diachinh import parcels to-12.gpkg --on-invalid repair --on-duplicate merge
    #[command(verbatim_doc_comment)]
    Parcels(ParcelArgs),
    /// Land-use planning zones: polygons with MaVung (zone code), TenQuyHoach (plan), CapQuyHoach
    /// (tỉnh/xã), KyQuyHoach (e.g. 2021-2030), SoQuyetDinh and NgayQuyetDinh (approving decision),
    /// TrangThai (approved, adjusted, expired, draft), KyHieuMucDichSuDung (planned land use).
    #[command(verbatim_doc_comment)]
    Planning(SourceArgs),
    /// A land-price table: road segments as lines with MaDoan (segment code), TenDuong, TuDiem,
    /// DenDiem, LoaiDat (land use), VT1..VT4 (VND/m² by position), SoQuyetDinh, NgayHieuLuc and
    /// NgayHetHieuLuc. One feature per segment and land use.
    #[command(verbatim_doc_comment)]
    Prices(SourceArgs),
    /// Holders and their rights (personal data, kept apart): one row per right with MaChu, LoaiChu
    /// (cá nhân, hộ gia đình, tổ chức, nhà nước), HoTen, SoDinhDanh (12 digits), NamSinh, MaSoThue,
    /// MaThua (parcel ID or COMMUNE-SHEET-PARCEL), LoaiQuyen, TaiSan, TyLe, SoGCN, NgayCap.
    #[command(verbatim_doc_comment)]
    Holders(SourceArgs),
    /// Real-estate projects: boundary polygons with MaDuAn (code), TenDuAn, ChuDauTu (investor),
    /// LoaiDuAn (housing, commercial, industrial, mixed), TrangThai, TienDo (%), TongVonDauTu (VND),
    /// DienTichDat (m²), SoQDChuTruong and NgayQDChuTruong (investment-policy decision), TaiLieu
    /// (legal documents: `Title=file.pdf; ...`, relative to the imported file; stored with size and SHA-256).
    #[command(verbatim_doc_comment)]
    Projects(SourceArgs),
    /// Housing units: MaDuAn, MaThua (parcel ID or COMMUNE-SHEET-PARCEL), ToaNha, Tang, SoCan, MaViTri
    /// (location code), STT, DienTichSan (m²), TrangThai, MaSanPham (product ID; generated when absent).
    #[command(verbatim_doc_comment)]
    Units(SourceArgs),
    /// Digital addresses: points (or CSV with X/Y) with MaDiaChi (code), MaThua or MaSanPham, MaXa,
    /// Duong, SoNha, ToaNha, Tang, Phong, MaBuuChinh.
    #[command(verbatim_doc_comment)]
    Addresses(SourceArgs),
    /// Real-estate transactions (personal data: the parties): SoHopDong, NgayHopDong, LoaiGiaoDich
    /// (mua_ban, thue, chuyen_nhuong), TrangThai (dat_coc or da_ky), MaSanPham (a unit) or MaThua
    /// (land use rights), GiaTri (VND), DienTich (m²), NgayHetHan (a lease's end), CongChung and
    /// VanPhongCongChung, BenBan, BenMua, NguonTin, MaChungChiMoiGioi. All or nothing.
    #[command(verbatim_doc_comment)]
    Transactions(SourceArgs),
    /// The working-day calendar: Ngay (date), Loai (holiday, off: a weekday off, worked: a
    /// Saturday worked in exchange), Ten (name). Replaces the calendar of the years the file covers.
    #[command(verbatim_doc_comment)]
    Calendar(SourceArgs),
}

/// What every import reads and how: files, CRS, field names, policy for bad features.
#[derive(Args)]
struct SourceArgs {
    /// Files to import, all in one transaction.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// CRS of the files when their metadata has none or is wrong, e.g. EPSG:9210.
    /// VN-2000 TM-3 zones are EPSG:9205-9218 and 5896-5899.
    #[arg(long, conflicts_with = "meridian")]
    crs: Option<String>,
    /// The files are in VN-2000 TM-3 with this central meridian, e.g. 105.75 or 105°45'.
    #[arg(long)]
    meridian: Option<String>,
    /// Read only this layer of a multi-layer file.
    #[arg(long)]
    layer: Option<String>,
    /// Take an attribute from a differently named field: TARGET=SOURCE, e.g. SoThuTuThua=SHTHUA.
    #[arg(long = "field", value_name = "TARGET=SOURCE")]
    fields: Vec<Assignment>,
    /// Give every feature lacking an attribute this value: TARGET=VALUE, e.g. MaXa=05443
    /// (needed for DGN sheets, which carry no commune code or sheet number).
    #[arg(long = "set", value_name = "TARGET=VALUE")]
    defaults: Vec<Assignment>,
    /// Features that cannot be loaded as they stand (missing, invalid or wrong geometry, missing
    /// or bad keys or codes): reject the import, repair invalid polygons (skipping what cannot be
    /// repaired), or skip them.
    #[arg(long, default_value = "reject")]
    on_invalid: OnInvalid,
    /// Check and report everything, then roll back instead of committing.
    #[arg(long)]
    dry_run: bool,
}

impl SourceArgs {
    fn crs(&self) -> anyhow::Result<Option<Crs>> {
        Ok(match (&self.crs, &self.meridian) {
            (Some(c), _) => Some(c.parse::<Crs>()?),
            (None, Some(m)) => Some(Crs::parse_meridian(m)?),
            (None, None) => None,
        })
    }

    fn options(&self, schema: &'static [Field]) -> anyhow::Result<SourceOptions> {
        Ok(SourceOptions {
            crs: self.crs()?,
            layer: self.layer.clone(),
            mapping: FieldMapping::new(schema, &self.fields, &self.defaults).map_err(anyhow::Error::msg)?,
            on_invalid: self.on_invalid,
        })
    }

    fn for_sample(files: Vec<PathBuf>) -> SourceArgs {
        SourceArgs {
            files,
            crs: None,
            meridian: None,
            layer: None,
            fields: vec![],
            defaults: vec![],
            on_invalid: OnInvalid::Reject,
            dry_run: false,
        }
    }
}

#[derive(Args)]
struct ParcelArgs {
    #[command(flatten)]
    source: SourceArgs,
    /// TM-3 zone for parcel IDs when the files are not in VN-2000 TM-3 (e.g. WGS84).
    /// By default the zone of each parcel's province.
    #[arg(long)]
    zone: Option<String>,
    /// Features sharing a legacy key (commune-sheet-parcel): reject the import, merge them into
    /// one parcel, or keep the first and skip the others (and keys already in the database).
    #[arg(long, default_value = "reject")]
    on_duplicate: OnDuplicate,
    /// Tolerance in metres of the pole-of-inaccessibility search for parcel IDs.
    #[arg(long, default_value_t = parcel_id::DEFAULT_TOLERANCE_M)]
    polylabel_tolerance: f64,
}

/// An identifier made from its parts, or one read back, as a JSON line.
fn ids(command: IdsCommand) -> anyhow::Result<String> {
    use diachinh::domain::market_ids::{BeneficiaryId, BrokerCertificateId, ManagementUnitId};
    let made = |kind: &str, id: String, parts: serde_json::Value| serde_json::json!({ "kind": kind, "id": id, "parts": parts });
    let out = match command {
        IdsCommand::Broker { province, holder, issued, number, revoked } => {
            let id = BrokerCertificateId::new(&province, holder.parse()?, issued, number, revoked)?;
            made("broker_certificate", id.to_string(), serde_json::to_value(&id)?)
        }
        IdsCommand::ManagementUnit { tax_code, notice } => {
            let id = ManagementUnitId::new(&tax_code, notice)?;
            made("management_unit", id.to_string(), serde_json::to_value(&id)?)
        }
        IdsCommand::Beneficiary { personal_id, group, programme } => {
            let id = BeneficiaryId::new(&personal_id, &group, &programme)?;
            made("beneficiary", id.to_string(), serde_json::to_value(&id)?)
        }
        // The kinds differ in length, so the length says which one to read.
        IdsCommand::Read { id } => match id.trim().len() {
            BrokerCertificateId::LEN => {
                let read: BrokerCertificateId = id.parse()?;
                made("broker_certificate", read.to_string(), serde_json::to_value(&read)?)
            }
            ManagementUnitId::LEN => {
                let read: ManagementUnitId = id.parse()?;
                made("management_unit", read.to_string(), serde_json::to_value(&read)?)
            }
            BeneficiaryId::LEN => {
                let read: BeneficiaryId = id.parse()?;
                made("beneficiary", read.to_string(), serde_json::to_value(&read)?)
            }
            n => anyhow::bail!(
                "`{id}` has {n} characters: a broker certificate ID has {}, a management unit's {}, a beneficiary's {}",
                BrokerCertificateId::LEN,
                ManagementUnitId::LEN,
                BeneficiaryId::LEN
            ),
        },
    };
    Ok(out.to_string())
}

/// An import allocates and frees a chunk of parcels at a time on several threads. mimalloc asks for
/// transparent huge pages and hands emptied parts of them back to the kernel, so each reuse faults
/// a whole 2 MiB page in, zeroed: 3.2 s of system time in a million-parcel import, against about
/// 1.1 s without them. The server keeps them: its cached tiles were 3% faster with them.
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::thread::disable_transparent_huge_pages(true) {
        tracing::debug!("transparent huge pages stay on: {e}");
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    // GDAL and GEOS print to stderr on their own; what matters reaches the user through errors
    // and the import report, the rest goes to the log.
    diachinh::gdal_errors::install();
    let url = || cli.database_url.clone().context("no database: set DATABASE_URL or pass --database-url");
    match cli.command {
        Command::Migrate => {
            let pool = storage::connect(&url()?).await?;
            storage::migrate(&pool).await.context("migration failed")?;
            println!("database is up to date ({} migrations)", storage::MIGRATOR.migrations.len());
        }
        Command::Import(kind) => {
            no_transparent_huge_pages();
            let pool = storage::connect(&url()?).await?;
            match kind {
                ImportKind::Parcels(args) => import_parcels(&pool, args).await?,
                ImportKind::Planning(args) => import_layer::<Planning>(&pool, args).await?,
                ImportKind::Prices(args) => import_layer::<Prices>(&pool, args).await?,
                ImportKind::Holders(args) => import_layer::<Holders>(&pool, args).await?,
                ImportKind::Projects(args) => import_layer::<Projects>(&pool, args).await?,
                ImportKind::Units(args) => import_layer::<Units>(&pool, args).await?,
                ImportKind::Addresses(args) => import_layer::<Addresses>(&pool, args).await?,
                ImportKind::Transactions(args) => import_layer::<Transactions>(&pool, args).await?,
                ImportKind::Calendar(args) => import_layer::<CalendarDays>(&pool, args).await?,
            }
        }
        Command::OpenData(OpenDataCommand::Publish { to, tiles_dir }) => {
            let catalog = diachinh::catalog::Catalog::load(tiles_dir.as_deref()).map_err(anyhow::Error::msg)?;
            let layers = diachinh::index::layers::Layers::new(std::sync::Arc::new(catalog), std::sync::Arc::default());
            let started = Instant::now();
            let published = diachinh::open_data::publish(&storage::connect(&url()?).await?, &layers, &to).await?;
            for d in &published.datasets {
                let files: Vec<String> = d.files.iter().map(|f| format!("{} ({} bytes)", f.file, f.bytes)).collect();
                println!("{}: {} features → {}", d.name, d.features, files.join(", "));
            }
            println!("published into {} in {:.1} s", to.display(), started.elapsed().as_secs_f64());
        }
        Command::Serve {
            listen,
            tile_cache_mb,
            tiles_dir,
            styles_dir,
            public_url,
            checkpoint_minutes,
            open_data_dir,
            metrics_listen,
            replicas,
            time_limit_s,
            pages_from_database,
        } => {
            let settings = startup::Settings {
                tiles_dir,
                styles_dir,
                tile_cache_mb,
                public_url,
                audit_dir: AuditDir::new(cli.audit_dir),
                checkpoint_every: Duration::from_secs(checkpoint_minutes * 60),
                open_data_dir,
                metrics_listen,
                replicas,
                time_limit: Duration::from_secs(time_limit_s),
                pages_from_database,
                ..startup::Settings::new(&url()?, listen)
            };
            let app = startup::Application::build(&settings).await?;
            println!("diachinh serving on http://{}", app.local_addr());
            if let Some(at) = app.metrics_addr() {
                println!("metrics and health for operators on http://{at}");
            }
            app.run_until_stopped().await?;
        }
        Command::Tiles(TilesCommand::Export { range, tiles_dir, as_account, out }) => {
            let catalog = diachinh::catalog::Catalog::load(tiles_dir.as_deref()).map_err(anyhow::Error::msg)?;
            let pool = storage::connect(&url()?).await?;
            let account = match &as_account {
                Some(name) => Some(diachinh::accounts::view_of(&pool, &name.parse()?).await?),
                None => None,
            };
            let (view, named) = match &account {
                Some(a) => (a.view.clone(), format!("account {}", a.username)),
                None => (diachinh::access::View::open(), "open data".to_owned()),
            };
            let set = catalog.parse_set(&range.layers, view.audience).map_err(anyhow::Error::msg)?;
            let layers = diachinh::index::layers::Layers::new(std::sync::Arc::new(catalog), std::sync::Arc::default());
            for l in &set {
                layers.reload(&pool, *l, None).await?;
            }
            let (bbox, tiles) = range.tiles(layers.bounds(&set))?;
            let started = Instant::now();
            let progress = progress_bar("tiles");
            progress.set_length(tiles.len() as u64);
            progress.set_message("cutting");
            let recipient = diachinh::tiles::pmtiles::Recipient { view: &view, named: &named };
            let written = diachinh::tiles::pmtiles::export(
                &layers,
                &set,
                &recipient,
                bbox,
                &tiles,
                &out,
                &Bar(progress.clone()),
            )?;
            progress.finish_and_clear();
            // An extraction: who cut what, for whom.
            let object =
                format!("{} for {named}: layers {}, bbox {bbox:?}, {written} tiles", out.display(), range.layers);
            let (roles, operator) = (account.map(|a| a.roles).unwrap_or_default(), Actor::operator());
            let entry = diachinh::audit::Entry {
                actor: operator.as_str(),
                roles: &roles,
                action: "tiles export",
                object: &object,
                outcome: 0,
                request_id: None,
                address: None,
            };
            diachinh::audit::append(&mut *pool.acquire().await?, &entry).await?;
            println!(
                "wrote {written} tiles ({} empty left out) to {} in {:.1} s",
                tiles.len() - written,
                out.display(),
                started.elapsed().as_secs_f64()
            );
        }
        Command::Tiles(TilesCommand::Seed { range, url: base }) => seed(&range, base.trim_end_matches('/')).await?,
        Command::Accounts(command) => manage_accounts(&storage::connect(&url()?).await?, command).await?,
        Command::Tokens(command) => manage_tokens(&storage::connect(&url()?).await?, command).await?,
        Command::Ids(command) => println!("{}", ids(command)?),
        Command::Backup { to } => {
            let started = Instant::now();
            let m = diachinh::backup::backup(&url()?, &AuditDir::new(cli.audit_dir), &to).await?;
            let rows: i64 = m.tables.iter().map(|t| t.rows).sum();
            let bytes: u64 = m.files.iter().map(|f| f.bytes).sum();
            println!(
                "backed up {} tables ({rows} rows, audit chain of {} entries) into {}: {bytes} bytes in {:.1} s",
                m.tables.len(),
                m.audit_entries,
                to.display(),
                started.elapsed().as_secs_f64()
            );
        }
        Command::Restore { from, into, verify } => {
            let started = Instant::now();
            let audit = AuditDir::new(cli.audit_dir);
            let m = diachinh::backup::restore(&from, &into, &audit).await?;
            println!(
                "restored {} tables from {} in {:.1} s",
                m.tables.len(),
                from.display(),
                started.elapsed().as_secs_f64()
            );
            if verify {
                diachinh::backup::verify(&m, &into, &audit).await?;
                let settings =
                    startup::Settings { audit_dir: audit, ..startup::Settings::new(&into, "127.0.0.1:0".parse()?) };
                let app = startup::Application::build(&settings).await?;
                let health = format!("http://{}/health", app.local_addr());
                tokio::spawn(app.run_until_stopped());
                let answer = reqwest::get(&health).await?;
                anyhow::ensure!(
                    answer.status().is_success(),
                    "the service started on the restored database answers {}",
                    answer.status()
                );
                let body: serde_json::Value = answer.json().await?;
                println!(
                    "verified: rows and checksums of {} tables, the audit chain ({} entries) up to its recorded head, and the service answering on it ({} parcels)",
                    m.tables.len(),
                    m.audit_entries,
                    body["index"]["parcels"]
                );
            }
        }
        Command::Calendar(CalendarCommand::Deadline { from, days, no_cutoff }) => {
            let calendar = Calendar::load(&storage::connect(&url()?).await?).await?;
            let from = from.unwrap_or_else(|| chrono::Utc::now().fixed_offset());
            let cutoff = (!no_cutoff).then_some(calendar::CUTOFF);
            println!("{}", calendar.deadline(&from, days, cutoff)?);
        }
        Command::Quality(QualityCommand::Check { commune, overlap_m2, gap_max_m2, area_share }) => {
            let pool = storage::connect(&url()?).await?;
            let communes = quality::communes(&pool, &commune).await?;
            let t = Thresholds { overlap_m2, gap_max_m2, area_share, ..Thresholds::default() };
            for finding in quality::check(&pool, &Actor::operator(), &communes, &t).await? {
                println!("{}", serde_json::to_string(&finding)?);
            }
        }
        Command::Audit(command) => {
            audit(&storage::connect(&url()?).await?, &AuditDir::new(cli.audit_dir), command).await?
        }
        Command::Samples { dir, synthetic: Some(n), .. } => {
            std::fs::create_dir_all(&dir)?;
            let path = dir.join(format!("synthetic-{n}.gpkg"));
            let written = samples::generate_synthetic(&path, n)?;
            println!("wrote {written} parcels to {}", path.display());
        }
        Command::Samples { dir, load: false, .. } => samples::generate(&dir)?,
        Command::Samples { dir, load: true, .. } => {
            let pool = storage::connect(&url()?).await?;
            for sample in samples::SAMPLES {
                let kind = match sample.kind {
                    SampleKind::Parcels => "parcels",
                    SampleKind::Planning => Planning::KIND,
                    SampleKind::Prices => Prices::KIND,
                    SampleKind::Holders => Holders::KIND,
                    SampleKind::Projects => Projects::KIND,
                    SampleKind::Units => Units::KIND,
                    SampleKind::Addresses => Addresses::KIND,
                    SampleKind::Transactions => Transactions::KIND,
                    SampleKind::Calendar => CalendarDays::KIND,
                };
                if storage::parcels::import_exists(&pool, kind, &[sample.file.to_owned()]).await? {
                    println!("{}: already loaded", sample.file);
                    continue;
                }
                let mut source = SourceArgs::for_sample(vec![dir.join(sample.file)]);
                source.defaults = sample
                    .defaults
                    .iter()
                    .map(|d| d.parse().map_err(anyhow::Error::msg))
                    .collect::<anyhow::Result<_>>()?;
                source.crs = sample.crs.map(str::to_owned);
                source.on_invalid = sample.on_invalid;
                match sample.kind {
                    SampleKind::Parcels => {
                        let mut args = ParcelArgs::for_sample(source);
                        args.on_duplicate = sample.on_duplicate;
                        import_parcels(&pool, args).await?
                    }
                    SampleKind::Planning => import_layer::<Planning>(&pool, source).await?,
                    SampleKind::Prices => import_layer::<Prices>(&pool, source).await?,
                    SampleKind::Holders => import_layer::<Holders>(&pool, source).await?,
                    SampleKind::Projects => import_layer::<Projects>(&pool, source).await?,
                    SampleKind::Units => import_layer::<Units>(&pool, source).await?,
                    SampleKind::Addresses => import_layer::<Addresses>(&pool, source).await?,
                    SampleKind::Transactions => import_layer::<Transactions>(&pool, source).await?,
                    SampleKind::Calendar => import_layer::<CalendarDays>(&pool, source).await?,
                }
            }
            // Imports leave outlines to the service; the samples come complete.
            storage::outlines::refresh_in_transaction(&pool).await?;
        }
    }
    Ok(())
}

impl ParcelArgs {
    fn for_sample(source: SourceArgs) -> ParcelArgs {
        ParcelArgs {
            source,
            zone: None,
            on_duplicate: OnDuplicate::Reject,
            polylabel_tolerance: parcel_id::DEFAULT_TOLERANCE_M,
        }
    }
}

/// Requests every tile of the range from the server at `base`, a few at a time.
async fn seed(range: &TileRange, base: &str) -> anyhow::Result<()> {
    use futures_util::StreamExt;
    let http = reqwest::Client::new();
    let tilejson: serde_json::Value = http
        .get(format!("{base}/tiles/{}.json", range.layers))
        .send()
        .await
        .with_context(|| format!("cannot reach {base}"))?
        .error_for_status()?
        .json()
        .await?;
    let bounds: Option<[f64; 4]> = serde_json::from_value(tilejson["bounds"].clone()).ok();
    let zooms = |k: &str| tilejson[k].as_u64().unwrap_or(0) as u8;
    let (bbox, tiles) = range.tiles(bounds)?;
    let tiles: Vec<_> = tiles.into_iter().filter(|t| (zooms("minzoom")..=zooms("maxzoom")).contains(&t.z)).collect();
    let progress = progress_bar("tiles");
    progress.set_length(tiles.len() as u64);
    progress.set_message(format!("seeding {bbox:?}"));
    let started = Instant::now();
    let failed = futures_util::stream::iter(tiles.iter().map(|t| {
        let req = http.get(format!("{base}/tiles/{}/{}/{}/{}.mvt", range.layers, t.z, t.x, t.y));
        async move { req.send().await.map(|r| r.status().is_success()).unwrap_or(false) }
    }))
    .buffer_unordered(4)
    .inspect(|_| progress.inc(1))
    .filter(|ok| std::future::ready(!ok))
    .count()
    .await;
    progress.finish_and_clear();
    anyhow::ensure!(failed == 0, "{failed} of {} tiles could not be fetched", tiles.len());
    println!("seeded {} tiles in {:.1} s", tiles.len(), started.elapsed().as_secs_f64());
    Ok(())
}

/// The library's progress, drawn as a bar on the terminal.
struct Bar(ProgressBar);

impl Progress for Bar {
    fn grow(&self, n: u64) {
        self.0.inc_length(n);
    }
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
    fn stage(&self, what: &str) {
        self.0.set_message(what.to_owned());
    }
}

fn progress_bar(unit: &str) -> ProgressBar {
    let progress = ProgressBar::new(0).with_style(
        ProgressStyle::with_template(&format!("{{spinner}} {{msg}} [{{bar:30}}] {{pos}}/{{len}} {unit} ({{per_sec}})"))
            .expect("a valid template")
            .progress_chars("=> "),
    );
    progress.set_message("reading");
    progress.enable_steady_tick(Duration::from_millis(120));
    progress
}

/// The report lines, then one summary line.
/// What an import did, printed as its report lines and one summary line.
struct Summary<'a> {
    what: String,
    written: u64,
    features: usize,
    started: Instant,
    crs: String,
    extent: Option<Rect>,
    lines: &'a [ReportLine],
}

impl Summary<'_> {
    fn print(&self, dry_run: bool) {
        for line in self.lines {
            println!("{line}");
        }
        let count = |a| self.lines.iter().filter(|l| l.action == a).count();
        let extent = self.extent.map_or(String::new(), |e| {
            format!("; extent {:.6},{:.6},{:.6},{:.6}", e.min().x, e.min().y, e.max().x, e.max().y)
        });
        println!(
            "{} {} {} from {} features in {:.2} s; CRS {} → EPSG:4326{extent}; {} repaired, {} merged, {} skipped, {} warnings",
            if dry_run { "dry run, nothing written: would import" } else { "imported" },
            self.written,
            self.what,
            self.features,
            self.started.elapsed().as_secs_f64(),
            self.crs,
            count(Action::Repaired),
            count(Action::Merged),
            count(Action::Skipped),
            count(Action::Warning),
        );
    }
}

/// The shell every import shares: read and check the files off the runtime with a progress bar,
/// then write what was prepared.
async fn prepare_then_store<P: Send + 'static, R>(
    prepare: impl FnOnce(&dyn Progress) -> Result<P, ImportError> + Send + 'static,
    store: impl AsyncFnOnce(P) -> Result<R, ImportError>,
) -> anyhow::Result<R> {
    let progress = progress_bar("features");
    let bar = Bar(progress.clone());
    let prepared = tokio::task::spawn_blocking(move || prepare(&bar)).await?;
    let prepared = prepared.inspect_err(|_| progress.finish_and_clear())?;
    progress.set_message("writing");
    let stored = store(prepared).await;
    progress.finish_and_clear();
    Ok(stored?)
}

async fn import_parcels(pool: &sqlx::PgPool, args: ParcelArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let zone = args.zone.as_deref().map(str::parse::<Crs>).transpose()?;
    if let Some(z) = zone.as_ref().filter(|z| !z.is_vn2000_tm3()) {
        anyhow::bail!("--zone {z} is not a VN-2000 TM-3 zone (EPSG:9205-9218, 5896-5899)");
    }
    anyhow::ensure!(
        args.polylabel_tolerance > 0.0 && args.polylabel_tolerance.is_finite(),
        "--polylabel-tolerance must be a positive number of metres"
    );
    let opts = ParcelImportOptions {
        source: args.source.options(diachinh::import::parcel_fields::FIELDS)?,
        zone,
        on_duplicate: args.on_duplicate,
        tolerance_m: args.polylabel_tolerance,
    };
    let communes = CommuneZones::new(storage::commune_zones(pool).await?);
    let files = args.source.files.clone();
    let (on_duplicate, dry_run) = (args.on_duplicate, args.source.dry_run);
    let actor = Actor::operator();
    // Streamed as it is read; the careful way when that meets what it must report.
    let progress = progress_bar("features");
    let streamed = store::parcels::store_streaming(
        pool,
        &actor,
        files.clone(),
        opts.clone(),
        communes.clone(),
        Bar(progress.clone()),
        dry_run,
    )
    .await;
    progress.finish_and_clear();
    let stored = match streamed? {
        Some(stored) => stored,
        None => {
            prepare_then_store(
                move |progress| parcels::prepare(&files, &opts, &communes, progress),
                async |prepared: parcels::Prepared| {
                    store::parcels::store_import(pool, &actor, prepared, on_duplicate, dry_run).await
                },
            )
            .await?
        }
    };
    let extent = stored.extent;
    let summary = Summary {
        what: "parcels".into(),
        written: stored.parcels as u64,
        features: stored.feature_count,
        started,
        crs: stored.crs_label.clone(),
        extent,
        lines: &stored.lines,
    };
    summary.print(args.source.dry_run);
    Ok(())
}

async fn import_layer<L: Store + 'static>(pool: &sqlx::PgPool, args: SourceArgs) -> anyhow::Result<()>
where
    L::Row: Send + Sync + 'static,
{
    let started = Instant::now();
    let opts = args.options(L::FIELDS)?;
    let files = args.files.clone();
    let (written, (crs, features)) = prepare_then_store(
        move |progress| overlay::prepare::<L>(&files, &opts, progress),
        async |prepared: overlay::OverlayPrepared<L::Row>| {
            let seen = (prepared.crs_label.clone(), prepared.feature_count);
            Ok((
                diachinh::import::store::overlays::store::<L>(pool, &Actor::operator(), prepared, args.dry_run).await?,
                seen,
            ))
        },
    )
    .await?;
    let what = format!("{} rows", L::KIND);
    let summary =
        Summary { what, written: written.rows, features, started, crs, extent: None, lines: &written.report.lines };
    summary.print(args.dry_run);
    Ok(())
}

/// A password from standard input (its first line), never from the command line or the log.
fn password_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(!password.is_empty(), "give the password on standard input");
    Ok(password)
}

async fn manage_accounts(pool: &sqlx::PgPool, command: AccountsCommand) -> anyhow::Result<()> {
    use diachinh::accounts::{self, Grant, LockReason, NewAccount, Username};
    let actor = Actor::operator();
    let user = |u: &str| u.parse::<Username>();
    let grants = |role: Option<String>, scope: Vec<String>| {
        role.into_iter().map(Grant::Role).chain(scope.into_iter().map(Grant::Scope)).collect::<Vec<_>>()
    };
    match command {
        AccountsCommand::Add { username, name, personal_id, org, roles, scope, until } => {
            let new = NewAccount {
                username: user(&username)?,
                full_name: name,
                personal_id: personal_id.parse()?,
                organisation: org,
                roles,
                scope,
                valid_until: until,
            };
            accounts::add(pool, &actor, &new, &password_from_stdin()?).await?;
            println!("account {username} created; its initial password must be changed within 7 days");
        }
        AccountsCommand::List => {
            for account in accounts::list(pool).await? {
                println!("{}", serde_json::to_string(&account)?);
            }
        }
        AccountsCommand::Lock { username, reason } => {
            accounts::lock(pool, &actor, &user(&username)?, LockReason::by_admin(&reason)?).await?;
            println!("account {username} locked");
        }
        AccountsCommand::Unlock { username } => {
            accounts::unlock(pool, &actor, &user(&username)?).await?;
            println!("account {username} unlocked");
        }
        AccountsCommand::ResetPassword { username } => {
            accounts::set_password(pool, &actor, &user(&username)?, &password_from_stdin()?, true).await?;
            println!("account {username} has a new initial password");
        }
        AccountsCommand::Grant { username, role, scope } => {
            let what = grants(role, scope);
            anyhow::ensure!(!what.is_empty(), "give --role or --scope");
            for g in &what {
                accounts::grant(pool, &actor, &user(&username)?, g).await?;
            }
            println!("account {username}: granted");
        }
        AccountsCommand::Revoke { username, role, scope } => {
            let what = grants(role, scope);
            anyhow::ensure!(!what.is_empty(), "give --role or --scope");
            for g in &what {
                accounts::revoke(pool, &actor, &user(&username)?, g).await?;
            }
            println!("account {username}: revoked");
        }
    }
    Ok(())
}

async fn manage_tokens(pool: &sqlx::PgPool, command: TokensCommand) -> anyhow::Result<()> {
    use diachinh::accounts;
    let actor = Actor::operator();
    match command {
        TokensCommand::Issue { username, days, scope } => {
            let issued = accounts::issue_token(pool, &actor, &username.parse()?, days, &scope).await?;
            println!("{}", issued.token);
            eprintln!("token {} for {username}, until {}; it is shown this once", issued.id, issued.expires_at);
        }
        TokensCommand::List => {
            for token in accounts::list_tokens(pool).await? {
                println!("{}", serde_json::to_string(&token)?);
            }
        }
        TokensCommand::Revoke { id } => {
            accounts::revoke_token(pool, &actor, id).await?;
            println!("token {id} revoked");
        }
    }
    Ok(())
}

async fn audit(pool: &sqlx::PgPool, dir: &AuditDir, command: AuditCommand) -> anyhow::Result<()> {
    use diachinh::audit::{self, Verdict};
    let day = |d: chrono::NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc();
    match command {
        AuditCommand::Verify => match audit::verify(pool, dir).await? {
            Verdict::Intact { entries, head, checkpoints } => {
                println!("audit chain intact: {entries} entries, head {head}");
                match checkpoints {
                    Some(n) => println!("{n} signed checkpoint(s) agree with it"),
                    None => eprintln!(
                        "warning: no signing key in {}: the chain was not checked against signed checkpoints",
                        dir.path().display()
                    ),
                }
            }
            Verdict::Broken { seq, why } => anyhow::bail!("audit chain broken at entry {seq}: {why}"),
        },
        AuditCommand::Checkpoint => {
            let signer = audit::checkpoint::Signer::open_or_create(dir)?;
            match signer.checkpoint(pool).await? {
                Some(c) => println!("signed a checkpoint: {} entries, head {}", c.entries, hex::encode(&c.head)),
                None => println!("the last checkpoint already covers the chain's head"),
            }
        }
        AuditCommand::Reads { since } => {
            for reads in audit::anonymous::show(pool, since.map(day)).await? {
                println!("{}", serde_json::to_string(&reads)?);
            }
        }
        AuditCommand::Show { account, since, action } => {
            let actor = account.map(|a| Actor::account(&a).as_str().to_owned());
            for entry in audit::show(pool, actor.as_deref(), since.map(day), action.as_deref(), None).await? {
                println!("{}", serde_json::to_string(&entry)?);
            }
        }
    }
    Ok(())
}
