//! Placeholder for the callback sender (replaced by the callback branch).
#![allow(missing_docs, dead_code, unreachable_pub)]

use crate::config::{ConfigProblem, Env};

#[derive(Debug, Clone, Default)]
pub struct CallbackSettings {}

impl CallbackSettings {
    pub fn resolve(_env: &impl Env) -> Result<Self, ConfigProblem> {
        Ok(Self {})
    }
}

pub struct Callbacks {}

pub enum Delivery {
    Delivered { attempts: u32, status: u16 },
    GaveUp { attempts: u32, last: String },
    Refused { reason: String },
}

impl Callbacks {
    pub fn new(_settings: CallbackSettings) -> Self {
        Self {}
    }
    pub fn check_url(&self, url: &str) -> Result<http::Uri, crate::problem::Problem> {
        url.parse().map_err(|_| {
            crate::problem::Problem::new(crate::problem::ProblemType::BadAsyncRequest, "bad url")
        })
    }
    pub async fn deliver(
        &self,
        _store: &crate::jobs::JobStore,
        _job_id: &crate::jobs::JobId,
        _url: &http::Uri,
        _message_id: &str,
        _body: bytes::Bytes,
        _content_type: &str,
    ) -> Delivery {
        Delivery::Refused {
            reason: "stub".into(),
        }
    }
}
