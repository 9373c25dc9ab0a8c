//! [`Templates`]: the tera templates pages and render fragments are made
//! from — the built-in ones from `web/templates/`, plus a user's own from
//! `--templates-dir`. Every `.html` template escapes what it prints.

use std::path::{Path, PathBuf};

use tera::{Context, Tera};

use crate::dashboard::assets::TemplateFiles;

/// A template that failed to load or render, with tera's whole cause chain.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(String);

impl From<tera::Error> for TemplateError {
    fn from(error: tera::Error) -> Self {
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        TemplateError(message)
    }
}

/// How stale debug builds let the templates get before re-reading web/
/// (a burst of renders, such as one row per instance, reads it once).
const DEBUG_RELOAD_AFTER: std::time::Duration = std::time::Duration::from_millis(500);

/// The loaded templates.
pub struct Templates {
    tera: parking_lot::RwLock<Tera>,
    loaded: parking_lot::Mutex<std::time::Instant>,
    user_dir: Option<PathBuf>,
}

impl Templates {
    /// Loads the built-in templates and those under `user_dir`.
    pub fn load(user_dir: Option<&Path>) -> Result<Templates, TemplateError> {
        Ok(Templates {
            tera: parking_lot::RwLock::new(build(user_dir)?),
            loaded: parking_lot::Mutex::new(std::time::Instant::now()),
            user_dir: user_dir.map(Path::to_path_buf),
        })
    }

    /// Renders template `name` with `context`.
    pub fn render(&self, name: &str, context: &Context) -> Result<String, TemplateError> {
        // Debug builds read web/ from disk: pick up edits without a restart.
        if cfg!(debug_assertions) {
            let mut loaded = self.loaded.lock();
            if loaded.elapsed() >= DEBUG_RELOAD_AFTER {
                *self.tera.write() = build(self.user_dir.as_deref())?;
                *loaded = std::time::Instant::now();
            }
        }
        Ok(self.tera.read().render(name, context)?)
    }

    /// Whether a template of that name exists.
    pub fn has(&self, name: &str) -> bool {
        self.tera.read().get_template_names().any(|n| n == name)
    }
}

fn build(user_dir: Option<&Path>) -> Result<Tera, TemplateError> {
    let mut templates = Vec::new();
    for name in TemplateFiles::iter() {
        if let Some(file) = TemplateFiles::get(&name) {
            let text = String::from_utf8_lossy(&file.data).into_owned();
            templates.push((name.into_owned(), text));
        }
    }
    if let Some(dir) = user_dir {
        read_dir_into(dir, dir, &mut templates)?;
    }
    let mut tera = Tera::default();
    tera.add_raw_templates(templates)?;
    Ok(tera)
}

fn read_dir_into(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, String)>,
) -> Result<(), TemplateError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        TemplateError(format!(
            "cannot read the templates directory {}: {e}; fix --templates-dir",
            dir.display()
        ))
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            read_dir_into(root, &path, out)?;
        } else if !is_template(&path) {
            tracing::debug!(path = %path.display(), "not a template (by its extension); skipped");
        } else if let Ok(relative) = path.strip_prefix(root) {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                TemplateError(format!("cannot read template {}: {e}", path.display()))
            })?;
            out.push((relative.to_string_lossy().replace('\\', "/"), text));
        }
    }
    Ok(())
}

/// Files loaded from `--templates-dir`: the text formats tera is used for.
fn is_template(path: &Path) -> bool {
    let hidden = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_none_or(|n| n.starts_with('.'));
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    !hidden && matches!(extension, "html" | "htm" | "xml" | "svg" | "txt" | "tera")
}
