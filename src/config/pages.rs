//! The pages people see: their default language, the organisation's logo, and whether a client's
//! sign-in shows monban's own page first.

use url::Url;

use super::ConfigError;
use super::raw::RawConfig;
use super::summary::Summary;
use super::urls::https_url;
use crate::i18n::Locale;

/// The pages people see.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageSettings {
    /// The language for browsers that ask for none of monban's (`default_locale`, `en`).
    pub default_locale: Locale,
    /// The organisation's logo, an https URL (the CSP allows https images).
    pub logo_url: Option<Url>,
    /// Send a client's users straight to Google instead of showing "Sign in to <app>" first.
    pub skip_sign_in_page: bool,
}

impl PageSettings {
    /// The settings as written.
    pub(super) fn from_raw(raw: &RawConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            default_locale: match raw.default_locale.as_deref() {
                None => Locale::En,
                Some(tag) => Locale::parse(tag).ok_or_else(|| {
                    ConfigError::new(
                        "default_locale",
                        format!("{tag:?} is not a language monban speaks: write \"ja\" or \"en\""),
                    )
                })?,
            },
            logo_url: raw
                .logo_url
                .as_deref()
                .map(|u| https_url("logo_url", u))
                .transpose()?,
            skip_sign_in_page: raw.skip_sign_in_page,
        })
    }

    /// Its lines of `monban check`.
    pub(super) fn summarize(&self, out: &mut Summary) {
        out.line("default_locale", self.default_locale.tag());
        out.optional("logo_url", self.logo_url.as_ref());
        out.line("skip_sign_in_page", self.skip_sign_in_page);
    }
}
