//! Reading one's own writes: pages and tiles are answered from memory, which the change feed
//! brings up to date a moment after each commit; a write is answered only once it has.

use axum::extract::State;

use super::AppState;

/// A request that may have written (any method but GET, HEAD and OPTIONS) and succeeded is
/// answered once the change feed has applied what it committed: the caller's next page or
/// tile, answered from memory, shows its own write.
pub(super) async fn applied_before_answered(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::Method;
    let writes = ![Method::GET, Method::HEAD, Method::OPTIONS].contains(request.method());
    let response = next.run(request).await;
    if writes && response.status().is_success() {
        state.barrier.wait(&state.pool).await;
    }
    response
}
