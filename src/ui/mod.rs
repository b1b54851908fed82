//! The user interface: pages (one file each) and the components they share.

pub mod components;
pub mod pages;
