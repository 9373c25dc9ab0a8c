//! The dashboard's files: templates and static assets from `web/`, embedded
//! into release builds and read from disk in debug builds (so editing a
//! template or a script needs no rebuild during development).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};

/// `web/static/`: scripts, styles, the browser client.
#[derive(rust_embed::Embed)]
#[folder = "../../web/static/"]
pub struct StaticFiles;

/// `web/templates/`: the tera templates of pages and fragments.
#[derive(rust_embed::Embed)]
#[folder = "../../web/templates/"]
pub struct TemplateFiles;

/// `GET /static/{path}`: one static file, revalidated by ETag.
#[get("/static/{path:.*}")]
pub async fn file(request: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let Some(file) = StaticFiles::get(&path) else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("no such file under web/static/");
    };
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..12]));
    let unchanged = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag);
    if unchanged {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish();
    }
    let mime = mime_guess::from_path(path.as_str()).first_or_octet_stream();
    let content_type = if mime.type_() == "text" || mime.subtype() == "javascript" {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("x-content-type-options", "nosniff"))
        .body(file.data.into_owned())
}
