//! Where a request meets the faults of [`crate::faults`]: [`enter`] before the API handles it
//! (the latency, the faults that answer instead of the API), [`leave`] after (the faults that
//! garble or drop a finished answer), [`refused`] for an answer the API refused.
//!
//! Without the `faults` feature (the desktop's demo server) the same three functions let every
//! request through untouched: no latency, no fault, nothing of [`crate::faults`] or
//! [`crate::nonsense`] in the binary.

#[cfg(feature = "faults")]
pub(crate) use with_faults::{enter, enter_listing, leave, refused};
#[cfg(not(feature = "faults"))]
pub(crate) use without_faults::{enter, enter_listing, leave, refused};

#[cfg(feature = "faults")]
mod with_faults {
    use std::sync::PoisonError;
    use std::time::Duration;

    use axum::http::{Method, StatusCode};
    use axum::response::{IntoResponse, Response};
    use axum::Json;
    use uuid::Uuid;

    use crate::faults::{fault_response, garbage_response, FaultKind};
    use crate::nonsense::{drip_response, huge_response, Garble};
    use crate::routes::error;
    use crate::shared::{ConnectionKill, Shared};

    /// A fault that acts after handling, and how many of its kind were injected so far (this one
    /// included), which picks between the forms of some (see [`crate::nonsense`]).
    #[derive(Debug, Clone, Copy)]
    pub(crate) struct After {
        kind: FaultKind,
        nth: u64,
    }

    /// Waits the latency, then injects the drawn fault: answers instead of the API, or closes the
    /// connection (`drop_before`). Returns the fault that acts after handling (`drop_after`,
    /// `garbage`, `wrong_types`, `huge_body`, `slow_drip`, `wrong_record`).
    pub(crate) async fn enter(
        shared: &Shared,
        method: &Method,
        kill: Option<&ConnectionKill>,
    ) -> Result<Option<After>, Response> {
        enter_listing(shared, method, kill, None).await
    }

    /// [`enter`] for a listing of `offering` (faults queued for that offering's listings first).
    pub(crate) async fn enter_listing(
        shared: &Shared,
        method: &Method,
        kill: Option<&ConnectionKill>,
        offering: Option<Uuid>,
    ) -> Result<Option<After>, Response> {
        let (latency, drawn, retry_after) = {
            let mut state = shared.faults.lock().unwrap_or_else(PoisonError::into_inner);
            let (latency, kind) = state.draw_for(method, offering);
            let drawn = kind.map(|kind| After {
                kind,
                nth: state.injected(kind),
            });
            (latency, drawn, state.faults().retry_after)
        };
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let Some(after) = drawn else { return Ok(None) };
        tracing::info!(fault = %after.kind, %method, "injecting fault");
        if after.kind == FaultKind::DropBefore {
            return Err(drop_connection(kill).await);
        }
        match fault_response(after.kind, retry_after) {
            Some(response) => Err(response),
            None => Ok(Some(after)),
        }
    }

    /// Closes this request's connection with no response. Only returns (a 500) when the request did
    /// not come through the sim's own accept loop, after a minute.
    async fn drop_connection(kill: Option<&ConnectionKill>) -> Response {
        if let Some(ConnectionKill(notify)) = kill {
            notify.notify_one();
        }
        tokio::time::sleep(Duration::from_secs(60)).await;
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "connection drop failed",
        )
    }

    /// Applies an after-handling fault to a finished JSON answer for a caller of `school_id`.
    pub(crate) async fn leave<T: Garble>(
        after: Option<After>,
        kill: Option<&ConnectionKill>,
        shared: &Shared,
        school_id: Uuid,
        status: StatusCode,
        body: &T,
    ) -> Response {
        let Some(After { kind, nth }) = after else {
            return (status, Json(body)).into_response();
        };
        let encoded = || serde_json::to_vec(body);
        let encoding_failed = || {
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "encoding",
            )
        };
        match kind {
            FaultKind::DropAfter => drop_connection(kill).await,
            FaultKind::Garbage => encoded().map_or_else(
                |_| encoding_failed(),
                |bytes| garbage_response(status, &bytes),
            ),
            FaultKind::HugeBody => {
                encoded().map_or_else(|_| encoding_failed(), |bytes| huge_response(status, bytes))
            }
            FaultKind::SlowDrip => {
                encoded().map_or_else(|_| encoding_failed(), |bytes| drip_response(status, bytes))
            }
            FaultKind::WrongTypes => (status, Json(body.wrong_types(nth))).into_response(),
            FaultKind::WrongRecord => {
                (status, Json(body.wrong_record(shared, school_id, nth))).into_response()
            }
            _ => (status, Json(body)).into_response(),
        }
    }

    /// A request the API refused (a 422, a 404): a drop after handling still closes the
    /// connection; the other faults garble successes only.
    pub(crate) async fn refused(
        after: Option<After>,
        kill: Option<&ConnectionKill>,
        response: Response,
    ) -> Response {
        match after.map(|a| a.kind) {
            Some(FaultKind::DropAfter) => drop_connection(kill).await,
            _ => response,
        }
    }
}

#[cfg(not(feature = "faults"))]
mod without_faults {
    use axum::http::{Method, StatusCode};
    use axum::response::{IntoResponse, Response};
    use axum::Json;
    use serde::Serialize;
    use uuid::Uuid;

    use crate::shared::{ConnectionKill, Shared};

    /// No fault acts after handling: there is none.
    #[derive(Debug, Clone, Copy)]
    pub(crate) enum After {}

    pub(crate) async fn enter(
        _shared: &Shared,
        _method: &Method,
        _kill: Option<&ConnectionKill>,
    ) -> Result<Option<After>, Response> {
        Ok(None)
    }

    pub(crate) async fn enter_listing(
        _shared: &Shared,
        _method: &Method,
        _kill: Option<&ConnectionKill>,
        _offering: Option<Uuid>,
    ) -> Result<Option<After>, Response> {
        Ok(None)
    }

    pub(crate) async fn leave<T: Serialize>(
        _after: Option<After>,
        _kill: Option<&ConnectionKill>,
        _shared: &Shared,
        _school_id: Uuid,
        status: StatusCode,
        body: &T,
    ) -> Response {
        (status, Json(body)).into_response()
    }

    pub(crate) async fn refused(
        _after: Option<After>,
        _kill: Option<&ConnectionKill>,
        response: Response,
    ) -> Response {
        response
    }
}
