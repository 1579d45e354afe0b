//! `forms`: the embeddable form's public routes (the page script, each form's definition, a
//! signed start token, the page without JavaScript) and the site snippet's beacons
//! (`POST /visits`). All logic lives in `leadflow::handlers::forms`.

crate::serve::entry!(http, leadflow::handlers::forms::handle);
