//! Everything that runs only on the server: configuration, start-up, authentication, services, database, mail.

pub mod auth;
pub mod clock;
pub mod config;
pub mod containment;
pub mod db;
pub mod dns;
pub mod exports;
pub mod html;
pub mod mail;
pub mod pool;
pub mod rest;
pub mod saml;
pub mod security;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;
