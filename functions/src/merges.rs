//! `merges`: duplicate review and merges (`GET /merge/reviews`, `POST
//! /merge/reviews/{pair}/accept|reject`, `POST /leads/{id}/merge|unmerge`), behind the JWT
//! authorizer. All logic lives in `leadflow::handlers::merges`.

crate::serve::entry!(http, leadflow::handlers::merges::handle);
