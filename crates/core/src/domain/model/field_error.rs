//! One field that is wrong, and how to fix it: what every validation error names.

/// One field that is wrong, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The field's path, such as `sources[1].stance`.
    pub field: String,
    /// What is wrong and what is allowed.
    pub detail: String,
}

impl FieldError {
    /// A new field error.
    pub fn new(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            detail: detail.into(),
        }
    }
}
