//! The languages of the pages people see: English and Japanese, one Fluent catalogue each
//! (`locales/en.ftl`, `locales/ja.ftl`, compiled into the binary), chosen per request from
//! `Accept-Language` with `default_locale` as the fallback.
//!
//! Fluent (the `fluent-bundle` crate, Mozilla's) carries the messages and their placeholders;
//! `fluent-langneg` parses `Accept-Language`, and its first language we speak wins (`ja-JP` is
//! `ja`). A message missing from a catalogue falls back to English (a unit test keeps the two
//! catalogues' message ids equal).

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use fluent_langneg::accepted_languages;
use unic_langid::LanguageIdentifier;

/// A language monban's pages are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Locale {
    /// English.
    #[default]
    En,
    /// Japanese.
    Ja,
}

const SOURCES: [(Locale, &str); 2] = [
    (Locale::En, include_str!("../locales/en.ftl")),
    (Locale::Ja, include_str!("../locales/ja.ftl")),
];

impl Locale {
    /// Every locale, English first.
    pub const ALL: [Locale; 2] = [Locale::En, Locale::Ja];

    /// The BCP 47 tag, as `<html lang>` wants it.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Ja => "ja",
        }
    }

    /// `en` or `ja` (any case, with or without a region), as written in the configuration.
    pub fn parse(tag: &str) -> Option<Locale> {
        let id: LanguageIdentifier = tag.trim().parse().ok()?;
        Locale::ALL
            .into_iter()
            .find(|l| l.tag() == id.language.as_str())
    }

    /// The best of ours for an `Accept-Language` header, else `default`. Browsers list languages
    /// most wanted first; quality values are not re-sorted.
    pub fn negotiate(accept_language: Option<&str>, default: Locale) -> Locale {
        // Matching on the primary language alone is all two locales need: `ja-JP` is `ja`.
        accepted_languages::parse(accept_language.unwrap_or_default())
            .iter()
            .find_map(|id| {
                Locale::ALL
                    .into_iter()
                    .find(|l| l.tag() == id.language.as_str())
            })
            .unwrap_or(default)
    }

    /// The message `id`, with no placeholders.
    pub fn t(self, id: &str) -> String {
        self.format(id, &[])
    }

    /// The message `id` with its placeholders filled from `args` (name, value).
    pub fn format(self, id: &str, args: &[(&str, &str)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, *value);
        }
        [self, Locale::En]
            .into_iter()
            .find_map(|locale| {
                let bundle = bundle(locale);
                let pattern = bundle.get_message(id)?.value()?;
                // A placeholder left unfilled shows as `{$name}`: visible, never a crash.
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
                Some(text.into_owned())
            })
            .unwrap_or_else(|| id.to_string())
    }
}

fn bundle(locale: Locale) -> &'static FluentBundle<FluentResource> {
    static BUNDLES: OnceLock<Vec<FluentBundle<FluentResource>>> = OnceLock::new();
    let bundles = BUNDLES.get_or_init(|| {
        SOURCES
            .iter()
            .map(|(locale, source)| {
                let resource = FluentResource::try_new(source.to_string())
                    .unwrap_or_else(|(_, e)| panic!("locales/{}.ftl: {e:?}", locale.tag()));
                let mut bundle =
                    FluentBundle::new_concurrent(vec![locale.tag().parse().expect("a valid tag")]);
                // HTML pages: no Unicode isolation marks around placeholders.
                bundle.set_use_isolating(false);
                bundle
                    .add_resource(resource)
                    .expect("message ids are unique");
                bundle
            })
            .collect()
    });
    &bundles[Locale::ALL.iter().position(|l| *l == locale).unwrap()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(source: &str) -> Vec<String> {
        let mut ids: Vec<String> = source
            .lines()
            .filter_map(|l| l.split_once(" ="))
            .filter(|(id, _)| !id.starts_with([' ', '#']))
            .map(|(id, _)| id.to_string())
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn both_catalogues_have_the_same_messages_and_parse() {
        assert_eq!(ids(SOURCES[0].1), ids(SOURCES[1].1));
        for locale in Locale::ALL {
            for id in ids(SOURCES[0].1) {
                assert!(bundle(locale).has_message(&id), "{id} in {locale:?}");
            }
        }
    }

    #[test]
    fn the_best_locale_for_a_browser() {
        let cases = [
            (Some("ja"), Locale::Ja),
            (Some("ja-JP,ja;q=0.9,en-US;q=0.8"), Locale::Ja),
            (Some("en-US,en;q=0.9"), Locale::En),
            (Some("fr-FR,de;q=0.5"), Locale::Ja),
            (Some(""), Locale::Ja),
            (None, Locale::Ja),
        ];
        for (header, expected) in cases {
            assert_eq!(
                Locale::negotiate(header, Locale::Ja),
                expected,
                "{header:?}"
            );
        }
        assert_eq!(Locale::negotiate(None, Locale::En), Locale::En);
        // Garbage is no language, never a panic.
        let long = "x-".repeat(4000);
        for junk in ["*", ";;;,,q=", "\u{0}", "ja-\u{1F600}", long.as_str()] {
            let _ = Locale::negotiate(Some(junk), Locale::Ja);
        }
        assert_eq!(Locale::parse("JA-jp"), Some(Locale::Ja));
        assert_eq!(Locale::parse("de"), None);
    }

    #[test]
    fn placeholders_are_filled() {
        let text = Locale::Ja.format("sign-in-to", &[("app", "Wiki")]);
        assert!(text.contains("Wiki"), "{text}");
    }
}
