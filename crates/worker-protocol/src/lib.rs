//! The NDJSON protocol between the app and its engine workers (being written).
