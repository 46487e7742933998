//! OpenAPI 3.1 description of a connector (being written).
