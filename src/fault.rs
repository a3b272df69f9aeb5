//! Whose fault an error is, so every surface answers alike: the caller's (a 4xx whose message
//! says what to change) or the server's (a 5xx; the detail goes to the log, not to the caller).

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    Caller(String),
    Server(String),
    /// The database cannot be reached now: a 503 with `Retry-After`, the caller may try again.
    Unavailable(String),
}

/// What a caller is told while the database is away.
pub const UNAVAILABLE: &str = "the database cannot take this request now (all connections busy, restarting or unreachable); try again in a few seconds";
