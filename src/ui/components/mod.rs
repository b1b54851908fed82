//! Components shared by pages: form fields and errors, the page layout, and the visit context.

pub mod api_keys;
pub mod forms;
pub mod layout;
pub mod two_factor;
pub mod visit;
