//! One test binary for the whole HTTP surface: the real server on a random loopback port, driven
//! over HTTP as a browser or a sibling service would.

mod assertions;
mod backchannel;
mod bad_inputs;
mod binary;
mod bounds;
mod browser;
mod cloud_run;
mod conformance;
mod deploy;
mod exchange;
mod faults;
mod gate;
mod gate_day;
mod gate_hostile;
mod gate_nginx;
mod guide;
mod hardening;
mod helpers;
mod introspection;
mod jupyter;
mod keys;
mod login;
mod outbound;
mod pages;
mod processes;
mod provider;
mod python;
mod services;
mod sign_out;
mod ssh;
mod sshd;
mod terminal;
mod well_known;
