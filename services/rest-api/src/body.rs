//! [`Body`]: the raw request body, up to the configured limit, with size and
//! read failures reported in the API's error shape.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use bytes::Bytes;

use crate::error::ApiError;

pub struct Body(pub Bytes);

impl FromRequest for Body {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Body, ApiError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = Bytes::from_request(request, payload);
        Box::pin(async move {
            bytes.await.map(Body).map_err(|error| {
                if error.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        "the body is over the size limit (--max-body)",
                    )
                } else {
                    ApiError::bad_request("bad_body", error.to_string())
                }
            })
        })
    }
}
