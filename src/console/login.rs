//! `login`: with `admin.token` set, a browser cannot send `X-Admin-Token`, so the
//! console asks for the token once and keeps its digest in an HttpOnly, SameSite=Strict
//! cookie that the admin guard accepts in place of the header (the cross-site checks
//! still run first).

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::layout;
use crate::admin;
use crate::state::AppState;

fn form(message: Option<&str>, status: StatusCode) -> HttpResponse {
    let body = html! {
        @if let Some(m) = message { p.warn #login-message { (m) } }
        p { "This twin has an admin token (" code { "admin.token" } "). Give it once; the browser keeps a digest of it in a cookie for the console and the API explorer's demo token." }
        form.filter method="post" action=(admin::LOGIN_PATH) {
            label { "admin token " input type="password" name="token" autocomplete="current-password" required; }
            button type="submit" { "Log in" }
        }
    };
    let mut res = layout::page("Log in", "", None, body);
    *res.status_mut() = status;
    res
}

pub async fn page(state: web::Data<AppState>) -> HttpResponse {
    if state.settings.admin.token.is_empty() {
        return form(
            Some("No admin token is configured: the console is open to this machine."),
            StatusCode::OK,
        );
    }
    form(None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    token: String,
}

pub async fn submit(state: web::Data<AppState>, login: web::Form<LoginForm>) -> HttpResponse {
    let admin = &state.settings.admin;
    let given = Some(login.token.as_bytes());
    if admin.token.is_empty() || admin::authorize(admin, state.settings.listen, given).is_err() {
        return form(
            Some("That is not the admin token."),
            StatusCode::UNAUTHORIZED,
        );
    }
    let cookie = Cookie::build(admin::COOKIE, admin::cookie_value(admin))
        .path("/_cloudtwin")
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, layout::ROOT))
        .cookie(cookie)
        .finish()
}
