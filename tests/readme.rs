//! The README against the code: every flag of every command (with its environment variable),
//! every map layer and every export format is documented, so the documents cannot fall
//! behind the code again.

use clap::CommandFactory;
use sightmap::config::Cli;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

/// Every flag of `command` and its subcommands: (command path, long name, environment
/// variable).
fn flags(command: &clap::Command, path: &str, out: &mut Vec<(String, String, Option<String>)>) {
    for arg in command.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if matches!(long, "help" | "version") {
            continue;
        }
        let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
        out.push((path.to_string(), long.to_string(), env));
    }
    for sub in command.get_subcommands() {
        flags(sub, &format!("{path} {}", sub.get_name()), out);
    }
}

#[test]
fn every_flag_and_its_environment_variable_is_in_the_readme() {
    let readme = readme();
    let mut all = Vec::new();
    flags(&Cli::command(), "sightmap", &mut all);
    assert!(all.len() > 20, "{all:?}");
    let mut missing = Vec::new();
    for (command, long, env) in &all {
        let Some(env) = env else {
            missing.push(format!("{command} --{long} has no environment variable"));
            continue;
        };
        if !readme.contains(&format!("`--{long}`")) {
            missing.push(format!("{command} --{long} is not in the README"));
        }
        if !readme.contains(&format!("`{env}`")) {
            missing.push(format!("{command} --{long}: {env} is not in the README"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn every_layer_is_in_the_readme_table() {
    let readme = readme();
    for layer in sightmap_core::formats::layers::Layer::ALL {
        assert!(
            readme.contains(&format!("| `{}` |", layer.id())),
            "layer {} is not in the README's layers table",
            layer.id()
        );
    }
}

#[test]
fn every_export_format_is_in_the_readme() {
    let readme = readme();
    for format in sightmap_core::formats::export::Format::NAMES {
        assert!(
            readme.contains(&format!("`{format}`")),
            "export format {format} is not in the README"
        );
    }
    assert!(
        !readme.contains("not written yet"),
        "the README still says a format is not written"
    );
}

#[test]
fn every_exported_field_and_ogc_flat_field_is_in_the_readme() {
    let readme = readme();
    for field in sightmap_core::formats::fields::FIELDS {
        assert!(
            readme.contains(&format!("`{}`", field.name)),
            "field {} is not in the README",
            field.name
        );
        if let sightmap_core::formats::fields::Ogc::Flat(flat) = field.ogc {
            assert!(readme.contains(&format!("`{flat}`")), "{flat}");
        }
    }
}

#[test]
fn every_message_code_is_in_the_readme() {
    let readme = readme();
    for m in sightmap_core::domain::messages::MessageCode::ALL {
        assert!(
            readme.contains(&format!("`{}`", m.code())),
            "the message {} is not in the README",
            m.code()
        );
    }
}

#[test]
fn every_grade_its_words_and_its_former_word_are_in_the_readme() {
    use sightmap_core::engine::events::summary::Grade;
    let readme = readme();
    for g in Grade::ALL {
        let row = format!("| `{}` | {} |", g.as_str(), g.label());
        assert!(readme.contains(&row), "no README row {row}");
    }
    for (word, _) in Grade::FORMER_WORDS {
        assert!(
            readme.contains(&format!("`{word}`")),
            "the former grade word {word} is not in the README"
        );
    }
}
