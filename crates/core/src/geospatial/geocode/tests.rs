use super::*;
use crate::geospatial::region::RegionFiles;

fn geocoder() -> Geocoder {
    Geocoder::new(Arc::new(
        Region::load(RegionFiles::embedded()).expect("the embedded pack"),
    ))
}

fn best(g: &Geocoder, text: &str) -> (Candidate, bool) {
    let answer = g.geocode(text, 10).expect("not blank");
    let first = answer.candidates.first().cloned();
    (
        first.unwrap_or_else(|| panic!("{text}: no candidate")),
        answer.ambiguous,
    )
}

#[test]
fn twin_spellings_are_ambiguous_and_rank_by_spelling_then_home_country() {
    let g = geocoder();
    for (text, country) in [
        ("Bileh-Savar", "IR"),
        ("Bileh Savar", "IR"),
        ("بیله سوار", "IR"),
        ("Bilesavar", "IR"),
        ("Bilasuvar", "AZ"),
        ("Astara", "IR"),
        ("آستارا", "IR"),
    ] {
        let answer = g.geocode(text, 10).unwrap();
        assert!(answer.ambiguous, "{text} is not flagged ambiguous");
        let countries: Vec<&str> = answer
            .candidates
            .iter()
            .filter(|c| c.precision == Precision::Place)
            .filter_map(|c| c.country.as_deref())
            .collect();
        assert_eq!(countries.first(), Some(&country), "{text}: {countries:?}");
        assert!(countries.contains(&"IR") && countries.contains(&"AZ"));
    }
    // Context decides, and a name only one twin has is no rival.
    for (text, country) in [
        ("Bilasuvar, Azerbaijan", "AZ"),
        ("Bileh Savar, Azerbaijan", "AZ"),
        ("Bilasuvar, Ardabil", "IR"),
        ("Pushkino", "AZ"),
    ] {
        let (c, ambiguous) = best(&g, text);
        assert!(!ambiguous, "{text}");
        assert_eq!(c.country.as_deref(), Some(country), "{text}");
        assert_eq!(c.precision, Precision::Place, "{text}");
    }
}

#[test]
fn a_name_shared_by_an_area_and_its_seat_means_the_seat_unless_the_text_says_area() {
    let g = geocoder();
    let towns = [
        "Lankaran",
        "لنکران",
        "Masally",
        "ماسالی",
        "Ardabil",
        "اردبیل",
    ];
    let areas = [
        "Lankaran District",
        "Lankaran rayonu",
        "Ardabil province",
        "استان اردبیل",
        "شهرستان آستارا",
    ];
    for (texts, precision) in [
        (&towns[..], Precision::Place),
        (&areas[..], Precision::Province),
    ] {
        for text in texts {
            let (c, _) = best(&g, text);
            assert_eq!(c.precision, precision, "{text}: {c:?}");
        }
    }
}

#[test]
fn a_part_of_a_province_named_like_its_capital_is_the_provinces_part() {
    let g = geocoder();
    for text in [
        "northern Ardabil",
        "شمال اردبیل",
        "شمال استان اردبیل",
        "southern Zanjan",
        "eastern Qazvin",
    ] {
        let answer = g.geocode(text, 10).unwrap();
        assert_eq!(answer.candidates[0].precision, Precision::Region, "{text}");
        // Unless the text says province, the city's part stays a lower candidate.
        let says_province = text.contains("استان");
        assert_eq!(
            answer.candidates[1..]
                .iter()
                .any(|c| c.source_id.starts_with("geonames:")),
            !says_province,
            "{text}"
        );
    }
}

/// A town with its province written before or around it, in Latin and Persian script.
const PROVINCE_FIRST: [&str; 6] = [
    "Gilan: Rasht",
    "Gilan - Rasht",
    "Rasht (Gilan)",
    "Gilan province, Rasht",
    "استان گیلان، رشت",
    "گیلان: رشت",
];

#[test]
fn a_province_before_its_town_is_context() {
    let g = geocoder();
    for text in PROVINCE_FIRST {
        let (c, _) = best(&g, text);
        assert_eq!(c.source_id, "geonames:118743", "{text}: {c:?}");
    }
}
