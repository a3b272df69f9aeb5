//! GDAL's errors, per call. GDAL keeps its last error per thread until something clears it,
//! and the gdal crate puts that text into its errors, so a call that fails without saying why
//! would carry an earlier call's message: another request's, on a shared worker thread. Calls
//! whose errors reach a caller run through [`attempt`], which reports only what GDAL said
//! during that call.

use std::cell::RefCell;

thread_local! {
    /// What GDAL said on this thread since [`attempt`] began listening; None when none listens.
    static HEARD: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// Routes GDAL's messages to the log (GDAL would print them to stderr) and to [`attempt`].
pub fn install() {
    gdal::config::set_error_handler(|class, code, msg| {
        tracing::debug!(target: "gdal", "{class:?} {code}: {msg}");
        HEARD.with(|h| {
            if let Some(heard) = h.borrow_mut().as_mut() {
                heard.push(msg.to_owned());
            }
        });
    });
}

/// Runs `f`; a failure is told as `what`, followed by what GDAL said during `f`, if anything.
pub fn attempt<T>(what: &str, f: impl FnOnce() -> gdal::errors::Result<T>) -> Result<T, String> {
    HEARD.with(|h| *h.borrow_mut() = Some(Vec::new()));
    let result = f();
    let heard = HEARD.with(|h| h.borrow_mut().take()).unwrap_or_default();
    result.map_err(|_| match heard.last() {
        Some(said) => format!("{what}: {said}"),
        None => what.to_owned(),
    })
}
