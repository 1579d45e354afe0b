//! `webhooks`: the public `POST /webhooks/...` routes. Each request is verified with its
//! provider's signature scheme, stored once and queued. All logic lives in
//! `leadflow::handlers::webhooks`.

leadflow::http_function!(leadflow::handlers::webhooks::handle);
