//! Whose fault an error is, so every surface answers alike: the caller's (a 4xx whose message
//! says what to change) or the server's (a 5xx; the detail goes to the log, not to the caller).

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    Caller(String),
    Server(String),
}
