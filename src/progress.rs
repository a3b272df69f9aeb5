//! Progress of long jobs (imports, tile exports), told to whoever runs them: the command line
//! draws a bar, a server or a test need not listen.

pub trait Progress: Send + Sync {
    /// `n` more units of work became known.
    fn grow(&self, _n: u64) {}
    /// `n` units of work are done.
    fn advance(&self, _n: u64) {}
    /// What is being done now.
    fn stage(&self, _what: &str) {}
}

/// Progress no one watches.
pub struct Unwatched;

impl Progress for Unwatched {}
