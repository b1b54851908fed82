//! Components shared by pages: form fields and errors, the page layout, and the visit context.

pub mod forms;
pub mod layout;
pub mod visit;
